"""Reductions: sums, products, extrema, cumulative ops, and the non-differentiable arg/logic ones.

``axis`` is always a normalised tuple of non-negative ints (or ``None`` for all axes) by the
time it reaches a primitive; ``pullback.numpy`` does the normalising. The cumulative ops take
one int ``axis``. Means, variances and the like are composites in ``pullback.numpy``.
"""

from __future__ import annotations

import math

import numpy as np

from .._core.primitive import bind, defbatch, defjvp, defvjp, primitive
from .._core.tensor import dtype_of, shape_of
from ._batch import move_to_front, reduction_batch
from .elementwise import add, astype, divide, equal, multiply
from .index import getitem, scatter_add
from .shape import broadcast_to, reshape, transpose


def keepdims_shape(shape, axis):
    """``shape`` with the reduced ``axis`` kept as size-1 dimensions."""
    if axis is None:
        return (1,) * len(shape)
    return tuple(1 if i in axis else n for i, n in enumerate(shape))


def expand_reduced(g, x, axis, keepdims):
    """Broadcast a reduction's cotangent ``g`` back to the shape of its input ``x``."""
    shape = shape_of(x)
    if not keepdims:
        g = reshape(g, keepdims_shape(shape, axis))
    return broadcast_to(g, shape)


# --- sum ---------------------------------------------------------------------------------


@primitive
def sum(x, *, axis=None, keepdims=False):
    """Sum of ``x`` over ``axis`` (a tuple of ints, or None for all)."""
    # NOTE: the ufunc's reduce, not np.sum: its Python wrapper was half the cost of a small sum.
    return np.add.reduce(x, axis=axis, keepdims=keepdims)


def _sum_vjp(g, ans, x, axis=None, keepdims=False):
    # NOTE: defaults here, as in every reduction rule: a direct call sum(x) binds no params.
    return expand_reduced(g, x, axis, keepdims)


def _sum_jvp(t, ans, x, axis=None, keepdims=False):
    return sum(t, axis=axis, keepdims=keepdims)


defvjp(sum, _sum_vjp)
defjvp(sum, _sum_jvp)
defbatch(sum, reduction_batch(sum))

# --- max and min -------------------------------------------------------------------------


def _tie_weights(ans, x, axis, keepdims):
    """1/k at each of the k entries of ``x`` equal to the extremum ``ans``, 0 elsewhere."""
    # NOTE: ties share the derivative evenly (RELIABILITY H3). `equal` has no derivative, so
    # the weights are locally constant and the second derivative of max is 0.
    hit = astype(equal(x, expand_reduced(ans, x, axis, keepdims)), dtype_of(x))
    return divide(hit, sum(hit, axis=axis, keepdims=True))


def _extremum_vjp(g, ans, x, axis=None, keepdims=False):
    return multiply(expand_reduced(g, x, axis, keepdims), _tie_weights(ans, x, axis, keepdims))


def _extremum_jvp(t, ans, x, axis=None, keepdims=False):
    return sum(multiply(t, _tie_weights(ans, x, axis, keepdims)), axis=axis, keepdims=keepdims)


@primitive
def max(x, *, axis=None, keepdims=False):
    """Largest entry of ``x`` over ``axis``; tied maxima share the derivative evenly."""
    return np.maximum.reduce(x, axis=axis, keepdims=keepdims)


defvjp(max, _extremum_vjp)
defjvp(max, _extremum_jvp)
defbatch(max, reduction_batch(max))


@primitive
def min(x, *, axis=None, keepdims=False):
    """Smallest entry of ``x`` over ``axis``; tied minima share the derivative evenly."""
    return np.minimum.reduce(x, axis=axis, keepdims=keepdims)


defvjp(min, _extremum_vjp)
defjvp(min, _extremum_jvp)
defbatch(min, reduction_batch(min))

# --- shifts along one axis (building blocks of the product rules) -----------------------


