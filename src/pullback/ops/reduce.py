"""Reductions: sums, means, extrema, products, cumulative ops.

``axis`` is always a normalised tuple of non-negative ints (or ``None`` for all axes) by the
time it reaches a primitive; ``pullback.numpy`` does the normalising.
"""

from __future__ import annotations

import numpy as np

from .._core.primitive import defjvp, defvjp, primitive
from .._core.tensor import shape_of
from .shape import broadcast_to, reshape


def keepdims_shape(shape, axis):
    """``shape`` with the reduced ``axis`` kept as size-1 dimensions."""
    if axis is None:
        return (1,) * len(shape)
    return tuple(1 if i in axis else n for i, n in enumerate(shape))


def expand_reduced(g, x, axis, keepdims):
    """Broadcast a reduction's cotangent ``g`` back to the shape of its input ``x``."""
    shape = shape_of(x)
    if not keepdims:
        g = reshape(g, keepdims_shape(shape, axis))
    return broadcast_to(g, shape)


@primitive
def sum(x, *, axis=None, keepdims=False):
    """Sum of ``x`` over ``axis`` (a tuple of ints, or None for all)."""
    return np.sum(x, axis=axis, keepdims=keepdims)


defvjp(sum, lambda g, ans, x, axis, keepdims: expand_reduced(g, x, axis, keepdims))
defjvp(sum, lambda t, ans, x, axis, keepdims: sum(t, axis=axis, keepdims=keepdims))
