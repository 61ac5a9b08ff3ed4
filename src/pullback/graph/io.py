"""``save`` and ``load``: traced graphs in a file that is safe to open.

Format 1.0 is a zip archive (every entry stored, uncompressed; no zip64, so under 4 GiB) whose
entries tile the file exactly, in this order:

- ``PULLBACK``: the magic, ``pullback-graph\\n``. The file's first 53 bytes are therefore
  fixed, and anything else (another serialisation format) is refused before it is parsed
  further.
- ``graph.json``: UTF-8 JSON, ``{"format": "pullback-graph", "version": [1, 0], "name": ...,
  "graph": ..., "arrays": ...}`` (at most 100 MB, nested at most 64 deep).
- ``graph.sha256``: the hex SHA-256 of ``graph.json``'s bytes, and a newline.
- ``arrays/<name>.npy``: one per array (constants and array parameters), written by
  ``np.save(allow_pickle=False)``, little-endian, C order. ``arrays`` in graph.json maps each
  name to ``{"dtype", "shape", "sha256"}``; every array is listed and every listed one exists.

A graph is ``{"invars", "equations", "outvars"}`` (``in_tree`` and ``out_tree`` at the top).
A variable is defined once, as ``[id, shape, dtype]``: in ``invars`` or an equation's ``out``.
An input or output is a variable id or ``{"const": value}``. An equation is ``{"op": name,
"in": [...], "out": [...], "params": {name: value}}``, where ``op`` is a registered primitive.
A custom-gradient operation (custom_vjp, custom_gradient, custom_jvp, differentiable_function,
checkpoint, with_derivative) is ``{"op": "custom/<name>", "in", "out", "multiple_results",
"primal": graph, "vjp": graph}``: ``primal`` is its function traced on the example inputs, and
``vjp`` (present when saved with ``custom_gradients=True``, and always for ``checkpoint``) maps
``(inputs, output cotangents)`` to the input cotangents. A hook of ``with_derivative`` is saved
as the ops it applies to the cotangent; its Python side effects are not saved.

Values (params and constants) use JSON's null, booleans, integers, finite floats, strings and
arrays (a tuple); anything else is an object tagged by ``"$"``: ``float`` (``"nan"``, ``"inf"``,
``"-inf"``), ``complex``, ``list``, ``dict`` (string keys), ``slice``, ``ellipsis``,
``dtype``, ``scalar_type`` (e.g. ``np.float32``), ``scalar`` (a NumPy scalar) and ``array``
(by name). Trees are ``"*"`` (a leaf), ``null``, ``{"tuple": [...]}``, ``{"list": [...]}`` and
``{"dict": [[key, tree], ...]}``. Dtypes are names from ``check.DTYPES``.

Loading never runs code from the file: op names are looked up in pullback's registry of
primitives, arrays are read with ``np.load(allow_pickle=False)`` after their headers are
checked, and ``check_ir`` runs on the result. Every problem raises ``FormatError``.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import math
import re

import numpy as np

from .._core.primitive import Primitive, _registry
from .._core.tensor import dtype_of, shape_of
from .._core.tree import TreeDef, flatten, unflatten
from ..transforms._args import output_kind, restore
from ..transforms.checkpoint import checkpoint_p
from ..transforms.transpose import checked_cotangents
from . import _container
from ._container import FIXED, MAGIC, MAGIC_ENTRY, Archive, npy_header
from .check import DTYPES, MAX_NDIM, PROBE_TOTAL, check_aval, check_ir
from .check import FormatError as FormatError
from .ir import Const, Equation, Graph, evaluate
from .optimize import dead_code_elimination
from .trace import trace

FORMAT = "pullback-graph"
VERSION = (1, 0)
MAX_JSON_BYTES = 100 * 2**20
MAX_DEPTH = 64
MAX_NAME = 200

_ARRAY_NAME = re.compile(r"[a-z0-9_]{1,64}")
_HEX64 = re.compile(r"[0-9a-f]{64}")


# --- save --------------------------------------------------------------------------------


def save(path, f_or_module, *example_args, custom_gradients: bool = True) -> None:
    """Trace ``f_or_module`` on ``example_args`` and write the graph to ``path``.

    A ``pb.nn.Module`` is saved with its current weights as constants.

    Args:
        path: the file to write (replaced atomically).
        f_or_module: a function of pytrees (tuples, lists, dicts) of arrays, or a Module.
        custom_gradients: save custom rules' backward passes as graphs. Without them, the
            loaded function raises ``LookupError`` when differentiated through such an op.

    Raises:
        TypeError: a value the format cannot hold (an object dtype, a custom pytree node).

    >>> import os, tempfile, numpy as np, pullback as pb, pullback.numpy as pnp
    >>> path = os.path.join(tempfile.mkdtemp(), "sin.pb")
    >>> save(path, lambda x: pnp.sum(pnp.sin(x)), np.zeros(3))
    >>> float(pb.grad(load(path))(np.zeros(3))[0])
    1.0
    """
    graph = trace(lambda *args: f_or_module(*args), *example_args)
    writer = _Writer(custom_gradients)
    body = {
        "format": FORMAT,
        "version": list(VERSION),
        "name": _graph_name(f_or_module),
        "graph": writer.graph(graph, top=True),
        "customs": writer.customs,
        "arrays": writer.manifest,
    }
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()
    digest = hashlib.sha256(text).hexdigest() + "\n"
    entries = [(MAGIC_ENTRY, MAGIC), ("graph.json", text), ("graph.sha256", digest.encode())]
    entries += [(f"arrays/{name}.npy", data) for name, data in writer.payloads]
    _container.write(path, entries)


def _graph_name(f) -> str:
    name = getattr(f, "__name__", type(f).__name__)
    return name if name.isidentifier() and len(name) <= MAX_NAME else "graph"


class _Writer:
    """Encodes graphs into JSON-ready objects, collecting their arrays."""

    def __init__(self, custom_gradients: bool) -> None:
        self.custom_gradients = custom_gradients
        self.manifest: dict = {}
        self.payloads: list = []
        self.names: dict = {}  # id(array) -> name
        self.keep: list = []  # the arrays named, so that their ids stay unique
        self.customs: list = []
        self.active: dict = {}  # (primitive, input avals) -> index, while being written

    def graph(self, g: Graph, top: bool = False) -> dict:
        g = dead_code_elimination(g)
        ids: dict[int, int] = {}

        def define(v):
            ids[v] = len(ids)
            shape, dtype = g.avals[v]
            return [ids[v], [int(d) for d in shape], _dtype_name(dtype)]

        out = {"invars": [define(v) for v in g.invars], "equations": []}
        for eqn in g.equations:
            ins = [self.ref(i, ids) for i in eqn.inputs]
            outs = [define(o) for o in eqn.outputs]
            out["equations"].append(self.equation(eqn, ins, outs, g.avals))
        out["outvars"] = [self.ref(o, ids) for o in g.outvars]
        if top:
            out["in_tree"] = _tree(g.in_tree)
            out["out_tree"] = _tree(g.out_tree)
        return out

    def ref(self, x, ids: dict):
        return {"const": self.value(x.value)} if isinstance(x, Const) else ids[x]

    def equation(self, eqn: Equation, ins: list, outs: list, avals: dict) -> dict:
        prim = eqn.prim
        if prim.fwd is not None:
            return self.custom(eqn, ins, outs, avals)
        if _registry.get(prim.name) is not prim:
            raise TypeError(
                f"cannot save op {prim.name!r}: it is not a registered primitive, so no other "
                f"process could find it; define it with pb.primitive(..., name=...)"
            )
        params = {k: self.value(v) for k, v in eqn.params.items()}
        return {"op": prim.name, "in": ins, "out": outs, "params": params}

    def custom(self, eqn: Equation, ins: list, outs: list, avals: dict) -> dict:
        """A special primitive: an entry of ``customs`` (its primal and VJP subgraphs)."""
        prim = eqn.prim
        key = (id(prim), tuple((shape_of(x), dtype_of(x)) for x in eqn.examples))
        index = self.active.get(key)
        if index is None:
            # NOTE: a custom function whose rule calls the function itself (fwd calling f)
            # refers back to the entry being written, which keeps the file finite.
            index = self.active[key] = len(self.customs)
            self.customs.append(None)
            self.customs[index] = self.definition(eqn, avals)
            del self.active[key]
        return {"op": f"custom/{prim.name}", "custom": index, "in": ins, "out": outs}

    def definition(self, eqn: Equation, avals: dict) -> dict:
        prim = eqn.prim
        primal = trace(lambda *a: prim.impl(*a, **eqn.params), *eqn.examples)
        entry = {
            "name": prim.name,
            "multiple_results": prim.multiple_results,
            "primal": self.graph(primal),
        }
        if self.custom_gradients or prim is checkpoint_p:
            in_avals = [(shape_of(x), dtype_of(x)) for x in eqn.examples]
            g = [np.ones(*avals[o]) for o in eqn.outputs]
            fwd = functools.partial(_forward_of, prim, eqn.params)
            bwd = functools.partial(_vjp_of, prim, eqn.params, in_avals)
            entry["forward"] = self.graph(trace(fwd, *eqn.examples))
            entry["vjp"] = self.graph(trace(bwd, *eqn.examples, *g))
        return entry

    def value(self, v):
        """``v`` in the closed JSON encoding of the module docstring."""
        if isinstance(v, np.ndarray):
            return {"$": "array", "name": self.array(v)}
        if isinstance(v, np.generic):
            return {"$": "scalar", "dtype": _dtype_name(v.dtype), "value": self.value(v.item())}
        if v is None or isinstance(v, (bool, str, int)):
            return v
        if isinstance(v, float):
            return v if math.isfinite(v) else {"$": "float", "value": repr(v)}
        if isinstance(v, complex):
            return {"$": "complex", "re": self.value(v.real), "im": self.value(v.imag)}
        if type(v) is tuple:
            return [self.value(x) for x in v]
        if type(v) is list:
            return {"$": "list", "items": [self.value(x) for x in v]}
        if type(v) is dict and all(isinstance(k, str) for k in v):
            return {"$": "dict", "items": [[k, self.value(x)] for k, x in v.items()]}
        if isinstance(v, slice):
            parts = {k: self.value(getattr(v, k)) for k in ("start", "stop", "step")}
            return {"$": "slice", **parts}
        if v is Ellipsis:
            return {"$": "ellipsis"}
        if isinstance(v, np.dtype):
            return {"$": "dtype", "name": _dtype_name(v)}
        if isinstance(v, type) and issubclass(v, np.generic):
            return {"$": "scalar_type", "name": _dtype_name(np.dtype(v))}
        raise TypeError(
            f"cannot save a value of type {type(v).__name__} ({v!r:.60}): the format holds "
            f"numbers, strings, tuples, lists, dicts, slices, dtypes and arrays"
        )

    def array(self, a: np.ndarray) -> str:
        if id(a) in self.names:
            return self.names[id(a)]
        dtype = _dtype_name(a.dtype)
        # NOTE: np.asarray(order="C"), not np.ascontiguousarray, which makes a 0-d array 1-d
        data = np.asarray(a, order="C").astype(a.dtype.newbyteorder("<"), copy=False)
        buffer = io.BytesIO()
        np.save(buffer, data, allow_pickle=False)
        payload = buffer.getvalue()
        name = f"a{len(self.payloads)}"
        self.names[id(a)] = name
        self.keep.append(a)
        self.payloads.append((name, payload))
        digest = hashlib.sha256(payload).hexdigest()
        self.manifest[name] = {"dtype": dtype, "shape": list(a.shape), "sha256": digest}
        return name


def _forward_of(prim, params, *args):
    """A special primitive's outputs as its ``fwd`` computes them: under an outer
    differentiation, these are the ops that level sees."""
    return prim.fwd(*args, **params)[0]


def _vjp_of(prim, params, in_avals, *args_and_cotangents):
    """The input cotangents of a special primitive, from its inputs and output cotangents."""
    n = len(in_avals)
    args, g = args_and_cotangents[:n], args_and_cotangents[n:]
    _, residuals = prim.fwd(*args, **params)
    cts = prim.bwd(residuals, tuple(g) if prim.multiple_results else g[0], (True,) * n, **params)
    cts = checked_cotangents(prim, cts, in_avals)
    return tuple(np.zeros(*aval) if c is None else c for c, aval in zip(cts, in_avals))


def _dtype_name(dtype) -> str:
    name = np.dtype(dtype).name
    if name not in DTYPES:
        raise TypeError(f"cannot save dtype {name}: the format holds {sorted(DTYPES)}")
    return name


def _tree(t: TreeDef):
    if t.kind is None:
        return "*"
    if t.kind is type(None):
        return None
    if t.kind in (tuple, list):
        return {t.kind.__name__: [_tree(c) for c in t.children]}
    if t.kind is dict and all(isinstance(k, str) for k in t.aux):
        return {"dict": [[k, _tree(c)] for k, c in zip(t.aux, t.children)]}
    raise TypeError(
        f"cannot save a function whose arguments or results contain {t!r}: the format holds "
        f"tuples, lists, dicts with string keys and None"
    )


# --- load --------------------------------------------------------------------------------


class LoadedFunction:
    """A function read by ``load``: call it like the saved one; it is differentiable.

    ``graph`` is its ``pb.Graph``; printing it prints the graph.
    """

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.__name__ = graph.name

    def __call__(self, *args):
        leaves, in_tree = flatten(tuple(args))
        if in_tree != self.graph.in_tree:
            raise TypeError(
                f"{self.__name__} was saved for arguments {self.graph.in_tree!r}, got {in_tree!r}"
            )
        for k, (x, v) in enumerate(zip(leaves, self.graph.invars)):
            shape, dtype = self.graph.avals[v]
            if shape_of(x) != shape or dtype_of(x) != dtype:
                raise TypeError(
                    f"{self.__name__} was saved for input {k} of shape {shape} {dtype}, got "
                    f"shape {shape_of(x)} {dtype_of(x)}; save it again with such an example"
                )
        kind = output_kind(leaves)
        outs = evaluate(self.graph, leaves)
        return unflatten(self.graph.out_tree, [restore(o, kind) for o in outs])

    def __str__(self) -> str:
        return str(self.graph)

    def __repr__(self) -> str:
        return f"<loaded function {self.__name__}>"


def load(path) -> LoadedFunction:
    """Read a graph written by ``save``; never runs code from the file.

    Args:
        path: a file name, or a binary file object open for reading.

    Returns:
        A callable taking the arguments the saved function took (same pytree structure,
        shapes and dtypes), returning values of the kind of its inputs (float, ndarray or
        Tensor). It is differentiable to any order.

    Raises:
        FormatError: the file is not a well-formed pullback graph (the message names the byte
            offset, entry or equation at fault).

    >>> import io
    >>> load(io.BytesIO(b"\\x80\\x04K\\x01."))
    Traceback (most recent call last):
    ...
    pullback.graph.check.FormatError: not a pullback graph file (magic mismatch at byte 0)
    """
    if hasattr(path, "read"):
        return _load(path)
    with open(path, "rb") as fh:
        return _load(fh)


def _load(fh) -> LoadedFunction:
    try:
        return _Reader(fh).read()
    except FormatError:
        raise
    except (MemoryError, RecursionError) as e:
        raise FormatError(f"file exceeds what can be loaded ({type(e).__name__})") from e
    except Exception as e:  # noqa: BLE001 -- a last line: no other exception type escapes
        raise FormatError(f"malformed file ({type(e).__name__}: {e})") from e


class _Reader(Archive):
    """One file being read: its zip directory, then graph.json, arrays and the graph."""

    def __init__(self, fh) -> None:
        super().__init__(fh)
        self.arrays: dict[str, np.ndarray] = {}
        self.strict = True

    def read(self) -> LoadedFunction:
        self.check_magic()
        entries = self.directory()
        body = self.json(entries["graph.json"])
        self.check_digest(entries)
        manifest = _field(body, "arrays", dict, "graph.json")
        names = {n[len("arrays/") : -len(".npy")] for n in entries if n not in FIXED}
        if names != set(manifest):
            extra = sorted(names ^ set(manifest))
            raise FormatError(
                f"graph.json lists arrays {sorted(manifest)[:5]}..., but the "
                f"file holds {sorted(names)[:5]}...; these differ: {extra[:5]}"
            )
        for name in sorted(manifest):
            self.arrays[name] = self.array(name, manifest[name], entries[f"arrays/{name}.npy"])
        fields = {"format", "version", "name", "graph", "customs", "arrays"}
        _keys(body, fields, "graph.json", self.strict)
        name = _field(body, "name", str, "graph.json")
        if not name.isidentifier() or len(name) > MAX_NAME:
            raise FormatError(f"graph.json: name {name[:MAX_NAME]!r} is not an identifier")
        self.read_customs(_field(body, "customs", list, "graph.json"))
        graph = self.graph(_field(body, "graph", dict, "graph.json"), "graph", 1, top=True)
        graph.name = name
        check_ir(graph, probe_bytes=PROBE_TOTAL + 4 * self.size)
        return LoadedFunction(graph)

    # --- graph.json ---

    def json(self, span) -> dict:
        if span[1] > MAX_JSON_BYTES:
            raise FormatError(f"graph.json: {span[1]} bytes, over the {MAX_JSON_BYTES} limit")
        data = self.entry(span, "graph.json")
        self.json_bytes = data
        body = _parse_json(data)
        _check_version(body)
        self.strict = body["version"][1] <= VERSION[1]
        return body

    def check_digest(self, entries) -> None:
        stored = self.entry(entries["graph.sha256"], "graph.sha256")
        if (
            not _HEX64.fullmatch(stored.decode("ascii", "replace").rstrip("\n"))
            or len(stored) != 65
        ):
            raise FormatError("graph.sha256: not a hex SHA-256 and a newline")
        if hashlib.sha256(self.json_bytes).hexdigest() != stored[:64].decode():
            raise FormatError("sha256 mismatch for graph.json")

    # --- arrays ---

    def array(self, name: str, meta, span) -> np.ndarray:
        where = f"array {name!r} (entry 'arrays/{name}.npy')"
        _keys(meta, {"dtype", "shape", "sha256"}, where, self.strict)
        shape, dtype = _aval_fields(meta.get("shape"), meta.get("dtype"), where)
        digest = _field(meta, "sha256", str, where)
        data = self.entry(span, f"arrays/{name}.npy")
        if hashlib.sha256(data).hexdigest() != digest:
            raise FormatError(f"sha256 mismatch for {where}")
        header_end = npy_header(data, shape, dtype, where)
        if len(data) != header_end + math.prod(shape) * dtype.itemsize:
            raise FormatError(
                f"{where}: {len(data) - header_end} data bytes for shape {shape} {dtype.name}"
            )
        array = np.load(io.BytesIO(data), allow_pickle=False)
        if array.shape != shape or array.dtype != dtype:
            raise FormatError(f"{where}: reads as {array.shape} {array.dtype}")
        return array

    # --- the graph ---

    def graph(self, obj: dict, where: str, depth: int, top: bool = False) -> Graph:
        _depth(depth, where)
        fields = {"invars", "equations", "outvars"} | ({"in_tree", "out_tree"} if top else set())
        _keys(obj, fields, where, self.strict)
        avals: dict = {}
        invars = [
            self.define(v, avals, f"{where} input {k}")
            for k, v in enumerate(_field(obj, "invars", list, where))
        ]
        equations = []
        for k, e in enumerate(_field(obj, "equations", list, where)):
            equations.append(self.equation(e, avals, f"{where} equation {k}", depth + 1))
        outvars = [
            self.ref(o, f"{where} output {k}", depth + 1)
            for k, o in enumerate(_field(obj, "outvars", list, where))
        ]
        leaf = TreeDef(None, None, ())
        in_tree = _read_tree(obj["in_tree"], f"{where} in_tree", depth + 1) if top else leaf
        out_tree = _read_tree(obj["out_tree"], f"{where} out_tree", depth + 1) if top else leaf
        return Graph(invars, outvars, equations, avals, in_tree, out_tree)

    def define(self, obj, avals: dict, where: str) -> int:
        if not isinstance(obj, list) or len(obj) != 3:
            raise FormatError(f"{where}: a variable is [id, shape, dtype], got {obj!r:.80}")
        v = obj[0]
        if not _is_int(v) or not 0 <= v < 2**31:
            raise FormatError(f"{where}: variable id {v!r:.40} is not an int in [0, 2**31)")
        if v in avals:
            raise FormatError(f"{where}: variable v{v} is defined twice")
        avals[v] = _aval_fields(obj[1], obj[2], f"{where}: v{v}")
        return v

    def ref(self, obj, where: str, depth: int):
        if _is_int(obj):
            return obj
        if isinstance(obj, dict) and set(obj) == {"const"}:
            return Const(self.value(obj["const"], where, depth + 1))
        raise FormatError(f"{where}: expected a variable id or {{'const': value}}, got {obj!r:.80}")

    def equation(self, obj, avals: dict, where: str, depth: int) -> Equation:
        _depth(depth, where)
        if not isinstance(obj, dict):
            raise FormatError(f"{where}: an equation is an object, got {type(obj).__name__}")
        op = _field(obj, "op", str, where)
        where = f"{where} ({op[:MAX_NAME]!r})"
        if op.startswith("custom/"):
            _keys(obj, {"op", "custom", "in", "out"}, where, self.strict)
            prim = self.custom(obj, op, where)
            params = {}
        else:
            _keys(obj, {"op", "in", "out", "params"}, where, self.strict)
            prim = _registry.get(op)
            if prim is None or prim.fwd is not None:
                raise FormatError(f"{where}: unknown operation {op[:MAX_NAME]!r}")
            raw = _field(obj, "params", dict, where)
            params = {k: self.value(v, f"{where} param {k!r}", depth + 1) for k, v in raw.items()}
        ins = [
            self.ref(i, f"{where} input {k}", depth + 1)
            for k, i in enumerate(_field(obj, "in", list, where))
        ]
        outs = [
            self.define(o, avals, f"{where} output {k}")
            for k, o in enumerate(_field(obj, "out", list, where))
        ]
        return Equation(prim, ins, outs, params)

    def read_customs(self, entries: list) -> None:
        """Custom operations: all primitives first, as their graphs may refer to any of them."""
        self.customs = []
        for k, obj in enumerate(entries):
            where = f"custom {k}"
            fields = {"name", "multiple_results", "primal", "forward", "vjp"}
            _keys(obj, fields, where, self.strict, {"forward", "vjp"})
            name = _field(obj, "name", str, where)
            if len(name) > MAX_NAME or not name.isprintable():
                raise FormatError(f"{where}: name is not printable or over {MAX_NAME} characters")
            many = _field(obj, "multiple_results", bool, where)
            self.customs.append(custom_primitive(f"custom/{name}", many))
        for k, (obj, prim) in enumerate(zip(entries, self.customs)):
            where = f"custom {k}"
            graphs = [None, None, None]
            for i, key in enumerate(("primal", "forward", "vjp")):
                if key in obj:
                    graphs[i] = self.graph(_field(obj, key, dict, where), f"{where} {key}", 2)
            prim.subgraphs = tuple(graphs)

    def custom(self, obj: dict, op: str, where: str) -> Primitive:
        index = _field(obj, "custom", int, where)
        if not 0 <= index < len(self.customs):
            raise FormatError(f"{where}: no custom operation {index} ({len(self.customs)} saved)")
        prim = self.customs[index]
        if prim.name != op:
            raise FormatError(f"{where}: custom operation {index} is {prim.name!r}")
        return prim

    def value(self, obj, where: str, depth: int):
        """The value of the closed encoding ``obj`` (see the module docstring)."""
        _depth(depth, where)
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, int):
            if not -(2**63) <= obj < 2**64:
                raise FormatError(f"{where}: integer {obj} is out of the 64-bit range")
            return obj
        if isinstance(obj, float):
            return obj
        if isinstance(obj, list):
            return tuple(self.value(x, where, depth + 1) for x in obj)
        if not isinstance(obj, dict) or not isinstance(obj.get("$"), str):
            raise FormatError(f"{where}: expected a value, got {obj!r:.80}")
        tag = obj["$"]
        decode = _TAGS.get(tag)
        if decode is None:
            raise FormatError(f"{where}: unknown value tag {tag[:40]!r}")
        fields, fn = decode
        _keys(obj, {"$", *fields}, where, True)
        return fn(self, obj, where, depth + 1)

    def items(self, obj, where: str, depth: int) -> list:
        items = obj["items"]
        if not isinstance(items, list):
            raise FormatError(f"{where}: items must be a list")
        return [self.value(x, where, depth) for x in items]

    def pairs(self, obj, where: str, depth: int) -> dict:
        items = obj["items"]
        out = {}
        for pair in items if isinstance(items, list) else [None]:
            if not isinstance(pair, list) or len(pair) != 2 or not isinstance(pair[0], str):
                raise FormatError(f"{where}: dict items must be [str, value] pairs")
            if pair[0] in out:
                raise FormatError(f"{where}: duplicate key {pair[0][:40]!r}")
            out[pair[0]] = self.value(pair[1], where, depth)
        return out

    def named_array(self, obj, where: str, depth: int) -> np.ndarray:
        name = obj["name"]
        if not isinstance(name, str) or name not in self.arrays:
            raise FormatError(f"{where}: no array named {str(name)[:70]!r} in the file")
        return self.arrays[name]


def _float(reader, obj, where, depth) -> float:
    names = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
    if obj["value"] not in names:
        raise FormatError(f"{where}: float must be 'nan', 'inf' or '-inf'")
    return names[obj["value"]]


def _number(reader, x, where, depth):
    v = reader.value(x, where, depth)
    if not isinstance(v, (int, float)) or isinstance(v, bool):
        raise FormatError(f"{where}: expected a number, got {v!r:.40}")
    return v


def _slice_part(reader, x, where, depth):
    v = reader.value(x, where, depth)
    if v is not None and not _is_int(v):
        raise FormatError(f"{where}: slice bounds are ints or None, got {v!r:.40}")
    return v


def _scalar(reader, obj, where, depth):
    dtype = _dtype(obj["dtype"], where)
    v = reader.value(obj["value"], where, depth)
    if not isinstance(v, (int, float, complex)):
        raise FormatError(f"{where}: scalar value must be a number, got {v!r:.40}")
    try:
        with np.errstate(all="raise"):
            return dtype.type(v)
    except (OverflowError, ValueError, TypeError, FloatingPointError) as e:
        raise FormatError(f"{where}: {v!r:.40} is not a {dtype.name}: {e}") from None


_TAGS = {
    "float": (("value",), _float),
    "complex": (
        ("re", "im"),
        lambda r, o, w, d: complex(_number(r, o["re"], w, d), _number(r, o["im"], w, d)),
    ),
    "list": (("items",), lambda r, o, w, d: list(r.items(o, w, d))),
    "dict": (("items",), lambda r, o, w, d: r.pairs(o, w, d)),
    "slice": (
        ("start", "stop", "step"),
        lambda r, o, w, d: slice(*(_slice_part(r, o[k], w, d) for k in ("start", "stop", "step"))),
    ),
    "ellipsis": ((), lambda r, o, w, d: Ellipsis),
    "dtype": (("name",), lambda r, o, w, d: _dtype(o["name"], w)),
    "scalar_type": (("name",), lambda r, o, w, d: _dtype(o["name"], w).type),
    "scalar": (("dtype", "value"), _scalar),
    "array": (("name",), lambda r, o, w, d: r.named_array(o, w, d)),
}


def custom_primitive(name: str, many: bool) -> Primitive:
    """A loaded custom-gradient operation; ``load`` sets ``subgraphs = (primal, forward,
    vjp)`` (the last two may be None).

    It evaluates the primal subgraph; under differentiation, the forward subgraph (the ops of
    the original ``fwd``, which outer levels differentiate) and, backward, the VJP subgraph on
    the inputs and output cotangents (so it is differentiable again), or raises
    ``LookupError`` if none was saved.
    """

    def impl(*args):
        outs = evaluate(prim.subgraphs[0], list(args))
        return tuple(outs) if many else outs[0]

    def fwd(*args):
        forward = prim.subgraphs[1]
        if forward is None:
            return impl(*args), args
        outs = evaluate(forward, list(args))
        return (tuple(outs) if many else outs[0]), args

    prim = Primitive(impl, name, multiple_results=many, register=False)
    prim.rule_description = f"saved vjp of {name!r}"
    prim.subgraphs = None
    prim.fwd = fwd
    prim.bwd = functools.partial(_saved_bwd, prim)
    return prim


def _saved_bwd(prim: Primitive, args, g, needed):
    del needed  # the saved graph gives every cotangent
    vjp = prim.subgraphs[2]
    if vjp is None:
        _no_gradient(prim.name)
    return tuple(evaluate(vjp, [*args, *(g if prim.multiple_results else (g,))]))


def _no_gradient(name: str):
    raise LookupError(
        f"No gradient defined for operation '{name}': it was saved with "
        f"custom_gradients=False; save it again with pb.save(..., custom_gradients=True)"
    )


# --- field checks ------------------------------------------------------------------------


def _parse_json(data: bytes) -> dict:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise FormatError(f"graph.json: invalid UTF-8 at byte {e.start}") from None
    try:
        body = json.loads(
            text,
            object_pairs_hook=_unique_keys,
            parse_constant=_no_constant,
            parse_int=_bounded_int,
        )
    except json.JSONDecodeError as e:
        offset = len(text[: e.pos].encode("utf-8"))
        raise FormatError(f"graph.json: invalid JSON at byte {offset}: {e.msg}") from None
    except RecursionError:
        raise FormatError(f"graph.json: nested deeper than {MAX_DEPTH}") from None
    if not isinstance(body, dict):
        raise FormatError("graph.json: not a JSON object")
    return body


def _unique_keys(pairs: list) -> dict:
    out = dict(pairs)
    if len(out) != len(pairs):
        keys = [k for k, _ in pairs]
        dup = next(k for k in keys if keys.count(k) > 1)
        raise FormatError(f"graph.json: duplicate key {dup[:40]!r}")
    return out


def _no_constant(name: str):
    raise FormatError(f"graph.json: {name} is not JSON (floats that are not finite are tagged)")


def _bounded_int(text: str) -> int:
    if len(text) > 21:
        raise FormatError(f"graph.json: integer {text[:24]}... has more than 21 digits")
    return int(text)


def _check_version(body: dict) -> None:
    if body.get("format") != FORMAT:
        raise FormatError(f"graph.json: format is {str(body.get('format'))[:40]!r}, not {FORMAT!r}")
    version = body.get("version")
    if not (isinstance(version, list) and len(version) == 2 and all(map(_is_int, version))):
        raise FormatError(f"graph.json: version must be [major, minor], got {version!r:.40}")
    if version[0] != VERSION[0]:
        newer = "newer" if version[0] > VERSION[0] else "older"
        raise FormatError(
            f"file format {version[0]}.{version[1]} is {newer} than supported {VERSION[0]}.x"
        )


def _keys(obj, expected: set, where: str, strict: bool, optional: frozenset | set = frozenset()):
    if not isinstance(obj, dict):
        raise FormatError(f"{where}: expected an object, got {type(obj).__name__}")
    missing = expected - optional - set(obj)
    if missing:
        raise FormatError(f"{where}: missing field(s) {sorted(missing)}")
    unknown = set(obj) - expected
    if unknown and strict:
        raise FormatError(f"{where}: unknown field(s) {sorted(unknown)[:5]}")


def _field(obj: dict, key: str, kind: type, where: str):
    if not isinstance(obj, dict) or key not in obj:
        raise FormatError(f"{where}: missing field {key!r}")
    value = obj[key]
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise FormatError(f"{where}: {key!r} must be a {kind.__name__}, got {type(value).__name__}")
    return value


def _depth(depth: int, where: str) -> None:
    if depth > MAX_DEPTH:
        raise FormatError(f"{where}: nested deeper than {MAX_DEPTH}")


def _is_int(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _dtype(name, where: str) -> np.dtype:
    if not isinstance(name, str) or name not in DTYPES:
        raise FormatError(f"{where}: unknown dtype {str(name)[:40]!r}")
    return np.dtype(name)


def _aval_fields(shape, dtype, where: str) -> tuple:
    if not isinstance(shape, list) or len(shape) > MAX_NDIM:
        raise FormatError(f"{where}: shape must be a list of at most {MAX_NDIM} ints")
    return check_aval((tuple(shape), _dtype(dtype, where)), where)


def _read_tree(obj, where: str, depth: int) -> TreeDef:
    _depth(depth, where)
    if obj == "*":
        return TreeDef(None, None, ())
    if obj is None:
        return TreeDef(type(None), None, ())
    if isinstance(obj, dict) and len(obj) == 1:
        ((kind, children),) = obj.items()
        if kind in ("tuple", "list") and isinstance(children, list):
            subtrees = tuple(_read_tree(c, where, depth + 1) for c in children)
            return TreeDef(tuple if kind == "tuple" else list, None, subtrees)
        if kind == "dict" and isinstance(children, list):
            if not all(
                isinstance(p, list) and len(p) == 2 and isinstance(p[0], str) for p in children
            ):
                raise FormatError(f"{where}: dict items must be [str, tree] pairs")
            keys = tuple(p[0] for p in children)
            if len(set(keys)) != len(keys):
                raise FormatError(f"{where}: duplicate dict key")
            subtrees = tuple(_read_tree(p[1], where, depth + 1) for p in children)
            return TreeDef(dict, keys, subtrees)
    raise FormatError(f"{where}: not a tree: {obj!r:.80}")