def _along(axis: int, s: slice) -> tuple:
    return (slice(None),) * axis + (s,)


def _flip(y, axis: int):
    """``y`` reversed along ``axis``."""
    return getitem(y, index=_along(axis, slice(None, None, -1)))


def _shift(y, axis: int, d: int):
    """``y`` moved ``d`` places up along ``axis``, zeros shifted in: ``out[k] = y[k - d]``."""
    n = shape_of(y)[axis]
    head = getitem(y, index=_along(axis, slice(0, n - d if d < n else 0)))
    return scatter_add(head, index=_along(axis, slice(d, None)), shape=shape_of(y))


def _unshift(h, axis: int, d: int):
    """The transpose of ``_shift``: ``out[j] = h[j + d]``, zeros at the end."""
    n = shape_of(h)[axis]
    tail = getitem(h, index=_along(axis, slice(d, None)))
    return scatter_add(tail, index=_along(axis, slice(0, n - d if d < n else 0)), shape=shape_of(h))


def _ones_below(y, axis: int, d: int) -> np.ndarray:
    """A constant: 1 at the first ``d`` positions along ``axis``, 0 elsewhere."""
    shape = [1] * len(shape_of(y))
    shape[axis] = shape_of(y)[axis]
    return (np.arange(shape[axis]) < d).astype(dtype_of(y)).reshape(shape)


def _shift_in_ones(y, axis: int, d: int):
    """``y`` moved ``d`` places up along ``axis``, ones shifted in."""
    return add(_shift(y, axis, d), _ones_below(y, axis, d))


# --- cumulative sum and product ----------------------------------------------------------


def along_batch(prim):
    """The batching rule of a primitive acting along one int ``axis``: batch first, axis + 1."""

    def rule(args, dims, *, axis, **params):
        (x,), (d,) = args, dims
        return bind(prim, move_to_front(x, d), axis=axis + 1, **params), 0

    return rule


@primitive
def cumsum(x, *, axis):
    """Running sum of ``x`` along the int ``axis``."""
    return np.cumsum(x, axis=axis)


defvjp(cumsum, lambda g, ans, x, axis: _flip(cumsum(_flip(g, axis), axis=axis), axis))
defjvp(cumsum, lambda t, ans, x, axis: cumsum(t, axis=axis))
defbatch(cumsum, along_batch(cumsum))


@primitive
def cumprod(x, *, axis):
    """Running product of ``x`` along the int ``axis``; derivatives are exact with zeros."""
    return np.cumprod(x, axis=axis)


def _scan_levels(x, axis: int) -> list:
    """Hillis-Steele scan: ``levels[s + 1] = levels[s] * shift(levels[s], 2**s)``.

    The last level is ``cumprod(x)``. Written with multiplies only (no division by ``x``), so
    the derivative rules built on it are exact where ``x`` has zeros, to any order.
    """
    levels = [x]
    d = 1
    while d < shape_of(x)[axis]:
        y = levels[-1]
        levels.append(multiply(y, _shift_in_ones(y, axis, d)))
        d *= 2
    return levels


def _cumprod_vjp(g, ans, x, axis):
    # Level s maps y to y * S(y), with S = shift + ones; its VJP is g * S(y) + shift^T(g * y).
    levels = _scan_levels(x, axis)
    for s in range(len(levels) - 2, -1, -1):
        y = levels[s]
        d = 2**s
        g = add(multiply(g, _shift_in_ones(y, axis, d)), _unshift(multiply(g, y), axis, d))
    return g


def _cumprod_jvp(t, ans, x, axis):
    levels = _scan_levels(x, axis)
    for s in range(len(levels) - 1):
        y = levels[s]
        d = 2**s
        t = add(multiply(t, _shift_in_ones(y, axis, d)), multiply(y, _shift(t, axis, d)))
    return t


defvjp(cumprod, _cumprod_vjp)
defjvp(cumprod, _cumprod_jvp)
defbatch(cumprod, along_batch(cumprod))

