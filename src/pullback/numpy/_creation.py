"""Array creation and helpers without a derivative (zeros_like, shape, nonzero, ...).

New arrays are constants: ``zeros_like`` of a tracked Tensor is a plain Tensor that no
transform tracks. ``array`` and ``asarray`` of Tensors keep them (and their gradients).
"""

from __future__ import annotations

import numpy as np

from .._core.tensor import Tensor, dtype_of, shape_of
from ..ops import index as _i
from ..ops.elementwise import astype as _astype
from ..ops.shape import broadcast_to as _broadcast_to
from ..ops.shape import stack as _stack
from ._util import raw

__all__ = [
    "arange",
    "argwhere",
    "array",
    "asarray",
    "copy",
    "empty",
    "empty_like",
    "eye",
    "full",
    "full_like",
    "identity",
    "isscalar",
    "linspace",
    "ndim",
    "nonzero",
    "ones",
    "ones_like",
    "result_type",
    "shape",
    "size",
    "zeros",
    "zeros_like",
]

# --- constants shaped like an array ------------------------------------------------------


def _like(make, a, dtype, shape):
    if isinstance(a, Tensor):
        # NOTE: a's logical shape (inside vmap the raw value holds the whole batch).
        shape = a.shape if shape is None else shape
        return Tensor(make(np.empty(0, a.dtype), dtype=dtype, shape=shape))
    return make(a, dtype=dtype, shape=shape)


def zeros_like(a, dtype=None, order="K", subok=True, shape=None):
    """Zeros with the shape and dtype of ``a``: a constant, even if ``a`` is tracked.

    >>> zeros_like(np.ones(2))
    array([0., 0.])
    """
    return _like(np.zeros_like, a, dtype, shape)


def ones_like(a, dtype=None, order="K", subok=True, shape=None):
    """Ones with the shape and dtype of ``a``: a constant.

    >>> ones_like(np.zeros(2))
    array([1., 1.])
    """
    return _like(np.ones_like, a, dtype, shape)


def empty_like(a, dtype=None, order="K", subok=True, shape=None):
    """An uninitialised array with the shape and dtype of ``a``: a constant.

    >>> empty_like(np.zeros((2, 3))).shape
    (2, 3)
    """
    return _like(np.empty_like, a, dtype, shape)


def full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None):
    """``fill_value`` broadcast to the shape of ``a``, with ``a``'s dtype unless ``dtype``.

    A Tensor ``fill_value`` keeps its gradient; ``a`` only lends its shape.

    >>> full_like(np.zeros(2), 7.0)
    array([7., 7.])
    """
    if isinstance(fill_value, Tensor):
        return full(shape_of(a) if shape is None else shape, fill_value, dtype or dtype_of(a))
    if isinstance(a, Tensor):
        shape = a.shape if shape is None else shape
        return Tensor(np.full_like(np.empty(0, a.dtype), fill_value, dtype=dtype, shape=shape))
    return np.full_like(a, fill_value, dtype=dtype, shape=shape)


# --- constants from a shape --------------------------------------------------------------


def zeros(shape, dtype=float, order="C"):
    """Zeros of ``shape``.

    >>> zeros((2,))
    array([0., 0.])
    """
    return np.zeros(shape, dtype=dtype)


def ones(shape, dtype=float, order="C"):
    """Ones of ``shape``.

    >>> ones((2,))
    array([1., 1.])
    """
    return np.ones(shape, dtype=dtype)


def empty(shape, dtype=float, order="C"):
    """An uninitialised array of ``shape``.

    >>> empty((2, 3)).shape
    (2, 3)
    """
    return np.empty(shape, dtype=dtype)


def full(shape, fill_value, dtype=None, order="C"):
    """``fill_value`` broadcast to ``shape``; a Tensor ``fill_value`` keeps its gradient.

    >>> import pullback as pb
    >>> pb.grad(lambda c: full((3,), c).sum())(2.0)
    3.0
    """
    if not isinstance(fill_value, Tensor):
        return np.full(shape, fill_value, dtype=dtype)
    if dtype is not None and np.dtype(dtype) != dtype_of(fill_value):
        fill_value = _astype(fill_value, dtype)
    return _broadcast_to(fill_value, (shape,) if isinstance(shape, int) else tuple(shape))


