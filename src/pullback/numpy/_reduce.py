"""Reductions with NumPy's signatures, normalising ``axis`` before binding."""

from __future__ import annotations

from ..ops import reduce as _r
from ..ops.elementwise import astype as _astype
from ._util import ndim_of, normalize_axis

__all__ = ["sum"]


def sum(a, axis=None, dtype=None, out=None, keepdims=False):
    """Sum of ``a`` over ``axis``, as ``np.sum``.

    >>> import pullback as pb
    >>> pb.grad(lambda x: sum(x * x))(pb.tensor([1.0, 2.0])).numpy()
    array([2., 4.])
    """
    _no_out(out, "sum")
    if dtype is not None:
        a = _astype(a, dtype)
    return _r.sum(a, axis=normalize_axis(axis, ndim_of(a)), keepdims=bool(keepdims))


def _no_out(out, name: str) -> None:
    if out is not None:
        raise TypeError(f"pnp.{name} does not support out=: pullback arrays are immutable")
