"""Products and diagonals with NumPy's names and signatures: dot, einsum, trace, tril, ...

>>> import pullback as pb, pullback.numpy as pnp
>>> pb.grad(lambda a: pnp.trace(pnp.dot(a, a)))(pb.tensor([[1.0, 2.0], [3.0, 4.0]])).numpy()
array([[2., 6.],
       [4., 8.]])
"""

from __future__ import annotations

import operator

from .._core.tensor import shape_of
from ..ops import products as _products
from ..ops.elementwise import astype as _astype
from ..ops.products import inner as inner
from ..ops.products import kron as kron
from ..ops.products import matmul as matmul
from ..ops.products import outer as outer
from ..ops.products import tril as tril
from ..ops.products import triu as triu
from ..ops.products import vdot as vdot
from ._util import ndim_of

__all__ = [
    "diag",
    "diagonal",
    "dot",
    "einsum",
    "inner",
    "kron",
    "matmul",
    "outer",
    "tensordot",
    "trace",
    "tril",
    "triu",
    "vdot",
]


def dot(a, b, out=None):
    """NumPy's ``dot``: matmul for 1-d and 2-d operands, else the last axis of ``a`` against
    the second-to-last of ``b``.

    >>> import numpy as np
    >>> dot(np.ones((2, 3)), np.ones(3))
    array([3., 3.])
    """
    _no_out(out, "dot")
    return _products.dot(a, b)


def einsum(subscripts, *operands, out=None, optimize=False):
    """Einstein summation, as ``np.einsum(subscripts, *operands)``.

    Implicit (``"ij,jk"``) and explicit (``"ij,jk->ik"``) forms, repeated labels (``"ii->i"``)
    and ``...`` are supported; ``optimize`` is accepted and ignored (three or more operands
    are always contracted pairwise).

    >>> import numpy as np
    >>> float(einsum("ii", np.eye(3)))
    3.0
    """
    del optimize
    _no_out(out, "einsum")
    if not isinstance(subscripts, str):
        raise TypeError("pnp.einsum takes subscripts as a string, e.g. einsum('ij,jk', a, b)")
    shapes = [shape_of(x) for x in operands]
    return _products.einsum(*operands, subscripts=_products.explicit_subscripts(subscripts, shapes))


def tensordot(a, b, axes=2):
    """Sum of products over ``axes``: an int N (the last N of ``a`` against the first N of
    ``b``) or a pair of axis sequences, as ``np.tensordot``.

    >>> import numpy as np
    >>> tensordot(np.ones((2, 3)), np.ones((3, 4)), axes=1).shape
    (2, 4)
    """
    na, nb = ndim_of(a), ndim_of(b)
    if isinstance(axes, int):
        axes_a, axes_b = tuple(range(na - axes, na)), tuple(range(axes))
    else:
        axes_a, axes_b = (_axis_list(x) for x in axes)
    if len(axes_a) != len(axes_b):
        raise ValueError(f"tensordot: axes {axes!r} pair {len(axes_a)} with {len(axes_b)} axes")
    axes_a = tuple(operator.index(i) % na for i in axes_a)
    axes_b = tuple(operator.index(i) % nb for i in axes_b)
    return _products.tensordot(a, b, axes_a, axes_b)


def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    """Sum along the ``offset`` diagonal of axes ``axis1``, ``axis2``, as ``np.trace``.

    >>> import numpy as np
    >>> float(trace(np.eye(3)))
    3.0
    """
    _no_out(out, "trace")
    if dtype is not None:
        a = _astype(a, dtype)
    n = ndim_of(a)
    return _products.trace(a, int(offset), axis1 % n, axis2 % n)


def diagonal(a, offset=0, axis1=0, axis2=1):
    """The ``offset`` diagonal of axes ``axis1``, ``axis2``, last, as ``np.diagonal``.

    >>> import numpy as np
    >>> diagonal(np.arange(4.0).reshape(2, 2))
    array([0., 3.])
    """
    n = ndim_of(a)
    return _products.diagonal(a, offset=int(offset), axis1=axis1 % n, axis2=axis2 % n)


def diag(v, k=0):
    """The ``k``-th diagonal of 2-d ``v``, or a square matrix with 1-d ``v`` on it.

    >>> import numpy as np
    >>> diag(np.array([1.0, 2.0]))
    array([[1., 0.],
           [0., 2.]])
    """
    return _products.diag(v, int(k))


def _axis_list(axes) -> tuple:
    return (axes,) if isinstance(axes, int) else tuple(axes)


def _no_out(out, name: str) -> None:
    if out is not None:
        raise TypeError(f"pnp.{name} does not support out=: pullback arrays are immutable")
