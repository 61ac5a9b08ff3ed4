"""Indexing primitives: ``x[index]`` and its transpose, a scatter-add into zeros.

``index`` is a normalised tuple (ints, slices, ``None``, ``Ellipsis``, integer or boolean
arrays) with every Tensor unwrapped, so it is a static parameter. Gathers that NumPy spells
differently (``take``, ``take_along_axis``, ``x.at[i].set``) are composites of these two.
"""

from __future__ import annotations

import numpy as np

from .._core.primitive import defjvp, defvjp, primitive
from .._core.tensor import dtype_of, shape_of
from .elementwise import add, astype, where


def is_basic(index: tuple) -> bool:
    """True when ``index`` has no integer or boolean arrays, so each input entry is read once."""
    return not any(isinstance(i, np.ndarray) and i.ndim > 0 for i in index)


@primitive
def getitem(x, *, index):
    """``x[index]``; the VJP scatter-adds, so repeated integer indices accumulate."""
    return x[index]


@primitive
def scatter_add(g, *, index, shape):
    """Zeros of ``shape`` with ``g`` added at ``index`` (repeated indices accumulate)."""
    out = np.zeros(shape, dtype=g.dtype)
    if is_basic(index):
        # NOTE: basic indexing reads each entry at most once, so plain assignment is exact,
        # and far faster than np.add.at.
        out[index] = g
    else:
        np.add.at(out, index, g)
    return out


defvjp(getitem, lambda g, ans, x, index: scatter_add(g, index=index, shape=shape_of(x)))
defjvp(getitem, lambda t, ans, x, index: getitem(t, index=index))
defvjp(scatter_add, lambda g, ans, t, index, shape: getitem(g, index=index))
defjvp(scatter_add, lambda t, ans, g, index, shape: scatter_add(t, index=index, shape=shape))

# --- gathers spelled with index arrays ---------------------------------------------------


def along_axis(index, axis: int, ndim: int) -> tuple:
    """The full index that applies ``index`` (an int array, a slice ...) at ``axis`` only."""
    return (slice(None),) * axis + (index,) + (slice(None),) * (ndim - axis - 1)


def gather_flat(x, flat_index):
    """``ravel(x)[flat_index]``: an array of ``flat_index``'s shape read from ``x``.

    Ops that only move entries (``take`` without an axis, ``pad`` with ``mode="edge"``) are
    this gather with a static index map.
    """
    shape = shape_of(x)
    flat_index = np.asarray(flat_index, dtype=np.intp)
    size = int(np.prod(shape))
    if np.any((flat_index >= size) | (flat_index < -size)):
        raise IndexError(f"index out of bounds for an array of size {size}")
    if not shape:
        x = getitem(x, index=(None,))
        shape = (1,)
    return getitem(x, index=np.unravel_index(flat_index % max(size, 1), shape))


def take(x, indices, axis: int | None):
    """Entries of ``x`` at ``indices`` along ``axis`` (of the flattened ``x`` if None)."""
    if axis is None:
        return gather_flat(x, indices)
    return getitem(x, index=along_axis(np.asarray(indices), axis, len(shape_of(x))))


def take_along_axis(x, indices, axis: int):
    """``np.take_along_axis``: ``indices`` has ``x``'s ndim and picks entries along ``axis``."""
    indices = np.asarray(indices)
    ndim = indices.ndim
    index = tuple(
        indices if i == axis else np.arange(n).reshape((1,) * i + (n,) + (1,) * (ndim - i - 1))
        for i, n in enumerate(shape_of(x))
    )
    return getitem(x, index=index)


# --- functional updates: x.at[index] -----------------------------------------------------


def at_add(x, index: tuple, v):
    """``x`` with ``v`` added at ``index``; repeated indices accumulate, as ``np.add.at``."""
    return add(x, scatter_add(_cast(v, x), index=index, shape=shape_of(x)))


def at_set(x, index: tuple, v):
    """``x`` with the entries at ``index`` replaced by ``v`` (which broadcasts).

    With repeated indices the value is NumPy's (the last write wins), and only the entry of
    ``v`` that was written receives a gradient.
    """
    shape = shape_of(x)
    vshape = shape_of(v)
    writer = np.full(shape, -1, dtype=np.intp)
    # NOTE: NumPy's own assignment decides which entry of v lands where (last write wins).
    writer[index] = np.arange(int(np.prod(vshape))).reshape(vshape)
    written = writer >= 0
    v = _cast(v, x)
    placed = v if not vshape else getitem(v, index=np.unravel_index(np.maximum(writer, 0), vshape))
    return where(written, placed, x)


def _cast(v, x):
    dtype = dtype_of(x)
    return v if dtype_of(v) == dtype else astype(v, dtype)


# --- indices of nonzero entries (no derivative) -------------------------------------------


@primitive(multiple_results=True, differentiable=False)
def nonzero(x):
    """The indices of the nonzero entries of ``x``, one int array per axis."""
    return np.nonzero(x)


@primitive(differentiable=False)
def argwhere(x):
    """The indices of the nonzero entries of ``x``, shape ``(count, x.ndim)``."""
    return np.argwhere(x)
