"""Elementwise primitives: arithmetic, powers, selection, rounding, comparisons, dtypes.

Exponentials, logarithms, trigonometric and hyperbolic functions are in ``transcendental.py``.

Rules are written with pullback's own ops, so each is itself differentiable. The engine
unbroadcasts cotangents, broadcasts tangents and casts dtypes: rules never do. An elementwise
op's Jacobian is diagonal, so a named VJP rule also serves as its JVP rule (``t`` for ``g``).
"""

from __future__ import annotations

import math
import operator

import numpy as np

from .._core.primitive import Primitive, defbatch, defjvp, defvjp, identity_rule, primitive
from ._batch import elementwise_batch

# --- the scalar implementations ``jit`` replays graphs of Python floats with ---------------
# NOTE: each gives NumPy's value on floats (NaN handling included) or raises where NumPy
# would return inf/nan with a warning; ``jit`` then replays with NumPy (graph/replay.py).


def _square_scalar(x):
    return x * x


def _reciprocal_scalar(x):
    return 1.0 / x


def _mask_zero_scalar(m, v):
    return 0.0 if m == 0 and not math.isfinite(v) else v


def _where_scalar(condition, x, y):
    # NOTE: float if either branch is, as NumPy promotes: where(x > 0, x, 0) is 0.0, not 0.
    picked = x if condition else y
    return float(picked) if isinstance(x, float) or isinstance(y, float) else picked


def _maximum_scalar(x, y):
    return float(x if x >= y or x != x else y)  # float(): maximum(-1.0, 0) is 0.0


def _minimum_scalar(x, y):
    return float(x if x <= y or x != x else y)


def _sign_scalar(x):
    return float((x > 0) - (x < 0)) if x == x else x


def _picked_scalar(x, y, ans):
    if ans != ans:
        return math.nan
    return 0.5 if x == y else float(x == ans)


def _both(x, y):
    return bool(x) and bool(y)


def _either(x, y):
    return bool(x) or bool(y)


def _differ(x, y):
    return bool(x) != bool(y)


# --- arithmetic --------------------------------------------------------------------------


@primitive(ufunc=np.add, scalar=operator.add)
def add(x, y):
    """Elementwise ``x + y``.

    >>> import pullback as pb
    >>> pb.grad(lambda x: add(x, x))(1.0)
    2.0
    """
    return np.add(x, y)


defvjp(add, identity_rule, identity_rule)
defjvp(add, lambda t, ans, x, y: t, lambda t, ans, x, y: t)


@primitive(ufunc=np.subtract, scalar=operator.sub)
def subtract(x, y):
    """Elementwise ``x - y``.

    >>> float(subtract(3.0, 1.0))
    2.0
    """
    return np.subtract(x, y)


defvjp(subtract, identity_rule, lambda g, ans, x, y: negative(g))
defjvp(subtract, lambda t, ans, x, y: t, lambda t, ans, x, y: negative(t))


@primitive(ufunc=np.multiply, scalar=operator.mul)
def multiply(x, y):
    """Elementwise ``x * y``.

    >>> float(multiply(2.0, 3.0))
    6.0
    """
    return np.multiply(x, y)


def _times(g, factor):
    """``g * factor``; on a plain array and a plain factor, or two floats (a first-order
    backward pass), the implementation itself, without ``bind``, which would only call it
    (bench/overhead.py, bench/scalar.py)."""
    if type(g) is np.ndarray and (type(factor) is np.ndarray or type(factor) is float):
        return multiply.impl(g, factor)
    if type(g) is float and type(factor) is float and multiply.scalar is not None:
        return g * factor  # multiply's scalar implementation (None under debug_nans)
    return multiply(g, factor)


defvjp(multiply, lambda g, ans, x, y: _times(g, y), lambda g, ans, x, y: _times(g, x))
defjvp(multiply, lambda t, ans, x, y: multiply(t, y), lambda t, ans, x, y: multiply(x, t))


@primitive(scalar=_mask_zero_scalar)
def mask_zero(m, v):
    """``v``, but 0 where ``m`` is 0 and ``v`` is not finite (``m`` is a mask, not
    differentiated).

    NOTE: VJP rules whose local derivative can be infinite (log, sqrt, divide, ...) wrap their
    result in ``mask_zero(g, ...)``: a zero cotangent then gives an exact zero, not 0 * inf =
    nan. This is what keeps the branch ``pnp.where`` did not select from leaking NaN into the
    gradient: ``grad(lambda x: where(x > 0, log(x), 0.0))(0.0) == 0.0``. Where ``v`` is finite
    it is left alone (it is 0 there anyway), so derivatives through it are exact even where a
    cotangent happens to be 0.

    >>> float(mask_zero(0.0, np.inf))
    0.0
    """
    # NOTE: the check first: most cotangents have no zeros (bench/scalar.py, 13 us -> 2 us).
    if (m != 0) if getattr(m, "ndim", 0) == 0 else m.all():
        return v
    bad = np.equal(m, 0) & ~np.isfinite(v)
    return np.where(bad, np.zeros((), np.result_type(v)), v)


