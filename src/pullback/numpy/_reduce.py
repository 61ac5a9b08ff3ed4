"""Reductions with NumPy's signatures, normalising ``axis`` before binding.

Means, variances, averages and ranges are composites of the reduction primitives and get no
rules of their own.
"""

from __future__ import annotations

import math

from .._core.tensor import dtype_of, shape_of
from ..ops import reduce as _r
from ..ops.elementwise import astype as _astype
from ..ops.elementwise import divide as _divide
from ..ops.elementwise import multiply as _multiply
from ..ops.elementwise import sqrt as _sqrt
from ..ops.elementwise import subtract as _subtract
from ..ops.shape import broadcast_to as _broadcast_to
from ..ops.shape import reshape as _reshape
from ._util import ndim_of, normalize_axis

__all__ = [
    "all",
    "amax",
    "amin",
    "any",
    "argmax",
    "argmin",
    "average",
    "count_nonzero",
    "cumprod",
    "cumsum",
    "max",
    "mean",
    "min",
    "prod",
    "ptp",
    "std",
    "sum",
    "var",
]


def _no_out(out, name: str) -> None:
    if out is not None:
        raise TypeError(f"pnp.{name} does not support out=: pullback arrays are immutable")


def _count(a, axes) -> int:
    """How many entries of ``a`` each reduction over ``axes`` combines (a Python int)."""
    shape = shape_of(a)
    if axes is None:
        return math.prod(shape)
    return math.prod(shape[i] for i in axes)


def _cast(a, dtype):
    return a if dtype is None else _astype(a, dtype)


# --- sums and products -------------------------------------------------------------------


def sum(a, axis=None, dtype=None, out=None, keepdims=False):
    """Sum of ``a`` over ``axis``, as ``np.sum``.

    >>> import pullback as pb
    >>> pb.grad(lambda x: sum(x * x))(pb.tensor([1.0, 2.0])).numpy()
    array([2., 4.])
    """
    _no_out(out, "sum")
    a = _cast(a, dtype)
    return _r.sum(a, axis=normalize_axis(axis, ndim_of(a)), keepdims=bool(keepdims))


def prod(a, axis=None, dtype=None, out=None, keepdims=False):
    """Product of ``a`` over ``axis``, as ``np.prod``; exact derivatives with zeros in ``a``.

    >>> import numpy as np, pullback as pb
    >>> pb.grad(prod)(np.array([2.0, 0.0, 5.0]))
    array([ 0., 10.,  0.])
    """
    _no_out(out, "prod")
    a = _cast(a, dtype)
    return _r.prod(a, axis=normalize_axis(axis, ndim_of(a)), keepdims=bool(keepdims))


def _cumulative(op, a, axis, dtype):
    a = _cast(a, dtype)
    if axis is None:
        return op(_reshape(a, (-1,)), axis=0)
    return op(a, axis=normalize_axis(axis, ndim_of(a))[0])


def cumsum(a, axis=None, dtype=None, out=None):
    """Running sum along ``axis`` (of the flattened ``a`` if None), as ``np.cumsum``.

    >>> import numpy as np
    >>> cumsum(np.array([[1.0, 2.0], [3.0, 4.0]]))
    array([ 1.,  3.,  6., 10.])
    """
    _no_out(out, "cumsum")
    return _cumulative(_r.cumsum, a, axis, dtype)


def cumprod(a, axis=None, dtype=None, out=None):
    """Running product along ``axis`` (of the flattened ``a`` if None), as ``np.cumprod``.

    The derivative is exact where ``a`` has zeros.

    >>> import numpy as np, pullback as pb
    >>> pb.grad(lambda x: cumprod(x)[-1])(np.array([3.0, 0.0]))
    array([0., 3.])
    """
    _no_out(out, "cumprod")
    return _cumulative(_r.cumprod, a, axis, dtype)


# --- extrema -----------------------------------------------------------------------------


def max(a, axis=None, out=None, keepdims=False):
    """Largest entry over ``axis``, as ``np.max``; tied maxima share the gradient evenly.

    >>> import numpy as np, pullback as pb
    >>> pb.grad(max)(np.array([1.0, 3.0, 3.0]))
    array([0. , 0.5, 0.5])
    """
    _no_out(out, "max")
    return _r.max(a, axis=normalize_axis(axis, ndim_of(a)), keepdims=bool(keepdims))


def min(a, axis=None, out=None, keepdims=False):
    """Smallest entry over ``axis``, as ``np.min``; tied minima share the gradient evenly.

    >>> import numpy as np, pullback as pb
    >>> pb.grad(min)(np.array([2.0, 1.0, 4.0]))
    array([0., 1., 0.])
    """
    _no_out(out, "min")
    return _r.min(a, axis=normalize_axis(axis, ndim_of(a)), keepdims=bool(keepdims))


amax = max
amin = min


def ptp(a, axis=None, out=None, keepdims=False):
    """Range ``max - min`` over ``axis``, as ``np.ptp``.

    >>> import numpy as np
    >>> float(ptp(np.array([4.0, 1.0, 3.0])))
    3.0
    """
    _no_out(out, "ptp")
    return _subtract(max(a, axis, keepdims=keepdims), min(a, axis, keepdims=keepdims))


# --- moments -----------------------------------------------------------------------------


