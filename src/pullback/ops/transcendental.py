"""Transcendental primitives: exponentials and logarithms, trigonometric and hyperbolic functions.

Rules are written with pullback's own ops, so each is itself differentiable. The engine
unbroadcasts cotangents, broadcasts tangents and casts dtypes: rules never do. An elementwise
op's Jacobian is diagonal, so a named VJP rule also serves as its JVP rule (``t`` for ``g``).
"""

from __future__ import annotations

import math

import numpy as np

from .._core.primitive import Primitive, defbatch, defjvp, defvjp, primitive
from ._batch import elementwise_batch
from .elementwise import (
    add,
    divide,
    equal,
    mask_zero,
    multiply,
    negative,
    sqrt,
    square,
    subtract,
    where,
)

_LN2 = float(np.log(2.0))
_LN10 = float(np.log(10.0))

# --- exponentials and logarithms ---------------------------------------------------------


@primitive(ufunc=np.exp, scalar=math.exp)
def exp(x):
    """Elementwise ``e ** x``.

    >>> float(exp(0.0))
    1.0
    """
    return np.exp(x)


defvjp(exp, lambda g, ans, x: multiply(g, ans))
defjvp(exp, lambda t, ans, x: multiply(t, ans))


@primitive(ufunc=np.exp2)
def exp2(x):
    """Elementwise ``2 ** x``.

    >>> float(exp2(3.0))
    8.0
    """
    return np.exp2(x)


defvjp(exp2, lambda g, ans, x: multiply(g, multiply(ans, _LN2)))
defjvp(exp2, lambda t, ans, x: multiply(t, multiply(ans, _LN2)))


@primitive(ufunc=np.expm1, scalar=math.expm1)
def expm1(x):
    """Elementwise ``exp(x) - 1``, accurate for small ``x``.

    >>> float(expm1(0.0))
    0.0
    """
    return np.expm1(x)


defvjp(expm1, lambda g, ans, x: multiply(g, add(ans, 1.0)))
defjvp(expm1, lambda t, ans, x: multiply(t, add(ans, 1.0)))


@primitive(ufunc=np.log, scalar=math.log)
def log(x):
    """Elementwise natural logarithm.

    >>> float(log(1.0))
    0.0
    """
    return np.log(x)


defvjp(log, lambda g, ans, x: mask_zero(g, divide(g, x)))
defjvp(log, lambda t, ans, x: divide(t, x))


@primitive(ufunc=np.log2, scalar=math.log2)
def log2(x):
    """Elementwise base-2 logarithm.

    >>> float(log2(8.0))
    3.0
    """
    return np.log2(x)


defvjp(log2, lambda g, ans, x: mask_zero(g, divide(g, multiply(x, _LN2))))
defjvp(log2, lambda t, ans, x: divide(t, multiply(x, _LN2)))


@primitive(ufunc=np.log10, scalar=math.log10)
def log10(x):
    """Elementwise base-10 logarithm.

    >>> float(log10(100.0))
    2.0
    """
    return np.log10(x)


defvjp(log10, lambda g, ans, x: mask_zero(g, divide(g, multiply(x, _LN10))))
defjvp(log10, lambda t, ans, x: divide(t, multiply(x, _LN10)))


@primitive(ufunc=np.log1p, scalar=math.log1p)
def log1p(x):
    """Elementwise ``log(1 + x)``, accurate for small ``x``.

    >>> import pullback as pb
    >>> pb.grad(log1p)(1.0)
    0.5
    """
    return np.log1p(x)


defvjp(log1p, lambda g, ans, x: mask_zero(g, divide(g, add(1.0, x))))
defjvp(log1p, lambda t, ans, x: divide(t, add(1.0, x)))


def _unmasked(ans):
    """``ans`` with ``-inf`` (every input was ``-inf``) replaced by 0, for ``x - ans``."""
    return where(equal(ans, -np.inf), 0.0, ans)


@primitive(ufunc=np.logaddexp)
def logaddexp(x, y):
    """Elementwise ``log(exp(x) + exp(y))`` without overflow.

    NOTE: the derivative ``exp(x - ans)`` is stable; where both inputs are ``-inf`` it is 0.

    >>> import pullback as pb
    >>> pb.grad(logaddexp, argnums=(0, 1))(0.0, 0.0)
    (0.5, 0.5)
    """
    return np.logaddexp(x, y)


defvjp(
    logaddexp,
    lambda g, ans, x, y: multiply(g, exp(subtract(x, _unmasked(ans)))),
    lambda g, ans, x, y: multiply(g, exp(subtract(y, _unmasked(ans)))),
)
defjvp(
    logaddexp,
    lambda t, ans, x, y: multiply(t, exp(subtract(x, _unmasked(ans)))),
    lambda t, ans, x, y: multiply(t, exp(subtract(y, _unmasked(ans)))),
)


