"""Seed 001 (an article on automatic differentiation with TensorFlow and Eigen), ported: a
custom layer with a sine activation, differentiated by a ``GradientTape``.

The seed's Keras layer computes ``activation(inputs @ kernel)``; this port is the TensorFlow
style layer with a kernel and a bias, ``sin(x @ w + b)``. The bias starts at zero (Keras's
default), so the outputs and the kernel's gradient are those of the seed's bias-free layer.

The loss is ``L = sum(sin(Z)**2)`` with ``Z = X @ W + b``. By hand, with
``dL/dZ = 2 sin(Z) cos(Z) = sin(2 Z)``:

    dL/dW = X.T @ sin(2 Z),    dL/db = sum over rows of sin(2 Z),    dL/dX = sin(2 Z) @ W.T

and the tape's gradients equal these. The kernel is drawn with Keras's Glorot-uniform
initialiser from ``np.random.default_rng``, in float32 like TensorFlow.

Run it with ``python examples/seed001_custom_layer.py``.
"""

from __future__ import annotations

import numpy as np

import pullback as pb
import pullback.numpy as pnp

INPUT = np.array([[-1.0, 0.0, 1.0], [2.0, 3.0, 4.0], [-1.0, -5.0, 2.0]], np.float32)


def sin_activation(x):
    return pnp.sin(x)


class CustomLayer:
    """A Dense layer with any activation: ``activation(inputs @ kernel + bias)``.

    ``inputs``: shape ``(batch, n_in)``; returns shape ``(batch, num_outputs)``.
    """

    def __init__(self, n_in: int, num_outputs: int, activation, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        limit = np.sqrt(6.0 / (n_in + num_outputs))
        kernel = rng.uniform(-limit, limit, (n_in, num_outputs)).astype(np.float32)
        self.kernel = pb.Variable(kernel, name="kernel")
        self.bias = pb.Variable(np.zeros(num_outputs, np.float32), name="bias")
        self.activation = activation

    @property
    def trainable_variables(self) -> list:
        return [self.kernel, self.bias]

    def __call__(self, inputs):
        z = pnp.matmul(inputs, self.kernel) + self.bias
        return self.activation(z)


def hand_gradients(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> dict:
    """The hand-derived gradients of ``sum(sin(x @ w + b)**2)``, in NumPy."""
    dz = np.sin(2.0 * (x @ w + b))
    return {"kernel": x.T @ dz, "bias": dz.sum(axis=0), "inputs": dz @ w.T}


def main() -> dict:
    """Print the kernel and the loss's gradients as the seed does; return them."""
    my_custom_layer = CustomLayer(3, 2, sin_activation)
    inputs = pb.tensor(INPUT)
    with pb.GradientTape() as tape:
        tape.watch(inputs)
        output = my_custom_layer(inputs)
        loss = pnp.sum(output**2)
    sources = my_custom_layer.trainable_variables + [inputs]
    kernel_grad, bias_grad, input_grad = tape.gradient(loss, sources)
    print("my_custom_layer.trainable_variables:\n", my_custom_layer.trainable_variables[0].numpy())
    print("\ngradient:\n", kernel_grad.numpy())
    print("\ngradient with respect to the inputs:\n", input_grad.numpy())
    return {
        "inputs": INPUT,
        "kernel": my_custom_layer.kernel.numpy(),
        "bias": my_custom_layer.bias.numpy(),
        "loss": loss.numpy(),
        "gradients": {
            "kernel": kernel_grad.numpy(),
            "bias": bias_grad.numpy(),
            "inputs": input_grad.numpy(),
        },
        "hand": hand_gradients(INPUT, my_custom_layer.kernel.numpy(), my_custom_layer.bias.numpy()),
    }


if __name__ == "__main__":
    main()
