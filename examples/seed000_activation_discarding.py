"""Seed 000 (Swift for TensorFlow, "Custom differentiation"), ported: a layer that discards its
activations and recomputes them during backpropagation.

The seed builds ``ActivationDiscarding``, a layer wrapper whose application goes through its
own ``makeRecomputedInGradient`` (``differentiableFunction(from:)`` around
``pullback(at:in:)``), and trains a small CNN (conv 5x5x3x6, 2x2 max pool, flatten, dense
216 -> 10) with SGD for 5 steps: the convolution runs twice per step, once in the forward pass
and once in the backward pass. The layers here are dataclasses of arrays over pullback's
``conv2d`` and ``max_pool2d``; ``pb.vjp`` is ``appliedForBackpropagation(to:)``. The library's
own wrapper is ``pb.checkpoint`` (and ``pb.nn.Module.discarding_activations()``).

The seed trains on random data from random initial weights (Glorot uniform, zero biases), so
its losses cannot be reproduced; this port draws them from NumPy's seeded generator, and its
losses fall as the seed's do.

Run it with ``python examples/seed000_activation_discarding.py``.
"""

from __future__ import annotations

import dataclasses

import numpy as np

import pullback as pb
import pullback.numpy as pnp
from pullback.nn.conv import conv2d, max_pool2d

LEARNING_RATE = np.float32(0.01)  # the default of Swift's SGD(for:)
STEPS = 5

# Every run of a wrapped layer, forward or recomputed, appends here.
LAYER_RUNS: list[str] = []


def make_recomputed_in_gradient(original):
    """``original``, except that its derivatives recompute its values instead of storing them."""
    return pb.differentiable_function(
        lambda *args: (original(*args), lambda v: pb.pullback(original, *args)(v))
    )


def glorot_uniform(rng, shape, fan_in: int, fan_out: int) -> np.ndarray:
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, shape).astype(np.float32)


@dataclasses.dataclass
class Conv2D:
    """``x``: ``(batch, h, w, cin)``; returns ``(batch, h - kh + 1, w - kw + 1, cout)``."""

    filter: np.ndarray
    bias: np.ndarray

    def __call__(self, x):
        return conv2d(x, self.filter) + self.bias


@dataclasses.dataclass
class Dense:
    """``x``: ``(batch, in)``; returns ``(batch, out)``."""

    weight: np.ndarray
    bias: np.ndarray

    def __call__(self, x):
        return x @ self.weight + self.bias


def apply_announced(layer, x):
    """Apply ``layer``, announcing it like the seed's wrapper (the seed's layers are Float)."""
    LAYER_RUNS.append(type(layer).__name__)
    print(f" Applying {type(layer).__name__}<Float> layer...")
    return layer(x)


@dataclasses.dataclass
class ActivationDiscarding:
    """A layer whose activations are discarded in application and recomputed in backprop."""

    wrapped: Conv2D

    def __call__(self, x):
        apply = make_recomputed_in_gradient(apply_announced)
        return apply(self.wrapped, x)


def discarding_activations(layer) -> ActivationDiscarding:
    return ActivationDiscarding(layer)


@dataclasses.dataclass
class Model:
    """The seed's CNN: ``x`` of shape ``(batch, 16, 16, 3)``; returns logits ``(batch, 10)``."""

    conv: ActivationDiscarding
    dense: Dense

    def __call__(self, x):
        h = max_pool2d(self.conv(x), pool_size=(2, 2), strides=(2, 2))
        return self.dense(pnp.reshape(h, (h.shape[0], -1)))


def init_model(rng) -> Model:
    conv = Conv2D(glorot_uniform(rng, (5, 5, 3, 6), 75, 150), np.zeros(6, np.float32))
    dense = Dense(glorot_uniform(rng, (36 * 6, 10), 36 * 6, 10), np.zeros(10, np.float32))
    return Model(discarding_activations(conv), dense)


def sgd_update(model, gradient, learning_rate):
    """Plain SGD: ``p - learning_rate * g`` for every parameter."""
    return pb.tree.map(lambda p, g: p - learning_rate * g, model, gradient)


def train_step(model: Model, x, y) -> tuple:
    """One step of the seed's loop; returns ``(model, loss, runs)``: the updated model, the
    loss before the update, and how many times the conv layer ran (forward, backward)."""
    print(" Running original computation...")
    runs_before = len(LAYER_RUNS)
    logits, backprop = pb.vjp(lambda model, x: model(x), model, x)
    forward_runs = len(LAYER_RUNS) - runs_before
    loss, dl_dlogits = pb.value_and_grad(lambda logits: pb.nn.softmax_cross_entropy(logits, y))(
        logits
    )
    print(f" Loss: {loss!s}")
    print(" Running backpropagation...")
    dl_dmodel, _ = backprop(dl_dlogits)
    backward_runs = len(LAYER_RUNS) - runs_before - forward_runs
    return sgd_update(model, dl_dmodel, LEARNING_RATE), loss, (forward_runs, backward_runs)


def main() -> dict:
    """Train for 5 steps as the seed does; return the losses and the conv runs per step."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((10, 16, 16, 3)).astype(np.float32)
    y = np.arange(10)
    model = init_model(rng)
    losses = []
    runs = []
    for i in range(1, STEPS + 1):
        print(f"Starting training step {i}")
        model, loss, step_runs = train_step(model, x, y)
        losses.append(loss)
        runs.append(step_runs)
    return {"losses": losses, "runs": runs, "model": model}


if __name__ == "__main__":
    main()