def _masked_like(m, v, g):
    return where(logical_and(equal(m, 0), logical_not(isfinite(v))), 0.0, g)


defvjp(mask_zero, None, lambda g, ans, m, v: _masked_like(m, v, g))
defjvp(mask_zero, None, lambda t, ans, m, v: _masked_like(m, v, t))


@primitive(ufunc=np.divide, scalar=operator.truediv)
def divide(x, y):
    """Elementwise ``x / y`` (alias ``true_divide``).

    >>> float(divide(1.0, 4.0))
    0.25
    """
    return np.divide(x, y)


defvjp(
    divide,
    lambda g, ans, x, y: mask_zero(g, divide(g, y)),
    lambda g, ans, x, y: mask_zero(g, negative(divide(multiply(g, ans), y))),
)
defjvp(
    divide,
    lambda t, ans, x, y: divide(t, y),
    lambda t, ans, x, y: negative(divide(multiply(t, ans), y)),
)

true_divide = divide


@primitive(ufunc=np.negative, scalar=operator.neg)
def negative(x):
    """Elementwise ``-x``.

    >>> float(negative(2.0))
    -2.0
    """
    return np.negative(x)


defvjp(negative, lambda g, ans, x: negative(g))
defjvp(negative, lambda t, ans, x: negative(t))


@primitive(ufunc=np.positive, scalar=operator.pos)
def positive(x):
    """Elementwise ``+x``.

    >>> float(positive(-2.0))
    -2.0
    """
    return np.positive(x)


defvjp(positive, identity_rule)
defjvp(positive, lambda t, ans, x: t)


@primitive(ufunc=np.absolute, scalar=abs)
def absolute(x):
    """Elementwise ``|x|`` (alias ``abs``).

    NOTE: the derivative at 0 is the subgradient 0 (``sign(0)``), and ``±1`` elsewhere.

    >>> import pullback as pb
    >>> pb.grad(absolute)(-2.0), pb.grad(absolute)(0.0)
    (-1.0, 0.0)
    """
    return np.absolute(x)


defvjp(absolute, lambda g, ans, x: multiply(g, sign(x)))
defjvp(absolute, lambda t, ans, x: multiply(t, sign(x)))

abs = absolute


@primitive(ufunc=np.square, scalar=_square_scalar)
def square(x):
    """Elementwise ``x ** 2``.

    >>> import pullback as pb
    >>> pb.grad(square)(3.0)
    6.0
    """
    return np.square(x)


defvjp(square, lambda g, ans, x: multiply(g, multiply(2.0, x)))
defjvp(square, lambda t, ans, x: multiply(t, multiply(2.0, x)))


@primitive(ufunc=np.reciprocal, scalar=_reciprocal_scalar)
def reciprocal(x):
    """Elementwise ``1 / x``.

    >>> import pullback as pb
    >>> pb.grad(reciprocal)(2.0)
    -0.25
    """
    return np.reciprocal(x)


# NOTE: -g / x**2 rather than -g * ans**2: a division keeps higher orders masked at x = 0.
defvjp(reciprocal, lambda g, ans, x: mask_zero(g, negative(divide(g, square(x)))))
defjvp(reciprocal, lambda t, ans, x: negative(multiply(t, square(ans))))


def _power_vjp_base(g, ans, x, y):
    # NOTE: y * x**(y-1), not y * ans / x: exact at x == 0 (d/dx x**2 at 0 is 0, not nan).
    return multiply(g, multiply(y, power(x, subtract(y, 1))))


def _power_vjp_exponent(g, ans, x, y):
    # NOTE: imported here, not at the top: transcendental.py imports this module.
    from .transcendental import log

    # NOTE: log(x) is nan for x < 0, where x**y is only real for integer y; zero it where ans==0.
    safe = where(equal(x, 0), 1.0, x)
    return multiply(g, where(equal(x, 0), 0.0, multiply(ans, log(safe))))


@primitive(ufunc=np.power, scalar=math.pow)
def power(x, y):
    """Elementwise ``x ** y``.

    >>> float(power(2.0, 3.0))
    8.0
    """
    return np.power(x, y)


