"""Shape names with NumPy's signatures, normalising axes before calling ``pullback.ops.shape``."""

from __future__ import annotations

import operator

import numpy as np

from .._core.tensor import shape_of
from ..ops import shape as _s
from ..ops.elementwise import astype as _astype
from ._indexing import take, take_along_axis
from ._util import ndim_of, normalize_axis

__all__ = [
    "argsort",
    "array_split",
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "broadcast_to",
    "concatenate",
    "dstack",
    "expand_dims",
    "flip",
    "fliplr",
    "flipud",
    "hstack",
    "moveaxis",
    "pad",
    "ravel",
    "repeat",
    "reshape",
    "roll",
    "sort",
    "split",
    "squeeze",
    "stack",
    "swapaxes",
    "take",
    "take_along_axis",
    "tile",
    "transpose",
    "vstack",
]


def _axis(axis, ndim: int) -> int:
    return normalize_axis(axis, ndim)[0]


# --- reshaping ---------------------------------------------------------------------------


def reshape(a, newshape, order="C"):
    """``a`` with shape ``newshape``, as ``np.reshape``.

    >>> reshape(np.arange(6.0), (2, -1)).shape
    (2, 3)
    """
    if order != "C":
        raise ValueError("pnp.reshape supports only order='C'")
    if isinstance(newshape, int):
        newshape = (newshape,)
    return _s.reshape(a, tuple(int(n) for n in newshape))


def ravel(a, order="C"):
    """``a`` flattened to one dimension.

    >>> ravel(np.ones((2, 3))).shape
    (6,)
    """
    return reshape(a, (-1,), order)


def squeeze(a, axis=None):
    """``a`` without size-1 axes (all of them, or those in ``axis``).

    >>> squeeze(np.ones((1, 3, 1)), axis=0).shape
    (3, 1)
    """
    shape = shape_of(a)
    if axis is None:
        return _s.squeeze(a, tuple(i for i, n in enumerate(shape) if n == 1))
    axes = normalize_axis(axis, len(shape))
    for i in axes:
        if shape[i] != 1:
            raise ValueError(
                f"cannot select an axis to squeeze out which has size not equal to one: "
                f"axis {i} of shape {shape}"
            )
    return _s.squeeze(a, axes)


def expand_dims(a, axis):
    """``a`` with new size-1 axes at the positions ``axis`` of the result.

    >>> expand_dims(np.ones(3), (0, -1)).shape
    (1, 3, 1)
    """
    n = 1 if isinstance(axis, int) else len(axis)
    return _s.expand_dims(a, normalize_axis(axis, ndim_of(a) + n))


def broadcast_to(array, shape):
    """``array`` broadcast to ``shape``.

    >>> broadcast_to(np.ones(3), (2, 3)).shape
    (2, 3)
    """
    if isinstance(shape, int):
        shape = (shape,)
    return _s.broadcast_to(array, tuple(shape))


def _atleast_shape(shape: tuple, ndim: int) -> tuple:
    if len(shape) >= ndim:
        return shape
    if ndim == 3:
        return {0: (1, 1, 1), 1: (1, *shape, 1), 2: (*shape, 1)}[len(shape)]
    return (1,) * (ndim - len(shape)) + shape


def _atleast(arys, ndim: int):
    out = []
    for a in arys:
        shape = shape_of(a)
        out.append(_s.reshape(a, _atleast_shape(shape, ndim)) if len(shape) < ndim else a)
    return out[0] if len(out) == 1 else tuple(out)


def atleast_1d(*arys):
    """Each input with at least one dimension (one array, or a tuple of them).

    >>> atleast_1d(2.0).shape
    (1,)
    """
    return _atleast(arys, 1)


def atleast_2d(*arys):
    """Each input with at least two dimensions; a 1-d ``(n,)`` becomes ``(1, n)``.

    >>> atleast_2d(np.ones(3)).shape
    (1, 3)
    """
    return _atleast(arys, 2)


def atleast_3d(*arys):
    """Each input with at least three dimensions: ``(n,)`` -> ``(1, n, 1)``, ``(m, n)`` ->
    ``(m, n, 1)``.

    >>> atleast_3d(np.ones((2, 3))).shape
    (2, 3, 1)
    """
    return _atleast(arys, 3)


# --- permuting axes ----------------------------------------------------------------------


def transpose(a, axes=None):
    """``a`` with permuted axes (reversed when ``axes`` is None), as ``np.transpose``.

    >>> transpose(np.ones((2, 3))).shape
    (3, 2)
    """
    n = ndim_of(a)
    axes = tuple(reversed(range(n))) if axes is None else tuple(int(i) % max(n, 1) for i in axes)
    return _s.transpose(a, axes)


