"""Elementwise primitives: arithmetic, powers, exponentials, trigonometry, comparisons.

Rules are written with pullback's own ops, so each is itself differentiable. The engine
unbroadcasts cotangents, broadcasts tangents and casts dtypes: rules never do.
"""

from __future__ import annotations

import numpy as np

from .._core.primitive import defjvp, defvjp, primitive

# --- arithmetic --------------------------------------------------------------------------


@primitive
def add(x, y):
    """Elementwise ``x + y``.

    >>> import pullback as pb
    >>> pb.grad(lambda x: add(x, x))(1.0)
    2.0
    """
    return np.add(x, y)


defvjp(add, lambda g, ans, x, y: g, lambda g, ans, x, y: g)
defjvp(add, lambda t, ans, x, y: t, lambda t, ans, x, y: t)


@primitive
def subtract(x, y):
    """Elementwise ``x - y``."""
    return np.subtract(x, y)


defvjp(subtract, lambda g, ans, x, y: g, lambda g, ans, x, y: negative(g))
defjvp(subtract, lambda t, ans, x, y: t, lambda t, ans, x, y: negative(t))


@primitive
def multiply(x, y):
    """Elementwise ``x * y``."""
    return np.multiply(x, y)


defvjp(multiply, lambda g, ans, x, y: multiply(g, y), lambda g, ans, x, y: multiply(g, x))
defjvp(multiply, lambda t, ans, x, y: multiply(t, y), lambda t, ans, x, y: multiply(x, t))


@primitive
def divide(x, y):
    """Elementwise ``x / y``."""
    return np.divide(x, y)


defvjp(
    divide,
    lambda g, ans, x, y: divide(g, y),
    lambda g, ans, x, y: negative(divide(multiply(g, ans), y)),
)
defjvp(
    divide,
    lambda t, ans, x, y: divide(t, y),
    lambda t, ans, x, y: negative(divide(multiply(t, ans), y)),
)


@primitive
def negative(x):
    """Elementwise ``-x``."""
    return np.negative(x)


defvjp(negative, lambda g, ans, x: negative(g))
defjvp(negative, lambda t, ans, x: negative(t))


def _power_vjp_base(g, ans, x, y):
    # NOTE: y * x**(y-1), not y * ans / x: exact at x == 0 (d/dx x**2 at 0 is 0, not nan).
    return multiply(g, multiply(y, power(x, subtract(y, 1))))


def _power_vjp_exponent(g, ans, x, y):
    # NOTE: log(x) is nan for x < 0, where x**y is only real for integer y; zero it where ans==0.
    safe = where(equal(x, 0), 1.0, x)
    return multiply(g, where(equal(x, 0), 0.0, multiply(ans, log(safe))))


@primitive
def power(x, y):
    """Elementwise ``x ** y``."""
    return np.power(x, y)


defvjp(power, _power_vjp_base, _power_vjp_exponent)
defjvp(
    power,
    lambda t, ans, x, y: _power_vjp_base(t, ans, x, y),
    lambda t, ans, x, y: _power_vjp_exponent(t, ans, x, y),
)

# --- exponentials and trigonometry -------------------------------------------------------


@primitive
def exp(x):
    """Elementwise ``e ** x``."""
    return np.exp(x)


defvjp(exp, lambda g, ans, x: multiply(g, ans))
defjvp(exp, lambda t, ans, x: multiply(t, ans))


@primitive
def log(x):
    """Elementwise natural logarithm."""
    return np.log(x)


defvjp(log, lambda g, ans, x: divide(g, x))
defjvp(log, lambda t, ans, x: divide(t, x))


@primitive
def sin(x):
    """Elementwise sine.

    >>> import pullback as pb
    >>> pb.grad(sin)(0.0)
    1.0
    """
    return np.sin(x)


defvjp(sin, lambda g, ans, x: multiply(g, cos(x)))
defjvp(sin, lambda t, ans, x: multiply(t, cos(x)))


@primitive
def cos(x):
    """Elementwise cosine."""
    return np.cos(x)


defvjp(cos, lambda g, ans, x: negative(multiply(g, sin(x))))
defjvp(cos, lambda t, ans, x: negative(multiply(t, sin(x))))


@primitive
def tanh(x):
    """Elementwise hyperbolic tangent."""
    return np.tanh(x)


# NOTE: 1 - ans**2 is exact at |x| = 1000, where ans == 1.0 and tanh' is 0.
defvjp(tanh, lambda g, ans, x: multiply(g, subtract(1.0, multiply(ans, ans))))
defjvp(tanh, lambda t, ans, x: multiply(t, subtract(1.0, multiply(ans, ans))))

# --- selection ---------------------------------------------------------------------------


@primitive
def where(condition, x, y):
    """Elementwise ``x`` where ``condition`` holds, else ``y``."""
    return np.where(condition, x, y)


defvjp(
    where,
    None,
    lambda g, ans, c, x, y: where(c, g, 0.0),
    lambda g, ans, c, x, y: where(c, 0.0, g),
)
defjvp(
    where,
    None,
    lambda t, ans, c, x, y: where(c, t, 0.0),
    lambda t, ans, c, x, y: where(c, 0.0, t),
)

# --- dtype -------------------------------------------------------------------------------


@primitive
def astype(x, dtype):
    """``x`` converted to ``dtype``; gradients flow between floating dtypes."""
    return np.asarray(x).astype(dtype, copy=False)


defvjp(astype, lambda g, ans, x, dtype: g)
defjvp(astype, lambda t, ans, x, dtype: astype(t, dtype))

# --- comparisons (no derivative) ---------------------------------------------------------


def _comparison(ufunc):
    return primitive(ufunc, name=ufunc.__name__, differentiable=False)


equal = _comparison(np.equal)
not_equal = _comparison(np.not_equal)
less = _comparison(np.less)
less_equal = _comparison(np.less_equal)
greater = _comparison(np.greater)
greater_equal = _comparison(np.greater_equal)
logical_not = _comparison(np.logical_not)
logical_and = _comparison(np.logical_and)
logical_or = _comparison(np.logical_or)