defvjp(power, lambda g, ans, x, y: mask_zero(g, _power_vjp_base(g, ans, x, y)), _power_vjp_exponent)
defjvp(power, _power_vjp_base, _power_vjp_exponent)


@primitive(ufunc=np.sqrt, scalar=math.sqrt)
def sqrt(x):
    """Elementwise square root.

    NOTE: the derivative at 0 is ``+inf`` (1 / (2 sqrt(0))), not an error.

    >>> import pullback as pb
    >>> pb.grad(sqrt)(4.0)
    0.25
    """
    return np.sqrt(x)


defvjp(sqrt, lambda g, ans, x: mask_zero(g, divide(g, multiply(2.0, ans))))
defjvp(sqrt, lambda t, ans, x: divide(t, multiply(2.0, ans)))


@primitive(ufunc=np.cbrt)
def cbrt(x):
    """Elementwise cube root (real, also for negative ``x``).

    >>> float(cbrt(-8.0))
    -2.0
    """
    return np.cbrt(x)


defvjp(cbrt, lambda g, ans, x: mask_zero(g, divide(g, multiply(3.0, square(ans)))))
defjvp(cbrt, lambda t, ans, x: divide(t, multiply(3.0, square(ans))))

# --- selection ---------------------------------------------------------------------------


@primitive(scalar=_where_scalar)
def where(condition, x, y):
    """Elementwise ``x`` where ``condition`` holds, else ``y``.

    >>> where(np.array([True, False]), 1.0, 2.0)
    array([1., 2.])
    """
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


@primitive(differentiable=False, scalar=_picked_scalar)
def picked(x, y, ans):
    """1 where ``x`` was picked as ``ans``, 1/2 on ties, NaN where ``ans`` is NaN: the
    derivative of ``maximum``/``minimum``/``fmax``/``fmin`` with respect to ``x``.

    NOTE: ties split the derivative evenly, so maximum(x, x) has derivative 1 in total.
    Comparing with ans also fits fmax/fmin, whose NaN argument is never picked. One primitive
    rather than six where/equal ops (bench/mlp.py, ReLU as maximum(h, 0): 1.19x -> 1.03x of
    hand-written NumPy).

    >>> picked(np.array([1.0, 2.0, 3.0]), 2.0, np.array([2.0, 2.0, 3.0])).tolist()
    [0.0, 0.5, 1.0]
    """
    ans = np.asarray(ans)
    chosen = np.asarray(np.equal(x, ans))
    weight = chosen.astype(ans.dtype if ans.dtype.kind in "fc" else np.float64)
    ties = np.equal(x, y)  # where x == y, both were picked
    if ties.any():
        weight[np.broadcast_to(ties, weight.shape)] = 0.5
    if _has_nan(ans):
        weight[np.broadcast_to(np.isnan(ans), weight.shape)] = np.nan
    return weight


def _has_nan(a: np.ndarray) -> bool:
    # NOTE: min propagates NaN without allocating an array of flags.
    return a.dtype.kind in "fc" and a.size > 0 and bool(np.isnan(np.min(a)))


def _picked(x, y, ans):
    return picked(x, y, ans)


def _pick_vjp_x(g, ans, x, y):
    return multiply(g, _picked(x, y, ans))


def _pick_vjp_y(g, ans, x, y):
    return multiply(g, _picked(y, x, ans))


@primitive(ufunc=np.maximum, scalar=_maximum_scalar)
def maximum(x, y):
    """Elementwise larger of ``x`` and ``y``; NaN if either is NaN.

    NOTE: at a tie the derivative is split evenly between ``x`` and ``y``.

    >>> import pullback as pb
    >>> pb.grad(maximum, argnums=(0, 1))(1.0, 1.0)
    (0.5, 0.5)
    """
    return np.maximum(x, y)


defvjp(maximum, _pick_vjp_x, _pick_vjp_y)
defjvp(maximum, _pick_vjp_x, _pick_vjp_y)


@primitive(ufunc=np.minimum, scalar=_minimum_scalar)
def minimum(x, y):
    """Elementwise smaller of ``x`` and ``y``; NaN if either is NaN. Ties split evenly.

    >>> import pullback as pb
    >>> pb.grad(minimum, argnums=(0, 1))(1.0, 2.0)
    (1.0, 0.0)
    """
    return np.minimum(x, y)


defvjp(minimum, _pick_vjp_x, _pick_vjp_y)
defjvp(minimum, _pick_vjp_x, _pick_vjp_y)