def swapaxes(a, axis1, axis2):
    """``a`` with ``axis1`` and ``axis2`` exchanged.

    >>> swapaxes(np.ones((2, 3, 4)), 0, -1).shape
    (4, 3, 2)
    """
    n = ndim_of(a)
    axes = list(range(n))
    i, j = _axis(axis1, n), _axis(axis2, n)
    axes[i], axes[j] = axes[j], axes[i]
    return _s.transpose(a, tuple(axes))


def moveaxis(a, source, destination):
    """``a`` with the axes ``source`` moved to the positions ``destination``.

    >>> moveaxis(np.ones((2, 3, 4)), 0, -1).shape
    (3, 4, 2)
    """
    n = ndim_of(a)
    source = [_axis(i, n) for i in np.atleast_1d(source)]
    destination = [_axis(i, n) for i in np.atleast_1d(destination)]
    if len(source) != len(destination):
        raise ValueError(
            "`source` and `destination` arguments must have the same number of elements"
        )
    order = [i for i in range(n) if i not in source]
    for dest, src in sorted(zip(destination, source)):
        order.insert(dest, src)
    return _s.transpose(a, tuple(order))


# --- joining and splitting ---------------------------------------------------------------


def concatenate(arrays, axis=0, out=None, dtype=None):
    """The arrays joined along an existing ``axis`` (flattened first if ``axis`` is None).

    >>> concatenate([np.ones((2, 3)), np.zeros((1, 3))]).shape
    (3, 3)
    """
    if out is not None:
        raise TypeError("pnp.concatenate does not support out=: pullback arrays are immutable")
    arrays = list(arrays)
    if axis is None:
        arrays = [ravel(a) for a in arrays]
        axis = 0
    if dtype is not None:
        arrays = [_astype(a, dtype) for a in arrays]
    return _s.concatenate(*arrays, axis=_axis(axis, ndim_of(arrays[0])))


def stack(arrays, axis=0, out=None, dtype=None):
    """The arrays (all of one shape) joined along a new ``axis``.

    >>> stack([np.ones(3), np.zeros(3)], axis=1).shape
    (3, 2)
    """
    if out is not None:
        raise TypeError("pnp.stack does not support out=: pullback arrays are immutable")
    arrays = list(arrays)
    shapes = {shape_of(a) for a in arrays}
    if len(shapes) > 1:
        raise ValueError(f"all input arrays must have the same shape, got {sorted(shapes)}")
    if dtype is not None:
        arrays = [_astype(a, dtype) for a in arrays]
    return _s.stack(arrays, _axis(axis, ndim_of(arrays[0]) + 1))


def hstack(tup, dtype=None):
    """The arrays joined column-wise (along axis 1, or axis 0 for 1-d arrays).

    >>> hstack([np.ones(2), np.zeros(3)]).shape
    (5,)
    """
    arrays = [atleast_1d(a) for a in tup]
    return concatenate(arrays, axis=0 if ndim_of(arrays[0]) == 1 else 1, dtype=dtype)


def vstack(tup, dtype=None):
    """The arrays joined row-wise (1-d ``(n,)`` arrays become rows ``(1, n)``).

    >>> vstack([np.ones(3), np.zeros(3)]).shape
    (2, 3)
    """
    return concatenate([atleast_2d(a) for a in tup], axis=0, dtype=dtype)


def dstack(tup):
    """The arrays joined depth-wise, along the third axis.

    >>> dstack([np.ones((2, 3)), np.zeros((2, 3))]).shape
    (2, 3, 2)
    """
    return concatenate([atleast_3d(a) for a in tup], axis=2)