@primitive(ufunc=np.logaddexp2)
def logaddexp2(x, y):
    """Elementwise ``log2(2 ** x + 2 ** y)`` without overflow.

    >>> float(logaddexp2(1.0, 1.0))
    2.0
    """
    return np.logaddexp2(x, y)


defvjp(
    logaddexp2,
    lambda g, ans, x, y: multiply(g, exp2(subtract(x, _unmasked(ans)))),
    lambda g, ans, x, y: multiply(g, exp2(subtract(y, _unmasked(ans)))),
)
defjvp(
    logaddexp2,
    lambda t, ans, x, y: multiply(t, exp2(subtract(x, _unmasked(ans)))),
    lambda t, ans, x, y: multiply(t, exp2(subtract(y, _unmasked(ans)))),
)

# --- trigonometry ------------------------------------------------------------------------


@primitive(ufunc=np.sin, scalar=math.sin)
def sin(x):
    """Elementwise sine.

    >>> import pullback as pb
    >>> pb.grad(sin)(0.0)
    1.0
    """
    return np.sin(x)


defvjp(sin, lambda g, ans, x: multiply(g, cos(x)))
defjvp(sin, lambda t, ans, x: multiply(t, cos(x)))


@primitive(ufunc=np.cos, scalar=math.cos)
def cos(x):
    """Elementwise cosine.

    >>> float(cos(0.0))
    1.0
    """
    return np.cos(x)


defvjp(cos, lambda g, ans, x: negative(multiply(g, sin(x))))
defjvp(cos, lambda t, ans, x: negative(multiply(t, sin(x))))


@primitive(ufunc=np.tan, scalar=math.tan)
def tan(x):
    """Elementwise tangent.

    >>> import pullback as pb
    >>> pb.grad(tan)(0.0)
    1.0
    """
    return np.tan(x)


defvjp(tan, lambda g, ans, x: multiply(g, add(1.0, square(ans))))
defjvp(tan, lambda t, ans, x: multiply(t, add(1.0, square(ans))))


def _one_minus_square(x):
    """``1 - x**2`` as ``(1 - x)(1 + x)``: no cancellation near ``|x| = 1``."""
    return multiply(subtract(1.0, x), add(1.0, x))


@primitive(ufunc=np.arcsin, scalar=math.asin)
def arcsin(x):
    """Elementwise inverse sine.

    >>> import pullback as pb
    >>> pb.grad(arcsin)(0.0)
    1.0
    """
    return np.arcsin(x)


defvjp(arcsin, lambda g, ans, x: mask_zero(g, divide(g, sqrt(_one_minus_square(x)))))
defjvp(arcsin, lambda t, ans, x: divide(t, sqrt(_one_minus_square(x))))


@primitive(ufunc=np.arccos, scalar=math.acos)
def arccos(x):
    """Elementwise inverse cosine.

    >>> import pullback as pb
    >>> pb.grad(arccos)(0.0)
    -1.0
    """
    return np.arccos(x)


defvjp(arccos, lambda g, ans, x: mask_zero(g, negative(divide(g, sqrt(_one_minus_square(x))))))
defjvp(arccos, lambda t, ans, x: negative(divide(t, sqrt(_one_minus_square(x)))))


@primitive(ufunc=np.arctan, scalar=math.atan)
def arctan(x):
    """Elementwise inverse tangent.

    >>> import pullback as pb
    >>> pb.grad(arctan)(1.0)
    0.5
    """
    return np.arctan(x)


defvjp(arctan, lambda g, ans, x: divide(g, add(1.0, square(x))))
defjvp(arctan, lambda t, ans, x: divide(t, add(1.0, square(x))))


def _arctan2_vjp_x(g, ans, x, y):
    return divide(multiply(g, y), add(square(x), square(y)))


def _arctan2_vjp_y(g, ans, x, y):
    return negative(divide(multiply(g, x), add(square(x), square(y))))


@primitive(ufunc=np.arctan2, scalar=math.atan2)
def arctan2(x, y):
    """Elementwise angle of the point ``(y, x)``: ``arctan(x / y)`` in the right quadrant.

    >>> import pullback as pb
    >>> pb.grad(arctan2, argnums=(0, 1))(1.0, 1.0)
    (0.5, -0.5)
    """
    return np.arctan2(x, y)


defvjp(arctan2, _arctan2_vjp_x, _arctan2_vjp_y)
defjvp(arctan2, _arctan2_vjp_x, _arctan2_vjp_y)


