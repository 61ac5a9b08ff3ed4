"""The engine's one place for shape and dtype fitting of cotangents and tangents.

Rules never unbroadcast, build zeros or cast: the engine calls these helpers once per rule.
"""

from __future__ import annotations

import numpy as np

from .._core.tensor import dtype_of, shape_of
from ..ops.elementwise import astype
from ..ops.reduce import sum as _sum
from ..ops.shape import broadcast_to, reshape


def sum_to(g, shape: tuple[int, ...]):
    """Sum ``g`` over the axes that broadcasting added, so that it has ``shape``."""
    gshape = shape_of(g)
    lead = len(gshape) - len(shape)
    if lead < 0 or any(n != 1 and n != m for n, m in zip(shape, gshape[lead:])):
        raise ValueError(f"cannot sum shape {gshape} down to shape {shape}")
    ones = tuple(lead + i for i, n in enumerate(shape) if n == 1 and gshape[lead + i] != 1)
    if not ones:
        # Only leading axes were added (a bias): one sum, no reshape.
        return _sum(g, axis=tuple(range(lead)), keepdims=False)
    axes = tuple(range(lead)) + ones
    if axes:
        g = _sum(g, axis=axes, keepdims=True)
    return reshape(g, shape) if shape_of(g) != shape else g


def fit_cotangent(g, x):
    """``g`` unbroadcast to ``x``'s shape and cast to ``x``'s dtype."""
    try:
        if g.shape == x.shape and g.dtype == x.dtype:
            return g  # the common case, checked first (bench/overhead.py)
    except AttributeError:
        pass
    shape = shape_of(x)
    if shape_of(g) != shape:
        g = sum_to(g, shape)
    dtype = dtype_of(x)
    if dtype_of(g) != dtype:
        g = astype(g, dtype)
    return g


def fit_tangent(t, ans):
    """``t`` broadcast to the output's shape and cast to its dtype."""
    shape = shape_of(ans)
    if shape_of(t) != shape:
        t = broadcast_to(t, shape)
    dtype = dtype_of(ans)
    if dtype_of(t) != dtype:
        t = astype(t, dtype)
    return t


def is_differentiable_dtype(x) -> bool:
    """Floating and complex values carry derivatives; integers and booleans do not."""
    try:
        return x.dtype.kind in "fc"
    except AttributeError:
        return isinstance(x, (float, complex))


def zeros_like_value(x):
    """Exact zeros with ``x``'s shape and dtype, as a raw array (a constant to every level)."""
    return np.zeros(shape_of(x), dtype_of(x))
