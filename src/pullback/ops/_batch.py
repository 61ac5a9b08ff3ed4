"""Helpers for batching rules (``pb.defbatch``): moving batch axes, the generic rules of
elementwise ops and reductions, and the per-element fallback's slicing and stacking.

The shape and index primitives are looked up on first use (``_op``): every ops module uses
these helpers, and the shape ops themselves are built on the elementwise ones.
"""

from __future__ import annotations

import functools

from .._core.primitive import bind
from .._core.tensor import shape_of


@functools.cache
def _op(name: str):
    """The shape or index primitive ``name``, imported once.

    NOTE: not an import statement in each helper: that costs 0.65 us a call, 5% of a small
    ``jacrev`` (bench/jacobians.py).
    """
    from . import index, shape

    return getattr(shape, name, None) or getattr(index, name)


def take_batch(x, bdim: int, b: int):
    """Element ``b`` of the batch axis ``bdim`` of ``x``."""
    return _op("getitem")(x, index=(slice(None),) * bdim + (b,))


def stack_front(xs):
    """Stack ``xs`` along a new leading axis."""
    reshape = _op("reshape")
    return _op("concatenate")(*[reshape(x, (1,) + shape_of(x)) for x in xs], axis=0)


def move_to_front(x, bdim: int | None, size: int | None = None):
    """``x`` with its batch axis first; an unbatched ``x`` is broadcast when ``size`` is given."""
    if bdim is None:
        if size is None:
            return x
        return _op("broadcast_to")(x, (size,) + shape_of(x))
    if bdim == 0:
        return x
    n = len(shape_of(x))
    axes = (bdim,) + tuple(i for i in range(n) if i != bdim)
    return _op("transpose")(x, axes)


def move_axis(x, source: int, dest: int):
    """``x`` with axis ``source`` moved to position ``dest``."""
    n = len(shape_of(x))
    order = [i for i in range(n) if i != source]
    order.insert(dest, source)
    return x if order == list(range(n)) else _op("transpose")(x, tuple(order))


def elementwise_batch(prim):
    """The batching rule of an elementwise op with NumPy broadcasting: batch axes go first, and
    batched operands are reshaped so the batch axis does not align with an unbatched axis."""

    def rule(args, dims, **params):
        reshape = _op("reshape")
        rank = max(len(shape_of(a)) - (d is not None) for a, d in zip(args, dims))
        aligned = []
        for a, d in zip(args, dims):
            if d is None:
                aligned.append(a)
                continue
            a = move_to_front(a, d)
            shape = shape_of(a)
            pad = rank - (len(shape) - 1)
            aligned.append(reshape(a, shape[:1] + (1,) * pad + shape[1:]) if pad else a)
        return bind(prim, *aligned, **params), 0

    return rule


def shifted_axes(axis, ndim: int):
    """A reduction's ``axis`` (None or a tuple) for an operand whose batch axis is first."""
    if axis is None:
        return tuple(range(1, ndim + 1))
    return tuple(a + 1 for a in axis)


def reduction_batch(prim):
    """The batching rule of a reduction taking ``axis`` (None or a normalised tuple)."""

    def rule(args, dims, *, axis=None, **params):
        (x,), (d,) = args, dims
        x = move_to_front(x, d)
        return bind(prim, x, axis=shifted_axes(axis, len(shape_of(x)) - 1), **params), 0

    return rule
