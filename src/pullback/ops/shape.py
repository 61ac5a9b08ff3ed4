"""Shape primitives and the ops composed from them: reshape, transpose, concatenate, pad, ...

Axes and shapes reach these functions normalised (non-negative ints, tuples); the ``pnp``
wrappers do the normalising. Ops that only move entries around are composites: ``squeeze`` is
a ``reshape``, ``flip`` a slice, ``sort`` a gather, so they need no rules of their own.
"""

from __future__ import annotations

import numpy as np

from .._core.primitive import defjvp, defvjp, primitive
from .._core.tensor import Tensor, shape_of
from .index import along_axis, gather_flat, getitem, take, take_along_axis

# --- primitives --------------------------------------------------------------------------


@primitive
def reshape(x, shape):
    """``x`` with a new ``shape`` (a tuple of ints; -1 allowed)."""
    return np.reshape(x, shape)


defvjp(reshape, lambda g, ans, x, shape: reshape(g, shape_of(x)))
defjvp(reshape, lambda t, ans, x, shape: reshape(t, shape))


@primitive
def broadcast_to(x, shape):
    """``x`` broadcast to ``shape``; the engine sums the cotangent back."""
    return np.broadcast_to(x, shape)


defvjp(broadcast_to, lambda g, ans, x, shape: g)
defjvp(broadcast_to, lambda t, ans, x, shape: broadcast_to(t, shape))


def _inverse_axes(axes):
    return tuple(int(i) for i in np.argsort(axes))


@primitive
def transpose(x, axes):
    """``x`` with its axes permuted by ``axes`` (a full tuple)."""
    return np.transpose(x, axes)


defvjp(transpose, lambda g, ans, x, axes: transpose(g, _inverse_axes(axes)))
defjvp(transpose, lambda t, ans, x, axes: transpose(t, axes))


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


@primitive(differentiable=False)
def argsort(x, *, axis):
    """Indices that sort ``x`` along ``axis`` (stable; ``None`` sorts the flattened ``x``)."""
    return np.argsort(x, axis=axis, kind="stable")


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
    order = argsort(_raw(x), axis=axis)
    return take_along_axis(x, order, axis)


def _raw(x):
    return x._raw if isinstance(x, Tensor) else np.asarray(x)
