"""``pnp.linalg``: NumPy's linear-algebra names, differentiable.

Every function accepts stacks of matrices ``(..., m, n)``. The decompositions return the named
tuples NumPy 2 returns (``EighResult``, ``SVDResult``, ...). Notes on derivatives:

- ``cholesky``, ``eigh`` and ``eigvalsh`` factor the symmetric part ``(a + a^T) / 2`` (NumPy
  reads the lower triangle; both agree on symmetric input).
- ``eigh``'s eigenvectors and ``svd``'s ``u``/``vh`` assume distinct eigen/singular values;
  ``eigvalsh``, ``svdvals`` and ``svd(a, compute_uv=False)`` do not.
- ``qr`` is differentiable for ``m >= n``; ``pinv`` where the rank is locally constant.
- ``norm``'s derivatives at the zero vector are exactly 0.

>>> import pullback as pb, pullback.numpy as pnp, numpy as np
>>> pb.grad(lambda a: pnp.linalg.det(a))(np.eye(2))
array([[1., 0.],
       [0., 1.]])
"""

from __future__ import annotations

import operator
from typing import NamedTuple

from .._core.tensor import shape_of
from ..ops import linalg as _la
from ..ops.linalg import cholesky as cholesky
from ..ops.linalg import det as det
from ..ops.linalg import eigvalsh as _eigvalsh
from ..ops.linalg import inv as inv
from ..ops.linalg import svdvals as svdvals
from ..ops.products import matmul as matmul
from ..ops.shape import reshape as _reshape
from ._util import ndim_of

__all__ = [
    "cholesky",
    "det",
    "eigh",
    "eigvalsh",
    "inv",
    "matmul",
    "matrix_power",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "svd",
    "svdvals",
]


class SlogdetResult(NamedTuple):
    sign: object
    logabsdet: object


class EighResult(NamedTuple):
    eigenvalues: object
    eigenvectors: object


class QRResult(NamedTuple):
    Q: object
    R: object


class SVDResult(NamedTuple):
    U: object
    S: object
    Vh: object


def solve(a, b):
    """``x`` with ``a @ x == b``: ``a`` of shape ``(..., n, n)``, ``b`` of shape ``(n,)`` or
    ``(..., n, k)`` (NumPy 2's rule), broadcasting over the stacks.

    >>> import numpy as np
    >>> solve(2 * np.eye(2), np.ones(2))
    array([0.5, 0.5])
    """
    if ndim_of(b) == 1:
        x = _la.solve(a, _reshape(b, shape_of(b) + (1,)))
        return _reshape(x, shape_of(x)[:-1])
    return _la.solve(a, b)


def slogdet(a):
    """``(sign, logabsdet)`` of each matrix; ``sign`` carries no derivative.

    >>> import numpy as np
    >>> sign, logabsdet = slogdet(-2 * np.eye(2))
    >>> float(sign), round(float(logabsdet), 6)
    (1.0, 1.386294)
    """
    return SlogdetResult(*_la.slogdet(a))


def eigh(a, UPLO="L"):
    """Eigenvalues (ascending) and eigenvectors of the symmetric part of each matrix.

    ``UPLO`` is accepted for NumPy compatibility; the symmetric part is used either way.

    >>> import numpy as np
    >>> eigh(np.diag([2.0, 1.0])).eigenvalues
    array([1., 2.])
    """
    del UPLO
    return EighResult(*_la.eigh(a))


def eigvalsh(a, UPLO="L"):
    """Eigenvalues (ascending) of the symmetric part of each matrix.

    >>> import numpy as np
    >>> eigvalsh(np.diag([2.0, 1.0]))
    array([1., 2.])
    """
    del UPLO
    return _eigvalsh(a)


def qr(a, mode="reduced"):
    """QR decomposition, ``mode`` ``"reduced"`` (``(Q, R)``) or ``"r"`` (``R`` only).

    >>> import numpy as np
    >>> qr(np.eye(2)).R.shape
    (2, 2)
    """
    if mode not in ("reduced", "r"):
        raise NotImplementedError(f"pnp.linalg.qr supports mode 'reduced' and 'r', not {mode!r}")
    q, r = _la.qr(a)
    return r if mode == "r" else QRResult(q, r)


def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    """Singular value decomposition, as ``np.linalg.svd``.

    ``full_matrices`` is honoured only for square matrices (where both forms agree): pass
    ``full_matrices=False`` for rectangular ones. With ``compute_uv=False`` only the singular
    values are returned, and their derivative needs no gaps between them.

    >>> import numpy as np
    >>> svd(np.eye(2), compute_uv=False)
    array([1., 1.])
    """
    del hermitian
    if not compute_uv:
        return svdvals(a)
    m, n = shape_of(a)[-2:]
    if full_matrices and m != n:
        raise NotImplementedError(
            f"pnp.linalg.svd of a {m}x{n} matrix needs full_matrices=False (the extra "
            "singular vectors of the full form are not unique, so have no derivative)"
        )
    return SVDResult(*_la.svd(a))


def pinv(a, rcond=None, hermitian=False):
    """Moore-Penrose pseudo-inverse of each matrix.

    >>> import numpy as np
    >>> pinv(2 * np.eye(2))
    array([[0.5, 0. ],
           [0. , 0.5]])
    """
    return _la.pinv(a, rcond=rcond, hermitian=bool(hermitian))


def matrix_power(a, n):
    """``a`` to the integer power ``n`` (``inv(a)`` powers for negative ``n``).

    >>> import numpy as np
    >>> matrix_power(2 * np.eye(2), 3)
    array([[8., 0.],
           [0., 8.]])
    """
    return _la.matrix_power(a, operator.index(n))


def norm(x, ord=None, axis=None, keepdims=False):
    """Vector or matrix norm, as ``np.linalg.norm``; its derivative at 0 is 0, never NaN.

    >>> import numpy as np, pullback as pb
    >>> pb.grad(norm)(np.zeros(3))
    array([0., 0., 0.])
    """
    nd = ndim_of(x)
    if axis is not None:
        axis = (axis,) if isinstance(axis, int) else tuple(axis)
        axis = tuple(operator.index(i) % max(nd, 1) for i in axis)
        if len(set(axis)) != len(axis):
            raise ValueError(f"norm: repeated axis in {axis}")
    return _la.norm(x, ord, axis, bool(keepdims))
