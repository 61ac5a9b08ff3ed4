"""Indexing primitives: ``x[index]`` and its transpose, a scatter-add into zeros.

``index`` is a normalised tuple (ints, slices, ``None``, ``Ellipsis``, integer or boolean
arrays) with every Tensor unwrapped, so it is a static parameter.
"""

from __future__ import annotations

import numpy as np

from .._core.primitive import defjvp, defvjp, primitive
from .._core.tensor import dtype_of, shape_of


@primitive
def getitem(x, *, index):
    """``x[index]``; the VJP scatter-adds, so repeated integer indices accumulate."""
    return x[index]


@primitive
def scatter_add(g, *, index, shape):
    """Zeros of ``shape`` with ``g`` added at ``index`` (repeated indices accumulate)."""
    out = np.zeros(shape, dtype=g.dtype)
    np.add.at(out, index, g)
    return out


defvjp(getitem, lambda g, ans, x, index: scatter_add(g, index=index, shape=shape_of(x)))
defjvp(getitem, lambda t, ans, x, index: getitem(t, index=index))
defvjp(scatter_add, lambda g, ans, t, index, shape: getitem(g, index=index))
defjvp(scatter_add, lambda t, ans, g, index, shape: scatter_add(t, index=index, shape=shape))

del dtype_of
