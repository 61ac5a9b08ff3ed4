"""Seed 001 (an article on automatic differentiation with TensorFlow and Eigen), ported: a
numerically unstable gradient, fixed with a custom gradient.

``f(x) = 1 / exp(x)`` at ``x = 100`` in float32: ``exp(100)`` overflows to ``inf``, so the value
``1 / inf = 0`` is right, but the chain rule multiplies ``-1 / inf**2 = -0`` by ``exp(100) = inf``
and the gradient is NaN. ``pb.custom_gradient`` supplies ``f'(x) = -exp(-x)`` directly, which is
finite (a float32 subnormal near ``-3.7e-44``). In float64 ``exp(100)`` does not overflow, and
automatic differentiation gives ``-exp(-100) = -3.7200759760208e-44`` unaided.

Run it with ``python examples/seed001_exp_nan.py``.
"""

from __future__ import annotations

import numpy as np

import pullback as pb
import pullback.numpy as pnp


def function_using_autodiff(x):
    return 1.0 / pnp.exp(x)


@pb.custom_gradient
def function_using_customdiff(x):
    """``1 / exp(x)``, with the derivative ``-exp(-x)`` given by hand."""

    def grad(upstream):
        return upstream * -pnp.exp(-x)

    return 1.0 / pnp.exp(x), grad


def tape_value_and_gradient(function, x):
    """``function(x)`` and its derivative, recorded by a ``GradientTape`` (as numpy values)."""
    with pb.GradientTape() as tape:
        output = function(x)
    gradient = tape.gradient(output, x)
    return output.numpy(), gradient.numpy()


def main() -> dict:
    """Print the values and gradients at 100, as the seed does; return them."""
    input = pb.Variable(np.float32(100.0))
    # NOTE: the overflow to inf (and inf * 0 = NaN) is what the seed demonstrates, so NumPy's
    # warnings about it are silenced here; TensorFlow does not warn either.
    with np.errstate(over="ignore", invalid="ignore"):
        output, gradient = tape_value_and_gradient(function_using_autodiff, input)
        output_custom, gradient_custom = tape_value_and_gradient(function_using_customdiff, input)
    print("output using autodiff: ", output)
    print("gradient using autodiff: ", gradient)
    print("output using custom diff: ", output_custom)
    print("gradient using custom diff: ", gradient_custom)
    gradient_float64 = pb.grad(function_using_autodiff)(100.0)
    print("gradient using autodiff in float64: ", gradient_float64)
    return {
        "output": output,
        "gradient": gradient,
        "output_custom": output_custom,
        "gradient_custom": gradient_custom,
        "gradient_float64": gradient_float64,
    }


if __name__ == "__main__":
    main()
