"""``x[index]``, ``take``, ``take_along_axis`` and ``x.at[index].set(v)`` / ``.add(v)``."""

from __future__ import annotations

import numpy as np

from .._core.tensor import Tensor
from ..ops import index as _i
from ._util import ndim_of, normalize_axis, raw

__all__ = ["take", "take_along_axis"]


def normalize_index(index) -> tuple:
    """``index`` as a tuple with Tensors unwrapped and lists turned into arrays."""
    if not isinstance(index, tuple):
        index = (index,)
    out = []
    for i in index:
        i = raw(i)
        if isinstance(i, list):
            i = np.asarray([raw(j) for j in i])
        out.append(i)
    return tuple(out)


def getitem(x, index):
    """``x[index]``, differentiable; gathers with integer arrays and boolean masks.

    Repeated indices accumulate in the gradient:

    >>> import pullback as pb
    >>> pb.grad(lambda x: x[[0, 0, 1]].sum())(np.ones(3))
    array([2., 1., 0.])
    """
    return _i.getitem(x, index=normalize_index(index))


def take(a, indices, axis=None, out=None, mode="raise"):
    """Entries of ``a`` at ``indices`` along ``axis`` (of the flattened ``a`` if None).

    >>> take(np.array([[1.0, 2.0], [3.0, 4.0]]), [1, 1, 0])
    array([2., 2., 1.])
    """
    if out is not None or mode != "raise":
        raise TypeError("pnp.take supports neither out= nor mode= other than 'raise'")
    indices = np.asarray(raw(indices))
    if axis is None:
        return _i.take(a, indices, None)
    return _i.take(a, indices, normalize_axis(axis, ndim_of(a))[0])


def take_along_axis(arr, indices, axis):
    """Entries of ``arr`` picked along ``axis`` by ``indices`` (of the same ndim).

    >>> x = np.array([[3.0, 1.0], [2.0, 4.0]])
    >>> take_along_axis(x, np.argsort(x, axis=1), axis=1)
    array([[1., 3.],
           [2., 4.]])
    """
    if isinstance(indices, Tensor) and axis is not None:
        return _i.take_along_axis(arr, indices, normalize_axis(axis, ndim_of(arr))[0])
    indices = np.asarray(raw(indices))
    if axis is None:
        if indices.ndim != 1:
            raise ValueError("when axis=None, `indices` must have a single dimension.")
        return _i.take(arr, indices, None)
    ndim = ndim_of(arr)
    if indices.ndim != ndim:
        raise ValueError(
            f"`indices` and `arr` must have the same number of dimensions, "
            f"got {indices.ndim} and {ndim}"
        )
    return _i.take_along_axis(arr, indices, normalize_axis(axis, ndim)[0])


class AtIndexer:
    """``x.at[index]``: functional updates that return a new array.

    >>> import pullback as pb
    >>> pb.tensor([1.0, 2.0, 3.0]).at[[0, 0]].set(pb.tensor([5.0, 7.0])).numpy()
    array([7., 2., 3.])
    """

    __slots__ = ("x",)

    def __init__(self, x) -> None:
        self.x = x

    def __getitem__(self, index):
        return _AtUpdate(self.x, normalize_index(index))


class _AtUpdate:
    __slots__ = ("x", "index")

    def __init__(self, x, index) -> None:
        self.x = x
        self.index = index

    def add(self, v):
        """``x`` with ``v`` added at the index (repeated indices accumulate)."""
        return _i.at_add(self.x, self.index, v)

    def set(self, v):
        """``x`` with the entries at the index replaced by ``v`` (the last write wins)."""
        return _i.at_set(self.x, self.index, v)
