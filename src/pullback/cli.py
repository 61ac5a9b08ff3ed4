"""The ``pullback`` command line: ``pullback train`` and ``pullback demo``.

Bad arguments and unreadable data get one-line errors (exit status 2), not tracebacks.
"""

from __future__ import annotations

import argparse
import sys


def _demo(args: argparse.Namespace) -> int:
    import pullback as pb
    import pullback.numpy as pnp

    def f(a, b, c):
        return pnp.log((pnp.sin(a * b) + pnp.exp(c - a / b)) ** 2) * c

    point = (43.0, 3.0, 2.0)
    grads = pb.grad(f, argnums=(0, 1, 2))(*point)
    print(f"f(a, b, c) = log((sin(a*b) + exp(c - a/b))**2) * c at (a, b, c) = {point}")
    print(f"value      = {f(*point):.12g}")
    for name, g, i in zip("abc", grads, range(3)):
        h = 1e-6
        hi, lo = list(point), list(point)
        hi[i] += h
        lo[i] -= h
        numeric = (f(*hi) - f(*lo)) / (2 * h)
        print(f"df/d{name}      = {g:.12g}   (central difference {numeric:.12g})")
    return 0


def _train(args: argparse.Namespace) -> int:
    from .train import Config, train

    config = Config(
        model=args.model,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        optimizer=args.optimizer,
        seed=args.seed,
        data=args.data,
        out=args.out,
    )
    try:
        train(config)
    except (OSError, ValueError, ImportError) as e:
        print(f"pullback train: error: {e}", file=sys.stderr)
        return 2
    return 0


def _positive(kind):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value

    return parse


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pullback")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "(not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pullback", description="Differentiable programming for NumPy code."
    )
    parser.add_argument("--version", action="version", version=f"pullback {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    train = commands.add_parser("train", help="train a model on the bundled digits (or MNIST)")
    train.add_argument("--model", choices=["mlp", "cnn"], default="mlp")
    train.add_argument(
        "--epochs", type=_positive(int), default=None, help="default: 20 (mlp), 12 (cnn)"
    )
    train.add_argument("--batch-size", type=_positive(int), default=32)
    train.add_argument("--lr", type=_positive(float), default=1e-3, help="learning rate")
    train.add_argument("--optimizer", choices=["sgd", "adam", "adamw"], default="adam")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument(
        "--data", default="digits", help="'digits' (bundled) or a directory of MNIST IDX files"
    )
    train.add_argument("--out", default="pullback-run", help="directory for the model and plot")
    train.set_defaults(run=_train)
    demo = commands.add_parser("demo", help="differentiate the from-scratch seed's function")
    demo.set_defaults(run=_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``pullback`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "run", None) is None:
        parser.print_help()
        return 0
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
