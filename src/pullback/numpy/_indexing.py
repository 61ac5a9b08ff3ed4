"""``x[index]`` and ``x.at[index].set(v)`` / ``.add(v)``, mapped onto the index primitives."""

from __future__ import annotations

import numpy as np

from ..ops.elementwise import add, where
from ..ops.index import getitem as _getitem
from ..ops.index import scatter_add
from ..ops.shape import broadcast_to
from .._core.tensor import shape_of
from ._util import raw


def normalize_index(index) -> tuple:
    """``index`` as a tuple with Tensors unwrapped and lists turned into arrays."""
    if not isinstance(index, tuple):
        index = (index,)
    out = []
    for i in index:
        i = raw(i)
        if isinstance(i, list):
            i = np.asarray(i)
        out.append(i)
    return tuple(out)


def getitem(x, index):
    """``x[index]``, differentiable; gathers with integer arrays and boolean masks."""
    return _getitem(x, index=normalize_index(index))


class AtIndexer:
    """``x.at[index]``: functional updates that return a new array."""

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
        shape = shape_of(self.x)
        target = shape_of(_getitem(np.empty(shape, dtype=bool), index=self.index))
        return add(self.x, scatter_add(broadcast_to(v, target), index=self.index, shape=shape))

    def set(self, v):
        """``x`` with the entries at the index replaced by ``v``."""
        shape = shape_of(self.x)
        mask = np.zeros(shape, dtype=bool)
        mask[self.index] = True
        target = shape_of(_getitem(np.empty(shape, dtype=bool), index=self.index))
        placed = scatter_add(broadcast_to(v, target), index=self.index, shape=shape)
        return where(mask, placed, self.x)
