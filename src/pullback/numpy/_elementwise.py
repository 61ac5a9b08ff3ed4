"""Elementwise names: the primitives themselves, whose signatures already match NumPy's.

``clip`` and ``round`` are thin wrappers that map NumPy's keyword arguments onto their
primitives.
"""

from __future__ import annotations

from ..ops import elementwise as _ew
from ..ops.elementwise import (
    abs,
    absolute,
    add,
    astype,
    cbrt,
    ceil,
    conj,
    conjugate,
    divide,
    equal,
    floor,
    floor_divide,
    fmax,
    fmin,
    fmod,
    greater,
    greater_equal,
    isfinite,
    isinf,
    isnan,
    less,
    less_equal,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    mask_zero,
    maximum,
    minimum,
    mod,
    multiply,
    negative,
    not_equal,
    positive,
    power,
    real,
    reciprocal,
    remainder,
    rint,
    sign,
    sqrt,
    square,
    stop_gradient,
    subtract,
    true_divide,
    trunc,
    where,
)
from ..ops.transcendental import (
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctan2,
    arctanh,
    cos,
    cosh,
    exp,
    exp2,
    expm1,
    hypot,
    log,
    log1p,
    log2,
    log10,
    logaddexp,
    logaddexp2,
    sin,
    sinh,
    tan,
    tanh,
)

__all__ = [
    "mask_zero",
    "abs",
    "absolute",
    "add",
    "arccos",
    "arccosh",
    "arcsin",
    "arcsinh",
    "arctan",
    "arctan2",
    "arctanh",
    "astype",
    "cbrt",
    "ceil",
    "clip",
    "conj",
    "conjugate",
    "cos",
    "cosh",
    "divide",
    "equal",
    "exp",
    "exp2",
    "expm1",
    "floor",
    "floor_divide",
    "fmax",
    "fmin",
    "fmod",
    "greater",
    "greater_equal",
    "hypot",
    "isfinite",
    "isinf",
    "isnan",
    "less",
    "less_equal",
    "log",
    "log10",
    "log1p",
    "log2",
    "logaddexp",
    "logaddexp2",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "maximum",
    "minimum",
    "mod",
    "multiply",
    "negative",
    "not_equal",
    "positive",
    "power",
    "real",
    "reciprocal",
    "remainder",
    "rint",
    "round",
    "sign",
    "sin",
    "sinh",
    "sqrt",
    "square",
    "stop_gradient",
    "subtract",
    "tan",
    "tanh",
    "true_divide",
    "trunc",
    "where",
]


def clip(a, a_min=None, a_max=None, out=None, *, min=None, max=None):
    """``a`` limited to ``[a_min, a_max]``, as ``np.clip`` (``min``/``max`` are aliases).

    NOTE: the derivative is 1 inside and on the boundary, 0 strictly outside.

    >>> import pullback as pb
    >>> pb.grad(lambda x: clip(x, 0, 1))(1.0)
    1.0
    """
    _no_out(out, "clip")
    lo = _one_bound(a_min, min, "a_min", "min")
    hi = _one_bound(a_max, max, "a_max", "max")
    return _ew.clip(a, lo, hi)


def round(a, decimals=0, out=None):
    """``a`` rounded to ``decimals`` places, as ``np.round``; its derivative is 0.

    >>> float(round(2.5)), float(round(3.14159, 2))
    (2.0, 3.14)
    """
    _no_out(out, "round")
    return _ew.round(a, decimals=int(decimals))


def _one_bound(positional, keyword, name: str, alias: str):
    if positional is not None and keyword is not None:
        raise TypeError(f"pnp.clip got both {name} and {alias}; pass only one of them")
    return keyword if positional is None else positional


def _no_out(out, name: str) -> None:
    if out is not None:
        raise TypeError(f"pnp.{name} does not support out=: pullback arrays are immutable")