@primitive(ufunc=np.fmax)
def fmax(x, y):
    """Elementwise larger of ``x`` and ``y``, ignoring a NaN. Ties split evenly.

    >>> float(fmax(np.nan, 1.0))
    1.0
    """
    return np.fmax(x, y)


defvjp(fmax, _pick_vjp_x, _pick_vjp_y)
defjvp(fmax, _pick_vjp_x, _pick_vjp_y)


@primitive(ufunc=np.fmin)
def fmin(x, y):
    """Elementwise smaller of ``x`` and ``y``, ignoring a NaN. Ties split evenly.

    >>> float(fmin(np.nan, 1.0))
    1.0
    """
    return np.fmin(x, y)


defvjp(fmin, _pick_vjp_x, _pick_vjp_y)
defjvp(fmin, _pick_vjp_x, _pick_vjp_y)


def _outside(x, a_min, a_max):
    """Where ``x`` lies strictly outside ``[a_min, a_max]``; a ``None`` bound is infinite."""
    lo = -np.inf if a_min is None else a_min
    hi = np.inf if a_max is None else a_max
    return logical_or(less(x, lo), greater(x, hi))


@primitive
def clip(x, a_min, a_max):
    """Elementwise ``x`` limited to ``[a_min, a_max]``; either bound may be ``None``.

    The bounds may be scalars or arrays that broadcast against ``x``, and are differentiable
    (each gets the derivative where ``x`` lies strictly beyond it); ``a_min <= a_max``.

    NOTE: the derivative with respect to ``x`` is 1 strictly inside AND on the boundary
    (``x == a_min`` or ``x == a_max``), and 0 strictly outside.

    >>> import pullback as pb
    >>> [pb.grad(lambda x: clip(x, 0.0, 1.0))(x) for x in (-0.5, 0.0, 1.0, 1.5)]
    [0.0, 1.0, 1.0, 0.0]
    """
    return np.clip(x, a_min, a_max)


defvjp(
    clip,
    lambda g, ans, x, a_min, a_max: where(_outside(x, a_min, a_max), 0.0, g),
    lambda g, ans, x, a_min, a_max: where(less(x, a_min), g, 0.0),
    lambda g, ans, x, a_min, a_max: where(greater(x, a_max), g, 0.0),
)
defjvp(
    clip,
    lambda t, ans, x, a_min, a_max: where(_outside(x, a_min, a_max), 0.0, t),
    lambda t, ans, x, a_min, a_max: where(less(x, a_min), t, 0.0),
    lambda t, ans, x, a_min, a_max: where(greater(x, a_max), t, 0.0),
)

# --- remainders --------------------------------------------------------------------------


@primitive(ufunc=np.remainder)
def remainder(x, y):
    """Elementwise ``x - y * floor(x / y)``, the sign of ``y`` (alias ``mod``).

    NOTE: ``d/dx = 1`` and ``d/dy = -floor(x / y)``, away from the jumps at ``x / y`` integer.

    >>> import pullback as pb
    >>> pb.grad(remainder, argnums=(0, 1))(7.5, 2.0)
    (1.0, -3.0)
    """
    return np.remainder(x, y)


defvjp(
    remainder,
    lambda g, ans, x, y: g,
    lambda g, ans, x, y: negative(multiply(g, floor_divide(x, y))),
)
defjvp(
    remainder,
    lambda t, ans, x, y: t,
    lambda t, ans, x, y: negative(multiply(t, floor_divide(x, y))),
)

mod = remainder


@primitive(ufunc=np.fmod)
def fmod(x, y):
    """Elementwise C-style remainder ``x - y * trunc(x / y)``, the sign of ``x``.

    >>> import pullback as pb
    >>> pb.grad(fmod, argnums=(0, 1))(-7.5, 2.0)
    (1.0, 3.0)
    """
    return np.fmod(x, y)


defvjp(
    fmod,
    lambda g, ans, x, y: g,
    lambda g, ans, x, y: negative(multiply(g, trunc(divide(x, y)))),
)
defjvp(
    fmod,
    lambda t, ans, x, y: t,
    lambda t, ans, x, y: negative(multiply(t, trunc(divide(x, y)))),
)

# --- complex parts and dtype -------------------------------------------------------------


@primitive(ufunc=np.conjugate)
def conjugate(x):
    """Elementwise complex conjugate (alias ``conj``); the identity on real values.

    >>> complex(conjugate(1 + 2j))
    (1-2j)
    """
    return np.conjugate(x)


