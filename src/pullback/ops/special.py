"""Special-function primitives: erf, gammaln, digamma, polygamma, expit, softplus, logsumexp ...

erf, erfc, gammaln, digamma and polygamma evaluate with SciPy (the ``special`` extra), imported
on first use so that ``import pullback`` works without it. The others are NumPy, written to be
stable at extreme arguments (RELIABILITY H11, H12).
"""

from __future__ import annotations

import math

import numpy as np

from .._core.primitive import defbatch, defjvp, defvjp, primitive
from .._core.tensor import dtype_of
from ._batch import elementwise_batch, reduction_batch
from .elementwise import divide, equal, multiply, negative, subtract, where
from .reduce import expand_reduced
from .reduce import sum as _sum
from .transcendental import exp, log


def _scipy_special():
    """``scipy.special``, or an ImportError that says how to install it."""
    try:
        import scipy.special
    except ImportError as e:
        raise ImportError(
            "pullback's erf, erfc, gammaln, digamma and polygamma need SciPy: "
            "pip install pullback[special]"
        ) from e
    return scipy.special


def _floating(out, x):
    """``out`` in ``x``'s floating dtype (float64 for integer ``x``)."""
    dtype = dtype_of(x)
    return np.asarray(out, dtype if dtype.kind == "f" else np.float64)


# --- error functions ---------------------------------------------------------------------

_TWO_OVER_SQRT_PI = 2.0 / np.sqrt(np.pi)


def _erf_slope(x):
    """``d erf / dx = 2 / sqrt(pi) * exp(-x**2)``."""
    return multiply(_TWO_OVER_SQRT_PI, exp(negative(multiply(x, x))))


@primitive
def erf(x):
    """Elementwise error function.

    >>> import pullback as pb
    >>> round(pb.grad(erf)(0.0), 6)
    1.128379
    """
    return _scipy_special().erf(x)


defvjp(erf, lambda g, ans, x: multiply(g, _erf_slope(x)))
defjvp(erf, lambda t, ans, x: multiply(t, _erf_slope(x)))
defbatch(erf, elementwise_batch(erf))


@primitive
def erfc(x):
    """Elementwise complementary error function ``1 - erf(x)``, accurate for large ``x``.

    >>> float(erfc(0.0))
    1.0
    """
    return _scipy_special().erfc(x)


defvjp(erfc, lambda g, ans, x: negative(multiply(g, _erf_slope(x))))
defjvp(erfc, lambda t, ans, x: negative(multiply(t, _erf_slope(x))))
defbatch(erfc, elementwise_batch(erfc))

# --- gamma family ------------------------------------------------------------------------


@primitive
def gammaln(x):
    """Elementwise ``log |Gamma(x)|``.

    >>> import pullback as pb
    >>> round(pb.grad(gammaln)(1.0), 6)  # digamma(1) = -Euler's gamma
    -0.577216
    """
    return _scipy_special().gammaln(x)


defvjp(gammaln, lambda g, ans, x: multiply(g, digamma(x)))
defjvp(gammaln, lambda t, ans, x: multiply(t, digamma(x)))
defbatch(gammaln, elementwise_batch(gammaln))


@primitive
def digamma(x):
    """Elementwise digamma ``psi(x) = d/dx log Gamma(x)``.

    >>> import pullback as pb
    >>> round(pb.grad(digamma)(1.0), 6)  # pi**2 / 6
    1.644934
    """
    return _scipy_special().digamma(x)


defvjp(digamma, lambda g, ans, x: multiply(g, polygamma(x, n=1)))
defjvp(digamma, lambda t, ans, x: multiply(t, polygamma(x, n=1)))
defbatch(digamma, elementwise_batch(digamma))


@primitive
def polygamma(x, *, n):
    """Elementwise ``n``-th derivative of digamma (``n`` a static int >= 0).

    >>> round(float(polygamma(1.0, n=1)), 6)
    1.644934
    """
    return _floating(_scipy_special().polygamma(n, x), x)


defvjp(polygamma, lambda g, ans, x, n: multiply(g, polygamma(x, n=n + 1)))
defjvp(polygamma, lambda t, ans, x, n: multiply(t, polygamma(x, n=n + 1)))
defbatch(polygamma, elementwise_batch(polygamma))

# --- logistic family ---------------------------------------------------------------------


@primitive
def expit(x):
    """Elementwise logistic sigmoid ``1 / (1 + exp(-x))``, without overflow at any ``x``.

    >>> import pullback as pb
    >>> pb.grad(expit)(0.0)
    0.25
    """
    e = np.exp(-np.abs(x))
    return np.where(np.greater_equal(x, 0), 1 / (1 + e), e / (1 + e))


# NOTE: ans * (1 - ans) is exactly 0 (not NaN) at x = +-1000, where ans is 1.0 or 0.0.
defvjp(expit, lambda g, ans, x: multiply(g, multiply(ans, subtract(1.0, ans))))
defjvp(expit, lambda t, ans, x: multiply(t, multiply(ans, subtract(1.0, ans))))
defbatch(expit, elementwise_batch(expit))