def mean(a, axis=None, dtype=None, out=None, keepdims=False):
    """Arithmetic mean over ``axis``, as ``np.mean``: ``sum / count``.

    >>> import numpy as np, pullback as pb
    >>> pb.grad(mean)(np.array([1.0, 2.0, 3.0, 4.0]))
    array([0.25, 0.25, 0.25, 0.25])
    """
    _no_out(out, "mean")
    a = _cast(a, dtype)
    axes = normalize_axis(axis, ndim_of(a))
    return _divide(_r.sum(a, axis=axes, keepdims=bool(keepdims)), _count(a, axes))


def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    """Variance over ``axis`` with ``ddof`` delta degrees of freedom, as ``np.var``.

    >>> import numpy as np
    >>> float(var(np.array([1.0, 2.0, 3.0, 4.0]), ddof=1))
    1.6666666666666667
    """
    _no_out(out, "var")
    a = _cast(a, dtype)
    axes = normalize_axis(axis, ndim_of(a))
    n = _count(a, axes)
    centred = _subtract(a, _divide(_r.sum(a, axis=axes, keepdims=True), n))
    squares = _r.sum(_multiply(centred, centred), axis=axes, keepdims=bool(keepdims))
    return _divide(squares, n - ddof if n > ddof else 0)


def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    """Standard deviation ``sqrt(var)`` over ``axis``, as ``np.std``.

    NOTE: like NumPy's and JAX's, its gradient is NaN where all entries are equal (var = 0).

    >>> import numpy as np
    >>> float(std(np.array([1.0, 3.0])))
    1.0
    """
    _no_out(out, "std")
    return _sqrt(var(a, axis, dtype, ddof=ddof, keepdims=keepdims))


def average(a, axis=None, weights=None, returned=False, *, keepdims=False):
    """Weighted mean over ``axis``, as ``np.average``: ``sum(a * w) / sum(w)``.

    ``weights`` has the shape of ``a``, or is 1-D along an int ``axis``. With ``returned=True``
    returns ``(average, sum of weights)``, the latter broadcast to the average's shape.

    >>> import numpy as np
    >>> float(average(np.array([1.0, 4.0]), weights=np.array([2.0, 1.0])))
    2.0
    """
    axes = normalize_axis(axis, ndim_of(a))
    if weights is None:
        avg = mean(a, axis, keepdims=keepdims)
        total = _count(a, axes)
    else:
        w = _broadcast_to(_weights_along(a, weights, axes), shape_of(a))
        total = _r.sum(w, axis=axes, keepdims=bool(keepdims))
        avg = _divide(_r.sum(_multiply(a, w), axis=axes, keepdims=bool(keepdims)), total)
    if not returned:
        return avg
    return avg, _broadcast_to(_astype(total, dtype_of(avg)), shape_of(avg))


def _weights_along(a, weights, axes):
    """``weights`` reshaped to broadcast against ``a`` (1-D weights lie along the one axis)."""
    shape = shape_of(a)
    wshape = shape_of(weights)
    if wshape == shape:
        return weights
    if axes is None or len(axes) != 1 or len(wshape) != 1 or wshape[0] != shape[axes[0]]:
        raise ValueError(
            f"pnp.average: weights of shape {wshape} do not fit a of shape {shape} along "
            f"axis {axes}; pass weights of a's shape, or 1-D weights with one int axis"
        )
    new = [1] * len(shape)
    new[axes[0]] = wshape[0]
    return _reshape(weights, tuple(new))


# --- no derivative -----------------------------------------------------------------------


def _one_axis(axis, a):
    return None if axis is None else normalize_axis(axis, ndim_of(a))[0]


def argmax(a, axis=None, out=None, *, keepdims=False):
    """Index of the largest entry along ``axis`` (flattened if None), as ``np.argmax``.

    >>> import numpy as np
    >>> int(argmax(np.array([1.0, 5.0, 2.0])))
    1
    """
    _no_out(out, "argmax")
    return _r.argmax(a, axis=_one_axis(axis, a), keepdims=bool(keepdims))


def argmin(a, axis=None, out=None, *, keepdims=False):
    """Index of the smallest entry along ``axis`` (flattened if None), as ``np.argmin``.

    >>> import numpy as np
    >>> int(argmin(np.array([1.0, 5.0, 0.5])))
    2
    """
    _no_out(out, "argmin")
    return _r.argmin(a, axis=_one_axis(axis, a), keepdims=bool(keepdims))


def all(a, axis=None, out=None, keepdims=False):
    """Whether all entries over ``axis`` are true, as ``np.all``.

    >>> import numpy as np
    >>> bool(all(np.array([1.0, 0.0])))
    False
    """
    _no_out(out, "all")
    return _r.all(a, axis=normalize_axis(axis, ndim_of(a)), keepdims=bool(keepdims))


def any(a, axis=None, out=None, keepdims=False):
    """Whether any entry over ``axis`` is true, as ``np.any``.

    >>> import numpy as np
    >>> bool(any(np.array([1.0, 0.0])))
    True
    """
    _no_out(out, "any")
    return _r.any(a, axis=normalize_axis(axis, ndim_of(a)), keepdims=bool(keepdims))


def count_nonzero(a, axis=None, *, keepdims=False):
    """Number of non-zero entries over ``axis``, as ``np.count_nonzero``.

    >>> import numpy as np
    >>> int(count_nonzero(np.array([1.0, 0.0, 2.0])))
    2
    """
    return _r.count_nonzero(a, axis=normalize_axis(axis, ndim_of(a)), keepdims=bool(keepdims))
