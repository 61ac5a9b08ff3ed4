"""Linear algebra: products (matmul, einsum, ...) and decompositions (solve, svd, ...).

Every decomposition works on stacks ``(..., m, n)``. Rules are written with pullback's own ops
(``matmul``, ``solve``, ``einsum``, ``where`` ...), so each is itself differentiable. References:
M. Giles, "An extended collection of matrix derivative results for forward and reverse mode
algorithmic differentiation" (2008); I. Murray, "Differentiation of the Cholesky decomposition"
(2016); M. Seeger et al., "Auto-differentiating linear algebra" (2017); J. Townsend,
"Differentiating the singular value decomposition" (2016); H.-J. Liao et al., "Differentiable
programming tensor networks" (2019, QR); G. Golub and V. Pereyra (1973, pseudo-inverse).
"""

from __future__ import annotations

import string
from collections import Counter

import numpy as np

from .._core.primitive import defbatch, defjvp, defvjp, primitive
from .._core.tensor import dtype_of, shape_of
from ._batch import move_axis, move_to_front
from .elementwise import (
    absolute,
    add,
    astype,
    divide,
    greater,
    multiply,
    negative,
    power,
    sqrt,
    subtract,
    where,
)
from .reduce import max as _max
from .reduce import min as _min
from .reduce import sum as _sum
from .shape import reshape, transpose

# --- helpers -----------------------------------------------------------------------------


def mT(x):
    """Swap the last two axes."""
    n = len(shape_of(x))
    return transpose(x, tuple(range(n - 2)) + (n - 1, n - 2))


def _sym(x):
    """The symmetric part ``(x + x^T) / 2`` of a stack of square matrices."""
    return multiply(0.5, add(x, mT(x)))


def _col(v):
    """``(..., k)`` as a stack of column vectors ``(..., k, 1)``."""
    return reshape(v, shape_of(v) + (1,))


def _row(v):
    """``(..., k)`` as a stack of row vectors ``(..., 1, k)``."""
    s = shape_of(v)
    return reshape(v, s[:-1] + (1,) + s[-1:])


def _scalar_as_matrix(v):
    """``(...)`` as ``(..., 1, 1)``, to scale a stack of matrices."""
    return reshape(v, shape_of(v) + (1, 1))


def _diag_of(x):
    """The main diagonals ``(..., k)`` of a stack ``(..., k, k)``."""
    n = len(shape_of(x))
    return diagonal(x, offset=0, axis1=n - 2, axis2=n - 1)


def _diag_matrix(v):
    """A stack of diagonal matrices ``(..., k, k)`` from ``v`` of shape ``(..., k)``."""
    k = shape_of(v)[-1]
    return multiply(_row(v), np.eye(k, dtype=dtype_of(v)))


def _trace_of_product(x, y):
    """``trace(x @ y)`` for stacks of square matrices."""
    n = len(shape_of(x))
    return _sum(multiply(mT(x), y), axis=(n - 2, n - 1), keepdims=False)


def _inverse_gaps(w):
    """``F[i, j] = 1 / (w[j] - w[i])`` off the diagonal, 0 on it, for ``w`` of shape ``(..., k)``.

    NOTE: the double where keeps the diagonal's 1/0 out of both passes; distinct ``w`` assumed.
    """
    k = shape_of(w)[-1]
    eye = np.eye(k, dtype=bool)
    gaps = subtract(_row(w), _col(w))
    return where(eye, 0.0, divide(1.0, where(eye, 1.0, gaps)))


def _tri_mask(shape, k: int, lower: bool) -> np.ndarray:
    """Boolean mask of the entries on and below (or above) the ``k``-th diagonal."""
    rows, cols = shape[-2:] if len(shape) >= 2 else (shape[-1], shape[-1])
    below = np.tri(rows, cols, k, dtype=bool)
    return below if lower else ~np.tri(rows, cols, k - 1, dtype=bool)


def _solve_right(b, a):
    """``b @ inv(a)`` as a solve: ``(inv(a^T) b^T)^T``."""
    return mT(solve(mT(a), mT(b)))


# --- batching helpers ----------------------------------------------------------------------


def _stack_batch(prim):
    """The batching rule of an op on stacks of matrices ``(..., m, n)``: the batch axis goes
    first and joins the stack (also where ``pinv``'s ``rcond`` broadcasts against it)."""

    def rule(args, dims, **params):
        (x,), (d,) = args, dims
        out = prim(move_to_front(x, d), **params)
        return out, ((0,) * len(out) if prim.multiple_results else 0)

    return rule


