"""``Tensor``: an array that carries tracking information for the transform levels.

A plain Tensor wraps a NumPy array. Inside a transform, the level that owns a Tensor wraps the
value one level down (``_primal``: a raw array or a Tensor of an outer level) with its own data
(a reverse-mode ``_node``, a forward-mode ``_tangent``, a batching ``_bdim``; a level reads
only its own field of its own Tensors). ``_shape`` is the logical shape: the raw shape less the
batch axes of the ``vmap`` levels in the chain. ``_raw`` is always the innermost
NumPy value, so shape and dtype never walk the chain. A Tensor whose level has finished behaves
as a plain Tensor.
"""

from __future__ import annotations

import numpy as np

_TRACKED_CONVERSION = (
    "{what} of a Tensor that {level} is differentiating would lose its gradient. "
    "Use pb.stop_gradient(x) (or x.numpy()) to use its value as a constant, or keep the "
    "computation in pullback.numpy (pnp) / np.* calls on the Tensor."
)


_FROZEN = "keep this call's value as a constant for every later call"


class Tensor:
    """An array with tracking information; the array type of pullback.

    Build one with ``pb.tensor(data)``. It supports NumPy's operators, methods and dispatch
    protocols: ``np.sin(t)`` on a Tensor returns a Tensor and is differentiable.

    >>> import pullback as pb
    >>> t = pb.tensor([1.0, 2.0])
    >>> (t * 2).numpy()
    array([2., 4.])
    """

    __slots__ = ("_raw", "_shape", "_primal", "_level", "_node", "_tangent", "_bdim", "__weakref__")
    __array_priority__ = 1000
    _on_read = None  # a Variable's hook: tapes watch trainable Variables as they are read

    def __init__(self, data, dtype=None) -> None:
        if isinstance(data, Tensor):
            data._check_untracked("Tensor(x)")
            data = data._raw
        raw = np.asarray(data, dtype=dtype)
        self._raw = raw
        self._shape = raw.shape
        self._primal = raw
        self._level = None
        self._node = None
        self._tangent = None
        self._bdim = None

    # --- identity and conversion ---------------------------------------------------------

    __hash__ = object.__hash__

    @property
    def shape(self) -> tuple[int, ...]:
        return self._shape

    @property
    def ndim(self) -> int:
        return len(self._shape)

    @property
    def size(self) -> int:
        return int(np.prod(self._shape))

    @property
    def dtype(self) -> np.dtype:
        try:
            return self._raw.dtype
        except AttributeError:  # a Python scalar
            return dtype_of(self._raw)

    @property
    def T(self) -> Tensor:
        return pnp.transpose(self)

    @property
    def mT(self) -> Tensor:
        return pnp.swapaxes(self, -1, -2)

    @property
    def at(self):
        """Functional updates: ``x.at[idx].set(v)``, ``.add(v)`` return new Tensors."""
        return pnp._indexing.AtIndexer(self)

    def numpy(self) -> np.ndarray:
        """The value as an ndarray, detached from every transform.

        Raises:
            TypeError: inside ``vmap``, where the raw value holds the whole batch.
        """
        raw = self._raw
        if self._level is None and type(raw) is np.ndarray:
            return raw  # untracked: nothing to check (optimisers read every parameter so)
        if shape_of(raw) != self._shape:
            raise TypeError(
                "numpy() of a Tensor inside pb.vmap would return the whole batch, not this "
                "example's value; compute with pnp ops inside vmap"
            )
        self._check_concrete("numpy()", _FROZEN)
        return np.asarray(self._raw)

    def item(self):
        """The value of a one-element Tensor as a Python scalar, detached."""
        self._check_concrete("item()", _FROZEN)
        return np.asarray(self._raw).item()

    def tolist(self):
        self._check_concrete("tolist()", _FROZEN)
        return self._raw.tolist()

    def _check_untracked(self, what: str) -> None:
        level = tracking_level(self)
        if level is None:
            return
        if shape_of(self._raw) != self._shape:
            raise TypeError(
                f"{what} of a Tensor that pb.vmap is batching would take the whole batch, not "
                f"this example's value. Keep the computation in pullback.numpy (pnp) / np.* "
                f"calls on the Tensor."
            )
        raise TypeError(_TRACKED_CONVERSION.format(what=what, level=_level_name(level)))

    def __array__(self, dtype=None, copy=None):
        self._check_untracked("Converting to a NumPy array (np.asarray)")
        if copy:
            return np.array(self._raw, dtype=dtype, copy=True)
        return np.asarray(self._raw, dtype=dtype)

    def __float__(self) -> float:
        self._check_concrete("float()", "freeze the value it was traced with")
        self._check_untracked("float()")
        return float(self._raw)

    def __int__(self) -> int:
        self._check_concrete("int()")
        return int(self._raw)

    def __index__(self) -> int:
        self._check_concrete(
            "Using it as an index or a length (range(), a slice bound)",
            "freeze the value it was traced with",
        )
        return self._raw.__index__()

    def __complex__(self) -> complex:
        self._check_untracked("complex()")
        return complex(self._raw)

    def __bool__(self) -> bool:
        self._check_concrete("A Python branch (if/while/and/or) on it")
        if shape_of(self._raw) != self._shape:
            raise TypeError(
                "A Python branch (if/while/and/or) on a value that pb.vmap batches would test "
                "the whole batch, not this example's value; choose per example with "
                "pnp.where(condition, a, b)"
            )
        return bool(self._raw)

    def _check_concrete(self, what: str, consequence: str = "record only this one path") -> None:
        """Tracing records operations, not values: refuse to let a traced value leave the
        graph (a branch, a conversion), which would silently freeze it."""
        t = self
        while isinstance(t, Tensor) and t._level is not None:
            if t._level.alive and getattr(t._level, "records_graph", False):
                from .errors import user_call_site

                raise TypeError(
                    f"{what} depends on a value that pb.jit / pb.trace is tracing (at "
                    f"{user_call_site()}): the graph would {consequence}. Use pnp ops "
                    f"(pnp.where for data-dependent choices), or make the value static: "
                    f"pb.jit keeps Python ints/bools out of the graph, pb.trace records every "
                    f"argument as an input."
                )
            t = t._primal

    def __len__(self) -> int:
        if not self._shape:
            raise TypeError("len() of a 0-d Tensor")
        return self._shape[0]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __repr__(self) -> str:
        body = np.array2string(np.asarray(self._raw), separator=", ", prefix="tensor(")
        level = tracking_level(self)
        tag = "" if level is None else f", tracked by {_level_name(level)}"
        return f"tensor({body}{tag})"

    def __format__(self, spec: str) -> str:
        if self.ndim == 0:
            return format(np.asarray(self._raw).item(), spec)
        return format(str(self), spec)

    # --- NumPy protocols -----------------------------------------------------------------

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return pnp._protocols.array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        return pnp._protocols.array_function(func, args, kwargs)

    def __array_namespace__(self, *, api_version=None):
        return pnp

    # --- operators -----------------------------------------------------------------------

    def __add__(self, other):
        return pnp.add(self, other)

    def __radd__(self, other):
        return pnp.add(other, self)

    def __sub__(self, other):
        return pnp.subtract(self, other)

    def __rsub__(self, other):
        return pnp.subtract(other, self)

    def __mul__(self, other):
        return pnp.multiply(self, other)

    def __rmul__(self, other):
        return pnp.multiply(other, self)

    def __truediv__(self, other):
        return pnp.divide(self, other)

    def __rtruediv__(self, other):
        return pnp.divide(other, self)

    def __floordiv__(self, other):
        return pnp.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return pnp.floor_divide(other, self)

    def __mod__(self, other):
        return pnp.mod(self, other)

    def __rmod__(self, other):
        return pnp.mod(other, self)

    def __divmod__(self, other):
        return pnp.floor_divide(self, other), pnp.mod(self, other)

    def __rdivmod__(self, other):
        return pnp.floor_divide(other, self), pnp.mod(other, self)

    def __round__(self, ndigits=None):
        """``round(t)`` and ``round(t, n)``: a Tensor, as NumPy's ``round`` of an array."""
        return pnp.round(self, 0 if ndigits is None else ndigits)

    def __pow__(self, other):
        return pnp.power(self, other)

    def __rpow__(self, other):
        return pnp.power(other, self)

    def __matmul__(self, other):
        return pnp.matmul(self, other)

    def __rmatmul__(self, other):
        return pnp.matmul(other, self)

    def __neg__(self):
        return pnp.negative(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return pnp.abs(self)

    def __eq__(self, other):
        return pnp.equal(self, other)

    def __ne__(self, other):
        return pnp.not_equal(self, other)

    def __lt__(self, other):
        return pnp.less(self, other)

    def __le__(self, other):
        return pnp.less_equal(self, other)

    def __gt__(self, other):
        return pnp.greater(self, other)

    def __ge__(self, other):
        return pnp.greater_equal(self, other)

    def __invert__(self):
        return pnp.logical_not(self)

    def __and__(self, other):
        return pnp.logical_and(self, other)

    def __or__(self, other):
        return pnp.logical_or(self, other)

    def __getitem__(self, index):
        return pnp._indexing.getitem(self, index)

    def __setitem__(self, index, value):
        raise TypeError(
            "Tensors are immutable: x[idx] = v would silently break gradients. "
            "Use x = x.at[idx].set(v), which returns an updated Tensor."
        )

    # --- methods -------------------------------------------------------------------------

    def sum(self, axis=None, dtype=None, keepdims=False):
        return pnp.sum(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def mean(self, axis=None, dtype=None, keepdims=False):
        return pnp.mean(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def prod(self, axis=None, dtype=None, keepdims=False):
        return pnp.prod(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def max(self, axis=None, keepdims=False):
        return pnp.max(self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, keepdims=False):
        return pnp.min(self, axis=axis, keepdims=keepdims)

    def var(self, axis=None, ddof=0, keepdims=False):
        return pnp.var(self, axis=axis, ddof=ddof, keepdims=keepdims)

    def std(self, axis=None, ddof=0, keepdims=False):
        return pnp.std(self, axis=axis, ddof=ddof, keepdims=keepdims)

    def cumsum(self, axis=None):
        return pnp.cumsum(self, axis=axis)

    def cumprod(self, axis=None):
        return pnp.cumprod(self, axis=axis)

    def argsort(self, axis=-1, kind=None):
        return pnp.argsort(self, axis=axis, kind=kind)

    def sort(self, axis=-1, kind=None):
        """Refused: NumPy's ``x.sort()`` sorts in place and returns None, so code that then
        reads ``x`` would silently use unsorted values. ``pnp.sort(x)`` returns a sorted copy."""
        raise TypeError(
            "Tensors are immutable: x.sort() sorts in place in NumPy, which would silently "
            "leave x unsorted here. Use x = pnp.sort(x, axis) (or np.sort(x)), which returns "
            "a sorted Tensor."
        )

    def diagonal(self, offset=0, axis1=0, axis2=1):
        return pnp.diagonal(self, offset, axis1, axis2)

    def trace(self, offset=0, axis1=0, axis2=1):
        return pnp.trace(self, offset, axis1, axis2)

    def repeat(self, repeats, axis=None):
        return pnp.repeat(self, repeats, axis=axis)

    def take(self, indices, axis=None):
        return pnp.take(self, indices, axis=axis)

    def nonzero(self):
        return pnp.nonzero(self)

    def conj(self):
        return pnp.conjugate(self)

    conjugate = conj

    @property
    def real(self) -> Tensor:
        return pnp.real(self)

    def argmax(self, axis=None):
        return pnp.argmax(self, axis=axis)

    def argmin(self, axis=None):
        return pnp.argmin(self, axis=axis)

    def reshape(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = shape[0]
        return pnp.reshape(self, shape)

    def transpose(self, *axes):
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = axes[0]
        return pnp.transpose(self, axes or None)

    def swapaxes(self, axis1, axis2):
        return pnp.swapaxes(self, axis1, axis2)

    def squeeze(self, axis=None):
        return pnp.squeeze(self, axis=axis)

    def ravel(self):
        return pnp.ravel(self)

    def flatten(self):
        return pnp.ravel(self)

    def astype(self, dtype):
        return pnp.astype(self, dtype)

    def copy(self):
        return self

    def dot(self, other):
        return pnp.dot(self, other)

    def clip(self, a_min=None, a_max=None):
        return pnp.clip(self, a_min, a_max)

    def round(self, decimals=0):
        return pnp.round(self, decimals)

    def all(self, axis=None):
        return pnp.all(self, axis=axis)

    def any(self, axis=None):
        return pnp.any(self, axis=axis)


def live(t: Tensor, stack=None):
    """``t`` without wrappers of finished levels: a Tensor of a live level, or a raw value.

    With ``stack`` (a thread's level stack), levels of other threads count as finished.
    """
    while True:
        level = t._level
        if level is None:
            return t._raw
        if level.alive and (stack is None or level.stack is stack):
            return t
        t = t._primal
        if not isinstance(t, Tensor):
            return t


def tracking_level(x):
    """The innermost live level that tracks ``x``, or ``None``."""
    if not isinstance(x, Tensor):
        return None
    x = live(x)
    return x._level if isinstance(x, Tensor) else None


def _level_name(level) -> str:
    return getattr(level, "display_name", type(level).__name__)


def wrap(primal, level, node=None, tangent=None) -> Tensor:
    """A Tensor of ``level`` over ``primal`` (a raw value or a Tensor of an outer level)."""
    t = Tensor.__new__(Tensor)
    if isinstance(primal, Tensor):
        t._raw = primal._raw
        t._shape = primal._shape
    else:
        t._raw = primal
        t._shape = shape_of(primal)
    t._primal = primal
    t._level = level
    t._node = node
    t._tangent = tangent
    t._bdim = None
    return t


def shape_of(x) -> tuple[int, ...]:
    """The shape of an array, Tensor or Python scalar."""
    try:
        return x.shape
    except AttributeError:
        return () if type(x) in _PYTHON_SCALARS else np.shape(x)


_PYTHON_SCALARS = (float, int, bool, complex)


def dtype_of(x) -> np.dtype:
    """The dtype of an array, Tensor or Python scalar."""
    try:
        return x.dtype
    except AttributeError:
        dtype = _PYTHON_DTYPES.get(type(x))
        return np.asarray(x).dtype if dtype is None else dtype


# NOTE: not int: a Python int's dtype depends on its size.
_PYTHON_DTYPES = {
    float: np.dtype(np.float64),
    bool: np.dtype(np.bool_),
    complex: np.dtype(np.complex128),
}


def tensor(data, dtype=None) -> Tensor:
    """A Tensor of array-like ``data``; a Tensor that a transform tracks is returned as it is
    (cast with ``astype`` if ``dtype`` differs), so its gradient is kept.

    >>> import pullback as pb
    >>> pb.tensor([1.0, 2.0]).shape
    (2,)
    """
    if tracking_level(data) is not None:
        return data if dtype is None or np.dtype(dtype) == data.dtype else data.astype(dtype)
    return Tensor(data, dtype)


# NOTE: imported last; the operators map onto pnp, and pnp's ops import this module.
from .. import numpy as pnp  # noqa: E402
