"""``trace``: record a function's primitives into a ``Graph`` while computing its values.

``TraceLevel`` is one more interpreter: it evaluates each primitive one level down (so traced
values are concrete) and appends an equation. Values it does not track become constants.
"""

from __future__ import annotations

import itertools

import numpy as np

from .._core.levels import Level
from .._core.primitive import bind
from .._core.tensor import Tensor, dtype_of, shape_of
from .._core.tree import flatten, unflatten
from ..transforms._args import as_primal
from .ir import Const, Equation, Graph


class TraceLevel(Level):
    """Records every primitive applied to its Tensors as an equation (the variable id is kept
    in the Tensor's ``_node`` field)."""

    __slots__ = ("equations", "avals", "display_name", "_ids", "captured")
    records_graph = True

    def __init__(self) -> None:
        super().__init__()
        self.equations: list[Equation] = []
        self.avals: dict[int, tuple] = {}
        self.display_name = "trace"
        self._ids = itertools.count()
        self.captured: dict | None = None  # id -> (Variable, value), once the function runs

    def read_variable(self, variable) -> None:
        if self.captured is not None:
            self.captured.setdefault(id(variable), (variable, variable._raw))

    def new_var(self, value) -> Tensor:
        """A Tensor of this level over ``value`` with a fresh variable."""
        var = next(self._ids)
        self.avals[var] = (shape_of(value), dtype_of(value))
        t = Tensor.__new__(Tensor)
        t._raw = value._raw if isinstance(value, Tensor) else value
        t._shape = shape_of(value)
        t._primal, t._level, t._node, t._tangent, t._bdim = value, self, var, None, None
        return t

    def process(self, prim, args, params):
        primals, own = self.unwrap(args)
        inputs = [Const(_constant(a)) if t is None else t._node for a, t in zip(args, own)]
        ans = bind(prim, *primals, **params)
        outs = [self.new_var(a) for a in (ans if prim.multiple_results else (ans,))]
        examples = [np.asarray(_constant(p)) for p in primals] if prim.fwd is not None else None
        eqn = Equation(prim, inputs, [o._node for o in outs], dict(params), examples)
        self.equations.append(eqn)
        return tuple(outs) if prim.multiple_results else outs[0]


def _constant(a):
    """A constant's value: outer transforms' Tensors are captured by value (their tracking is
    not part of the graph)."""
    if isinstance(a, Tensor):
        return np.asarray(a._raw)
    return a


def trace(f, *example_args) -> Graph:
    """Trace ``f`` on ``example_args`` into a ``Graph`` (a flat list of equations).

    The graph is callable on arguments of the same structure (replaying the recorded
    primitives, so it is differentiable and vmappable). Python control flow is recorded as the
    path the example took: a branch on a traced value raises ``TypeError`` naming the line.

    >>> import numpy as np, pullback as pb, pullback.numpy as pnp
    >>> g = pb.trace(lambda x: pnp.sum(x * x), np.ones(3))
    >>> float(g(np.arange(3.0))), float(pb.grad(g)(np.arange(3.0))[2])
    (5.0, 4.0)
    """
    leaves, in_tree = flatten(tuple(example_args))
    with TraceLevel() as level:
        invals = [level.new_var(as_primal(x)) for x in leaves]
        level.captured = {}  # reading the arguments above is not capturing them
        out = f(*_rebuild(in_tree, invals))
    out_leaves, out_tree = flatten(out)
    outvars = [_outvar(level, x) for x in out_leaves]
    name = getattr(f, "__name__", "graph")
    return Graph(
        [t._node for t in invals],
        outvars,
        level.equations,
        level.avals,
        in_tree,
        out_tree,
        name if name.isidentifier() else "graph",
        tuple(level.captured.values()),
    )


def _rebuild(in_tree, leaves):
    return unflatten(in_tree, leaves)


def _outvar(level, x):
    if isinstance(x, Tensor) and x._level is level:
        return x._node
    return Const(_constant(x))
