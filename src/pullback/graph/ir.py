"""The graph IR: a flat list of equations ``(primitive, inputs, outputs, params)`` in SSA form.

Variables are integers. An input of an equation is a variable or a constant (``Const``, a
captured array or scalar). A ``Graph`` is callable: it replays its equations through ``bind``,
so every transform (``grad``, ``jvp``, ``vmap``) applies to it like to any other function.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._core.primitive import Primitive, bind
from .._core.tree import TreeDef, flatten, unflatten


@dataclass(frozen=True)
class Const:
    """A constant input of an equation: a captured array or Python scalar."""

    value: object

    def __repr__(self) -> str:
        v = self.value
        if isinstance(v, np.ndarray) and v.size > 4:
            return f"const{list(v.shape)}:{v.dtype}"
        return repr(v.tolist() if isinstance(v, (np.ndarray, np.generic)) else v)


@dataclass
class Equation:
    """``outputs = prim(*inputs, **params)``; ``outputs`` are variable ids."""

    prim: Primitive
    inputs: list
    outputs: list[int]
    params: dict = field(default_factory=dict)
    # For special primitives (custom rules, checkpoints, hooks): the concrete input values
    # seen while tracing, from which ``save`` traces their primal and VJP as subgraphs.
    examples: list | None = None

    @property
    def primitive(self) -> str:
        """The primitive's name, as printed and saved."""
        return self.prim.name


@dataclass
class Graph:
    """A traced function: ``invars -> outvars`` through ``equations``.

    ``in_tree``/``out_tree`` rebuild the pytrees the function took and returned; ``avals``
    holds the (shape, dtype) of every variable; ``captured`` the ``(Variable, value)`` pairs
    of the Variables the function read other than through its arguments, whose values are
    constants of the graph.

    >>> import numpy as np, pullback as pb, pullback.numpy as pnp
    >>> g = pb.trace(lambda x: pnp.sin(x) * 2.0, np.zeros(3))
    >>> print(g)
    graph(v0: f64[3]) {
      v1 = sin v0
      v2 = multiply v1 2.0
      return v2
    }
    """

    invars: list[int]
    outvars: list
    equations: list[Equation]
    avals: dict
    in_tree: TreeDef
    out_tree: TreeDef
    name: str = "graph"
    # NOTE: the Variables that tracing read (not arguments: closures' and static attributes'),
    # each with the array it held then, which the graph's constants were computed from.
    captured: tuple = ()

    def __call__(self, *args):
        leaves, in_tree = flatten(tuple(args))
        if in_tree != self.in_tree or len(leaves) != len(self.invars):
            raise TypeError(
                f"{self.name} was traced for arguments {self.in_tree!r}, got {in_tree!r}"
            )
        outs = evaluate(self, leaves)
        return unflatten(self.out_tree, outs)

    def __str__(self) -> str:
        args = ", ".join(f"v{v}: {_aval_str(self.avals[v])}" for v in self.invars)
        lines = [f"{self.name}({args}) {{"]
        for eqn in self.equations:
            outs = ", ".join(f"v{o}" for o in eqn.outputs)
            ins = " ".join(_operand_str(i) for i in eqn.inputs)
            params = " ".join(f"{k}={_param_str(v)}" for k, v in eqn.params.items())
            lines.append(f"  {outs} = {eqn.primitive} {ins}{' ' + params if params else ''}")
        lines.append(f"  return {', '.join(_operand_str(o) for o in self.outvars)}")
        lines.append("}")
        return "\n".join(lines)

    def to_dot(self) -> str:
        """The graph in Graphviz's dot language."""
        lines = [f'digraph "{self.name}" {{', "  rankdir=LR;"]
        for v in self.invars:
            lines.append(f'  v{v} [shape=box, label="v{v}\\n{_aval_str(self.avals[v])}"];')
        for k, eqn in enumerate(self.equations):
            lines.append(f'  e{k} [shape=ellipse, label="{eqn.primitive}"];')
            for i in eqn.inputs:
                if isinstance(i, int):
                    lines.append(f"  v{i} -> e{k};")
            for o in eqn.outputs:
                lines.append(f'  v{o} [shape=box, label="v{o}\\n{_aval_str(self.avals[o])}"];')
                lines.append(f"  e{k} -> v{o};")
        lines.append("}")
        return "\n".join(lines)


def evaluate(graph: Graph, leaves) -> list:
    """Replay ``graph`` on input ``leaves`` through ``bind`` (so transforms see every op)."""
    env = dict(zip(graph.invars, leaves))
    for eqn in graph.equations:
        ins = [env[i] if isinstance(i, int) else i.value for i in eqn.inputs]
        out = bind(eqn.prim, *ins, **eqn.params)
        if eqn.prim.multiple_results:
            env.update(zip(eqn.outputs, out))
        else:
            env[eqn.outputs[0]] = out
    return [env[o] if isinstance(o, int) else o.value for o in graph.outvars]


_SHORT = {"float64": "f64", "float32": "f32", "int64": "i64", "int32": "i32", "bool": "bool"}


def _aval_str(aval) -> str:
    shape, dtype = aval
    name = _SHORT.get(str(dtype), str(dtype))
    return f"{name}[{','.join(map(str, shape))}]"


def _operand_str(x) -> str:
    return f"v{x}" if isinstance(x, int) else repr(x)


def _param_str(v) -> str:
    if isinstance(v, np.ndarray):
        return f"array{list(v.shape)}"
    return repr(v)
