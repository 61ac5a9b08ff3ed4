"""Graph optimisations ``jit`` runs before replaying: exact identities, constant folding,
common subexpressions and dead code. (Tracing already computes ops on constants instead of
recording them; folding here catches the constants the identities create.)

Every rewrite keeps the values bit for bit: ``x * 1``, ``x / 1`` and ``x ** 1`` are ``x``,
``x ** 0`` is ones (NaN included, as in NumPy), a reshape to the same shape or a full slice
is its operand, ``reshape(reshape(x))`` is one reshape, and an elementwise ufunc broadcasts
its operands itself. These appear in derived graphs (the power rule's ``y * x ** (y - 1)`` at
``y = 2``, a Hessian's reshapes) rather than in code people write.
"""

from __future__ import annotations

import numpy as np

from ..ops import elementwise as _ew
from ..ops import index as _index
from ..ops import shape as _shape
from .ir import Const, Equation, Graph


def optimize(graph: Graph) -> Graph:
    """Exact identities, then common subexpressions, then dead code.

    >>> import numpy as np, pullback as pb
    >>> g = pb.trace(lambda x: (x * 1.0) ** 1 + (x * 1.0) ** 1, np.zeros(2))
    >>> print(optimize(g))
    graph(v0: f64[2]) {
      v5 = add v0 v0
      return v5
    }
    """
    return dead_code_elimination(common_subexpression_elimination(simplify(graph)))


def dead_code_elimination(graph: Graph) -> Graph:
    """``graph`` without equations whose outputs nothing uses."""
    live = {o for o in graph.outvars if isinstance(o, int)}
    kept = []
    for eqn in reversed(graph.equations):
        if any(o in live for o in eqn.outputs):
            kept.append(eqn)
            live.update(i for i in eqn.inputs if isinstance(i, int))
    kept.reverse()
    return _replace(graph, kept, graph.outvars)


def common_subexpression_elimination(graph: Graph) -> Graph:
    """``graph`` with repeated ``(primitive, inputs, params)`` computed once; random ones only
    when their ``draw`` param says they are the same draw (a checkpoint's recomputation)."""
    seen: dict = {}
    rename: dict[int, int] = {}
    kept = []
    for eqn in graph.equations:
        inputs = _renamed(eqn.inputs, rename)
        if eqn.prim.random and eqn.params.get("draw") is None:  # two draws are two masks
            kept.append(Equation(eqn.prim, inputs, eqn.outputs, eqn.params, eqn.examples))
            continue
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
        kept.append(Equation(eqn.prim, inputs, eqn.outputs, eqn.params, eqn.examples))
    return _replace(graph, kept, _renamed(graph.outvars, rename))


def simplify(graph: Graph) -> Graph:
    """``graph`` with equations that are exact identities replaced by their operand,
    equations of constants computed, a reshape of a reshape made one reshape, and a
    ``broadcast_to`` feeding an elementwise ufunc left to the ufunc's own broadcasting."""
    rename: dict = {}
    producer: dict[int, Equation] = {}
    kept = []
    for eqn in graph.equations:
        inputs = _renamed(eqn.inputs, rename)
        eqn = Equation(
            eqn.prim,
            _shortcut(eqn, inputs, producer, graph.avals),
            eqn.outputs,
            eqn.params,
            eqn.examples,
        )
        same = None if eqn.prim.multiple_results else _identity_of(eqn, graph.avals)
        if same is None:
            same = _folded(eqn)
        if same is None:
            kept.append(eqn)
            producer.update((o, eqn) for o in eqn.outputs)
        else:
            rename[eqn.outputs[0]] = same
    return _replace(graph, kept, _renamed(graph.outvars, rename))


def _shortcut(eqn: Equation, inputs: list, producer: dict, avals: dict) -> list:
    """``inputs`` with a reshape's reshaped operand, or an elementwise ufunc's broadcast
    operands, replaced by what they were made from (same values)."""
    source = [producer.get(x) if isinstance(x, int) else None for x in inputs]
    if eqn.prim is _shape.reshape and source[0] is not None and source[0].prim is _shape.reshape:
        return [source[0].inputs[0], *inputs[1:]]
    ufunc = eqn.prim.ufunc
    if ufunc is None or ufunc.signature is not None or eqn.prim.multiple_results:
        return inputs
    out_shape = avals[eqn.outputs[0]][0]
    shortened = list(inputs)
    for j, s in enumerate(source):
        if s is not None and s.prim is _shape.broadcast_to:
            trial = shortened[:j] + [s.inputs[0]] + shortened[j + 1 :]
            if np.broadcast_shapes(*(_shape_of(x, avals) for x in trial)) == out_shape:
                shortened = trial
    return shortened


def _shape_of(operand, avals: dict) -> tuple:
    return avals[operand][0] if isinstance(operand, int) else np.shape(operand.value)


def _folded(eqn: Equation):
    """A ``Const`` of ``eqn``'s value when all its inputs are constants, else ``None``."""
    if eqn.prim.fwd is not None or eqn.prim.multiple_results:
        return None
    if not all(isinstance(x, Const) for x in eqn.inputs):
        return None
    return Const(eqn.prim.impl(*[x.value for x in eqn.inputs], **eqn.params))


def _identity_of(eqn: Equation, avals: dict):
    """The variable or ``Const`` that ``eqn``'s output equals, or ``None``."""
    prim, ins, params = eqn.prim, eqn.inputs, eqn.params
    aval = avals[eqn.outputs[0]]

    def unchanged(i):
        return isinstance(i, int) and avals[i] == aval

    if prim is _ew.multiply:
        for a, b in ((ins[0], ins[1]), (ins[1], ins[0])):
            if unchanged(a) and _all_equal(b, 1):
                return a
    elif prim in (_ew.divide, _ew.power) and unchanged(ins[0]) and _all_equal(ins[1], 1):
        return ins[0]
    elif prim is _ew.power and _all_equal(ins[1], 0) and aval[1].kind in "fc":
        return Const(np.ones(*aval))
    elif prim in (_shape.reshape, _shape.broadcast_to) and unchanged(ins[0]):
        return ins[0]
    elif prim is _shape.transpose and unchanged(ins[0]):
        if tuple(ins[1].value) == tuple(range(len(aval[0]))):
            return ins[0]
    elif prim is _index.getitem and unchanged(ins[0]) and _full_slices(params["index"], aval[0]):
        return ins[0]
    return None


def _all_equal(operand, value) -> bool:
    """``operand`` is a constant whose every element is ``value``."""
    if not isinstance(operand, Const):
        return False
    v = operand.value
    if isinstance(v, (bool, np.bool_)) or getattr(v, "dtype", None) == np.bool_:
        return False
    try:
        return bool(np.all(np.asarray(v) == value)) and np.size(v) > 0
    except (TypeError, ValueError):
        return False


def _full_slices(index, shape) -> bool:
    """``index`` selects all of an array of ``shape`` (a tuple of whole slices)."""
    index = index if isinstance(index, tuple) else (index,)
    if len(index) > len(shape) or not all(isinstance(s, slice) for s in index):
        return False
    return all(s.indices(n) == (0, n, 1) for s, n in zip(index, shape))


def _renamed(operands, rename: dict) -> list:
    return [rename.get(i, i) if isinstance(i, int) else i for i in operands]


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


def _replace(graph: Graph, equations, outvars) -> Graph:
    return Graph(
        graph.invars,
        list(outvars),
        equations,
        graph.avals,
        graph.in_tree,
        graph.out_tree,
        graph.name,
        graph.captured,
    )
