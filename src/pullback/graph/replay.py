"""Compile a graph into a flat list of steps that ``jit`` replays outside any transform.

Two back ends:

- ``compile_arrays``: one call of each primitive's NumPy implementation per equation, and
  in-place buffer reuse: an elementwise ufunc writes its result with ``out=`` into an
  operand's buffer when that buffer was allocated inside the graph, has the result's shape
  and dtype, and nothing reads it (or any view of it) afterwards.
- ``compile_scalars``: for graphs of float64 scalars whose primitives all have a ``scalar``
  implementation (``math.sin`` for ``sin``), Python float arithmetic: no NumPy call at all. A
  scalar implementation raises where NumPy returns inf or nan with a warning
  (``math.log(0.0)``); the caller then replays with NumPy.

Variables and constants live in the slots of one list; each step reads its operands with an
``itemgetter`` (a slice for one operand) and stores its result. No source text is generated
(no ``exec``): a replayed graph from ``pb.load`` runs no code but the primitives'.
"""

from __future__ import annotations

from operator import itemgetter

import numpy as np

from .ir import Const, Graph

_SCALAR_DTYPES = (np.dtype(np.float64), np.dtype(np.bool_))


class Replay:
    """A graph compiled to steps ``(function, operand getter, params, output slot, slot
    written with out= or -1, number of results or 0)`` over a list of slots.

    >>> import numpy as np, pullback as pb, pullback.numpy as pnp
    >>> g = pb.trace(lambda x: pnp.exp(-x) * 2.0, np.zeros(3))
    >>> run = compile_arrays(g)
    >>> run(np.zeros(3))
    [array([2., 2., 2.])]
    >>> run.in_place  # exp and multiply write into the buffer negative allocated
    2
    """

    __slots__ = ("steps", "template", "n_in", "outs", "in_place")

    def __init__(self, graph: Graph, scalar: bool, writable: dict[int, int]) -> None:
        slots = {v: k for k, v in enumerate(graph.invars)}
        template: list = [None] * len(slots)

        def slot_of(x) -> int:
            if isinstance(x, int):
                return slots[x]
            template.append(_scalar_constant(x.value) if scalar else x.value)
            return len(template) - 1

        producers, consumers = ({}, {}) if scalar else _shared_residuals(graph)
        residual_slot: dict[int, int] = {}  # producer equation -> slot of its residual
        steps = []
        for k, eqn in enumerate(graph.equations):
            operands = [slot_of(x) for x in eqn.inputs]
            first = len(template)
            for o in eqn.outputs:
                slots[o] = len(template)
                template.append(None)
            fn = eqn.prim.scalar if scalar else eqn.prim.impl
            many = len(eqn.outputs) if eqn.prim.multiple_results else 0
            if k in producers:
                fn, many = producers[k], 2
                residual_slot[k] = len(template)
                template.append(None)
            elif k in consumers:
                producer, fn = consumers[k]
                operands[0] = residual_slot[producer]
            get = itemgetter(*operands) if len(operands) > 1 else _single(operands)
            target = slots[writable[k]] if k in writable else -1
            steps.append((fn, get, eqn.params or None, first, target, many))
        self.steps = steps
        self.outs = [slot_of(o) for o in graph.outvars]
        self.template = template
        self.n_in = len(graph.invars)
        self.in_place = len(writable)

    def __call__(self, *leaves) -> list:
        env = self.template.copy()
        env[: self.n_in] = leaves
        for fn, get, params, o, target, many in self.steps:
            if target >= 0:
                env[o] = fn(*get(env), out=env[target])
            elif many:
                env[o : o + many] = fn(*get(env), **(params or {}))
            elif params is None:
                env[o] = fn(*get(env))
            else:
                env[o] = fn(*get(env), **params)
        return [env[o] for o in self.outs]


def _shared_residuals(graph: Graph) -> tuple[dict, dict]:
    """``({producer equation: produce}, {consumer equation: (producer equation, consume)})``
    for the pairs that a primitive's ``replay_share`` describes: an earlier equation of its
    producer on the same first input with the same key."""
    avals = graph.avals

    def shapes(eqn):
        return tuple(avals[x][0] if isinstance(x, int) else np.shape(x.value) for x in eqn.inputs)

    producers: dict = {}
    consumers: dict = {}
    for k, eqn in enumerate(graph.equations):
        share = eqn.prim.replay_share
        if share is None or not eqn.inputs:
            continue
        key = share.consumer_key(shapes(eqn), eqn.params)
        for j, earlier in enumerate(graph.equations[:k]):
            if (
                earlier.prim is share.producer
                and _same_operand(earlier.inputs[0], eqn.inputs[0])
                and not earlier.prim.multiple_results
                and share.producer_key(shapes(earlier), earlier.params) == key
            ):
                producers[j] = share.produce
                consumers[k] = (j, share.consume)
                break
    return producers, consumers


def _same_operand(a, b) -> bool:
    """The same variable, or constants holding the same array."""
    if isinstance(a, Const) or isinstance(b, Const):
        return isinstance(a, Const) and isinstance(b, Const) and a.value is b.value
    return a == b