def _hypot_vjp_x(g, ans, x, y):
    # NOTE: x / ans, not x / sqrt(x**2 + y**2): no overflow. At the origin the derivative is
    # the subgradient 0 (as for a norm), via a safe denominator so no NaN reaches any order.
    return multiply(g, divide(x, where(equal(ans, 0), 1.0, ans)))


@primitive(ufunc=np.hypot, scalar=math.hypot)
def hypot(x, y):
    """Elementwise ``sqrt(x**2 + y**2)`` without overflow.

    >>> import pullback as pb
    >>> pb.grad(hypot, argnums=(0, 1))(3.0, 4.0)
    (0.6, 0.8)
    """
    return np.hypot(x, y)


defvjp(hypot, _hypot_vjp_x, lambda g, ans, x, y: _hypot_vjp_x(g, ans, y, x))
defjvp(hypot, _hypot_vjp_x, lambda t, ans, x, y: _hypot_vjp_x(t, ans, y, x))

# --- hyperbolic functions ----------------------------------------------------------------


@primitive(ufunc=np.sinh, scalar=math.sinh)
def sinh(x):
    """Elementwise hyperbolic sine.

    >>> import pullback as pb
    >>> pb.grad(sinh)(0.0)
    1.0
    """
    return np.sinh(x)


defvjp(sinh, lambda g, ans, x: multiply(g, cosh(x)))
defjvp(sinh, lambda t, ans, x: multiply(t, cosh(x)))


@primitive(ufunc=np.cosh, scalar=math.cosh)
def cosh(x):
    """Elementwise hyperbolic cosine.

    >>> float(cosh(0.0))
    1.0
    """
    return np.cosh(x)


defvjp(cosh, lambda g, ans, x: multiply(g, sinh(x)))
defjvp(cosh, lambda t, ans, x: multiply(t, sinh(x)))


@primitive(ufunc=np.tanh, scalar=math.tanh)
def tanh(x):
    """Elementwise hyperbolic tangent.

    >>> import pullback as pb
    >>> pb.grad(tanh)(1000.0)
    0.0
    """
    return np.tanh(x)


# NOTE: 1 - ans**2 is exact at |x| = 1000, where ans == 1.0 and tanh' is 0.
defvjp(tanh, lambda g, ans, x: multiply(g, subtract(1.0, multiply(ans, ans))))
defjvp(tanh, lambda t, ans, x: multiply(t, subtract(1.0, multiply(ans, ans))))


@primitive(ufunc=np.arcsinh, scalar=math.asinh)
def arcsinh(x):
    """Elementwise inverse hyperbolic sine.

    >>> import pullback as pb
    >>> pb.grad(arcsinh)(0.0)
    1.0
    """
    return np.arcsinh(x)


# NOTE: hypot(x, 1), not sqrt(x**2 + 1): finite for |x| > 1e154.
defvjp(arcsinh, lambda g, ans, x: divide(g, hypot(x, 1.0)))
defjvp(arcsinh, lambda t, ans, x: divide(t, hypot(x, 1.0)))


@primitive(ufunc=np.arccosh, scalar=math.acosh)
def arccosh(x):
    """Elementwise inverse hyperbolic cosine (``x >= 1``).

    >>> float(arccosh(1.0))
    0.0
    """
    return np.arccosh(x)


# NOTE: sqrt(x - 1) * sqrt(x + 1), not sqrt(x**2 - 1): exact near 1 and no overflow.
defvjp(
    arccosh,
    lambda g, ans, x: mask_zero(g, divide(g, multiply(sqrt(subtract(x, 1.0)), sqrt(add(x, 1.0))))),
)
defjvp(arccosh, lambda t, ans, x: divide(t, multiply(sqrt(subtract(x, 1.0)), sqrt(add(x, 1.0)))))


@primitive(ufunc=np.arctanh, scalar=math.atanh)
def arctanh(x):
    """Elementwise inverse hyperbolic tangent (``|x| < 1``).

    >>> import pullback as pb
    >>> pb.grad(arctanh)(0.0)
    1.0
    """
    return np.arctanh(x)


defvjp(arctanh, lambda g, ans, x: mask_zero(g, divide(g, _one_minus_square(x))))
defjvp(arctanh, lambda t, ans, x: divide(t, _one_minus_square(x)))


# --- batching: every primitive above is elementwise with NumPy broadcasting ----------------


def _batch_all_transcendental() -> None:
    # NOTE: the primitives imported from elementwise already have their rules from there.
    for value in list(globals().values()):
        if isinstance(value, Primitive) and value.batch is None:
            defbatch(value, elementwise_batch(value))


_batch_all_transcendental()
