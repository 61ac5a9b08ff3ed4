"""Seed 000 (Swift for TensorFlow, "Custom differentiation"), ported: derivative hooks in an MLP.

The seed trains a 2-10-1 ReLU network on XOR with SGD (learning rate 0.02) for 10 steps, and
uses ``withDerivative`` to print the loss's derivative with respect to the first layer's output
and to the prediction at every step. ``pb.with_derivative`` is the same hook; the layers are
plain dataclasses of arrays (pullback differentiates any dataclass), and SGD is one
``pb.tree.map``.

Two things reproduce the seed's printout (float32, as Swift's ``Float``):

- The seed's loss is ``(ŷ - y).squared().mean()`` with ``ŷ`` of shape ``(4, 1)`` and ``y`` of
  shape ``(4,)``: broadcasting makes the difference ``(4, 4)``, so every prediction is compared
  with every label. The port keeps that, as the seed's numbers depend on it.
- Swift draws the initial weights at random (Glorot uniform, zero biases). ``SEED_WEIGHTS`` are
  those weights, recovered from the seed's own printout: the second layer's weights are
  ``∂L/∂layer1 / ∂L/∂ŷ`` at every step, and their changes determine the first layer's. Entries
  of the first layer whose ReLU unit never fires on an input cannot influence anything printed,
  so the printout does not determine them; they are set to -0.5, which keeps those units off.

With them, 7 of the 10 losses and 309 of the 450 printed numbers have the seed's exact digits;
the rest are within 8 float32 ulps (NumPy sums in another order than TensorFlow).

Run it with ``python examples/seed000_mlp_sgd.py``.
"""

from __future__ import annotations

import dataclasses

import numpy as np

import pullback as pb
import pullback.numpy as pnp

LEARNING_RATE = np.float32(0.02)
STEPS = 10

# The seed's random initial weights, as recovered from its printout (see the module docstring).
SEED_WEIGHTS = {
    "layer1": [
        [0.22361445, 0.6992169, 0.10107938, 0.21025229, 0.3336343,
         -0.5, 0.30566943, -0.5, -0.5, -0.5],
        [-0.5, 0.3663618, -0.5, 0.01481058, -0.08625271,
         -0.5, 0.107224174, -0.5, 0.16573162, -0.5],
    ],
    "layer2": [
        0.2161478, 0.36945933, 0.3615411, 0.368926, -0.6740197,
        0.37160093, -0.4075977, 0.07821429, -0.60358757, -0.13001484,
    ],
}  # fmt: skip


def relu(x):
    # NOTE: where(x > 0, x, 0), not maximum(x, 0): Swift's relu has derivative 0 at 0, which the
    # seed's first step needs (the first input gives the output layer exactly 0).
    return pnp.where(x > 0, x, 0.0)


@dataclasses.dataclass
class Dense:
    """``relu(x @ weight + bias)``: ``x`` of shape ``(batch, in)``; returns ``(batch, out)``."""

    weight: np.ndarray
    bias: np.ndarray

    def __call__(self, x):
        return relu(x @ self.weight + self.bias)


def swift_format(array) -> str:
    """An array on one line with float32 digits, as Swift prints a ``Tensor<Float>``."""
    if np.ndim(array) == 0:
        return str(np.float32(array))
    return "[" + ", ".join(swift_format(row) for row in array) + "]"


def print_layer1_partial(g) -> None:
    print("∂L/∂layer1 =", swift_format(g))


def print_prediction_partial(g) -> None:
    print("∂L/∂ŷ =", swift_format(g))


@dataclasses.dataclass
class MLP:
    layer1: Dense
    layer2: Dense

    def __call__(self, x):
        h0 = pb.with_derivative(self.layer1(x), print_layer1_partial)
        return self.layer2(h0)


def seed_model() -> MLP:
    """The seed's classifier, with the initial weights it drew (``SEED_WEIGHTS``)."""
    w1 = np.array(SEED_WEIGHTS["layer1"], np.float32)
    w2 = np.array(SEED_WEIGHTS["layer2"], np.float32).reshape(10, 1)
    return MLP(
        Dense(w1, np.zeros(10, np.float32)),
        Dense(w2, np.zeros(1, np.float32)),
    )


X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
Y = np.array([0, 1, 1, 0], np.float32)


def loss_fn(classifier: MLP):
    """The seed's loss, printed; ``(ŷ - y)`` broadcasts to ``(4, 4)`` as in Swift."""
    y_hat = pb.with_derivative(classifier(X), print_prediction_partial)
    loss = pnp.mean(pnp.square(y_hat - Y))
    print(f"Loss: {loss.numpy()!s}")
    return loss


def sgd_update(model, gradient, learning_rate):
    """Plain SGD: ``p - learning_rate * g`` for every parameter."""
    return pb.tree.map(lambda p, g: p - learning_rate * g, model, gradient)


def main() -> list:
    """Train for 10 steps, printing as the seed does; return the 10 losses (float32)."""
    classifier = seed_model()
    losses = []
    for _ in range(STEPS):
        loss, model_gradient = pb.value_and_grad(loss_fn)(classifier)
        losses.append(loss)
        classifier = sgd_update(classifier, model_gradient, LEARNING_RATE)
    return losses


if __name__ == "__main__":
    main()