@primitive
def logit(x):
    """Elementwise ``log(x / (1 - x))``, the inverse of ``expit``; +-inf at 1 and 0.

    >>> import pullback as pb
    >>> pb.grad(logit)(0.5)
    4.0
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(x) - np.log1p(-np.asarray(x))


defvjp(logit, lambda g, ans, x: divide(g, multiply(x, subtract(1.0, x))))
defjvp(logit, lambda t, ans, x: divide(t, multiply(x, subtract(1.0, x))))
defbatch(logit, elementwise_batch(logit))


@primitive
def softplus(x):
    """Elementwise ``log(1 + exp(x))``, stable: finite at -1000, exact slope 1 at +100.

    >>> import pullback as pb
    >>> pb.grad(softplus)(0.0)
    0.5
    """
    return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)


# NOTE: expit(x), not exp(x) / (1 + exp(x)): the naive quotient is inf/inf = NaN at x = 100
# in float32 (RELIABILITY H11).
defvjp(softplus, lambda g, ans, x: multiply(g, expit(x)))
defjvp(softplus, lambda t, ans, x: multiply(t, expit(x)))
defbatch(softplus, elementwise_batch(softplus))


@primitive
def xlogy(x, y):
    """Elementwise ``x * log(y)``, taken as 0 where ``x == 0`` (even at ``y == 0``).

    >>> float(xlogy(0.0, 0.0))
    0.0
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.equal(x, 0), 0.0, np.multiply(x, np.log(y)))


def _xlogy_slope_y(x, y):
    """``x / y``, taken as 0 where ``x == 0`` (even at ``y == 0``, where it would be NaN)."""
    return divide(x, where(equal(x, 0), 1.0, y))


defvjp(
    xlogy,
    lambda g, ans, x, y: multiply(g, log(y)),
    lambda g, ans, x, y: multiply(g, _xlogy_slope_y(x, y)),
)
defjvp(
    xlogy,
    lambda t, ans, x, y: multiply(t, log(y)),
    lambda t, ans, x, y: multiply(t, _xlogy_slope_y(x, y)),
)
defbatch(xlogy, elementwise_batch(xlogy))

# --- logsumexp ---------------------------------------------------------------------------


@primitive
def logsumexp(x, *, axis=None, keepdims=False):
    """``log(sum(exp(x)))`` over ``axis`` (a tuple or None), without overflow or underflow.

    An all ``-inf`` group (a fully masked row) gives ``-inf`` and a zero gradient.

    >>> import numpy as np, pullback as pb
    >>> pb.grad(logsumexp)(np.array([0.0, 0.0]))
    array([0.5, 0.5])
    """
    x = np.asarray(x)
    if x.size:
        peak = np.maximum.reduce(x, axis=axis, keepdims=True)
        # NOTE: as in softmax: with every peak finite each sum is >= 1 (no log(0) warning).
        if math.isfinite(np.add.reduce(peak, axis=None)):
            out = np.log(np.add.reduce(np.exp(x - peak), axis=axis, keepdims=True)) + peak
            return out if keepdims else np.squeeze(out, axis=axis)
    peak = np.max(x, axis=axis, keepdims=True, initial=-np.inf)
    peak = np.where(np.isfinite(peak), peak, 0.0)
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(x - peak), axis=axis, keepdims=True)) + peak
    return out if keepdims else np.squeeze(out, axis=axis)


@primitive
def softmax(x, *, axis=None):
    """``exp(x) / sum(exp(x))`` over ``axis`` (a tuple or None), stably; an all ``-inf`` group
    gives zeros (not NaN).

    NOTE: a primitive of its own, not exp(x - logsumexp(x)): the backward passes of logsumexp,
    log_softmax and cross-entropy all need these weights, and the composite took 11 primitive
    calls per use (bench/training.py, digits step). The weights are renormalised, so
    ``softmax([1000, 1000])`` is exactly ``[0.5, 0.5]``.

    >>> softmax(np.array([0.0, 0.0]))
    array([0.5, 0.5])
    """
    x = np.asarray(x)
    if x.size:
        peak = np.maximum.reduce(x, axis=axis, keepdims=True)
        # NOTE: one finiteness check of all peaks at once (their sum), not an elementwise one;
        # a non-finite peak (all -inf, inf, NaN) takes the careful path below.
        if math.isfinite(np.add.reduce(peak, axis=None)):
            e = np.exp(x - peak)
            total = np.add.reduce(e, axis=axis, keepdims=True)
            return np.divide(e, total, out=e if e.ndim else None)
    return _careful_softmax(x, axis)


def _careful_softmax(x, axis):
    """``softmax`` where a group's peak is not finite: an all ``-inf`` group gives zeros."""
    peak = np.max(x, axis=axis, keepdims=True, initial=-np.inf)
    peak = np.where(np.isfinite(peak), peak, 0.0)
    e = np.exp(x - peak)
    total = np.sum(e, axis=axis, keepdims=True)
    return e / np.where(total == 0, 1.0, total)


def _softmax_vjp(g, ans, x, axis=None):
    # NOTE: the Jacobian diag(s) - s s^T is symmetric, so this serves the JVP too.
    weighted = multiply(g, ans)
    return subtract(weighted, multiply(ans, _sum(weighted, axis=axis, keepdims=True)))


defvjp(softmax, _softmax_vjp)
defjvp(softmax, _softmax_vjp)
defbatch(softmax, reduction_batch(softmax))


def _logsumexp_vjp(g, ans, x, axis=None, keepdims=False):
    return multiply(expand_reduced(g, x, axis, keepdims), softmax(x, axis=axis))


def _logsumexp_jvp(t, ans, x, axis=None, keepdims=False):
    return _sum(multiply(t, softmax(x, axis=axis)), axis=axis, keepdims=keepdims)


defvjp(logsumexp, _logsumexp_vjp)
defjvp(logsumexp, _logsumexp_jvp)
defbatch(logsumexp, reduction_batch(logsumexp))
