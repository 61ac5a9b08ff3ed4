"""Products and diagonals: matmul, einsum and the products built on them, diagonal, diag_embed.

Rules are written with pullback's own ops (``matmul``, ``einsum``, ``where`` ...), so each is
itself differentiable, and each primitive's batching rule sits beside it. The helpers ``mT``,
``_col``, ``_row`` and ``_padded_stacks`` are shared with the decompositions in ``linalg.py``.
"""

from __future__ import annotations

import string
from collections import Counter

import numpy as np

from .._core.primitive import defbatch, defjvp, defvjp, primitive
from .._core.tensor import dtype_of, shape_of
from ._batch import move_axis, move_to_front
from .elementwise import multiply, where
from .reduce import sum as _sum
from .shape import reshape, transpose

# --- helpers -----------------------------------------------------------------------------


def mT(x):
    """Swap the last two axes."""
    n = len(shape_of(x))
    return transpose(x, tuple(range(n - 2)) + (n - 1, n - 2))


def _col(v):
    """``(..., k)`` as a stack of column vectors ``(..., k, 1)``."""
    return reshape(v, shape_of(v) + (1,))


def _row(v):
    """``(..., k)`` as a stack of row vectors ``(..., 1, k)``."""
    s = shape_of(v)
    return reshape(v, s[:-1] + (1,) + s[-1:])


def _tri_mask(shape, k: int, lower: bool) -> np.ndarray:
    """Boolean mask of the entries on and below (or above) the ``k``-th diagonal."""
    rows, cols = shape[-2:] if len(shape) >= 2 else (shape[-1], shape[-1])
    below = np.tri(rows, cols, k, dtype=bool)
    return below if lower else ~np.tri(rows, cols, k - 1, dtype=bool)


# --- batching helpers ----------------------------------------------------------------------


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
    # NOTE: no reshape when nothing changes (2-d operands): two ops fewer per matmul backward.
    return (g if gs == shape_of(g) else reshape(g, gs)), x, y


def _plain_matrices(*arrays) -> bool:
    """Every argument is a 2-d ndarray: a first-order backward pass of a layer's matmul."""
    return all(type(a) is np.ndarray and a.ndim == 2 for a in arrays)


# NOTE: on plain matrices the rules are one NumPy product each, without the promotion and
# transpose helpers: a matmul's backward is most of a dense layer's (bench/training.py).
def _matmul_vjp_x(g, ans, x, y):
    if _plain_matrices(g, y):
        return g @ y.T
    g2, x2, y2 = _as_matrices(g, x, y)
    gx = matmul(g2, mT(y2))
    if len(shape_of(x)) == 1:
        gx = reshape(gx, shape_of(gx)[:-2] + shape_of(x))
    return gx


def _matmul_vjp_y(g, ans, x, y):
    if _plain_matrices(g, x):
        return x.T @ g
    g2, x2, y2 = _as_matrices(g, x, y)
    gy = matmul(mT(x2), g2)
    if len(shape_of(y)) == 1:
        gy = reshape(gy, shape_of(gy)[:-2] + shape_of(y))
    return gy


@primitive(ufunc=np.matmul)
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