def _padded_stacks(args, dims, core: int) -> list:
    """``args`` (stacks of ``core``-d blocks) with batch axes first, each batched one padded
    with 1s after its batch axis so that the batch lines up with the broadcast stack's first
    axis and never with an unbatched operand's stack axis."""
    depth = max(len(shape_of(a)) - (d is not None) - core for a, d in zip(args, dims))
    out = []
    for a, d in zip(args, dims):
        if d is not None:
            a = move_to_front(a, d)
            s = shape_of(a)
            pad = depth - (len(s) - 1 - core)
            a = reshape(a, s[:1] + (1,) * pad + s[1:]) if pad else a
        out.append(a)
    return out


# --- matmul ------------------------------------------------------------------------------


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


def _matmul_batch(args, dims):
    """A batched vector against an unbatched operand is a matrix whose rows (or columns) are
    the batch: one matrix product. Otherwise 1-d operands are promoted to matrices first, so
    that the batch axis never meets NumPy's 1-d rules, and the promoted axes dropped after."""
    (x, y), (dx, dy) = args, dims
    rx = len(shape_of(x)) - (dx is not None)
    ry = len(shape_of(y)) - (dy is not None)
    if dy is None and rx == 1:
        return matmul(move_to_front(x, dx), y), max(ry - 2, 0)
    if dx is None and ry == 1:
        return matmul(x, move_axis(y, dy, 1)), rx - 1
    x, y = move_to_front(x, dx), move_to_front(y, dy)
    x = _row(x) if rx == 1 else x
    y = _col(y) if ry == 1 else y
    front = tuple(None if d is None else 0 for d in dims)
    out = matmul(*_padded_stacks([x, y], front, core=2))
    s = shape_of(out)
    rows = s[-2:-1] if rx > 1 else ()
    cols = s[-1:] if ry > 1 else ()
    return (reshape(out, s[:-2] + rows + cols) if rx == 1 or ry == 1 else out), 0


defbatch(matmul, _matmul_batch)

# --- einsum ------------------------------------------------------------------------------


def explicit_subscripts(subscripts: str, shapes) -> str:
    """``subscripts`` in explicit form with every ``...`` spelled out as letters.

    The implicit output is NumPy's: the broadcast ``...`` axes first, then the labels used
    exactly once, in alphabetical (ASCII) order.

    >>> explicit_subscripts("ij,jk", [(2, 3), (3, 4)])
    'ij,jk->ik'
    >>> explicit_subscripts("...ii", [(5, 3, 3)])
    'Aii->A'
    """
    subscripts = subscripts.replace(" ", "")
    lhs, arrow, out = subscripts.partition("->")
    inputs = lhs.split(",")
    if len(inputs) != len(shapes):
        raise ValueError(
            f"einsum: subscripts {subscripts!r} name {len(inputs)} operands, got {len(shapes)}"
        )
    free = [c for c in string.ascii_uppercase + string.ascii_lowercase if c not in subscripts]
    ell_ndim = max([_ellipsis_ndim(s, shape) for s, shape in zip(inputs, shapes)], default=0)
    ell = "".join(free[:ell_ndim])
    spelled = [
        s.replace("...", ell[ell_ndim - _ellipsis_ndim(s, n) :]) for s, n in zip(inputs, shapes)
    ]
    if not arrow:
        counts = Counter(lhs.replace("...", "").replace(",", ""))
        out = "..." + "".join(sorted(c for c, k in counts.items() if k == 1))
    elif ell_ndim and "..." not in out:
        raise ValueError(
            f"einsum: subscripts {subscripts!r} have '...' axes on the inputs but not the output"
        )
    return ",".join(spelled) + "->" + out.replace("...", ell)


def _ellipsis_ndim(s: str, shape) -> int:
    labels = len(s.replace("...", ""))
    if ("..." in s and labels > len(shape)) or ("..." not in s and labels != len(shape)):
        raise ValueError(f"einsum: subscripts {s!r} do not fit an operand of shape {shape}")
    return len(shape) - labels if "..." in s else 0


def _einsum_vjp(g, ans, *operands, subscripts, argnum):
    """The cotangent of one operand: ``g`` contracted with all the others.

    A label repeated in the operand (a diagonal, as in ``ii->i``) gets a fresh label tied to
    the first by an identity matrix; a label summed only in this operand gets a vector of ones.
    """
    inputs, out = subscripts.split("->")
    inputs = inputs.split(",")
    target, shape = inputs[argnum], shape_of(operands[argnum])
    dtype = dtype_of(g)
    free = iter(c for c in string.ascii_letters if c not in subscripts)
    subs = [out] + inputs[:argnum] + inputs[argnum + 1 :]
    args = [g, *operands[:argnum], *operands[argnum + 1 :]]
    labels = []
    for c, n in zip(target, shape):
        if c in labels:
            fresh = next(free)
            subs.append(c + fresh)
            args.append(np.eye(n, dtype=dtype))
            c = fresh
        labels.append(c)
    present = set("".join(subs))
    for c, n in zip(labels, shape):
        if c not in present:
            subs.append(c)
            args.append(np.ones(n, dtype=dtype))
    return einsum(*args, subscripts=",".join(subs) + "->" + "".join(labels))


