"""Seed 002 (TensorFlow's "Advanced automatic differentiation" guide), ported: controlling
what a ``GradientTape`` records, and several tapes at once.

- ``tape.stop_recording()`` suspends recording: ``y * y`` computed inside it has no gradient.
- ``tape.reset()`` throws away everything recorded so far.
- ``pb.stop_gradient`` blocks one path only, without access to the tape.
- Two tapes active together each watch their own tensor.

TensorFlow computes in float32 by default, so the Variables here are float32 too. An
unconnected source gets ``None``, as in TensorFlow.

Run it with ``python examples/seed002_tape_basics.py``.
"""

from __future__ import annotations

import numpy as np

import pullback as pb
import pullback.numpy as pnp


def show(g) -> str:
    """A gradient as the seed prints it: its value, or ``None`` when unconnected."""
    return "None" if g is None else str(g.numpy())


def print_grad(grad: dict) -> None:
    print("dz/dx:", show(grad["x"]))  # 2*x => 4
    print("dz/dy:", show(grad["y"]))


def stop_recording_example() -> dict:
    """``z = x*x + y*y`` with ``y*y`` computed while recording is stopped."""
    x = pb.Variable(np.float32(2.0))
    y = pb.Variable(np.float32(3.0))
    with pb.GradientTape() as t:
        x_sq = x * x
        with t.stop_recording():
            y_sq = y * y
        z = x_sq + y_sq
    grad = t.gradient(z, {"x": x, "y": y})
    print_grad(grad)
    return grad


def reset_example(reset: bool = True) -> dict:
    """``z = x*x + y*y`` with the tape reset after ``y*y`` was recorded."""
    x = pb.Variable(np.float32(2.0))
    y = pb.Variable(np.float32(3.0))
    with pb.GradientTape() as t:
        y_sq = y * y
        if reset:
            # Throw out all the tape recorded so far.
            t.reset()
        z = x * x + y_sq
    grad = t.gradient(z, {"x": x, "y": y})
    print_grad(grad)
    return grad


def stop_gradient_example() -> dict:
    """``z = x**2 + stop_gradient(y**2)``: only the ``y`` path is blocked."""
    x = pb.Variable(np.float32(2.0))
    y = pb.Variable(np.float32(3.0))
    with pb.GradientTape() as t:
        y_sq = y**2
        z = x**2 + pb.stop_gradient(y_sq)
    grad = t.gradient(z, {"x": x, "y": y})
    print_grad(grad)
    return grad


def multiple_tapes_example() -> tuple:
    """Two tapes, each watching its own input: ``cos(0) = 1`` and ``sigmoid'(0) = 0.25``."""
    x0 = pb.tensor(np.float32(0.0))
    x1 = pb.tensor(np.float32(0.0))
    with pb.GradientTape() as tape0, pb.GradientTape() as tape1:
        tape0.watch(x0)
        tape1.watch(x1)
        y0 = pnp.sin(x0)
        y1 = pnp.special.expit(x1)
        y = y0 + y1
        ys = pnp.sum(y)
    d0 = tape0.gradient(ys, x0).numpy()  # cos(x) => 1.0
    d1 = tape1.gradient(ys, x1).numpy()  # sigmoid(x1)*(1-sigmoid(x1)) => 0.25
    print(d0)
    print(d1)
    return d0, d1


def main() -> dict:
    """Run every example of this section; return their gradients."""
    return {
        "stop_recording": stop_recording_example(),
        "reset": reset_example(),
        "stop_gradient": stop_gradient_example(),
        "multiple_tapes": multiple_tapes_example(),
    }


if __name__ == "__main__":
    main()
