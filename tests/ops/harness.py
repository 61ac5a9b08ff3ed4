"""The op-table harness: each family's test file lists ``OpCase``s and runs them here.

Every case is checked with ``pb.check_grads`` in float64 (central differences, forward and
reverse, the transpose identity to 1e-12) at K seeded random points for each of its shape
combinations, to ``order`` (2 by default, 3 for elementwise ops). ``PULLBACK_FULL_MATRIX=1``
raises K from 2 to 5 and checks order 3 everywhere.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

import pullback as pb
from pullback._core.primitive import Primitive

FULL = os.environ.get("PULLBACK_FULL_MATRIX") == "1"
POINTS = 5 if FULL else 2

# R1's shape set for unary and binary ops.
UNARY_SHAPES = [((),), ((3,),), ((3, 4),), ((2, 3, 4),), ((0, 3),)]
BINARY_SHAPES = [
    ((), ()),
    ((3,), (3,)),
    ((3, 4), (3, 4)),
    ((3, 1), (1, 4)),
    ((), (2, 3)),
    ((0, 3), (0, 3)),
]


def uniform(lo: float, hi: float) -> Callable:
    return lambda rng, shape: rng.uniform(lo, hi, shape)


def away_from_integers(rng, shape):
    """Samples in (k + 0.1, k + 0.4) so that finite differences never straddle a jump."""
    return rng.integers(-3, 3, shape) + rng.uniform(0.1, 0.4, shape)


def away_from_zero(rng, shape):
    """Samples in ±(0.5, 2): clear of a kink or pole at 0."""
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.5, 2.0, shape)


@dataclass
class OpCase:
    """One op under test: ``fn`` of ``nargs`` arrays drawn by ``domain`` at ``shapes``."""

    fn: Callable
    nargs: int = 1
    domain: Callable | tuple | list = (-2.0, 2.0)
    shapes: list = field(default_factory=list)
    order: int = 2
    rtol: float = 1e-6
    atol: float = 1e-8
    name: str = ""

    def __post_init__(self) -> None:
        if not self.shapes:
            self.shapes = UNARY_SHAPES if self.nargs == 1 else BINARY_SHAPES
        if not self.name:
            self.name = getattr(self.fn, "__name__", repr(self.fn))

    def sampler(self, i: int) -> Callable:
        domain = self.domain[i] if isinstance(self.domain, list) else self.domain
        return uniform(*domain) if isinstance(domain, tuple) else domain


def case_ids(cases: list[OpCase]) -> list[str]:
    return [c.name for c in cases]


def run_case(case: OpCase) -> None:
    """check_grads at POINTS random points for every shape combination of ``case``."""
    rng = np.random.default_rng(zlib.crc32(case.name.encode()))
    order = max(case.order, 3) if FULL and case.order >= 2 else case.order
    for shapes in case.shapes:
        for point in range(POINTS):
            args = tuple(case.sampler(i)(rng, s) for i, s in enumerate(shapes))
            try:
                pb.check_grads(
                    case.fn, args, order=order, rtol=case.rtol, atol=case.atol, seed=point
                )
            except AssertionError as e:
                raise AssertionError(
                    f"{case.name} at shapes {shapes}, point {point}: {e}"
                ) from None


def assert_float32_gradients(op, point: tuple) -> None:
    """The gradient of ``op`` at ``point`` (float32 vectors) is float32 and close to float64's."""
    argnums = tuple(range(len(point)))
    grad = pb.grad(lambda *xs: op(*xs).sum(), argnums=argnums)
    got = grad(*(np.full(3, p, np.float32) for p in point))
    want = grad(*(np.full(3, p, np.float64) for p in point))
    for g, w in zip(got, want):
        assert g.dtype == np.float32
        np.testing.assert_allclose(g, w, rtol=1e-5)


def assert_agrees_with_jax(case: OpCase, theirs: Callable, jax) -> None:
    """``case.fn`` and JAX's ``theirs`` agree in value and gradient at 4 random points."""
    rng = np.random.default_rng(0)
    args = tuple(case.sampler(i)(rng, (4,)) for i in range(case.nargs))
    argnums = tuple(range(case.nargs))
    np.testing.assert_allclose(case.fn(*args), theirs(*args), rtol=1e-12)
    mine = pb.grad(lambda *xs: case.fn(*xs).sum(), argnums=argnums)(*args)
    peer = jax.grad(lambda *xs: theirs(*xs).sum(), argnums=argnums)(*args)
    for g, p in zip(mine, peer):
        np.testing.assert_allclose(g, np.asarray(p), rtol=1e-12, atol=1e-300)


def documented_primitives(module) -> list[str]:
    """The names of the primitives defined in ``module`` (not imported into it)."""
    return sorted(
        name
        for name, v in vars(module).items()
        if isinstance(v, Primitive)
        and v.name == name
        and getattr(v.impl, "__module__", "") == module.__name__
    )
