"""Shape names with NumPy's signatures."""

from __future__ import annotations

from ..ops import shape as _s
from ._util import ndim_of

__all__ = ["reshape", "transpose", "swapaxes", "broadcast_to"]


def reshape(a, newshape, order="C"):
    """``a`` with shape ``newshape``, as ``np.reshape``."""
    if order != "C":
        raise ValueError("pnp.reshape supports only order='C'")
    if isinstance(newshape, int):
        newshape = (newshape,)
    return _s.reshape(a, tuple(int(n) for n in newshape))


def transpose(a, axes=None):
    """``a`` with permuted axes (reversed when ``axes`` is None), as ``np.transpose``."""
    n = ndim_of(a)
    axes = tuple(reversed(range(n))) if axes is None else tuple(int(i) % max(n, 1) for i in axes)
    return _s.transpose(a, axes)


def swapaxes(a, axis1, axis2):
    """``a`` with ``axis1`` and ``axis2`` exchanged."""
    n = ndim_of(a)
    axes = list(range(n))
    i, j = axis1 % n, axis2 % n
    axes[i], axes[j] = axes[j], axes[i]
    return _s.transpose(a, tuple(axes))


def broadcast_to(array, shape):
    """``array`` broadcast to ``shape``."""
    if isinstance(shape, int):
        shape = (shape,)
    return _s.broadcast_to(array, tuple(shape))