def _einsum_jvp(t, ans, *operands, subscripts, argnum):
    return einsum(*operands[:argnum], t, *operands[argnum + 1 :], subscripts=subscripts)


@primitive(variadic=True)
def einsum(*operands, subscripts):
    """Einstein summation over ``operands``; ``subscripts`` in the explicit form of
    ``explicit_subscripts`` (``pnp.einsum`` takes NumPy's forms)."""
    return np.einsum(subscripts, *operands, optimize=len(operands) > 2)


defvjp(einsum, _einsum_vjp)
defjvp(einsum, _einsum_jvp)


def _einsum_batch(operands, dims, *, subscripts):
    """A fresh label for the batch, at its axis in each batched operand and first in the
    output: no operand is moved."""
    batch = next((c for c in string.ascii_letters if c not in subscripts), None)
    if batch is None:
        raise ValueError(
            f"vmap of einsum {subscripts!r}: all 52 labels are taken, none is left for the "
            "batch axis; split the contraction into two einsums"
        )
    inputs, out = subscripts.split("->")
    spelled = [s if d is None else s[:d] + batch + s[d:] for s, d in zip(inputs.split(","), dims)]
    return einsum(*operands, subscripts=",".join(spelled) + "->" + batch + out), 0


defbatch(einsum, _einsum_batch)

# --- products built on einsum and matmul (exact: each output is the same sum of products) --


def _letters(n: int, start: int = 0) -> str:
    return string.ascii_letters[start : start + n]


def dot(x, y):
    """NumPy's ``dot``: the last axis of ``x`` against the second-to-last of ``y``."""
    nx, ny = len(shape_of(x)), len(shape_of(y))
    if nx == 0 or ny == 0:
        return multiply(x, y)
    if nx <= 2 and ny <= 2:
        return matmul(x, y)
    a = _letters(nx)
    b = _letters(ny, nx)
    b = b[:-2] + a[-1] + b[-1] if ny >= 2 else a[-1]
    out = a[:-1] + b.replace(a[-1], "")
    return einsum(x, y, subscripts=f"{a},{b}->{out}")


def vdot(x, y):
    """The dot product of ``x`` and ``y`` flattened (real inputs: no conjugation)."""
    return einsum(reshape(x, (-1,)), reshape(y, (-1,)), subscripts="i,i->")


def inner(x, y):
    """Sum over the last axes of ``x`` and ``y``; shape ``x.shape[:-1] + y.shape[:-1]``."""
    nx, ny = len(shape_of(x)), len(shape_of(y))
    if nx == 0 or ny == 0:
        return multiply(x, y)
    a = _letters(nx - 1)
    b = _letters(ny - 1, nx - 1)
    k = _letters(1, nx + ny)
    return einsum(x, y, subscripts=f"{a}{k},{b}{k}->{a}{b}")


def outer(x, y):
    """``x.ravel()[:, None] * y.ravel()[None, :]``."""
    return einsum(reshape(x, (-1,)), reshape(y, (-1,)), subscripts="i,j->ij")


def tensordot(x, y, axes_x: tuple[int, ...], axes_y: tuple[int, ...]):
    """Sum of products over ``axes_x`` of ``x`` against ``axes_y`` of ``y`` (non-negative)."""
    nx, ny = len(shape_of(x)), len(shape_of(y))
    a = list(_letters(nx))
    b = list(_letters(ny, nx))
    for i, j in zip(axes_x, axes_y):
        b[j] = a[i]
    out = [c for i, c in enumerate(a) if i not in axes_x]
    out += [c for j, c in enumerate(b) if j not in axes_y]
    return einsum(x, y, subscripts=f"{''.join(a)},{''.join(b)}->{''.join(out)}")


def kron(x, y):
    """Kronecker product: an outer product with interleaved axes, reshaped."""
    sx, sy = shape_of(x), shape_of(y)
    n = max(len(sx), len(sy))
    if n == 0:
        return multiply(x, y)
    sx, sy = (1,) * (n - len(sx)) + sx, (1,) * (n - len(sy)) + sy
    a, b = _letters(n), _letters(n, n)
    out = "".join(i + j for i, j in zip(a, b))
    prod = einsum(reshape(x, sx), reshape(y, sy), subscripts=f"{a},{b}->{out}")
    return reshape(prod, tuple(i * j for i, j in zip(sx, sy)))


