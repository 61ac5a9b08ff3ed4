"""``pnp.special`` (also ``pb.special``): special functions, differentiable.

Names and signatures follow ``scipy.special``, plus ``softplus``. erf, erfc, gammaln, digamma
and polygamma need SciPy (``pip install pullback[special]``).
"""

from __future__ import annotations

from ..ops import special as _s
from ..ops.special import digamma, erf, erfc, expit, gammaln, logit, softplus, xlogy
from ._util import ndim_of, normalize_axis

__all__ = [
    "digamma",
    "erf",
    "erfc",
    "expit",
    "gammaln",
    "logit",
    "logsumexp",
    "polygamma",
    "softmax",
    "softplus",
    "xlogy",
]


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
    """``log(sum(exp(a)))`` over ``axis``, stable, as ``scipy.special.logsumexp``.

    A group of all ``-inf`` gives ``-inf`` with gradient 0. ``b`` and ``return_sign`` are not
    supported: for weights ``b >= 0`` use ``logsumexp(a + log(b))``.

    >>> import numpy as np
    >>> float(logsumexp(np.array([-np.inf, -np.inf])))
    -inf
    """
    if b is not None or return_sign:
        raise NotImplementedError(
            "pnp.special.logsumexp supports neither b= nor return_sign=; "
            "for weights b >= 0 use logsumexp(a + log(b))"
        )
    return _s.logsumexp(a, axis=normalize_axis(axis, ndim_of(a)), keepdims=bool(keepdims))


def softmax(x, axis=None):
    """``exp(x) / sum(exp(x))`` over ``axis``, stable, as ``scipy.special.softmax``; an all
    ``-inf`` group gives zeros.

    >>> import numpy as np
    >>> softmax(np.array([1000.0, 1000.0]))
    array([0.5, 0.5])
    """
    return _s.softmax(x, axis=normalize_axis(axis, ndim_of(x)))


def polygamma(n, x):
    """The ``n``-th derivative of digamma at ``x`` (``n`` a non-negative int), as SciPy's.

    >>> import pullback as pb
    >>> round(pb.grad(lambda x: polygamma(0, x))(1.0), 6)
    1.644934
    """
    n = int(n)
    if n < 0:
        raise ValueError(f"polygamma needs an order n >= 0, got {n}")
    return _s.polygamma(x, n=n)
