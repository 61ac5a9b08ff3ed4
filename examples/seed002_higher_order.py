"""Seed 002 (TensorFlow's "Advanced automatic differentiation" guide), ported: higher-order
gradients with nested tapes.

A gradient computed inside an outer tape is recorded by it, so the outer tape differentiates the
gradient computation: ``d/dx x**3 = 3`` and ``d2/dx2 x**3 = 6`` at ``x = 1``.

The second example is input-gradient regularisation (Finlay & Oberman, 2019,
https://arxiv.org/abs/1905.11468): the inner tape takes the gradient of the output with respect
to the input ``x``, and the outer tape the gradient of that gradient's norm with respect to the
layer's kernel ``(5, 10)`` and bias ``(10,)``.

``pb.nn`` is not used: the Dense layer is written by hand with Keras's defaults (Glorot-uniform
kernel, zero bias), from ``np.random.default_rng``, in float32 like TensorFlow.

Run it with ``python examples/seed002_higher_order.py``.
"""

from __future__ import annotations

import numpy as np

import pullback as pb
import pullback.numpy as pnp


def relu(z):
    return pnp.maximum(z, 0.0)


class Dense:
    """A Keras-style Dense layer: ``activation(x @ kernel + bias)``.

    ``x``: shape ``(batch, n_in)``; returns shape ``(batch, n_out)``.
    """

    def __init__(self, n_in: int, n_out: int, activation, rng: np.random.Generator) -> None:
        limit = np.sqrt(6.0 / (n_in + n_out))
        kernel = rng.uniform(-limit, limit, (n_in, n_out)).astype(np.float32)
        self.kernel = pb.Variable(kernel, name="kernel")
        self.bias = pb.Variable(np.zeros(n_out, np.float32), name="bias")
        self.activation = activation

    @property
    def trainable_variables(self) -> list:
        return [self.kernel, self.bias]

    def __call__(self, x):
        return self.activation(x @ self.kernel + self.bias)


def second_derivative_example() -> tuple:
    """``dy/dx`` and ``d2y/dx2`` of ``y = x**3`` at ``x = 1``, from two nested tapes."""
    x = pb.Variable(np.float32(1.0))
    with pb.GradientTape() as t2:
        with pb.GradientTape() as t1:
            y = x * x * x
        # Compute the gradient inside the outer `t2` context manager
        # which means the gradient computation is differentiable as well.
        dy_dx = t1.gradient(y, x)
    d2y_dx2 = t2.gradient(dy_dx, x)
    print("dy_dx:", dy_dx.numpy())  # 3 * x**2 => 3.0
    print("d2y_dx2:", d2y_dx2.numpy())  # 6 * x => 6.0
    return dy_dx.numpy(), d2y_dx2.numpy()


def input_gradient_regularisation(seed: int = 0) -> dict:
    """The gradient of ``||d out / d x||`` with respect to a Dense layer's variables."""
    rng = np.random.default_rng(seed)
    x = pb.tensor(rng.standard_normal((7, 5)).astype(np.float32))
    layer = Dense(5, 10, relu, rng)
    with pb.GradientTape() as t2:
        # The inner tape only takes the gradient with respect to the input,
        # not the variables.
        with pb.GradientTape(watch_accessed_variables=False) as t1:
            t1.watch(x)
            out = pnp.sum(layer(x) ** 2)
        # 1. Calculate the input gradient.
        g1 = t1.gradient(out, x)
        # 2. Calculate the magnitude of the input gradient.
        g1_mag = pnp.linalg.norm(g1)
    # 3. Calculate the gradient of the magnitude with respect to the model.
    dg1_mag = t2.gradient(g1_mag, layer.trainable_variables)
    print([var.shape for var in dg1_mag])
    return {"x": x, "layer": layer, "g1_mag": g1_mag.numpy(), "dg1_mag": dg1_mag}


def main() -> dict:
    """Run both examples; return their results."""
    return {
        "second_derivative": second_derivative_example(),
        "regularisation": input_gradient_regularisation(),
    }


if __name__ == "__main__":
    main()