# --- prod --------------------------------------------------------------------------------


@primitive
def prod(x, *, axis=None, keepdims=False):
    """Product of ``x`` over ``axis``; derivatives are exact where ``x`` has zeros."""
    return np.prod(x, axis=axis, keepdims=keepdims)


def _others_product(x, axis):
    """Each entry's product of the *other* entries of its reduction group, without division.

    The reduced axes are moved last and merged; then ``others = exclusive prefix products *
    exclusive suffix products``, both from ``cumprod`` (so one zero or two zeros are exact).
    """
    shape = shape_of(x)
    axes = tuple(range(len(shape))) if axis is None else axis
    kept = tuple(i for i in range(len(shape)) if i not in axes)
    perm = kept + axes
    moved_shape = tuple(shape[i] for i in perm)
    last = len(kept)
    flat = reshape(transpose(x, perm), moved_shape[:last] + (math.prod(shape[i] for i in axes),))
    before = _shift_in_ones(cumprod(flat, axis=last), last, 1)
    after = _flip(_shift_in_ones(cumprod(_flip(flat, last), axis=last), last, 1), last)
    others = reshape(multiply(before, after), moved_shape)
    return transpose(others, tuple(int(i) for i in np.argsort(perm)))


def _prod_vjp(g, ans, x, axis=None, keepdims=False):
    return multiply(expand_reduced(g, x, axis, keepdims), _others_product(x, axis))


def _prod_jvp(t, ans, x, axis=None, keepdims=False):
    return sum(multiply(t, _others_product(x, axis)), axis=axis, keepdims=keepdims)


defvjp(prod, _prod_vjp)
defjvp(prod, _prod_jvp)
defbatch(prod, reduction_batch(prod))

# --- no derivative: positions, logic, counts ---------------------------------------------


@primitive(differentiable=False)
def argmax(x, *, axis=None, keepdims=False):
    """Index of the largest entry along the int ``axis`` (of the flattened ``x`` if None)."""
    return np.argmax(x, axis=axis, keepdims=keepdims)


@primitive(differentiable=False)
def argmin(x, *, axis=None, keepdims=False):
    """Index of the smallest entry along the int ``axis`` (of the flattened ``x`` if None)."""
    return np.argmin(x, axis=axis, keepdims=keepdims)


@primitive(differentiable=False)
def all(x, *, axis=None, keepdims=False):
    """Whether every entry of ``x`` over ``axis`` is true."""
    return np.all(x, axis=axis, keepdims=keepdims)


@primitive(differentiable=False)
def any(x, *, axis=None, keepdims=False):
    """Whether some entry of ``x`` over ``axis`` is true."""
    return np.any(x, axis=axis, keepdims=keepdims)


@primitive(differentiable=False)
def count_nonzero(x, *, axis=None, keepdims=False):
    """Number of non-zero entries of ``x`` over ``axis``."""
    return np.asarray(np.count_nonzero(x, axis=axis, keepdims=keepdims))


def _arg_extremum_batch(prim):
    """``argmax``/``argmin`` batched: ``axis=None`` indexes each example flattened."""
    along = along_batch(prim)

    def rule(args, dims, *, axis=None, keepdims=False):
        if axis is not None:
            return along(args, dims, axis=axis, keepdims=keepdims)
        (x,), (d,) = args, dims
        x = move_to_front(x, d)
        shape = shape_of(x)
        flat = reshape(x, (shape[0], math.prod(shape[1:])))
        out = bind(prim, flat, axis=1, keepdims=False)
        return (reshape(out, shape[:1] + (1,) * (len(shape) - 1)) if keepdims else out), 0

    return rule


defbatch(argmax, _arg_extremum_batch(argmax))
defbatch(argmin, _arg_extremum_batch(argmin))
defbatch(all, reduction_batch(all))
defbatch(any, reduction_batch(any))
defbatch(count_nonzero, reduction_batch(count_nonzero))