def matrix_power(x, n: int):
    """``x`` multiplied by itself ``n`` times (``inv(x)`` for negative ``n``), by squaring."""
    if n == 0:
        eye = np.eye(shape_of(x)[-1], dtype=dtype_of(x))
        return where(np.zeros(shape_of(x), bool), x, eye)
    if n < 0:
        x, n = inv(x), -n
    result = None
    while n:
        if n & 1:
            result = x if result is None else matmul(result, x)
        n >>= 1
        if n:
            x = matmul(x, x)
    return result


# --- diagonals and triangles -------------------------------------------------------------


@primitive
def diagonal(x, *, offset, axis1, axis2):
    """The ``offset`` diagonal of ``x`` over ``axis1`` and ``axis2``, laid out as NumPy's:
    the other axes first, the diagonal last."""
    return np.diagonal(x, offset, axis1, axis2).copy()


@primitive
def diag_embed(x, *, shape, offset, axis1, axis2):
    """Zeros of ``shape`` with ``x`` written on the diagonal that ``diagonal`` reads."""
    out = np.zeros(shape, dtype=x.dtype)
    view = np.moveaxis(out, (axis1, axis2), (-2, -1))
    n = x.shape[-1]
    view[..., np.arange(n) + max(-offset, 0), np.arange(n) + max(offset, 0)] = x
    return out


defvjp(
    diagonal,
    lambda g, ans, x, offset, axis1, axis2: diag_embed(
        g, shape=shape_of(x), offset=offset, axis1=axis1, axis2=axis2
    ),
)
defjvp(
    diagonal,
    lambda t, ans, x, offset, axis1, axis2: diagonal(t, offset=offset, axis1=axis1, axis2=axis2),
)
defvjp(
    diag_embed,
    lambda g, ans, x, shape, offset, axis1, axis2: diagonal(
        g, offset=offset, axis1=axis1, axis2=axis2
    ),
)
defjvp(
    diag_embed,
    lambda t, ans, x, shape, offset, axis1, axis2: diag_embed(
        t, shape=shape, offset=offset, axis1=axis1, axis2=axis2
    ),
)


def _diagonal_batch(args, dims, *, offset, axis1, axis2):
    # NOTE: the batch stays where it is: the diagonal's axes shift past it, and it moves
    # forward by the number of them before it.
    (x,), (d,) = args, dims
    a1, a2 = axis1 + (axis1 >= d), axis2 + (axis2 >= d)
    out = diagonal(x, offset=offset, axis1=a1, axis2=a2)
    return out, d - (axis1 < d) - (axis2 < d)


def _diag_embed_batch(args, dims, *, shape, offset, axis1, axis2):
    (x,), (d,) = args, dims
    x = move_to_front(x, d)
    full = shape_of(x)[:1] + tuple(shape)
    return diag_embed(x, shape=full, offset=offset, axis1=axis1 + 1, axis2=axis2 + 1), 0


defbatch(diagonal, _diagonal_batch)
defbatch(diag_embed, _diag_embed_batch)


def trace(x, offset: int, axis1: int, axis2: int):
    """Sum of the ``offset`` diagonal over axes ``axis1``, ``axis2`` (non-negative)."""
    d = diagonal(x, offset=offset, axis1=axis1, axis2=axis2)
    return _sum(d, axis=(len(shape_of(d)) - 1,), keepdims=False)


def diag(v, k: int = 0):
    """A 2-d matrix with 1-d ``v`` on its ``k``-th diagonal, or the ``k``-th diagonal of 2-d
    ``v``."""
    s = shape_of(v)
    if len(s) == 2:
        return diagonal(v, offset=k, axis1=0, axis2=1)
    if len(s) != 1:
        raise ValueError(f"diag needs a 1-d or 2-d array, got shape {s}")
    n = s[0] + abs(k)
    return diag_embed(v, shape=(n, n), offset=k, axis1=0, axis2=1)


def tril(x, k: int = 0):
    """``x`` with the entries above the ``k``-th diagonal zeroed (on the last two axes)."""
    return where(_tri_mask(shape_of(x), k, lower=True), x, 0.0)


def triu(x, k: int = 0):
    """``x`` with the entries below the ``k``-th diagonal zeroed (on the last two axes)."""
    return where(_tri_mask(shape_of(x), k, lower=False), x, 0.0)


# --- inverse, solve, determinants --------------------------------------------------------


@primitive
def inv(x):
    """Inverse of each matrix in a stack ``(..., n, n)``."""
    return np.linalg.inv(x)


