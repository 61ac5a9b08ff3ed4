"""NumPy's dispatch protocols on Tensor: ``np.sin(t)``, ``np.sum(t)`` ... call pnp.

Unsupported NumPy functions work on untracked Tensors (evaluated on the raw values) and raise
``NotImplementedError`` on a Tensor that a transform is differentiating.
"""

from __future__ import annotations

import functools

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
    mine = _function_table().get(func)
    if mine is not None:
        return mine(*args, **kwargs)
    return _fallback(f"np.{func.__name__}", func, args, kwargs)


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
            return mine(*inputs, **kwargs)
    if method == "reduce" and ufunc.__name__ in _REDUCTIONS:
        return getattr(pnp, _REDUCTIONS[ufunc.__name__])(*inputs, **kwargs)
    return _fallback(f"np.{ufunc.__name__}.{method}", getattr(ufunc, method), inputs, kwargs)


_REDUCTIONS = {"add": "sum", "multiply": "prod", "maximum": "max", "minimum": "min"}
