"""NumPy's dispatch protocols on Tensor: ``np.sin(t)``, ``np.sum(t)`` ... call pnp.

Unsupported NumPy functions work on untracked Tensors (evaluated on the raw values) and raise
``NotImplementedError`` on a Tensor that a transform is differentiating.
"""

from __future__ import annotations

import functools
import inspect

import numpy as np

from .._core.tensor import Tensor, tracking_level
from .._core.tree import map as tree_map

_UNSUPPORTED = (
    "{name} has no differentiable pullback version, and it was called on a Tensor that a "
    "transform is differentiating. Use pullback.numpy's ops instead, or make it a primitive "
    "with pb.primitive and give it rules with pb.defvjp / pb.defjvp."
)


@functools.cache
def _pnp():
    """``pullback.numpy``, which imports this module (so: on first use, then cached)."""
    from .. import numpy as pnp

    return pnp


@functools.cache
def _function_table() -> dict:
    """NumPy function -> pnp function, for every name both define."""
    pnp = _pnp()

    table = {}
    for namespace, mine in ((np, pnp), (np.linalg, pnp.linalg)):
        for name in mine.__all__:
            theirs = getattr(namespace, name, None)
            if callable(theirs):
                table[theirs] = getattr(mine, name)
    return table


def _is_tracked(tree) -> bool:
    found = []
    tree_map(lambda x: found.append(tracking_level(x) is not None), tree)
    return any(found)


def _raw_tree(tree):
    return tree_map(lambda x: x._raw if isinstance(x, Tensor) else x, tree)


def _as_tensors(result):
    return tree_map(lambda x: Tensor(x) if isinstance(x, np.ndarray) else x, result)


def _fallback(name: str, call, args, kwargs):
    """Run NumPy on raw values when nothing is tracked; refuse otherwise."""
    if _is_tracked((args, kwargs)):
        raise NotImplementedError(_UNSUPPORTED.format(name=name))
    return _as_tensors(call(*_raw_tree(args), **_raw_tree(kwargs)))


def array_function(func, args, kwargs):
    """``__array_function__``: map ``func`` onto its pnp twin."""
    name = f"np.{func.__name__}"
    mine = _function_table().get(func)
    if mine is not None:
        if kwargs:
            kwargs = _without_defaults(kwargs)
            unknown = _unknown_keywords(mine, kwargs)
            if unknown:
                return _numpys_own(name, func, args, kwargs, unknown, mine)
        return mine(*args, **kwargs)
    return _fallback(name, func, args, kwargs)


@functools.cache
def _keywords(fn) -> frozenset | None:
    """The keyword arguments ``fn`` takes; ``None`` if it takes any (``**kwargs``)."""
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_KEYWORD for p in parameters):
        return None
    return frozenset(p.name for p in parameters if p.kind is not p.POSITIONAL_ONLY)


def _unknown_keywords(mine, kwargs: dict) -> list[str]:
    """The keywords in ``kwargs`` that the pnp function ``mine`` does not take."""
    known = _keywords(mine)
    return [] if known is None else sorted(kwargs.keys() - known)


def _without_defaults(kwargs: dict) -> dict:
    """``kwargs`` without ``where=True``, NumPy's default: the same as not passing it."""
    if kwargs.get("where", False) is True:
        return {k: v for k, v in kwargs.items() if k != "where"}
    return kwargs


def _numpys_own(name: str, call, args, kwargs, unknown: list[str], mine=None):
    """``call`` (NumPy's) on the values, for keywords ``unknown`` that pnp does not honour;
    on a Tensor being differentiated, the error naming them, with what to do instead."""
    if not _is_tracked((args, kwargs)):
        return _fallback(name, call, args, kwargs)
    takes = ""
    if mine is not None and _keywords(mine) is not None:
        takes = f"; pnp.{getattr(mine, '__name__', '')} takes {', '.join(sorted(_keywords(mine)))}"
    raise TypeError(
        f"{name}(..., {', '.join(f'{k}=' for k in unknown)}) is not supported on Tensors "
        f"being differentiated{takes}{_ALTERNATIVES.get(unknown[0], '')}"
    )