# NOTE: d(A^-1) = -A^-1 dA A^-1 (Giles 2008, sec. 2.2.3).
defvjp(inv, lambda g, ans, x: negative(matmul(mT(ans), matmul(g, mT(ans)))))
defjvp(inv, lambda t, ans, x: negative(matmul(ans, matmul(t, ans))))
defbatch(inv, _stack_batch(inv))


def _solve_vjp_a(g, ans, a, b):
    return negative(matmul(solve(mT(a), g), mT(ans)))


@primitive
def solve(a, b):
    """``inv(a) @ b`` for ``a`` of shape ``(..., n, n)`` and ``b`` of shape ``(..., n, k)``."""
    return np.linalg.solve(a, b)


# NOTE: x = A^-1 B gives dx = A^-1 (dB - dA x) (Giles 2008, sec. 2.3.1).
defvjp(solve, _solve_vjp_a, lambda g, ans, a, b: solve(mT(a), g))
defjvp(
    solve,
    lambda t, ans, a, b: negative(solve(a, matmul(t, ans))),
    lambda t, ans, a, b: solve(a, t),
)


def _solve_batch(args, dims):
    """An unbatched ``a`` is factored once: the batch joins the columns of ``b``. A batched
    1-d ``b`` is promoted to a column, so the batch never meets NumPy 2's 1-d rule."""
    (a, b), (da, db) = args, dims
    rb = len(shape_of(b)) - (db is not None)
    if da is None and rb == 1:
        return solve(a, move_axis(b, db, 1)), len(shape_of(a)) - 1
    if da is None:
        b = move_axis(b, db, len(shape_of(b)) - 2)
        s = shape_of(b)
        out = solve(a, reshape(b, s[:-2] + (s[-2] * s[-1],)))
        n = len(shape_of(out))
        return reshape(out, shape_of(out)[:-1] + s[-2:]), n - 1
    if rb == 1 and db is None:
        return solve(move_to_front(a, da), b), 0
    if rb == 1:
        a, b = _padded_stacks([a, _col(move_to_front(b, db))], (da, 0), core=2)
        out = solve(a, b)
        return reshape(out, shape_of(out)[:-1]), 0
    return solve(*_padded_stacks([a, b], dims, core=2)), 0


defbatch(solve, _solve_batch)


@primitive
def det(x):
    """Determinant of each matrix in a stack ``(..., n, n)``."""
    return np.linalg.det(x)


# NOTE: d det(A) = det(A) tr(A^-1 dA) (Giles 2008, sec. 2.2.4); assumes A invertible.
defvjp(det, lambda g, ans, x: multiply(_scalar_as_matrix(multiply(g, ans)), mT(inv(x))))
defjvp(det, lambda t, ans, x: multiply(ans, _trace_of_product(inv(x), t)))
defbatch(det, _stack_batch(det))


@primitive(multiple_results=True)
def slogdet(x):
    """``(sign, log|det|)`` of each matrix in a stack; ``sign`` has no derivative."""
    sign, logabsdet = np.linalg.slogdet(x)
    return sign, logabsdet


# NOTE: the sign is locally constant: its tangent is 0 and its cotangent g[0] is ignored.
defvjp(slogdet, lambda g, ans, x: multiply(_scalar_as_matrix(g[1]), mT(inv(x))))
defjvp(slogdet, lambda t, ans, x: (None, _trace_of_product(inv(x), t)))
defbatch(slogdet, _stack_batch(slogdet))

# --- Cholesky and QR ---------------------------------------------------------------------


def _phi(x):
    """The lower triangle of ``x`` with its diagonal halved (Murray 2016's Phi)."""
    n = shape_of(x)[-1]
    mask = np.tril(np.ones((n, n))) - 0.5 * np.eye(n)
    return multiply(x, mask.astype(dtype_of(x)))


def _cholesky_vjp(g, ans, x):
    # NOTE: A_bar = sym(L^-T Phi(L^T L_bar) L^-1) (Murray 2016, eq. 10; Seeger et al. 2017).
    p = _phi(matmul(mT(ans), g))
    return _sym(_solve_right(solve(mT(ans), p), ans))


def _cholesky_jvp(t, ans, x):
    # NOTE: dL = L Phi(L^-1 dA L^-T) (Murray 2016, eq. 8), dA the symmetric part of t.
    c = _solve_right(solve(ans, _sym(t)), mT(ans))
    return matmul(ans, _phi(c))


@primitive
def cholesky(x):
    """Lower Cholesky factor of each matrix of the symmetric part of ``x``.

    NOTE: NumPy reads only the lower triangle; this op factors ``(x + x^T) / 2`` (the same on
    symmetric input, JAX's convention) so that its derivative is defined in every direction.
    """
    return np.linalg.cholesky(_sym_raw(x))