def _single(operands: list[int]):
    """A getter of the operands as a sequence: ``env[k:k + 1]`` for one (``itemgetter(k)``
    returns the item itself), ``()`` for none."""
    if not operands:
        return lambda env: ()
    return itemgetter(slice(operands[0], operands[0] + 1))


def compile_arrays(graph: Graph) -> Replay:
    """``graph`` replayed with its primitives' NumPy implementations, elementwise results
    written into dead buffers."""
    return Replay(graph, scalar=False, writable=_writable_operands(graph))


def compile_scalars(graph: Graph) -> Replay | None:
    """``graph`` replayed in Python float arithmetic, or ``None`` when a variable is not a
    float64 or bool scalar or a primitive has no scalar implementation.

    >>> import pullback as pb, pullback.numpy as pnp
    >>> run = compile_scalars(pb.trace(lambda x: pnp.sin(x) * x + 1.0, 2.0))
    >>> run(2.0)
    [2.8185948536513634]
    """
    if not all(shape == () and dtype in _SCALAR_DTYPES for shape, dtype in graph.avals.values()):
        return None
    if any(eqn.prim.scalar is None or eqn.prim.multiple_results for eqn in graph.equations):
        return None
    return Replay(graph, scalar=True, writable={})


def _scalar_constant(value):
    """A 0-d array constant as the Python number it holds (others unchanged)."""
    if isinstance(value, (np.ndarray, np.generic)) and np.ndim(value) == 0:
        return value.item()
    return value


def _writable_operands(graph: Graph) -> dict[int, int]:
    """``{equation index: operand variable}`` for the elementwise ufunc equations that can
    write their result into an operand's buffer.

    A buffer is one allocated by a ufunc inside the graph; every other primitive's output may
    be a view of its operands (``reshape``, ``transpose``, ``getitem``; read-only for
    ``broadcast_to``) and joins their buffer. The operand written is a ufunc's result itself,
    never a view; its buffer can be written when nothing reads any of its views later (a graph
    output is read last) and no view of it is a graph input or derived from a constant.
    """
    last_use = _last_uses(graph)
    buffer: dict[int, int] = {}  # variable -> id of the buffer it views
    members: dict[int, list[int]] = {}  # buffer -> variables viewing it
    pinned: set[int] = set()  # buffers that must not be written
    for v in graph.invars:
        _join(v, v, buffer, members)
        pinned.add(v)
    direct: set[int] = set()  # variables holding a ufunc's result array itself
    writable: dict[int, int] = {}
    for k, eqn in enumerate(graph.equations):
        ufunc = eqn.prim.ufunc
        if ufunc is None or len(eqn.outputs) != 1:
            _view_of_operands(eqn, buffer, members, pinned)
            continue
        out = eqn.outputs[0]
        direct.add(out)
        target = None
        if ufunc.signature is None and not eqn.params:  # elementwise (not matmul)
            target = _dead_operand(k, eqn, graph.avals, buffer, members, pinned, last_use, direct)
        if target is None:
            _join(out, out, buffer, members)
        else:
            writable[k] = target
            _join(out, buffer[target], buffer, members)
    return writable


def _dead_operand(k, eqn, avals, buffer, members, pinned, last_use, direct):
    out_aval = avals[eqn.outputs[0]]
    if not out_aval[0]:
        return None  # 0-d: a ufunc returns a NumPy scalar, not a buffer
    for x in eqn.inputs:
        if not isinstance(x, int) or x not in direct or avals[x] != out_aval:
            continue
        b = buffer[x]
        if b not in pinned and all(last_use[m] <= k for m in members[b]):
            return x
    return None


def _view_of_operands(eqn, buffer, members, pinned) -> None:
    """Record ``eqn``'s outputs as possible views of all its variable operands."""
    operands = [x for x in eqn.inputs if isinstance(x, int)]
    if not operands:
        for o in eqn.outputs:
            _join(o, o, buffer, members)
            pinned.add(o)  # may view a constant
        return
    base = buffer[operands[0]]
    for x in operands[1:]:
        other = buffer[x]
        if other != base:
            for m in members.pop(other):
                buffer[m] = base
                members[base].append(m)
            if other in pinned:
                pinned.add(base)
    if any(isinstance(x, Const) for x in eqn.inputs):
        pinned.add(base)
    for o in eqn.outputs:
        _join(o, base, buffer, members)


def _join(var: int, b: int, buffer: dict, members: dict) -> None:
    buffer[var] = b
    members.setdefault(b, []).append(var)


def _last_uses(graph: Graph) -> dict[int, float]:
    last: dict[int, float] = {}
    for k, eqn in enumerate(graph.equations):
        for o in eqn.outputs:
            last.setdefault(o, k)
        for x in eqn.inputs:
            if isinstance(x, int):
                last[x] = k
    for v in graph.invars:
        last.setdefault(v, -1)
    for o in graph.outvars:
        if isinstance(o, int):
            last[o] = float("inf")
    return last