def array_split(ary, indices_or_sections, axis=0):
    """``ary`` cut into pieces along ``axis``: N nearly equal ones, or at the given indices.

    >>> [p.shape for p in array_split(np.ones(5), 2)]
    [(3,), (2,)]
    """
    shape = shape_of(ary)
    axis = _axis(axis, len(shape))
    n = shape[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        sections = operator.index(indices_or_sections)
        if sections <= 0:
            raise ValueError("number sections must be larger than 0.")
        size, extra = divmod(n, sections)
        bounds = np.cumsum([size + 1] * extra + [size] * (sections - extra))[:-1]
    else:
        bounds = [min(max(int(i) + (n if i < 0 else 0), 0), n) for i in indices_or_sections]
    return _s.split_at(ary, [int(b) for b in bounds], axis)


def split(ary, indices_or_sections, axis=0):
    """``ary`` cut into equal pieces along ``axis``, or at the given indices.

    Raises:
        ValueError: ``indices_or_sections`` is an int that does not divide the axis.

    >>> [p.shape for p in split(np.ones((4, 2)), 2)]
    [(2, 2), (2, 2)]
    """
    if isinstance(indices_or_sections, (int, np.integer)):
        n = shape_of(ary)[_axis(axis, ndim_of(ary))]
        if n % indices_or_sections:
            raise ValueError("array split does not result in an equal division")
    return array_split(ary, indices_or_sections, axis)


# --- rearranging entries -----------------------------------------------------------------


def flip(m, axis=None):
    """``m`` with the order of entries reversed along ``axis`` (every axis if None).

    >>> flip(np.arange(3.0))
    array([2., 1., 0.])
    """
    n = ndim_of(m)
    axes = tuple(range(n)) if axis is None else normalize_axis(axis, n)
    return _s.flip(m, axes)


def fliplr(m):
    """``m`` reversed along axis 1 (left/right).

    >>> fliplr(np.eye(2))[0]
    array([0., 1.])
    """
    if ndim_of(m) < 2:
        raise ValueError("Input must be >= 2-d.")
    return _s.flip(m, (1,))


def flipud(m):
    """``m`` reversed along axis 0 (up/down).

    >>> flipud(np.arange(3.0))
    array([2., 1., 0.])
    """
    if ndim_of(m) < 1:
        raise ValueError("Input must be >= 1-d.")
    return _s.flip(m, (0,))


def roll(a, shift, axis=None):
    """``a`` rotated by ``shift`` positions along ``axis`` (the flattened ``a`` if None).

    >>> roll(np.arange(4.0), 1)
    array([3., 0., 1., 2.])
    """
    if axis is None:
        return reshape(roll(ravel(a), shift, 0), shape_of(a))
    n = ndim_of(a)
    shifts, axes = np.broadcast_arrays(np.atleast_1d(shift), np.atleast_1d(axis))
    total = {}
    for s, ax in zip(shifts.tolist(), axes.tolist()):
        ax = _axis(ax, n)
        total[ax] = total.get(ax, 0) + s
    for ax, s in total.items():
        a = _s.roll(a, s, ax)
    return a


def tile(A, reps):
    """``A`` repeated ``reps`` times along each axis, as ``np.tile``.

    >>> tile(np.array([1.0, 2.0]), 2)
    array([1., 2., 1., 2.])
    """
    reps = tuple(int(r) for r in np.atleast_1d(reps))
    ndim = max(ndim_of(A), len(reps))
    A = _s.reshape(A, (1,) * (ndim - ndim_of(A)) + shape_of(A))
    return _s.tile(A, (1,) * (ndim - len(reps)) + reps)


def repeat(a, repeats, axis=None):
    """Each entry of ``a`` repeated ``repeats`` times along ``axis`` (flattened if None).

    >>> repeat(np.array([1.0, 2.0]), [1, 2])
    array([1., 2., 2.])
    """
    if axis is None:
        a = ravel(a)
        axis = 0
    return _s.repeat(a, np.asarray(repeats), _axis(axis, ndim_of(a)))


_GATHER_MODES = ("edge", "reflect", "symmetric", "wrap")


def pad(array, pad_width, mode="constant", **kwargs):
    """``array`` padded by ``pad_width``, as ``np.pad``.

    Supports ``mode="constant"`` (with ``constant_values``) and the modes that copy entries:
    ``"edge"``, ``"reflect"``, ``"symmetric"`` and ``"wrap"``.

    >>> pad(np.array([1.0, 2.0]), 1, mode="edge")
    array([1., 1., 2., 2.])
    """
    n = ndim_of(array)
    width = np.broadcast_to(np.asarray(pad_width, dtype=np.intp), (n, 2))
    width = tuple((int(b), int(a)) for b, a in width)
    if mode == "constant" and set(kwargs) <= {"constant_values"}:
        value = kwargs.get("constant_values", 0)
        return _s.pad(array, pad_width=width, constant_values=value)
    if mode in _GATHER_MODES and not kwargs:
        return _s.pad_gather(array, width, mode)
    raise ValueError(
        f"pnp.pad supports mode='constant' (with constant_values) and modes {_GATHER_MODES} "
        f"without options; got mode={mode!r} with options {sorted(kwargs)}"
    )


# --- sorting -----------------------------------------------------------------------------


def sort(a, axis=-1, kind=None, order=None):
    """``a`` sorted along ``axis`` (flattened if None); differentiable, as a gather.

    >>> sort(np.array([3.0, 1.0, 2.0]))
    array([1., 2., 3.])
    """
    _no_order(order, "sort")
    if axis is None:
        a = ravel(a)
        axis = 0
    return _s.sort(a, _axis(axis, ndim_of(a)))


def argsort(a, axis=-1, kind=None, order=None):
    """Indices that sort ``a`` along ``axis`` (stable); not differentiable.

    >>> argsort(np.array([3.0, 1.0, 2.0]))
    array([1, 2, 0])
    """
    _no_order(order, "argsort")
    if axis is not None:
        axis = _axis(axis, ndim_of(a))
    return _s.argsort(a, axis=axis)


def _no_order(order, name: str) -> None:
    if order is not None:
        raise TypeError(f"pnp.{name} does not support order= (structured arrays)")
