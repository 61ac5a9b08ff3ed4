"""The ``pullback`` command line.

``pullback demo`` differentiates the scalar function of the from-scratch seed and checks it
against central differences.
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
        hi = list(point)
        lo = list(point)
        hi[i] += h
        lo[i] -= h
        numeric = (f(*hi) - f(*lo)) / (2 * h)
        print(f"df/d{name}      = {g:.12g}   (central difference {numeric:.12g})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pullback", description="Differentiable programming for NumPy code."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
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