def _sym_raw(x):
    return 0.5 * (x + np.swapaxes(x, -1, -2))


defvjp(cholesky, _cholesky_vjp)
defjvp(cholesky, _cholesky_jvp)
defbatch(cholesky, _stack_batch(cholesky))


def _check_tall(x, op: str) -> None:
    m, n = shape_of(x)[-2:]
    if m < n:
        raise NotImplementedError(
            f"the derivative of {op} is implemented for matrices with rows >= columns; got "
            f"shape {shape_of(x)}. Differentiate {op} of the transpose instead."
        )


def _qr_vjp(g, ans, x):
    # NOTE: A_bar = (Q_bar + Q copyltu(M)) R^-T with M = R R_bar^T - Q_bar^T Q (Liao et al. 2019,
    # eq. 7; here written as N = M - tril(M - M^T, -1) for M = R_bar R^T - Q^T Q_bar).
    _check_tall(x, "qr")
    gq, gr = g
    q, r = ans
    m = subtract(matmul(gr, mT(r)), matmul(mT(q), gq))
    n = subtract(m, tril(subtract(m, mT(m)), -1))
    return _solve_right(add(gq, matmul(q, n)), mT(r))


def _qr_jvp(t, ans, x):
    # NOTE: with C = Q^T dA R^-1 and O = tril(C, -1) - tril(C, -1)^T (skew):
    # dQ = Q (O - C) + dA R^-1, dR = (C - O) R (JAX's qr_jvp_rule, real case).
    _check_tall(x, "qr")
    q, r = ans
    dx_rinv = _solve_right(t, r)
    c = matmul(mT(q), dx_rinv)
    low = tril(c, -1)
    skew = subtract(low, mT(low))
    dq = add(matmul(q, subtract(skew, c)), dx_rinv)
    dr = matmul(subtract(c, skew), r)
    return dq, dr


@primitive(multiple_results=True)
def qr(x):
    """Reduced QR of each matrix in a stack ``(..., m, n)``: ``q (..., m, k)``, ``r (..., k, n)``.

    Differentiable for ``m >= n`` (full column rank).
    """
    q, r = np.linalg.qr(x, mode="reduced")
    return q, r


defvjp(qr, _qr_vjp)
defjvp(qr, _qr_jvp)
defbatch(qr, _stack_batch(qr))

# --- symmetric eigendecomposition ----------------------------------------------------------


def _eigh_vjp(g, ans, x):
    # NOTE: A_bar = V (diag(w_bar) + F o (V^T V_bar)) V^T, F_ij = 1/(w_j - w_i) (Giles 2008,
    # sec. 3.1), symmetrised because the op reads the symmetric part of x.
    gw, gv = g
    w, v = ans
    inner = add(_diag_matrix(gw), multiply(_inverse_gaps(w), matmul(mT(v), gv)))
    return _sym(matmul(v, matmul(inner, mT(v))))


def _eigh_jvp(t, ans, x):
    # NOTE: dw = diag(V^T dA V), dV = V (F o (V^T dA V)) (Giles 2008, sec. 3.1).
    w, v = ans
    c = matmul(mT(v), matmul(_sym(t), v))
    return _diag_of(c), matmul(v, multiply(_inverse_gaps(w), c))


@primitive(multiple_results=True)
def eigh(x):
    """Eigenvalues (ascending) and eigenvectors of the symmetric part of each matrix.

    NOTE: the derivative of the eigenvectors assumes distinct eigenvalues (it divides by their
    gaps); use ``eigvalsh`` when only the eigenvalues are needed. Like ``cholesky``, the op
    reads ``(x + x^T) / 2``.
    """
    w, v = np.linalg.eigh(_sym_raw(x))
    return w, v


defvjp(eigh, _eigh_vjp)
defjvp(eigh, _eigh_jvp)
defbatch(eigh, _stack_batch(eigh))


def _eigvalsh_vjp(g, ans, x):
    v = eigh(x)[1]
    return matmul(multiply(v, _row(g)), mT(v))


def _eigvalsh_jvp(t, ans, x):
    v = eigh(x)[1]
    return _diag_of(matmul(mT(v), matmul(_sym(t), v)))


@primitive
def eigvalsh(x):
    """Eigenvalues (ascending) of the symmetric part of each matrix; no gaps are divided by,
    so repeated eigenvalues are fine."""
    return np.linalg.eigvalsh(_sym_raw(x))


defvjp(eigvalsh, _eigvalsh_vjp)
defjvp(eigvalsh, _eigvalsh_jvp)
defbatch(eigvalsh, _stack_batch(eigvalsh))

