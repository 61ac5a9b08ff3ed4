"""Write a rule once, get every mode: rules derived by transposing linear maps.

A VJP rule ``g -> J^T g`` is linear in ``g``, so reverse-differentiating it gives ``J t``; a
JVP rule ``t -> J t`` is linear in ``t``, so reverse-differentiating it gives ``J^T g``. Rules
written with pullback's ops can therefore be used in the other mode without further work.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._core.tensor import dtype_of, shape_of
from ._fit import fit_cotangent, fit_tangent


def _zeros(shape, dtype):
    return np.zeros(shape, dtype)


def vjp_from_jvp(prim, argnum: int):
    """The VJP rule of argument ``argnum``, transposed from its JVP rule."""
    from .reverse import vjp

    jvp_rule = prim.jvp_rule(argnum)
    if jvp_rule is None:
        return None

    def rule(g, ans, *args, **params):
        x = args[argnum]
        _, back = vjp(
            lambda t: fit_tangent(jvp_rule(t, ans, *args, **params), ans),
            _zeros(shape_of(x), dtype_of(x)),
        )
        return back(g)[0]

    return rule


def jvp_from_vjp(prim, argnum: int):
    """The JVP rule of argument ``argnum``, transposed from its VJP rule."""
    from .reverse import vjp

    vjp_rule = prim.vjp_rule(argnum)
    if vjp_rule is None:
        return None

    def rule(t, ans, *args, **params):
        x = args[argnum]
        _, back = vjp(
            lambda g: fit_cotangent(vjp_rule(g, ans, *args, **params), x),
            _zeros(shape_of(ans), dtype_of(ans)),
        )
        return back(t)[0]

    return rule


def jvp_from_bwd(prim, residuals, ans, tangents, avals, params):
    """Output tangent(s) of a special primitive, transposed from its ``bwd``."""
    from .reverse import vjp

    outs = ans if prim.multiple_results else (ans,)
    zeros = tuple(_zeros(shape_of(a), dtype_of(a)) for a in outs)

    def backward(*g):
        needed = (True,) * len(avals)
        cts = prim.bwd(residuals, g if prim.multiple_results else g[0], needed, **params)
        cts = checked_cotangents(prim, cts, avals)
        return tuple(_zeros(*aval) if c is None else c for c, aval in zip(cts, avals))

    _, back = vjp(backward, *zeros)
    full = tuple(_zeros(*aval) if t is None else t for t, aval in zip(tangents, avals))
    out_tangents = back(full)
    return out_tangents if prim.multiple_results else out_tangents[0]


def rule_description(prim) -> str:
    return getattr(prim, "rule_description", f"bwd of '{prim.name}'")


def checked_cotangents(prim, cotangents, avals) -> tuple:
    """``bwd``'s result as one cotangent (or None) per argument, exactly shaped and typed.

    Raises:
        ValueError: wrong number of cotangents, or a wrong shape (never silently broadcast).
        TypeError: a cotangent whose dtype differs from its argument's.
    """
    if len(avals) == 1 and not isinstance(cotangents, (tuple, list)):
        cotangents = (cotangents,)
    if not isinstance(cotangents, (tuple, list)) or len(cotangents) != len(avals):
        got = len(cotangents) if isinstance(cotangents, (tuple, list)) else 1
        raise ValueError(
            f"{rule_description(prim)} returned {got} cotangent(s), but the function has "
            f"{len(avals)} differentiable argument(s); return one per argument (None for zero)"
        )
    return tuple(_checked(prim, c, i, aval) for i, (c, aval) in enumerate(zip(cotangents, avals)))


def _checked(prim, c, i: int, aval):
    if c is None:
        return None
    shape, dtype = aval
    if isinstance(c, numbers.Number) and not hasattr(c, "dtype"):
        c = np.asarray(c, dtype)
    if shape_of(c) != shape:
        raise ValueError(
            f"{rule_description(prim)} returned shape {shape_of(c)} for argument {i} of "
            f"shape {shape}"
        )
    if dtype_of(c) != dtype:
        raise TypeError(
            f"{rule_description(prim)} returned dtype {dtype_of(c)} for argument {i} of "
            f"dtype {dtype}; cast it with .astype({dtype})"
        )
    return c
