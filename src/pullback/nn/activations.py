"""Activation functions, written with ``pnp`` so they differentiate to any order.

Each takes an array or Tensor of any shape and returns the same shape and dtype.
"""

from __future__ import annotations

import math

import numpy as np

import pullback as pb
import pullback.numpy as pnp


def _relu_impl(x):
    return np.maximum(x, 0)


def _relu_scalar(x):
    return x if x > 0 or x != x else 0.0


# NOTE: a primitive built with the public API, not where(x > 0, x, 0): one recorded op
# instead of two, and NumPy's maximum instead of where (bench seed-000 conv step: 12 -> 4 us
# forward). maximum(x, 0) itself could not be used: its gradient at 0 is 1/2. NaN propagates,
# as in PyTorch and JAX.
_relu = pb.primitive(_relu_impl, name="relu", scalar=_relu_scalar)


def _relu_vjp(g, ans, x):
    if type(g) is np.ndarray and type(x) is np.ndarray:
        return np.where(x > 0, g, np.zeros((), g.dtype))  # a first-order backward pass
    return pnp.where(x > 0, g, 0.0)


pb.defvjp(_relu, _relu_vjp)
pb.defjvp(_relu, lambda t, ans, x: pnp.where(x > 0, t, 0.0))
pb.defbatch(_relu, lambda args, dims: (_relu(args[0]), dims[0]))


def relu(x):
    """``max(x, 0)``, with gradient 0 at 0; NaN stays NaN.

    >>> relu(np.array([-1.0, 0.0, 2.0]))
    array([0., 0., 2.])
    """
    return _relu(x)


def relu6(x):
    """``min(max(x, 0), 6)``, with gradient 0 at both kinks.

    >>> relu6(np.array([-1.0, 3.0, 8.0]))
    array([0., 3., 6.])
    """
    return pnp.where(x > 0, pnp.where(x < 6, x, 6), 0)


def sigmoid(x):
    """The logistic function ``1 / (1 + exp(-x))``, stable for large ``|x|``.

    >>> sigmoid(np.array([0.0]))
    array([0.5])
    """
    return pnp.special.expit(x)


def tanh(x):
    """Hyperbolic tangent.

    >>> tanh(np.array([0.0]))
    array([0.])
    """
    return pnp.tanh(x)


def elu(x, alpha: float = 1.0):
    """``x`` for ``x > 0``, else ``alpha * (exp(x) - 1)`` (Clevert et al. 2015).

    >>> elu(np.array([1.0, 0.0]))
    array([1., 0.])
    """
    # NOTE: expm1 of x clamped to <= 0 keeps the unused branch finite, so its zero gradient is
    # not NaN; clamped with where, not minimum, whose tie at 0 would halve the gradient there
    # (it is alpha, from the exp branch, as in PyTorch and JAX).
    negative = pnp.where(x > 0, 0.0, x)
    return pnp.where(x > 0, x, alpha * pnp.expm1(negative))


def gelu(x, approximate: bool = False):
    """Gaussian error linear unit ``x * Phi(x)`` (Hendrycks and Gimpel 2016).

    Args:
        approximate: use the tanh approximation
            ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`` instead of the exact erf form.

    >>> gelu(np.array([0.0, 1.0])).round(4)
    array([0.    , 0.8413])
    """
    if approximate:
        inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)
        return 0.5 * x * (1 + pnp.tanh(inner))
    return 0.5 * x * (1 + pnp.special.erf(x / math.sqrt(2.0)))


def softplus(x):
    """``log(1 + exp(x))``, stable for large ``|x|``.

    >>> softplus(np.array([0.0])).round(4)
    array([0.6931])
    """
    return pnp.special.softplus(x)


def log_softmax(x, axis: int = -1):
    """``x - logsumexp(x)`` along ``axis``: log-probabilities, stable for large logits.

    >>> np.exp(log_softmax(np.array([1000.0, 1000.0])))
    array([0.5, 0.5])
    """
    return x - pnp.special.logsumexp(x, axis=axis, keepdims=True)


def softmax(x, axis: int = -1):
    """``exp(x) / sum(exp(x))`` along ``axis``, computed stably (``pnp.special.softmax``).

    >>> softmax(np.array([0.0, 0.0]))
    array([0.5, 0.5])
    """
    return pnp.special.softmax(x, axis=axis)