# --- singular value decomposition --------------------------------------------------------


def _svd_vjp(g, ans, x):
    """Townsend (2016), eq. 36, for the reduced SVD; distinct nonzero singular values assumed.

    A_bar = U [(F o (U^T U_bar - U_bar^T U)) S + diag(s_bar) + S (F o (V^T V_bar - V_bar^T V))] V^T
            + (I - U U^T) U_bar S^-1 V^T + U S^-1 V_bar^T (I - V V^T),  F_ij = 1/(s_j^2 - s_i^2).
    """
    gu, gs, gvh = g
    u, s, vh = ans
    v, gv = mT(vh), mT(gvh)
    f = _inverse_gaps(multiply(s, s))
    ju = multiply(f, subtract(matmul(mT(u), gu), matmul(mT(gu), u)))
    jv = multiply(f, subtract(matmul(mT(v), gv), matmul(mT(gv), v)))
    core = add(add(multiply(ju, _row(s)), _diag_matrix(gs)), multiply(_col(s), jv))
    ga = matmul(u, matmul(core, vh))
    m, n = shape_of(x)[-2:]
    if m > n:
        gu_perp = subtract(gu, matmul(u, matmul(mT(u), gu)))
        ga = add(ga, matmul(divide(gu_perp, _row(s)), vh))
    if n > m:
        gv_perp = subtract(gv, matmul(v, matmul(vh, gv)))
        ga = add(ga, matmul(u, mT(divide(gv_perp, _row(s)))))
    return ga


def _svd_jvp(t, ans, x):
    # NOTE: JAX's svd_jvp_rule (real case), the forward form of Townsend (2016).
    u, s, vh = ans
    v = mT(vh)
    ds_mat = matmul(mT(u), matmul(t, v))
    f = _inverse_gaps(multiply(s, s))
    dss = multiply(ds_mat, _row(s))
    sds = multiply(_col(s), ds_mat)
    du = matmul(u, multiply(f, add(dss, mT(dss))))
    dv = matmul(v, multiply(f, add(sds, mT(sds))))
    m, n = shape_of(x)[-2:]
    if m > n:
        dav = matmul(t, v)
        du = add(du, divide(subtract(dav, matmul(u, matmul(mT(u), dav))), _row(s)))
    if n > m:
        dahu = matmul(mT(t), u)
        dv = add(dv, divide(subtract(dahu, matmul(v, matmul(vh, dahu))), _row(s)))
    return du, _diag_of(ds_mat), mT(dv)


@primitive(multiple_results=True)
def svd(x):
    """Reduced SVD ``(u, s, vh)`` of each matrix in a stack ``(..., m, n)``, ``k = min(m, n)``.

    NOTE: the derivative assumes distinct, nonzero singular values; use ``svdvals`` when only
    ``s`` is needed.
    """
    u, s, vh = np.linalg.svd(x, full_matrices=False)
    return u, s, vh


defvjp(svd, _svd_vjp)
defjvp(svd, _svd_jvp)
defbatch(svd, _stack_batch(svd))


def _svdvals_vjp(g, ans, x):
    u, _, vh = svd(x)
    return matmul(u, multiply(_col(g), vh))


def _svdvals_jvp(t, ans, x):
    u, _, vh = svd(x)
    return _diag_of(matmul(mT(u), matmul(t, mT(vh))))


@primitive
def svdvals(x):
    """Singular values (descending) of each matrix; ``ds = diag(U^T dA V)`` needs no gaps."""
    return np.linalg.svd(x, compute_uv=False)


defvjp(svdvals, _svdvals_vjp)
defjvp(svdvals, _svdvals_jvp)
defbatch(svdvals, _stack_batch(svdvals))

# --- pseudo-inverse ----------------------------------------------------------------------


def _projector_complement(a, p):
    """``I - a @ p`` for stacks."""
    return subtract(np.eye(shape_of(a)[-2], dtype=dtype_of(a)), matmul(a, p))


def _pinv_vjp(g, ans, x, rcond, hermitian):
    # NOTE: the transpose of Golub & Pereyra (1973), eq. 4.12 (below), for constant rank.
    del rcond, hermitian
    p = ans
    out = negative(matmul(mT(p), matmul(g, mT(p))))
    out = add(out, matmul(_projector_complement(x, p), matmul(mT(g), matmul(p, mT(p)))))
    return add(out, matmul(matmul(mT(p), p), matmul(mT(g), _projector_complement(p, x))))