def eye(N, M=None, k=0, dtype=float, order="C"):
    """An ``N x M`` array with ones on diagonal ``k``.

    >>> eye(2)
    array([[1., 0.],
           [0., 1.]])
    """
    return np.eye(N, M, k, dtype=dtype)


def identity(n, dtype=None):
    """The ``n x n`` identity.

    >>> identity(2)[1]
    array([0., 1.])
    """
    return np.identity(n, dtype=dtype)


def arange(*args, dtype=None):
    """Evenly spaced values in a half-open interval, as ``np.arange``.

    >>> arange(3.0)
    array([0., 1., 2.])
    """
    return np.arange(*(raw(a) for a in args), dtype=dtype)


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """``num`` evenly spaced values from ``start`` to ``stop`` (constants).

    >>> linspace(0.0, 1.0, 3)
    array([0. , 0.5, 1. ])
    """
    return np.linspace(start, stop, num, endpoint, retstep, dtype, axis)


# --- arrays from data --------------------------------------------------------------------


def _holds_tensor(obj) -> bool:
    if isinstance(obj, Tensor):
        return True
    return isinstance(obj, (list, tuple)) and any(_holds_tensor(o) for o in obj)


def array(object, dtype=None, copy=True, order="K", ndmin=0):
    """An array from ``object``; Tensors (also inside lists) keep their gradients.

    ``array(t)`` of a Tensor returns ``t`` (Tensors are immutable, so no copy is needed), and
    a list holding Tensors is stacked, so ``array([x, y])`` is differentiable.

    >>> import pullback as pb
    >>> pb.grad(lambda x: array([x, 2 * x, 1.0]).sum())(1.0)
    3.0
    """
    if isinstance(object, Tensor):
        out = object
    elif _holds_tensor(object):
        out = _stack([array(o) for o in object], 0)
    else:
        return np.array(object, dtype=dtype, copy=copy, order=order, ndmin=ndmin)
    if dtype is not None and np.dtype(dtype) != dtype_of(out):
        out = _astype(out, dtype)
    if ndmin > len(shape_of(out)):
        out = _i.getitem(out, index=(None,) * (ndmin - len(shape_of(out))))
    return out


def asarray(a, dtype=None, order=None):
    """``a`` as an array; a Tensor is returned as it is (keeping its gradient).

    >>> asarray([1.0, 2.0])
    array([1., 2.])
    """
    if isinstance(a, Tensor) or _holds_tensor(a):
        return array(a, dtype=dtype)
    return np.asarray(a, dtype=dtype)


def copy(a, order="K", subok=False):
    """A copy of ``a``; a Tensor is returned as it is, since Tensors are immutable.

    >>> copy(np.ones(2))
    array([1., 1.])
    """
    if isinstance(a, Tensor):
        return a
    return np.copy(a, order=order, subok=subok)


# --- facts about arrays (no derivative) --------------------------------------------------


def shape(a) -> tuple[int, ...]:
    """The shape of ``a``.

    >>> shape([[1.0, 2.0]])
    (1, 2)
    """
    return shape_of(a)


def ndim(a) -> int:
    """The number of dimensions of ``a``.

    >>> ndim(np.ones((2, 3)))
    2
    """
    return len(shape_of(a))


def size(a, axis=None) -> int:
    """The number of entries of ``a`` (along ``axis`` if given).

    >>> size(np.ones((2, 3)))
    6
    """
    s = shape_of(a)
    return int(np.prod(s)) if axis is None else s[axis]


def result_type(*arrays_and_dtypes) -> np.dtype:
    """The dtype NumPy's promotion rules give for the arguments.

    >>> result_type(np.float32, 1.0)
    dtype('float32')
    """
    return np.result_type(*(raw(a) for a in arrays_and_dtypes))


def isscalar(element) -> bool:
    """True for Python and NumPy scalars (not for arrays or Tensors), as ``np.isscalar``.

    >>> isscalar(1.0), isscalar(np.ones(1))
    (True, False)
    """
    return np.isscalar(element)


def nonzero(a) -> tuple:
    """The indices of the nonzero entries of ``a``, one int array per axis.

    >>> nonzero(np.array([0.0, 3.0, 4.0]))
    (array([1, 2]),)
    """
    return _i.nonzero(a)


def argwhere(a):
    """The indices of the nonzero entries of ``a``, shape ``(count, a.ndim)``.

    >>> argwhere(np.array([0.0, 3.0]))
    array([[1]])
    """
    return _i.argwhere(a)
