"""Shape primitives: reshape, transpose, broadcast, concatenate, split, flip, pad, ..."""

from __future__ import annotations

import numpy as np

from .._core.primitive import defjvp, defvjp, primitive
from .._core.tensor import shape_of


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
