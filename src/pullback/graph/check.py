"""``check_ir``: the checks a graph passes before it may run, for every file ``load`` reads.

A graph is well formed when every variable is defined once, before it is used (so the SSA
order is a topological order and no cycle is possible), every operation is a registered
primitive or a loaded custom operation, each equation has its primitive's arity and parameter
names, parameters have the types their names call for, every aval (shape, dtype) has an
allowed dtype and a bounded size, and each equation's declared output avals are what its
primitive gives on zeros of its input avals.

That last check runs the primitive, so it is bounded: an equation is run only when a
conservative estimate of the bytes it touches fits a per-equation budget and the load's total
budget; larger equations keep the static checks. Custom operations are checked through their
subgraphs: input and output avals must match the primal subgraph's, and the saved VJP subgraph
must map ``(inputs, output cotangents)`` to one cotangent per input.
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from .._core.primitive import _registry
from .._core.tensor import dtype_of, shape_of
from .ir import Const, Graph

DTYPES = frozenset(
    ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]
    + ["float16", "float32", "float64", "complex64", "complex128"]
)
MAX_NDIM = 64
MAX_ELEMENTS = 2**32  # per variable or array; refused before anything is allocated
PROBE_BYTES = 2**24  # at most this many bytes touched to run one equation on zeros
PROBE_TOTAL = 2**28  # and this many over one check_ir call (plus what the caller allows)

# Output shapes that depend on the input values: only dtype and rank are checked.
_VALUE_SHAPED = frozenset(["nonzero", "argwhere"])
_LINALG = frozenset(
    ["cholesky", "det", "eigh", "eigvalsh", "inv", "pinv", "qr", "slogdet", "solve", "svd"]
    + ["svdvals"]
)


class FormatError(ValueError):
    """A file that is not a well-formed pullback graph, or a graph that fails ``check_ir``.

    >>> issubclass(FormatError, ValueError)
    True
    """


def check_ir(graph: Graph, *, probe_bytes: int = PROBE_TOTAL) -> None:
    """Raise ``FormatError`` unless ``graph`` is well formed (see the module docstring).

    Args:
        graph: a traced or loaded ``Graph``.
        probe_bytes: how many bytes running equations on zeros may touch in all.

    >>> import numpy as np, pullback as pb, pullback.numpy as pnp
    >>> g = pb.trace(lambda x: pnp.sin(x) * 2.0, np.zeros(3))
    >>> check_ir(g)
    >>> g.equations[1].inputs[0] = 7
    >>> check_ir(g)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pullback.graph.check.FormatError: graph equation 1 ('multiply'): input v7 is used before...
    """
    _Checker(probe_bytes).run(graph)


class _Checker:
    """One pass over a graph and its custom operations' subgraphs."""

    def __init__(self, probe_bytes: int) -> None:
        self.probe_left = probe_bytes
        self.checked: set = set()  # custom operations whose subgraphs are checked or queued
        self.primal_stack: list = []  # custom operations whose primal is being checked
        self.pending: list = []  # (custom operation, forward or VJP subgraph), checked last

    def run(self, graph: Graph) -> None:
        self.graph(graph, graph.name, top=True)
        while self.pending:
            prim, subgraph = self.pending.pop()
            self.graph(subgraph, f"{prim.name!r} subgraph")

    def graph(self, g: Graph, where: str, top: bool = False) -> None:
        defined: set[int] = set()
        for v in g.invars:
            self.define(v, defined, g.avals, f"{where} input")
        for k, eqn in enumerate(g.equations):
            here = f"{where} equation {k} ({eqn.prim.name!r})"
            for i in eqn.inputs:
                if not isinstance(i, Const) and (not _is_int(i) or i not in defined):
                    raise FormatError(f"{here}: input v{i} is used before it is defined")
            for o in eqn.outputs:
                self.define(o, defined, g.avals, here)
            self.equation(eqn, g.avals, here)
        for o in g.outvars:
            if not isinstance(o, Const) and (not _is_int(o) or o not in defined):
                raise FormatError(f"{where}: output v{o} is never defined")
        if top and g.in_tree.num_leaves != len(g.invars):
            raise FormatError(
                f"{where}: in_tree has {g.in_tree.num_leaves} leaves for {len(g.invars)} inputs"
            )
        if top and g.out_tree.num_leaves != len(g.outvars):
            raise FormatError(
                f"{where}: out_tree has {g.out_tree.num_leaves} leaves for {len(g.outvars)} outputs"
            )

    def define(self, v, defined: set, avals: dict, where: str) -> None:
        if not _is_int(v):
            raise FormatError(f"{where}: variable {v!r} is not an integer id")
        if v in defined:
            raise FormatError(f"{where}: variable v{v} is defined twice")
        if v not in avals:
            raise FormatError(f"{where}: variable v{v} has no aval")
        check_aval(avals[v], f"{where}: v{v}")
        defined.add(v)

    def equation(self, eqn, avals: dict, where: str) -> None:
        prim = eqn.prim
        if prim.fwd is not None:
            self.custom(eqn, avals, where)
            return
        if _registry.get(prim.name) is not prim:
            raise FormatError(f"{where}: unknown operation {prim.name!r}")
        lo, hi = _arity(prim)
        n = len(eqn.inputs)
        if n < lo or (hi is not None and n > hi):
            expected = f"{lo}" if lo == hi else f"{lo} to {'any' if hi is None else hi}"
            raise FormatError(f"{where}: takes {expected} input(s), got {n}")
        if not prim.multiple_results and len(eqn.outputs) != 1:
            raise FormatError(f"{where}: has one output, got {len(eqn.outputs)}")
        _check_params(prim, eqn.params, where)
        self.probe(eqn, avals, where)

    def custom(self, eqn, avals: dict, where: str) -> None:
        """A loaded custom operation: its avals against its subgraphs, which are checked too.

        A primal subgraph may not use its own operation, even indirectly (evaluating it would
        never end); a VJP subgraph may (a rule that calls the function it differentiates).
        """
        prim = eqn.prim
        saved = getattr(prim, "subgraphs", None)
        if saved is None:
            return  # a traced special primitive: its body is Python code, not a graph
        primal, forward, vjp = saved
        if prim in self.primal_stack:
            raise FormatError(f"{where}: the primal of {prim.name!r} uses itself")
        if not prim.multiple_results and len(eqn.outputs) != 1:
            raise FormatError(f"{where}: has one output, got {len(eqn.outputs)}")
        if prim not in self.checked:
            self.checked.add(prim)
            self.primal_stack.append(prim)
            self.graph(primal, f"{prim.name!r} primal")
            self.primal_stack.pop()
            self.pending += [(prim, g) for g in (forward, vjp) if g is not None]
        ins = [_aval_of(i, avals) for i in eqn.inputs]
        outs = [avals[o] for o in eqn.outputs]
        _same(ins, [primal.avals[v] for v in primal.invars], f"{where}: input avals")
        _same(outs, [_aval_of(o, primal.avals) for o in primal.outvars], f"{where}: output avals")
        if forward is not None:
            _same(ins, [forward.avals[v] for v in forward.invars], f"{where}: forward inputs")
            _same(outs, [_aval_of(o, forward.avals) for o in forward.outvars], f"{where}: forward")
        if vjp is not None:
            _same(ins + outs, [vjp.avals[v] for v in vjp.invars], f"{where}: vjp input avals")
            _same(ins, [_aval_of(o, vjp.avals) for o in vjp.outvars], f"{where}: vjp outputs")

    def probe(self, eqn, avals: dict, where: str) -> None:
        """Run the equation on zeros of its input avals, within budget, and compare avals."""
        shapes = [_aval_of(i, avals)[0] for i in eqn.inputs]
        bound = _output_bound(eqn, shapes) * max(1, len(eqn.outputs))
        cost = 16 * bound + sum(
            _size(avals[i][0]) * np.dtype(avals[i][1]).itemsize
            for i in eqn.inputs
            if not isinstance(i, Const)
        )
        if eqn.prim.name in _LINALG:
            cost += sum(_size(s) * (s[-1] if s else 1) for s in shapes)
        if cost > PROBE_BYTES or cost > self.probe_left:
            return
        self.probe_left -= cost
        outs = _run(eqn, avals, where)
        if len(outs) != len(eqn.outputs):
            raise FormatError(f"{where}: gives {len(outs)} outputs, declared {len(eqn.outputs)}")
        for o, value in zip(eqn.outputs, outs):
            shape, dtype = avals[o]
            got = (shape_of(value), dtype_of(value))
            if eqn.prim.name in _VALUE_SHAPED:
                ok = got[1] == dtype and len(got[0]) == len(shape)
            else:
                ok = got == (tuple(shape), np.dtype(dtype))
            if not ok:
                raise FormatError(
                    f"{where}: output v{o} is declared {_describe((shape, dtype))}, but the "
                    f"operation gives {_describe(got)}"
                )


