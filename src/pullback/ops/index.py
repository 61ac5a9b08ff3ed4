"""Indexing primitives: ``x[index]`` and its transpose, a scatter-add into zeros.

``index`` is a normalised tuple (ints, slices, ``None``, ``Ellipsis``, integer or boolean
arrays) with every Tensor unwrapped, so it is a static parameter. Gathers that NumPy spells
differently (``take``, ``take_along_axis``, ``x.at[i].set``) are composites of these two.
"""

from __future__ import annotations

import numpy as np

from .._core.primitive import bind, defbatch, defjvp, defvjp, primitive
from .._core.tensor import Tensor, dtype_of, shape_of
from ._batch import move_axis, move_to_front, stack_front, take_batch
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

# --- batching x[index]: the batch axis goes first and is indexed by slice(None) -----------


def _is_int(i) -> bool:
    if isinstance(i, np.ndarray):
        return i.ndim == 0 and i.dtype.kind in "iu"
    return isinstance(i, (int, np.integer)) and not isinstance(i, (bool, np.bool_))


def _is_array(i) -> bool:
    return isinstance(i, np.ndarray) and i.ndim > 0


def _batchable(index: tuple) -> bool:
    """False for boolean scalars (``x[True]``), whose NumPy axis placement the rules below
    do not model; those are batched by a loop."""
    return all(
        _is_int(i) or _is_array(i) or i is None or i is Ellipsis or isinstance(i, slice)
        for i in index
    )


def batch_position(index: tuple) -> int:
    """Where ``x[(slice(None),) + index]`` puts the leading axis of ``x``.

    NumPy keeps the axes of the index arrays in place when the arrays (and ints, which then
    count as arrays) are adjacent in ``index``; otherwise it moves their broadcast shape to the
    front, before the leading axis. A boolean array counts as one axis.
    """
    if is_basic(index):
        return 0
    advanced = [k for k, i in enumerate(index) if _is_array(i) or _is_int(i)]
    if advanced == list(range(advanced[0], advanced[-1] + 1)):
        return 0
    return max(1 if i.dtype == bool else i.ndim for i in index if _is_array(i))


def _per_element(prim, x, d, params):
    """``prim`` run once per batch element of ``x`` and stacked along axis 0."""
    n = shape_of(x)[d]
    return stack_front([bind(prim, take_batch(x, d, b), **params) for b in range(n)]), 0


def _getitem_batch(args, dims, *, index):
    (x,), (d,) = args, dims
    if not _batchable(index):
        return _per_element(getitem, x, d, {"index": index})
    front = (slice(None),) + index
    return getitem(move_to_front(x, d), index=front), batch_position(index)


def _region_shape(shape, index) -> tuple:
    """The shape of ``zeros(shape)[index]``, read from a zero-stride stand-in."""
    return np.broadcast_to(np.zeros((), bool), shape)[index].shape


def _scatter_add_batch(args, dims, *, index, shape):
    (g,), (d,) = args, dims
    if not _batchable(index):
        return _per_element(scatter_add, g, d, {"index": index, "shape": shape})
    g = move_to_front(g, d)
    gshape = shape_of(g)
    rank = len(_region_shape(shape, index))
    g = getitem(g, index=(slice(None),) + (None,) * (rank - len(gshape) + 1))
    g = move_axis(g, 0, batch_position(index))
    front = (slice(None),) + index
    return scatter_add(g, index=front, shape=gshape[:1] + tuple(shape)), 0


defbatch(getitem, _getitem_batch)
defbatch(scatter_add, _scatter_add_batch)

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
    """``np.take_along_axis``: ``indices`` has ``x``'s ndim and picks entries along ``axis``.

    Index Tensors (e.g. an ``argsort`` under ``vmap``) are operands of ``gather_along``.
    """
    if isinstance(indices, Tensor):
        return gather_along(x, indices, axis=axis % len(shape_of(x)))
    indices = np.asarray(indices)
    ndim = indices.ndim
    index = tuple(
        indices if i == axis else np.arange(n).reshape((1,) * i + (n,) + (1,) * (ndim - i - 1))
        for i, n in enumerate(shape_of(x))
    )
    return getitem(x, index=index)


# --- gathers whose indices are data (an operand, not a static index) --------------------


@primitive
def gather_along(x, indices, *, axis):
    """``np.take_along_axis(x, indices, axis)`` with ``indices`` an operand (no derivative).

    For orders computed from the data (``sort``): a static index cannot differ from one vmap
    example to the next, an operand can.
    """
    return np.take_along_axis(x, indices, axis=axis)


def _along_index(indices, axis: int, shape) -> tuple:
    """The full integer index that ``np.add.at`` needs to undo ``take_along_axis``: ``indices``
    along ``axis``, an ``arange`` along every other axis (all broadcast together)."""
    ndim = len(shape)
    return tuple(
        indices if d == axis else np.arange(n).reshape((1,) * d + (n,) + (1,) * (ndim - d - 1))
        for d, n in enumerate(shape)
    )


@primitive
def scatter_add_along(g, indices, *, axis, size):
    """Zeros with ``g`` added at ``indices`` along ``axis`` (of length ``size``): the
    transpose of ``gather_along``; repeated indices accumulate."""
    g_shape, i_shape = np.shape(g), np.shape(indices)
    shape = list(g_shape if g_shape == i_shape else np.broadcast_shapes(g_shape, i_shape))
    out_shape = shape[:axis] + [size] + shape[axis + 1 :]
    out = np.zeros(out_shape, dtype=g.dtype)
    index = _along_index(indices, axis, shape)
    if shape[axis] == 1:
        out[index] = g  # one index per slice: nothing repeats, so assigning is adding
    else:
        np.add.at(out, index, g)
    return out


defvjp(
    gather_along,
    lambda g, ans, x, i, axis: scatter_add_along(g, i, axis=axis, size=shape_of(x)[axis]),
    None,
)
defjvp(gather_along, lambda t, ans, x, i, axis: gather_along(t, i, axis=axis), None)
defvjp(scatter_add_along, lambda g, ans, t, i, axis, size: gather_along(g, i, axis=axis), None)
defjvp(
    scatter_add_along,
    lambda t, ans, g, i, axis, size: scatter_add_along(t, i, axis=axis, size=size),
    None,
)


def _along_operands(args, dims):
    """Both operands with the batch axis first (an unbatched one broadcast over it)."""
    size = next(shape_of(a)[d] for a, d in zip(args, dims) if d is not None)
    return [move_to_front(a, d, size) for a, d in zip(args, dims)]


defbatch(
    gather_along,
    lambda args, dims, axis: (gather_along(*_along_operands(args, dims), axis=axis + 1), 0),
)
defbatch(
    scatter_add_along,
    lambda args, dims, axis, size: (
        scatter_add_along(*_along_operands(args, dims), axis=axis + 1, size=size),
        0,
    ),
)

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


def _data_dependent_batch(name: str):
    def rule(args, dims, **params):
        del args, dims, params
        raise ValueError(
            f"vmap cannot batch '{name}': its output shape depends on the values (the count of "
            f"nonzero entries), which differs between batch elements. Use a fixed-size "
            f"formulation instead, e.g. pnp.where(mask, x, 0) or a mask multiplied in."
        )

    return rule


defbatch(nonzero, _data_dependent_batch("nonzero"))
defbatch(argwhere, _data_dependent_batch("argwhere"))
