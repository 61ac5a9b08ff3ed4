"""The engine's one place for shape and dtype fitting of cotangents and tangents.

Rules never unbroadcast, build zeros or cast: the engine calls these helpers once per rule.
"""

from __future__ import annotations

import math

import numpy as np

from .._core.tensor import dtype_of, shape_of
from ..ops.elementwise import astype
from ..ops.products import matmul
from ..ops.reduce import sum as _sum
from ..ops.shape import broadcast_to, reshape


def sum_to(g, shape: tuple[int, ...]):
    """Sum ``g`` over the axes that broadcasting added, so that it has ``shape``."""
    gshape = shape_of(g)
    lead = len(gshape) - len(shape)
    if lead > 0 and gshape[lead:] == shape:
        # Only leading axes were added (a bias): one sum, no reshape.
        if _few_columns(g, lead):
            return _sum_rows(g, lead)
        if type(g) is np.ndarray:
            # NOTE: sum's implementation without bind, which would only call it: a plain
            # array is a first-order backward pass's (bench/training.py, digits step's biases)
            return _sum.impl(g, axis=tuple(range(lead)), keepdims=False)
        return _sum(g, axis=tuple(range(lead)), keepdims=False)
    if lead < 0 or any(n != 1 and n != m for n, m in zip(shape, gshape[lead:])):
        raise ValueError(f"cannot sum shape {gshape} down to shape {shape}")
    ones = tuple(lead + i for i, n in enumerate(shape) if n == 1 and gshape[lead + i] != 1)
    axes = tuple(range(lead)) + ones
    if axes:
        g = _sum(g, axis=axes, keepdims=True)
    return reshape(g, shape) if shape_of(g) != shape else g


def _few_columns(g, lead: int) -> bool:
    """``g`` is a float array (C-contiguous, if an ndarray) with many rows over its first
    ``lead`` axes and few columns after them: the shape NumPy's reduction is slow on (a conv
    bias's cotangent)."""
    gshape = shape_of(g)
    columns = math.prod(gshape[lead:])
    if type(g) is np.ndarray and not g.flags.c_contiguous:
        return False
    return dtype_of(g).kind == "f" and 0 < columns < 64 <= math.prod(gshape) // columns


def _sum_rows(g, lead: int):
    """The sum of ``g`` over its first ``lead`` axes as a vector-matrix product, written with
    pullback ops, so that ``jit`` records it as one and higher derivatives see it.

    NOTE: ``np.add.reduce`` over axis 0 of a (1440, 6) array runs a 6-long inner loop 1440
    times: 21 us, against 4 us for ``ones @ g`` (bench seed-000 conv step's bias; under
    ``pb.jit`` 32 -> 8 us). NumPy adds each column's rows one by one; BLAS keeps several
    partial sums, so it is no less accurate (float32, 1440 rows: mean worst error 2.9e-3
    against NumPy's 3.9e-3).
    """
    gshape = shape_of(g)
    columns = gshape[lead:]
    rows = reshape(g, (-1, math.prod(columns)))
    ones = np.ones(math.prod(gshape[:lead]), dtype_of(g))
    return reshape(matmul(ones, rows), columns)


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