def check_aval(aval, where: str) -> tuple[tuple[int, ...], np.dtype]:
    """``aval`` as ``(shape, dtype)`` after checking it, before anything of it is allocated."""
    if not isinstance(aval, tuple) or len(aval) != 2:
        raise FormatError(f"{where}: an aval is (shape, dtype), got {aval!r}")
    shape, dtype = aval
    if not isinstance(shape, tuple) or len(shape) > MAX_NDIM:
        raise FormatError(f"{where}: shape must be a tuple of at most {MAX_NDIM} dimensions")
    size = 1
    for d in shape:
        if not _is_int(d) or d < 0:
            raise FormatError(f"{where}: dimension {d!r} is not a non-negative integer")
        size *= d
        if size > MAX_ELEMENTS:
            raise FormatError(f"{where}: shape {shape} has more than {MAX_ELEMENTS} elements")
    if not isinstance(dtype, np.dtype) or dtype.name not in DTYPES:
        raise FormatError(f"{where}: dtype {dtype!r} is not one of {sorted(DTYPES)}")
    return shape, dtype


def _is_int(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _size(shape) -> int:
    return math.prod(shape)


def _aval_of(x, avals: dict):
    """The (shape, dtype) of a variable or constant (a non-numeric constant: shape ())."""
    if not isinstance(x, Const):
        return avals[x]
    v = x.value
    if isinstance(v, (np.ndarray, np.generic, numbers.Number)):
        return (tuple(np.shape(v)), np.result_type(v))
    return ((), np.dtype(object))


def _describe(aval) -> str:
    return f"shape {tuple(aval[0])} {np.dtype(aval[1]).name}"


def _same(got: list, expected: list, where: str) -> None:
    got = [(tuple(s), np.dtype(d)) for s, d in got]
    expected = [(tuple(s), np.dtype(d)) for s, d in expected]
    if got != expected:
        raise FormatError(
            f"{where} are {[_describe(a) for a in got]}, but the subgraph has "
            f"{[_describe(a) for a in expected]}"
        )


# --- arity and parameters --------------------------------------------------------------------


def _arity(prim) -> tuple[int, int | None]:
    """The least and most number of inputs ``prim`` takes (most is None: any)."""
    if isinstance(prim.impl, np.ufunc):
        return prim.impl.nin, prim.impl.nin
    if prim.__signature__ is None:
        return 0, None
    lo = 0
    hi: int | None = 0
    for p in prim.__signature__.parameters.values():
        if p.kind is p.VAR_POSITIONAL:
            hi = None
        elif p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and hi is not None:
            hi += 1
            lo += p.default is p.empty
    return lo, hi


def _check_params(prim, params: dict, where: str) -> None:
    """Parameter names against the implementation's keywords, values against their names."""
    signature = None if isinstance(prim.impl, np.ufunc) else prim.__signature__
    if signature is None:
        # a ufunc takes no params; an implementation without a signature, any
        names, required, any_name = set(), set(), not isinstance(prim.impl, np.ufunc)
    else:
        kinds = signature.parameters.values()
        names = {p.name for p in kinds if p.kind is p.KEYWORD_ONLY}
        required = {p.name for p in kinds if p.kind is p.KEYWORD_ONLY and p.default is p.empty}
        any_name = any(p.kind is p.VAR_KEYWORD for p in kinds)
    unknown = sorted(set(params) - names)
    if unknown and not any_name:
        raise FormatError(f"{where}: unknown parameter(s) {unknown}; it takes {sorted(names)}")
    missing = sorted(required - set(params))
    if missing:
        raise FormatError(f"{where}: missing parameter(s) {missing}")
    for name, value in params.items():
        rule = _PARAM_TYPES.get(name)
        if rule is not None and not rule[0](value):
            raise FormatError(f"{where}: parameter {name!r} must be {rule[1]}, got {value!r}")


def _is_axis(v) -> bool:
    return v is None or _is_int(v) or (isinstance(v, tuple) and all(map(_is_int, v)))


def _is_int_tuple(v) -> bool:
    return isinstance(v, tuple) and all(map(_is_int, v))


def _is_number(v) -> bool:
    return isinstance(v, (numbers.Number, np.generic)) and not isinstance(v, (bool, np.bool_))


def _is_pad_width(v) -> bool:
    return _is_int(v) or (isinstance(v, tuple) and all(map(_is_pad_width, v)))


_PARAM_TYPES = {
    "axis": (_is_axis, "an int, a tuple of ints or None"),
    "keepdims": (lambda v: isinstance(v, bool), "a bool"),
    "hermitian": (lambda v: isinstance(v, bool), "a bool"),
    "subscripts": (lambda v: isinstance(v, str), "a str"),
    "index": (lambda v: isinstance(v, tuple), "a tuple"),
    "shape": (_is_int_tuple, "a tuple of ints"),
    "offset": (_is_int, "an int"),
    "axis1": (_is_int, "an int"),
    "axis2": (_is_int, "an int"),
    "n": (_is_int, "an int"),
    "decimals": (_is_int, "an int"),
    # NOTE: rules are by parameter name across primitives: scatter_add_along's size is an int,
    # the pooling ops' a window (a tuple of ints).
    "size": (lambda v: _is_int(v) or _is_int_tuple(v), "an int or a tuple of ints"),
    "strides": (_is_int_tuple, "a tuple of ints"),
    "dilation": (_is_int_tuple, "a tuple of ints"),
    "padding": (_is_pad_width, "nested tuples of ints"),
    "pad_width": (_is_pad_width, "an int or nested tuples of ints"),
    "constant_values": (_is_number, "a number"),
    "rcond": (_is_number, "a number"),
}


# --- running an equation on zeros ------------------------------------------------------------


def _output_bound(eqn, shapes: list) -> int:
    """An upper bound on the element count of any one output (it gates the probe only)."""
    sizes = [_size(s) for s in shapes]
    bound = max([sum(sizes), _broadcast_size(shapes), 1])
    rule = _BOUNDS.get(eqn.prim.name)
    if rule is not None:
        try:
            bound = max(bound, rule(eqn, shapes))
        except (AttributeError, KeyError, TypeError, ValueError, OverflowError, IndexError):
            return MAX_ELEMENTS + 1  # malformed: too odd to run
    return bound


def _broadcast_size(shapes: list) -> int:
    """The size of the shapes broadcast together, taking the largest dimension at each axis."""
    ndim = max((len(s) for s in shapes), default=0)
    dims = [1] * ndim
    for s in shapes:
        for k, d in enumerate(s):
            at = ndim - len(s) + k
            dims[at] = max(dims[at], d)
    return _size(dims)


def _shape_param_size(shape) -> int:
    return _size(shape) if _is_int_tuple(shape) else 1


def _matmul_bound(eqn, shapes) -> int:
    x, y = (tuple(s) if len(s) >= 2 else (1, *s) for s in shapes)
    return _broadcast_size([x[:-2], y[:-2]]) * x[-2] * y[-1]


def _pad_bound(eqn, shapes) -> int:
    width = np.broadcast_to(
        np.asarray(eqn.params["pad_width"], dtype=np.int64), (len(shapes[0]), 2)
    )
    return _size(d + int(a) + int(b) for d, (a, b) in zip(shapes[0], width))


def _getitem_bound(eqn, shapes) -> int:
    index = eqn.params["index"]
    arrays = [np.shape(i) for i in index if isinstance(i, (np.ndarray, list))]
    return max(1, _size(shapes[0])) * _broadcast_size(arrays)


def _einsum_bound(eqn, shapes) -> int:
    return _size(max(1, _size(s)) for s in shapes)


_BOUNDS = {
    "broadcast_to": lambda eqn, shapes: _shape_param_size(eqn.inputs[1].value),
    "diag_embed": lambda eqn, shapes: _shape_param_size(eqn.params["shape"]),
    "scatter_add": lambda eqn, shapes: _shape_param_size(eqn.params["shape"]),
    "matmul": _matmul_bound,
    "pad": _pad_bound,
    "getitem": _getitem_bound,
    "einsum": _einsum_bound,
}


def _run(eqn, avals: dict, where: str) -> tuple:
    """The equation's outputs on zeros (or identity matrices, if zeros are singular)."""
    args = [i.value if isinstance(i, Const) else np.zeros(*avals[i]) for i in eqn.inputs]
    try:
        try:
            out = _quietly(eqn, args)
        except np.linalg.LinAlgError:
            out = _quietly(
                eqn,
                [_eye_like(a) if not isinstance(i, Const) else a for i, a in zip(eqn.inputs, args)],
            )
    except Exception as e:  # noqa: BLE001 -- whatever the op raises, the file is at fault
        avals_in = [_describe(_aval_of(i, avals)) for i in eqn.inputs]
        raise FormatError(f"{where}: fails on inputs {avals_in}: {type(e).__name__}: {e}") from e
    return tuple(out) if eqn.prim.multiple_results else (out,)


def _quietly(eqn, args):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return eqn.prim.impl(*args, **eqn.params)


def _eye_like(a: np.ndarray) -> np.ndarray:
    if a.ndim >= 2 and a.shape[-1] == a.shape[-2]:
        return np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape).copy()
    return a