def _pinv_jvp(t, ans, x, rcond, hermitian):
    # NOTE: dP = -P dA P + P P^T dA^T (I - A P) + (I - P A) dA^T P^T P (Golub & Pereyra 1973).
    del rcond, hermitian
    p = ans
    out = negative(matmul(p, matmul(t, p)))
    out = add(out, matmul(matmul(p, mT(p)), matmul(mT(t), _projector_complement(x, p))))
    return add(out, matmul(_projector_complement(p, x), matmul(mT(t), matmul(mT(p), p))))


@primitive
def pinv(x, *, rcond, hermitian):
    """Moore-Penrose pseudo-inverse of each matrix; differentiable where the rank is locally
    constant (full rank, in particular)."""
    if rcond is None:
        return np.linalg.pinv(x, hermitian=hermitian)
    return np.linalg.pinv(x, rcond, hermitian)


defvjp(pinv, _pinv_vjp)
defjvp(pinv, _pinv_jvp)
defbatch(pinv, _stack_batch(pinv))

# --- norms -------------------------------------------------------------------------------


def _safe_root_sum_squares(x, axis, keepdims):
    """``sqrt(sum(x**2))`` whose derivatives at 0 are exactly 0, never NaN (RELIABILITY H5).

    NOTE: the double where: the inner one feeds sqrt a 1 where the sum is 0, so no 1/0 (and no
    inf * 0) appears in any pass; the outer one then selects the exact 0.
    """
    s = _sum(multiply(x, x), axis=axis, keepdims=keepdims)
    nonzero = greater(s, 0.0)
    return where(nonzero, sqrt(where(nonzero, s, 1.0)), 0.0)


def _vector_norm(x, ord, axis: tuple[int, ...], keepdims: bool):
    if ord is None or ord == 2:
        return _safe_root_sum_squares(x, axis, keepdims)
    a = absolute(x)
    if ord == np.inf:
        return _max(a, axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return _min(a, axis=axis, keepdims=keepdims)
    if ord == 1:
        return _sum(a, axis=axis, keepdims=keepdims)
    if ord == 0:
        return _sum(astype(greater(a, 0.0), dtype_of(x)), axis=axis, keepdims=keepdims)
    if isinstance(ord, str):
        raise ValueError(f"norm: invalid norm order {ord!r} for vectors")
    s = _sum(power(a, float(ord)), axis=axis, keepdims=keepdims)
    nonzero = greater(s, 0.0)
    return where(nonzero, power(where(nonzero, s, 1.0), 1.0 / ord), 0.0)


def _matrix_norm(x, ord, axis: tuple[int, int], keepdims: bool):
    row, col = axis
    if ord is None or ord == "fro":
        return _safe_root_sum_squares(x, tuple(sorted(axis)), keepdims)
    if ord in (1, -1, np.inf, -np.inf):
        inner_axis, outer_axis = (row, col) if ord in (1, -1) else (col, row)
        sums = _sum(absolute(x), axis=(inner_axis,), keepdims=True)
        pick = _max if ord > 0 else _min
        out = pick(sums, axis=(outer_axis,), keepdims=True)
    elif ord in (2, -2, "nuc"):
        nd = len(shape_of(x))
        others = tuple(i for i in range(nd) if i not in axis)
        s = svdvals(transpose(x, others + axis))
        last = (len(others),)
        if ord == "nuc":
            out = _sum(s, axis=last, keepdims=False)
        else:
            out = (_max if ord == 2 else _min)(s, axis=last, keepdims=False)
    else:
        raise ValueError(f"norm: invalid norm order {ord!r} for matrices")
    kept = tuple(1 if i in axis else n for i, n in enumerate(shape_of(x)))
    dropped = tuple(n for i, n in enumerate(shape_of(x)) if i not in axis)
    return reshape(out, kept if keepdims else dropped)


def norm(x, ord=None, axis: tuple[int, ...] | None = None, keepdims: bool = False):
    """NumPy's ``linalg.norm`` with ``axis`` a tuple of non-negative ints (or None).

    Vector orders: None/2, 1, inf, -inf, 0, any p; matrix orders: None/'fro', 'nuc', 1, -1,
    2, -2, inf, -inf. Derivatives at the zero vector are 0 (RELIABILITY H5).
    """
    nd = len(shape_of(x))
    if axis is None:
        if ord is None:
            out = _safe_root_sum_squares(x, None, False)
            return reshape(out, (1,) * nd) if keepdims else out
        if nd not in (1, 2):
            raise ValueError(f"norm: ord={ord!r} with axis=None needs a 1-d or 2-d array")
        axis = tuple(range(nd))
    if len(axis) == 1:
        return _vector_norm(x, ord, axis, keepdims)
    if len(axis) == 2:
        return _matrix_norm(x, ord, axis, keepdims)
    raise ValueError(f"norm: axis must name 1 or 2 axes, got {axis}")
