"""Argument normalisation shared by the pnp wrappers."""

from __future__ import annotations

import operator

from .._core.tensor import Tensor, shape_of


def normalize_axis(axis, ndim: int) -> tuple[int, ...] | None:
    """``axis`` (None, an int or a sequence) as a sorted tuple of non-negative ints, or None.

    >>> normalize_axis(-1, 3)
    (2,)
    """
    if axis is None:
        return None
    if isinstance(axis, (tuple, list)):
        axes = tuple(_one_axis(a, ndim) for a in axis)
        if len(set(axes)) != len(axes):
            raise ValueError(f"repeated axis in {axis!r}")
        return tuple(sorted(axes))
    return (_one_axis(axis, ndim),)


def _one_axis(a, ndim: int) -> int:
    a = operator.index(a)
    if not -max(ndim, 1) <= a < max(ndim, 1):
        raise ValueError(f"axis {a} is out of bounds for an array of dimension {ndim}")
    return a % max(ndim, 1)


def ndim_of(x) -> int:
    return len(getattr(x, "shape", ())) if hasattr(x, "shape") else _ndim_slow(x)


def _ndim_slow(x) -> int:
    import numpy as np

    return np.ndim(x)


def raw(x):
    """A Tensor's raw value (for static parameters such as index arrays); others unchanged.

    Raises:
        TypeError: ``x`` is batched by ``vmap`` (its raw value holds every example).
    """
    if not isinstance(x, Tensor):
        return x
    if shape_of(x._raw) != x._shape:
        raise TypeError(
            f"an index array that pb.vmap batches (per-example shape {x._shape}) cannot be a "
            f"static index; use pnp.take_along_axis(x, idx, axis) or compute the index outside "
            f"vmap"
        )
    x._check_concrete("An index array", "keep this call's indices for every later call")
    return x._raw
