"""``jit``: trace once per input signature, optimise the graph, replay it.

Signatures are the pytree structure, each array leaf's shape and dtype, and the values of
static leaves (Python ints, bools, strings, None, callables). The graph is optimised
(``optimize.py``: exact identities, common subexpressions, dead code) and compiled to a
flat list of steps (``replay.py``: NumPy calls writing into dead buffers, or Python
float arithmetic for graphs of scalars). Under ``grad``/``jvp``/``vmap`` (and inside
``debug_nans``) the graph is replayed through ``bind`` instead, so a jitted function is
differentiable like any other.
"""

from __future__ import annotations

import functools
import numbers
import warnings

import numpy as np

from .._core.errors import describe_function
from .._core.levels import _state
from .._core.tensor import Tensor, dtype_of, live, shape_of
from .._core.tree import flatten, unflatten
from ..transforms import debug as _debug
from ..transforms._args import restore
from .ir import Graph, evaluate
from .optimize import optimize
from .replay import compile_arrays, compile_scalars
from .trace import trace


def _is_static(x) -> bool:
    if isinstance(x, (Tensor, np.ndarray, np.generic, float, complex)):
        return False
    return isinstance(x, (bool, numbers.Integral, str, type(None))) or callable(x)


_FLOAT = ((), np.dtype(np.float64))


def _signature(x):
    kind = type(x)
    if kind is float:
        return _FLOAT
    if kind is np.ndarray:
        return (x.shape, x.dtype)
    if _is_static(x):
        return ("static", x)
    return (shape_of(x), dtype_of(x))


def jit(f):
    """``f`` traced once per input signature, optimised, and replayed.

    Results equal ``f``'s (to rounding of reassociated ops; f64 max relative difference is
    checked at 1e-12 in the tests). ``f`` must be a function of its arguments: Python branches
    on traced values raise ``TypeError``; side effects happen once, at tracing (random
    primitives, dropout's mask, draw at every call).

    >>> import numpy as np, pullback as pb, pullback.numpy as pnp
    >>> f = pb.jit(lambda x: pnp.sum(pnp.sin(x) ** 2 + pnp.cos(x) ** 2))
    >>> float(f(np.arange(4.0)))
    4.0
    """
    cache: dict = {}
    traces = [0]

    @functools.wraps(f)
    def jitted(*args, **kwargs):
        # NOTE: keyword arguments are leaves too (a dict of them, sorted by name).
        leaves, in_tree = flatten((args, dict(sorted(kwargs.items()))) if kwargs else args)
        key = (in_tree, tuple(_signature(x) for x in leaves))
        compiled = cache.get(key)
        if compiled is None or compiled.stale():
            compiled = cache[key] = _compile(f, leaves, in_tree, bool(kwargs))
            traces[0] += 1
            if traces[0] == _MANY_TRACES:
                _warn_many_traces(f)
        return compiled([leaves[i] for i in compiled.dynamic])

    jitted.cache = cache
    return jitted


_MANY_TRACES = 16


def _warn_many_traces(f) -> None:
    """Say once that ``f`` keeps being traced again, which costs more than it saves."""
    warnings.warn(
        f"pb.jit({describe_function(f)}) has traced it {_MANY_TRACES} times: each new Python "
        f"int or bool argument, shape, dtype or structure is a new trace, as is a Variable it "
        f"reads (not as an argument) that was assigned. Pass what changes every call as an "
        f"array or a float, or keep the Variable among the arguments.",
        stacklevel=3,
    )


class _Compiled:
    """One signature's optimised graph and its compiled replays."""

    __slots__ = ("graph", "dynamic", "arrays", "scalars")

    def __init__(self, graph: Graph, dynamic: list[int]) -> None:
        self.graph = graph
        self.dynamic = dynamic
        self.arrays = compile_arrays(graph)
        self.scalars = compile_scalars(graph)

    def __call__(self, inputs: list):
        kind = _kind(inputs)
        stack = _state.stack
        if stack or _debug._depth:
            outs = evaluate(self.graph, inputs)
        elif kind == "tensor":
            # NOTE: no transform is running in this thread, so Tensors (a model's Variables)
            # are values: replay on their raw arrays, give Tensors back.
            outs = self._replay(
                [live(x, stack) if isinstance(x, Tensor) else x for x in inputs], "array"
            )
        else:
            outs = self._replay(inputs, kind)
        # NOTE: most results are already what restore makes of them (bench/training.py, jit).
        ready = float if kind == "float" else (np.ndarray if kind == "array" else None)
        outs = [o if type(o) is ready else restore(o, kind) for o in outs]
        return unflatten(self.graph.out_tree, outs)

    def stale(self) -> bool:
        """Whether a Variable the trace read (by closure, or as a static attribute: a frozen
        layer's weights, a BatchNorm's running statistics) has been assigned since: the
        graph's constants hold its old value, and the function must be traced again."""
        for variable, value in self.graph.captured:
            if variable._raw is not value:
                return True
        return False

    def _replay(self, inputs: list, kind: str) -> list:
        if kind == "float" and self.scalars is not None:
            try:
                return self.scalars(*inputs)
            except (ArithmeticError, ValueError):
                pass  # NumPy's inf or nan (with its warning) where math raises
        return self.arrays(*[np.asarray(x) if type(x) is float else x for x in inputs])


def _kind(inputs: list) -> str:
    """``"float"`` if all inputs are floats (Python's or NumPy's, as for ``grad``),
    ``"tensor"`` if one is a Tensor, else ``"array"``: the kind results are given back in."""
    floats = bool(inputs)
    for x in inputs:
        if type(x) is float:
            continue
        if isinstance(x, Tensor):
            return "tensor"
        floats = floats and isinstance(x, float)
    return "float" if floats else "array"


def _compile(f, leaves, in_tree, with_kwargs: bool) -> _Compiled:
    dynamic = [i for i, x in enumerate(leaves) if not _is_static(x)]

    def only_dynamic(*dyn):
        full = list(leaves)
        for i, x in zip(dynamic, dyn):
            full[i] = x
        tree = unflatten(in_tree, full)
        return f(*tree[0], **tree[1]) if with_kwargs else f(*tree)

    only_dynamic.__name__ = getattr(f, "__name__", "jitted")
    graph = optimize(trace(only_dynamic, *[leaves[i] for i in dynamic]))
    return _Compiled(graph, dynamic)
