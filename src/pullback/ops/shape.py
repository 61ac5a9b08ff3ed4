"""Shape primitives and the ops composed from them: reshape, transpose, concatenate, pad, ...

Axes and shapes reach these functions normalised (non-negative ints, tuples); the ``pnp``
wrappers do the normalising. Ops that only move entries around are composites: ``squeeze`` is
a ``reshape``, ``flip`` a slice, ``sort`` a gather, so they need no rules of their own.
"""

from __future__ import annotations

import math

import numpy as np

from .._core.primitive import defbatch, defjvp, defvjp, primitive
from .._core.tensor import shape_of
from ._batch import move_to_front
from .index import along_axis, gather_along, gather_flat, getitem, take

# --- primitives --------------------------------------------------------------------------


@primitive
def reshape(x, shape):
    """``x`` with a new ``shape`` (a tuple of ints; -1 allowed)."""
    return np.reshape(x, shape)


defvjp(reshape, lambda g, ans, x, shape: reshape(g, shape_of(x)))
defjvp(reshape, lambda t, ans, x, shape: reshape(t, shape))


def _resolved(shape, size: int) -> tuple:
    """``shape`` with its -1 replaced, so that it stays exact for an empty batch."""
    if -1 not in shape:
        return tuple(shape)
    known = math.prod(n for n in shape if n != -1)
    return tuple(size // known if n == -1 and known else n for n in shape)


def _reshape_batch(args, dims):
    # NOTE: shape is positional, so it arrives among the args (unbatched).
    x, shape = move_to_front(args[0], dims[0]), args[1]
    example = shape_of(x)[1:]
    return reshape(x, shape_of(x)[:1] + _resolved(shape, math.prod(example))), 0


defbatch(reshape, _reshape_batch)


@primitive
def broadcast_to(x, shape):
    """``x`` broadcast to ``shape``; the engine sums the cotangent back."""
    return np.broadcast_to(x, shape)


defvjp(broadcast_to, lambda g, ans, x, shape: g)
defjvp(broadcast_to, lambda t, ans, x, shape: broadcast_to(t, shape))


def _broadcast_to_batch(args, dims):
    x, shape = move_to_front(args[0], dims[0]), args[1]
    xshape = shape_of(x)
    aligned = reshape(x, xshape[:1] + (1,) * (len(shape) - len(xshape) + 1) + xshape[1:])
    return broadcast_to(aligned, xshape[:1] + tuple(shape)), 0


defbatch(broadcast_to, _broadcast_to_batch)


def _inverse_axes(axes):
    return tuple(int(i) for i in np.argsort(axes))


@primitive
def transpose(x, axes):
    """``x`` with its axes permuted by ``axes`` (a full tuple)."""
    return np.transpose(x, axes)


defvjp(transpose, lambda g, ans, x, axes: transpose(g, _inverse_axes(axes)))
defjvp(transpose, lambda t, ans, x, axes: transpose(t, axes))
defbatch(
    transpose,
    lambda args, dims: (
        transpose(move_to_front(args[0], dims[0]), (0,) + tuple(a + 1 for a in args[1])),
        0,
    ),
)


@primitive(variadic=True)
def concatenate(*xs, axis):
    """The arrays ``xs`` joined along ``axis`` (a non-negative int)."""
    return np.concatenate(xs, axis=axis)


def _span(xs, argnum: int, axis: int) -> tuple[int, int]:
    """Where argument ``argnum`` of a concatenation starts and stops along ``axis``."""
    start = sum(shape_of(x)[axis] for x in xs[:argnum])
    return start, start + shape_of(xs[argnum])[axis]


def _concatenate_vjp(g, ans, *xs, argnum, axis):
    start, stop = _span(xs, argnum, axis)
    return getitem(g, index=along_axis(slice(start, stop), axis, len(shape_of(g))))


def _concatenate_jvp(t, ans, *xs, argnum, axis):
    # NOTE: each argument's tangent is padded to the output separately, because the engine
    # asks for one argument's contribution at a time.
    start, stop = _span(xs, argnum, axis)
    width = [(0, 0)] * len(shape_of(ans))
    width[axis] = (start, shape_of(ans)[axis] - stop)
    return pad(t, pad_width=tuple(width), constant_values=0.0)


defvjp(concatenate, _concatenate_vjp)
defjvp(concatenate, _concatenate_jvp)


def _concatenate_batch(xs, dims, *, axis):
    size = next(shape_of(x)[d] for x, d in zip(xs, dims) if d is not None)
    return concatenate(*[move_to_front(x, d, size) for x, d in zip(xs, dims)], axis=axis + 1), 0


defbatch(concatenate, _concatenate_batch)


@primitive
def pad(x, *, pad_width, constant_values):
    """``x`` padded by ``pad_width`` (``(before, after)`` per axis) with a constant."""
    if not pad_width:
        return np.array(x)
    return np.pad(x, pad_width, mode="constant", constant_values=constant_values)


def _unpad(g, pad_width):
    return getitem(g, index=tuple(slice(b, n - a) for (b, a), n in zip(pad_width, shape_of(g))))


defvjp(pad, lambda g, ans, x, pad_width, constant_values: _unpad(g, pad_width))
defjvp(
    pad,
    lambda t, ans, x, pad_width, constant_values: pad(t, pad_width=pad_width, constant_values=0.0),
)


def _pad_batch(args, dims, *, pad_width, constant_values):
    x = move_to_front(args[0], dims[0])
    width = ((0, 0),) + tuple(pad_width)
    return pad(x, pad_width=width, constant_values=constant_values), 0


defbatch(pad, _pad_batch)


@primitive(differentiable=False)
def argsort(x, *, axis):
    """Indices that sort ``x`` along ``axis`` (stable; ``None`` sorts the flattened ``x``)."""
    return np.argsort(x, axis=axis, kind="stable")


def _argsort_batch(args, dims, *, axis):
    x = move_to_front(args[0], dims[0])
    if axis is None:
        shape = shape_of(x)
        return argsort(reshape(x, (shape[0], math.prod(shape[1:]))), axis=1), 0
    return argsort(x, axis=axis + 1), 0


defbatch(argsort, _argsort_batch)


# --- composites --------------------------------------------------------------------------


def squeeze(x, axis: tuple[int, ...]):
    """``x`` without the size-1 axes in ``axis``."""
    shape = shape_of(x)
    return reshape(x, tuple(n for i, n in enumerate(shape) if i not in axis))


def expand_dims(x, axis: tuple[int, ...]):
    """``x`` with new size-1 axes at the positions ``axis`` of the result."""
    dims = iter(shape_of(x))
    ndim = len(shape_of(x)) + len(axis)
    return reshape(x, tuple(1 if i in axis else next(dims) for i in range(ndim)))


def stack(xs, axis: int):
    """The arrays ``xs`` (all of one shape) joined along a new axis ``axis``."""
    return concatenate(*(expand_dims(x, (axis,)) for x in xs), axis=axis)


def split_at(x, bounds, axis: int) -> list:
    """``x`` cut along ``axis`` at the increasing positions ``bounds``."""
    edges = [0, *bounds, shape_of(x)[axis]]
    ndim = len(shape_of(x))
    return [getitem(x, index=along_axis(slice(a, b), axis, ndim)) for a, b in zip(edges, edges[1:])]


def flip(x, axis: tuple[int, ...]):
    """``x`` with the order of entries reversed along every axis in ``axis``."""
    ndim = len(shape_of(x))
    return getitem(
        x, index=tuple(slice(None, None, -1) if i in axis else slice(None) for i in range(ndim))
    )


def roll(x, shift: int, axis: int):
    """``x`` rotated by ``shift`` positions along ``axis``."""
    n = shape_of(x)[axis]
    if n == 0 or shift % n == 0:
        return x
    first, second = split_at(x, [n - shift % n], axis)
    return concatenate(second, first, axis=axis)


def tile(x, reps: tuple[int, ...]):
    """``x`` repeated ``reps[i]`` times along axis ``i`` (``len(reps) == x.ndim``)."""
    shape = shape_of(x)
    spread = tuple(d for n in shape for d in (1, n))
    tiled = tuple(d for r, n in zip(reps, shape) for d in (r, n))
    out = broadcast_to(reshape(x, spread), tiled)
    return reshape(out, tuple(r * n for r, n in zip(reps, shape)))


def repeat(x, repeats, axis: int):
    """Each entry of ``x`` repeated ``repeats`` times along ``axis``."""
    n = shape_of(x)[axis]
    return take(x, np.repeat(np.arange(n), repeats), axis)


def pad_gather(x, pad_width, mode: str):
    """``np.pad`` in a mode that only copies entries (``edge``, ``reflect``, ...), as a gather."""
    shape = shape_of(x)
    source = np.arange(int(np.prod(shape))).reshape(shape)
    return gather_flat(x, np.pad(source, pad_width, mode=mode))


def sort(x, axis: int):
    """``x`` sorted along ``axis``; the gradient follows each entry to its sorted place."""
    # NOTE: the order is an operand of the gather, not a static index: under vmap it differs
    # from one example to the next.
    return gather_along(x, argsort(x, axis=axis), axis=axis)
