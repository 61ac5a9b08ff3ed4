"""Seed 000 (Swift for TensorFlow, "Custom differentiation"), ported: a checkpointing API in a
few lines.

The seed defines ``makeRecomputedInGradient`` with ``differentiableFunction(from:)``: the value
is ``original(x)``, and the pullback calls ``pullback(at: x, in: original)``, which evaluates
``original`` again. ``pb.differentiable_function`` and ``pb.pullback`` are the same two pieces,
and one definition serves functions of any number of arguments (the seed writes a second one
for binary functions). The library's own version is ``pb.checkpoint`` (alias
``pb.recompute_in_gradient``).

The seed computes in Swift's ``Float``, so this port computes in float32 and prints the same
digits.

Run it with ``python examples/seed000_checkpointing.py``.
"""

from __future__ import annotations

import numpy as np

import pullback as pb
import pullback.numpy as pnp


def make_recomputed_in_gradient(original):
    """``original``, except that its derivatives recompute its values instead of storing them.

    >>> square = make_recomputed_in_gradient(lambda x: x * x)
    >>> pb.grad(square)(3.0)
    6.0
    """
    return pb.differentiable_function(
        lambda *args: (original(*args), lambda v: pb.pullback(original, *args)(v))
    )


# Every run of the square, forward or recomputed, appends here.
SQUARE_RUNS: list[str] = []


def computing_square(x):
    """``x * x``, announcing itself like the seed's closure."""
    SQUARE_RUNS.append("square")
    print(" Computing square...")
    return x * x


square = make_recomputed_in_gradient(computing_square)


def f(x):
    """``cos(x) ** 2``, with the square recomputed in the gradient."""
    return square(pnp.cos(x))


def main() -> dict:
    """Differentiate ``f`` at 10 with a pullback, as the seed does.

    Returns the output and gradient (float32, ``-sin(20)``) and how many times the square ran
    in the forward pass and in the backward pass (once each).
    """
    SQUARE_RUNS.clear()
    print("Running original computation...")
    output, backprop = pb.vjp(f, np.float32(10.0))
    forward_runs = len(SQUARE_RUNS)
    print("Running backpropagation...")
    (grad,) = backprop(np.float32(1.0))
    print(f"Gradient = {grad!s}")
    return {
        "output": output,
        "gradient": grad,
        "forward_runs": forward_runs,
        "backward_runs": len(SQUARE_RUNS) - forward_runs,
    }


if __name__ == "__main__":
    main()
