"""Seed 000 (Swift for TensorFlow, "Custom differentiation"), ported: stopping and rewriting
derivatives.

Swift's ``withoutDerivative(at:)`` is ``pb.without_derivative`` (alias of ``pb.stop_gradient``):
the value passes and the derivative is zero. Swift's ``x.withDerivative { dx in ... }`` is
``pb.with_derivative(x, hook)``: in the backward pass ``hook`` sees the cotangent at ``x``, and
a value it returns replaces the cotangent (Swift mutates the ``inout`` argument instead).

The seed computes in Swift's ``Float``, so this port computes in float32 and prints the same
digits.

Run it with ``python examples/seed000_derivative_surgery.py``.
"""

from __future__ import annotations

import numpy as np

import pullback as pb
import pullback.numpy as pnp


def stop_derivative_example() -> tuple:
    """The gradient of ``sin(sin(sin(x))) + withoutDerivative(cos(cos(cos(y))))`` at (2, 3)."""
    x = np.float32(2.0)
    y = np.float32(3.0)

    def f(x, y):
        return pnp.sin(pnp.sin(pnp.sin(x))) + pb.without_derivative(pnp.cos(pnp.cos(pnp.cos(y))))

    xy_gradient = pb.grad(f, argnums=(0, 1))(x, y)
    print(f"({xy_gradient[0]!s}, {xy_gradient[1]!s})")
    return xy_gradient


def print_sin_partial(g) -> None:
    """Print the partial derivative with respect to the result of ``sin(x)``."""
    print(f"∂+/∂sin = {g!s}")


def rewrite_log_partial(dx):
    """Force the partial derivative with respect to ``x`` (through ``log``) to be 0.5."""
    print(f"∂log/∂x = {dx!s}, but rewritten to 0.5")
    return 0.5


def surgery(x):
    """The seed's closure: ``sin(x)`` with a printing hook, plus ``log`` of a rewritten ``x``."""
    a = pb.with_derivative(pnp.sin(x), print_sin_partial)
    b = pnp.log(pb.with_derivative(x, rewrite_log_partial))
    return a + b


def surgery_example():
    """The gradient of ``surgery`` at 30: ``cos(30) + 0.5`` instead of ``cos(30) + 1/30``.

    The hooks run in the order of the backward pass, which visits ``b`` (computed last) first.
    """
    x_gradient = pb.grad(surgery)(np.float32(30.0))
    print(x_gradient)
    return x_gradient


def main() -> dict:
    """Run both examples; return their gradients (float32)."""
    return {"without": stop_derivative_example(), "with": surgery_example()}


if __name__ == "__main__":
    main()