_ALTERNATIVES = {
    "where": ": mask the input first, e.g. pnp.where(mask, x, 0)",
    "initial": ": combine it after, e.g. pnp.sum(x) + initial or pnp.maximum(pnp.max(x), initial)",
}

# NOTE: ufunc keywords that change neither values nor derivatives: NumPy's output layout
# (order, subok) and its check of casts (casting); dropped, as for plain arrays they could not
# change what pullback computes.
_LAYOUT_KEYWORDS = frozenset({"casting", "order", "subok"})


def array_ufunc(ufunc, method, inputs, kwargs):
    """``__array_ufunc__``: map ``ufunc(...)`` calls onto pnp; reductions like np.add.reduce
    onto pnp's reductions."""
    pnp = _pnp()

    if kwargs.get("out") is not None:
        if _is_tracked(inputs):
            raise TypeError(
                f"np.{ufunc.__name__}(..., out=) cannot write a tracked Tensor in place"
            )
        return _fallback(f"np.{ufunc.__name__}", getattr(ufunc, method), inputs, kwargs)
    if method == "__call__":
        mine = getattr(pnp, ufunc.__name__, None)
        if mine is not None:
            return _call_ufunc(ufunc, mine, inputs, kwargs) if kwargs else mine(*inputs)
    if method == "outer" and not kwargs and ufunc.nin == 2:
        mine = getattr(pnp, ufunc.__name__, None)
        if mine is not None:  # every entry of a against every entry of b
            a, b = inputs
            return mine(pnp.reshape(a, pnp.shape(a) + (1,) * pnp.ndim(b)), b)
    if method == "accumulate" and ufunc.__name__ in _ACCUMULATIONS and kwargs.keys() <= _AXIS:
        mine = getattr(pnp, _ACCUMULATIONS[ufunc.__name__])
        return mine(*inputs, axis=kwargs.get("axis", 0), dtype=kwargs.get("dtype"))
    if method == "reduce" and ufunc.__name__ in _REDUCTIONS:
        mine = getattr(pnp, _REDUCTIONS[ufunc.__name__])
        kwargs = _without_defaults(kwargs)
        unknown = _unknown_keywords(mine, kwargs)
        if not unknown:
            return mine(*inputs, **kwargs)
        name = f"np.{ufunc.__name__}.reduce"
        return _numpys_own(name, ufunc.reduce, inputs, kwargs, unknown, mine)
    return _fallback(f"np.{ufunc.__name__}.{method}", getattr(ufunc, method), inputs, kwargs)


_REDUCTIONS = {"add": "sum", "multiply": "prod", "maximum": "max", "minimum": "min"}
_ACCUMULATIONS = {"add": "cumsum", "multiply": "cumprod"}
_AXIS = frozenset({"axis", "dtype"})  # the keywords an accumulation maps onto pnp


def _call_ufunc(ufunc, mine, inputs, kwargs):
    """``ufunc(*inputs, **kwargs)`` as its pnp twin: ``dtype=`` casts the array inputs, as
    NumPy computes in that dtype; ``where=`` (which needs ``out=``) and others are refused on
    Tensors being differentiated, and left to NumPy on others."""
    dtype = kwargs.get("dtype")
    unknown = sorted(
        k for k in _without_defaults(kwargs) if k not in _LAYOUT_KEYWORDS and k != "dtype"
    )
    if unknown:
        return _numpys_own(f"np.{ufunc.__name__}", ufunc, inputs, kwargs, unknown)
    if dtype is not None:
        inputs = [_pnp().astype(x, dtype) if _is_array(x) else x for x in inputs]
    return mine(*inputs)


def _is_array(x) -> bool:
    return isinstance(x, (Tensor, np.ndarray, np.generic))
