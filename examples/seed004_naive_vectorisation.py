"""Seed 004, "A naive vectorisation", ported: one linear layer fitted to noise.

The seed wraps every array entry in a ``Var`` object (``np.vectorize``) so that ``np.dot`` and
``np.sum`` build its scalar graph. pullback needs no object arrays: the same NumPy code runs on
ordinary float arrays, and ``pb.value_and_grad`` differentiates it as a whole.

Run it with ``python examples/seed004_naive_vectorisation.py [--plot [PATH]]``; the loss curve
is saved to a PNG only with ``--plot`` and only if matplotlib is installed.
"""

from __future__ import annotations

import argparse

import numpy as np

import pullback as pb

INPUT_SIZE = 50
OUTPUT_SIZE = 10
LRATE = 0.001
STEPS = 100


def loss_fn(weights, x, y_true):
    """Squared error of the layer ``x @ weights`` (the seed's loss, unchanged).

    ``weights``: shape ``(50, 10)``; ``x``: shape ``(50,)``; ``y_true``: shape ``(10,)``.
    """
    y_pred = np.dot(x, weights)
    return np.sum((y_true - y_pred) * (y_true - y_pred))


def fit(steps: int = STEPS, lrate: float = LRATE) -> list[float]:
    """The seed's training loop; returns the loss before each update."""
    np.random.seed(0)
    x = np.random.random(INPUT_SIZE)
    y_true = np.random.random(OUTPUT_SIZE)
    weights = np.random.random((INPUT_SIZE, OUTPUT_SIZE))
    loss_and_grad = pb.value_and_grad(loss_fn)
    loss_vals = []
    for _ in range(steps):
        loss, grad = loss_and_grad(weights, x, y_true)
        loss_vals.append(float(loss))
        weights = weights - lrate * grad
    return loss_vals


def save_plot(loss_vals: list[float], path: str) -> bool:
    """Save the seed's loss plot to ``path``; ``False`` if matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots()
    ax.plot(loss_vals)
    ax.set_xlabel("Time step")
    ax.set_ylabel("Loss")
    ax.set_title("Single linear layer learning")
    fig.savefig(path)
    plt.close(fig)
    return True


def main(argv: list[str] | None = None) -> list[float]:
    """Fit the layer, print the first and last loss, and return all 100 loss values."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--plot",
        nargs="?",
        const="seed004_loss.png",
        default=None,
        metavar="PATH",
        help="save the loss curve to PATH (default seed004_loss.png); needs matplotlib",
    )
    args = parser.parse_args([] if argv is None else argv)
    loss_vals = fit()
    print(f"loss at step 0 = {loss_vals[0]!r}")
    print(f"loss at step {len(loss_vals) - 1} = {loss_vals[-1]!r}")
    if args.plot is not None:
        if save_plot(loss_vals, args.plot):
            print(f"saved the loss plot to {args.plot}")
        else:
            print("matplotlib is not installed: no plot saved")
    return loss_vals


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