defvjp(conjugate, lambda g, ans, x: conjugate(g))
defjvp(conjugate, lambda t, ans, x: conjugate(t))

conj = conjugate


@primitive
def real(x):
    """Real part of ``x``; the identity on real values.

    >>> float(real(1 + 2j))
    1.0
    """
    return np.real(x)


defvjp(real, lambda g, ans, x: g)
defjvp(real, lambda t, ans, x: real(t))


@primitive
def astype(x, dtype):
    """``x`` converted to ``dtype``; gradients flow between floating dtypes.

    >>> astype(np.array([1, 2]), np.float32)
    array([1., 2.], dtype=float32)
    """
    return np.asarray(x).astype(dtype, copy=False)


defvjp(astype, lambda g, ans, x, dtype: g)
defjvp(astype, lambda t, ans, x, dtype: astype(t, dtype))

# --- no derivative: rounding, predicates, comparisons ------------------------------------
# Their outputs are constants to every transform, so their derivative is exactly 0.


@primitive(differentiable=False)
def stop_gradient(x):
    """``x`` itself, as a constant: no derivative flows through it.

    >>> import pullback as pb
    >>> pb.grad(lambda x: x * stop_gradient(x))(3.0)
    3.0
    """
    return x


@primitive(differentiable=False, ufunc=np.sign, scalar=_sign_scalar)
def sign(x):
    """Elementwise sign: -1, 0 or 1 (NaN for NaN); its derivative is 0.

    >>> sign(np.array([-2.0, 0.0, 3.0]))
    array([-1.,  0.,  1.])
    """
    return np.sign(x)


@primitive(differentiable=False, ufunc=np.floor)
def floor(x):
    """Elementwise largest integer ``<= x``; its derivative is 0.

    >>> float(floor(-1.5))
    -2.0
    """
    return np.floor(x)


@primitive(differentiable=False, ufunc=np.ceil)
def ceil(x):
    """Elementwise smallest integer ``>= x``; its derivative is 0.

    >>> float(ceil(-1.5))
    -1.0
    """
    return np.ceil(x)


@primitive(differentiable=False, ufunc=np.rint)
def rint(x):
    """Elementwise nearest integer, halves to even; its derivative is 0.

    >>> float(rint(2.5))
    2.0
    """
    return np.rint(x)


@primitive(differentiable=False, ufunc=np.trunc)
def trunc(x):
    """Elementwise integer part, rounding towards zero; its derivative is 0.

    >>> float(trunc(-1.5))
    -1.0
    """
    return np.trunc(x)


@primitive(differentiable=False)
def round(x, *, decimals=0):
    """Elementwise ``x`` rounded to ``decimals`` places, halves to even; its derivative is 0.

    >>> float(round(1.255, decimals=1))
    1.3
    """
    return np.round(x, decimals)


@primitive(differentiable=False, ufunc=np.floor_divide)
def floor_divide(x, y):
    """Elementwise ``floor(x / y)``; its derivative is 0.

    >>> float(floor_divide(7.5, 2.0))
    3.0
    """
    return np.floor_divide(x, y)


def _no_derivative(ufunc, scalar=None):
    return primitive(ufunc, name=ufunc.__name__, differentiable=False, scalar=scalar)


isnan = _no_derivative(np.isnan, math.isnan)
isfinite = _no_derivative(np.isfinite, math.isfinite)
isinf = _no_derivative(np.isinf, math.isinf)
equal = _no_derivative(np.equal, operator.eq)
not_equal = _no_derivative(np.not_equal, operator.ne)
less = _no_derivative(np.less, operator.lt)
less_equal = _no_derivative(np.less_equal, operator.le)
greater = _no_derivative(np.greater, operator.gt)
greater_equal = _no_derivative(np.greater_equal, operator.ge)
logical_not = _no_derivative(np.logical_not, operator.not_)
logical_and = _no_derivative(np.logical_and, _both)
logical_or = _no_derivative(np.logical_or, _either)
logical_xor = _no_derivative(np.logical_xor, _differ)


# --- batching: every primitive above is elementwise with NumPy broadcasting ----------------


def _astype_batch(args, dims):
    # NOTE: dtype is an argument, not an operand: the batch axis is x's own, unmoved.
    (x, dtype), (d, _) = args, dims
    return astype(x, dtype), d


defbatch(astype, _astype_batch)


def _batch_all_elementwise() -> None:
    # Every primitive defined here, including the comparisons whose implementation is a ufunc.
    for value in list(globals().values()):
        if isinstance(value, Primitive) and value.batch is None:
            defbatch(value, elementwise_batch(value))


_batch_all_elementwise()
