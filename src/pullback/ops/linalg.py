"""Linear algebra: products (matmul, einsum, ...) and decompositions (solve, svd, ...)."""

from __future__ import annotations

import numpy as np

from .._core.primitive import defjvp, defvjp, primitive
from .._core.tensor import shape_of
from .shape import reshape, transpose


def mT(x):
    """Swap the last two axes."""
    n = len(shape_of(x))
    return transpose(x, tuple(range(n - 2)) + (n - 1, n - 2))


def _as_matrices(g, x, y):
    """Promote 1-d matmul operands (and the cotangent) to the 2-d case NumPy implies."""
    xs, ys, gs = shape_of(x), shape_of(y), shape_of(g)
    if len(xs) == 1:
        x = reshape(x, (1,) + xs)
        gs = gs[:-1] + (1,) + gs[-1:] if len(ys) > 1 else gs + (1,)
    if len(ys) == 1:
        y = reshape(y, ys + (1,))
        gs = gs + (1,)
    return reshape(g, gs), x, y


def _matmul_vjp_x(g, ans, x, y):
    g2, x2, y2 = _as_matrices(g, x, y)
    gx = matmul(g2, mT(y2))
    if len(shape_of(x)) == 1:
        gx = reshape(gx, shape_of(gx)[:-2] + shape_of(x))
    return gx


def _matmul_vjp_y(g, ans, x, y):
    g2, x2, y2 = _as_matrices(g, x, y)
    gy = matmul(mT(x2), g2)
    if len(shape_of(y)) == 1:
        gy = reshape(gy, shape_of(gy)[:-2] + shape_of(y))
    return gy


@primitive
def matmul(x, y):
    """Matrix product with NumPy's rules for stacks and 1-d operands.

    >>> import numpy as np, pullback as pb
    >>> pb.grad(lambda w: matmul(np.ones(2), w).sum())(np.eye(2)).tolist()
    [[1.0, 1.0], [1.0, 1.0]]
    """
    return np.matmul(x, y)


defvjp(matmul, _matmul_vjp_x, _matmul_vjp_y)
defjvp(matmul, lambda t, ans, x, y: matmul(t, y), lambda t, ans, x, y: matmul(x, t))
