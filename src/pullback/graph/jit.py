"""``jit``: trace once per input signature, optimise the graph, replay it.

Signatures are the pytree structure, each array leaf's shape and dtype, and the values of
static leaves (Python ints, bools, strings, None, callables). Optimisations: dead-code
elimination and common-subexpression elimination (constant folding happens while tracing: ops
on constants are computed then, not recorded). With no transform active, the replay calls the
NumPy implementations directly; under ``grad``/``jvp``/``vmap`` it binds every primitive, so a
jitted function is differentiable like any other.
"""

from __future__ import annotations

import functools
import numbers

import numpy as np

from .._core.levels import _state
from .._core.tensor import Tensor, dtype_of, shape_of
from .._core.tree import flatten, unflatten
from ..transforms._args import restore
from .ir import Const, Equation, Graph, evaluate
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


def dead_code_elimination(graph: Graph) -> Graph:
    """``graph`` without equations whose outputs nothing uses."""
    live = {o for o in graph.outvars if isinstance(o, int)}
    kept = []
    for eqn in reversed(graph.equations):
        if any(o in live for o in eqn.outputs):
            kept.append(eqn)
            live.update(i for i in eqn.inputs if isinstance(i, int))
    kept.reverse()
    return _replace(graph, kept)


def _const_key(c: Const):
    v = c.value
    if isinstance(v, np.ndarray):
        return ("array", id(v))
    try:
        hash(v)
    except TypeError:
        return ("object", id(v))
    return ("value", type(v), v)


def _params_key(params: dict):
    try:
        key = tuple(sorted(params.items()))
        hash(key)
        return key
    except TypeError:
        return ("unhashable", id(params))


def common_subexpression_elimination(graph: Graph) -> Graph:
    """``graph`` with repeated ``(primitive, inputs, params)`` computed once."""
    seen: dict = {}
    rename: dict[int, int] = {}
    kept = []
    for eqn in graph.equations:
        inputs = [rename.get(i, i) if isinstance(i, int) else i for i in eqn.inputs]
        key = (
            id(eqn.prim),
            tuple(i if isinstance(i, int) else _const_key(i) for i in inputs),
            _params_key(eqn.params),
        )
        if key in seen and key[2][:1] != ("unhashable",):
            for old, new in zip(eqn.outputs, seen[key]):
                rename[old] = new
            continue
        seen[key] = eqn.outputs
        kept.append(Equation(eqn.prim, inputs, eqn.outputs, eqn.params))
    outvars = [rename.get(o, o) if isinstance(o, int) else o for o in graph.outvars]
    optimised = _replace(graph, kept)
    optimised.outvars = outvars
    return optimised


def _replace(graph: Graph, equations) -> Graph:
    return Graph(
        graph.invars,
        list(graph.outvars),
        equations,
        graph.avals,
        graph.in_tree,
        graph.out_tree,
        graph.name,
    )


def optimize(graph: Graph) -> Graph:
    """Common subexpressions, then dead code."""
    return dead_code_elimination(common_subexpression_elimination(graph))


class _Plan:
    """A graph compiled to direct implementation calls, for replay outside any transform."""

    __slots__ = ("steps", "invars", "outvars", "size")

    def __init__(self, graph: Graph) -> None:
        slots: dict[int, int] = {}
        for v in graph.invars:
            slots[v] = len(slots)
        steps = []
        for eqn in graph.equations:
            prim = eqn.prim
            ins = tuple(
                (True, slots[i]) if isinstance(i, int) else (False, i.value) for i in eqn.inputs
            )
            outs = []
            for o in eqn.outputs:
                slots[o] = len(slots)
                outs.append(slots[o])
            steps.append((prim.impl, ins, tuple(outs), eqn.params, prim.multiple_results))
        self.steps = steps
        self.invars = [slots[v] for v in graph.invars]
        self.outvars = [
            (True, slots[o]) if isinstance(o, int) else (False, o.value) for o in graph.outvars
        ]
        self.size = len(slots)

    def run(self, leaves) -> list:
        env = [None] * self.size
        for slot, x in zip(self.invars, leaves):
            env[slot] = x
        for impl, ins, outs, params, many in self.steps:
            args = [env[v] if is_var else v for is_var, v in ins]
            out = impl(*args, **params) if params else impl(*args)
            if many:
                for slot, value in zip(outs, out):
                    env[slot] = value
            else:
                env[outs[0]] = out
        return [env[v] if is_var else v for is_var, v in self.outvars]


def jit(f):
    """``f`` traced once per input signature, optimised, and replayed.

    Results equal ``f``'s (to rounding of reassociated ops; f64 max relative difference is
    checked at 1e-12 in the tests). ``f`` must be a function of its arguments: Python branches
    on traced values raise ``TypeError``; side effects happen once, at tracing.

    >>> import numpy as np, pullback as pb, pullback.numpy as pnp
    >>> f = pb.jit(lambda x: pnp.sum(pnp.sin(x) ** 2 + pnp.cos(x) ** 2))
    >>> float(f(np.arange(4.0)))
    4.0
    """
    cache: dict = {}

    @functools.wraps(f)
    def jitted(*args):
        leaves, in_tree = flatten(tuple(args))
        key = (in_tree, tuple(_signature(x) for x in leaves))
        entry = cache.get(key)
        if entry is None:
            entry = cache[key] = _compile(f, args, leaves)
        graph, plan, dynamic = entry
        inputs = [leaves[i] for i in dynamic]
        if not _state.stack and not any(isinstance(x, Tensor) for x in inputs):
            outs = plan.run([np.asarray(x) if isinstance(x, float) else x for x in inputs])
        else:
            outs = evaluate(graph, inputs)
        kind = (
            "tensor"
            if any(isinstance(x, Tensor) for x in inputs)
            else ("float" if inputs and all(isinstance(x, float) for x in inputs) else "array")
        )
        return unflatten(graph.out_tree, [restore(o, kind) for o in outs])

    jitted.cache = cache
    return jitted


def _compile(f, args, leaves):
    dynamic = [i for i, x in enumerate(leaves) if not _is_static(x)]
    static = {i: x for i, x in enumerate(leaves) if _is_static(x)}
    _, in_tree = flatten(tuple(args))

    def only_dynamic(*dyn):
        full = list(leaves)
        for i, x in zip(dynamic, dyn):
            full[i] = x
        for i, x in static.items():
            full[i] = x
        return f(*unflatten(in_tree, full))

    only_dynamic.__name__ = getattr(f, "__name__", "jitted")
    graph = optimize(trace(only_dynamic, *[leaves[i] for i in dynamic]))
    return graph, _Plan(graph), dynamic
