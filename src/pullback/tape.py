"""The TensorFlow-style imperative API: ``Variable``, ``GradientTape``, ``ForwardAccumulator``.

A tape is a ``ReverseLevel`` opened by ``with``, and an accumulator a ``ForwardLevel``: the same
engine as ``pb.grad`` and ``pb.jvp``. Watching makes a Tensor tracked *in place* (the user keeps
using the same object); leaving the ``with`` block restores it.
"""

from __future__ import annotations

import contextlib

import numpy as np

from ._core.tensor import Tensor, dtype_of, shape_of
from ._core.tree import flatten, is_none, structure_changed, unflatten
from .ops.index import getitem
from .ops.shape import reshape
from .transforms._args import restore
from .transforms.batching import vmap
from .transforms.forward import ForwardLevel
from .transforms.reverse import ReverseLevel, leaf_node

# --- watching in place ---------------------------------------------------------------------


def _insert_level(x: Tensor, level, node=None, tangent=None) -> None:
    """Make ``x`` tracked by ``level`` in place, keeping its wrappers ordered by level id."""
    link = x
    while link._level is not None and link._level.alive and link._level.id > level.id:
        link = link._primal
    if link._level is None:
        below = link._raw
    else:
        below = Tensor.__new__(Tensor)
        below._raw, below._primal, below._level = link._raw, link._primal, link._level
        below._shape, below._bdim = link._shape, link._bdim
        below._node, below._tangent = link._node, link._tangent
    link._primal, link._level, link._node, link._tangent = below, level, node, tangent


def _remove_level(x: Tensor, level) -> None:
    """Undo ``_insert_level``: splice ``level``'s wrapper out of ``x``'s chain."""
    link = x
    while isinstance(link, Tensor) and link._level is not level:
        link = link._primal
    if not isinstance(link, Tensor):
        return
    below = link._primal
    if isinstance(below, Tensor):
        link._primal, link._level = below._primal, below._level
        link._node, link._tangent = below._node, below._tangent
        link._bdim = below._bdim
    else:
        link._primal, link._level, link._node, link._tangent = below, None, None, None


def _watchable(x, who: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(
            f"{who} takes Tensors or Variables (or pytrees of them), not "
            f"{type(x).__name__}: wrap the value first, x = pb.tensor(x), and use that Tensor"
        )
    if dtype_of(x).kind != "f":
        raise TypeError(
            f"{who}: cannot differentiate with respect to a Tensor of dtype {dtype_of(x)}; "
            f"make it floating point with x.astype(np.float64)"
        )
    return x


# --- Variable ------------------------------------------------------------------------------


class Variable(Tensor):
    """A mutable Tensor: model parameters. Trainable Variables read under a ``GradientTape``
    (with ``watch_accessed_variables=True``) are watched automatically.

    >>> import pullback as pb
    >>> v = pb.Variable(2.0)
    >>> with pb.GradientTape() as tape:
    ...     y = v * v
    >>> float(tape.gradient(y, v))
    4.0
    """

    __slots__ = ("_trainable", "name")

    def __init__(self, value, trainable: bool = True, name: str | None = None, dtype=None):
        super().__init__(value, dtype)
        self._trainable = bool(trainable)
        self.name = name

    @property
    def trainable(self) -> bool:
        """Whether gradients and optimisers update it (a model's pytree leaf if so)."""
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        structure_changed()  # a model holding it flattens differently

    @property
    def value(self) -> Tensor:
        """The current value as a Tensor (tracked if a tape watches this Variable)."""
        return self

    def _on_read(self, stack) -> None:
        for level in stack:
            if level.alive:
                level.read_variable(self)

    def assign(self, value) -> Variable:
        """Set the value (shape and dtype must stay the same); returns the Variable.

        The value is copied, so later changes to the array passed in do not reach it.
        """
        value = np.asarray(value._raw if isinstance(value, Tensor) else value)
        return self._set(value.astype(self.dtype, copy=True))

    def _set(self, raw: np.ndarray) -> Variable:
        """Make ``raw`` (an array nobody else holds) the value."""
        if raw.shape != self._shape:
            raise ValueError(
                f"Variable {self.name or ''} has shape {self.shape}; cannot assign a value of "
                f"shape {raw.shape}"
            )
        dtype = self.dtype
        if raw.dtype is not dtype and raw.dtype != dtype:
            raw = raw.astype(dtype)
        if self._level is None:  # not watched: the common case of an optimiser step
            self._raw = self._primal = raw
            return self
        link = self
        while isinstance(link, Tensor):
            link._raw = raw
            if not isinstance(link._primal, Tensor):
                link._primal = raw
            link = link._primal
        return self

    def assign_add(self, delta) -> Variable:
        """Add ``delta`` to the value; returns the Variable."""
        return self._set(np.add(self._raw, delta._raw if isinstance(delta, Tensor) else delta))

    def assign_sub(self, delta) -> Variable:
        """Subtract ``delta`` from the value; returns the Variable."""
        return self._set(np.subtract(self._raw, delta._raw if isinstance(delta, Tensor) else delta))

    def __repr__(self) -> str:
        name = f" {self.name!r}" if self.name else ""
        return f"<Variable{name} shape={self.shape} dtype={self.dtype} {np.asarray(self._raw)!r}>"


# --- GradientTape --------------------------------------------------------------------------


class _TapeLevel(ReverseLevel):
    __slots__ = ("watch_accessed_variables", "sources", "variables")

    def __init__(self, watch_accessed_variables: bool) -> None:
        super().__init__("GradientTape")
        self.watch_accessed_variables = watch_accessed_variables
        self.sources: dict[int, tuple[Tensor, object]] = {}
        self.variables: list[Variable] = []

    def watch_tensor(self, x: Tensor) -> None:
        if id(x) in self.sources:
            return
        node = leaf_node()
        _insert_level(x, self, node=node)
        self.sources[id(x)] = (x, node)
        if isinstance(x, Variable):
            self.variables.append(x)

    def read_variable(self, variable: Variable) -> None:
        if self.watch_accessed_variables and variable._trainable:
            self.watch_tensor(variable)

    def unwatch_all(self) -> None:
        for x, _ in reversed(self.sources.values()):
            _remove_level(x, self)


class GradientTape:
    """Records operations for reverse-mode differentiation (TensorFlow's ``GradientTape``).

    Args:
        persistent: allow more than one ``gradient``/``jacobian`` call.
        watch_accessed_variables: watch every trainable Variable read while recording.

    >>> import pullback as pb
    >>> x = pb.tensor(3.0)
    >>> with pb.GradientTape() as tape:
    ...     tape.watch(x)
    ...     y = x * x
    >>> float(tape.gradient(y, x))
    6.0
    """

    def __init__(self, persistent: bool = False, watch_accessed_variables: bool = True) -> None:
        self.persistent = persistent
        self._watch_accessed = watch_accessed_variables
        self._level: _TapeLevel | None = None
        self._used = False

    def __enter__(self) -> GradientTape:
        if self._level is not None and self._level.alive:
            raise RuntimeError("this GradientTape is already recording")
        self._level = _TapeLevel(self._watch_accessed)
        self._level.__enter__()
        return self

    def __exit__(self, *exc_info) -> None:
        self._level.__exit__(*exc_info)
        self._level.unwatch_all()

    def _require_level(self, what: str) -> _TapeLevel:
        if self._level is None:
            raise RuntimeError(
                f"GradientTape.{what} needs the tape to have been entered with 'with'"
            )
        return self._level

    def watch(self, tensor) -> None:
        """Record operations on ``tensor`` (a Tensor, Variable, or pytree of them)."""
        level = self._require_level("watch")
        for x in flatten(tensor)[0]:
            level.watch_tensor(_watchable(x, "GradientTape.watch"))

    @contextlib.contextmanager
    def stop_recording(self):
        """Operations inside this block are not recorded."""
        level = self._require_level("stop_recording")
        level.alive = False
        try:
            yield
        finally:
            level.alive = True

    def reset(self) -> None:
        """Forget everything recorded so far, as if the tape were entered anew."""
        level = self._require_level("reset")
        level.unwatch_all()
        level.sources.clear()
        level.variables.clear()
        level.tape = []
        self._used = False

    def watched_variables(self) -> tuple:
        """The Variables this tape watches, in the order they were first watched."""
        return tuple(self._level.variables) if self._level else ()

    def _source_node(self, level: _TapeLevel, x):
        entry = level.sources.get(id(x))
        if entry is not None and entry[0] is x:
            return entry[1]
        link = x
        while isinstance(link, Tensor):
            if link._level is level:
                return link._node
            link = link._primal
        return None

    def _start(self, what: str) -> _TapeLevel:
        level = self._require_level(what)
        if self._used and not self.persistent:
            raise RuntimeError(
                f"GradientTape.{what} can only be called once on a non-persistent tape, whose "
                f"graph is freed after the first call; use pb.GradientTape(persistent=True)"
            )
        self._used = True
        return level

    def gradient(self, target, sources, output_gradients=None, unconnected_gradients="none"):
        """The gradient of ``target`` (summed over its elements and leaves) w.r.t. ``sources``.

        Returns the structure of ``sources``; an unconnected source gives ``None`` (or zeros
        with ``unconnected_gradients="zero"``).
        """
        _check_unconnected(unconnected_gradients)
        level = self._start("gradient")
        seeds = _seeds(level, target, output_gradients)
        src_leaves, src_tree = flatten(sources)
        nodes = [
            self._source_node(level, _watchable(x, "GradientTape.gradient")) for x in src_leaves
        ]
        found = level.backward(seeds, [n for n in nodes if n is not None], self.persistent)
        grads = [_result(found.get(n), x, unconnected_gradients) for n, x in zip(nodes, src_leaves)]
        return unflatten(src_tree, grads)

    def jacobian(self, target, sources, unconnected_gradients="none"):
        """The Jacobian of ``target`` w.r.t. each source: shape ``target.shape + source.shape``.

        One backward pass over the recorded tape, vectorised with ``pb.vmap`` over the one-hot
        seeds (the rows of an identity), instead of one pass per entry of ``target``. Custom
        gradients on the tape are therefore called on a batch of cotangents, as under
        ``pb.jacrev``: they must be written with pullback ops.
        """
        _check_unconnected(unconnected_gradients)
        level = self._start("jacobian")
        src_leaves, src_tree = flatten(sources)
        nodes = [self._source_node(level, x) for x in src_leaves]
        rows = _jacobian_rows(level, target, nodes)
        out = []
        for x, row in zip(src_leaves, rows):
            if row is None:
                out.append(_result(None, x, unconnected_gradients, shape_of(target)))
            else:
                out.append(_result(reshape(row, shape_of(target) + shape_of(x)), x, "none"))
        if not self.persistent:
            level.tape = []
        return unflatten(src_tree, out)

    def batch_jacobian(self, target, source, unconnected_gradients="none"):
        """Per-example Jacobian for ``target (B, *out)`` and ``source (B, *in)``: shape
        ``(B, *out, *in)``, the diagonal ``(b, b)`` blocks of ``jacobian(target, source)``.

        It is meant for targets whose example b depends only on example b of the source. The
        tape holds only the recorded graph, so the blocks are read off the full Jacobian (one
        vectorised pass over ``B * prod(out)`` seeds); ``pb.batch_jacobian`` re-runs the
        function per example instead and never computes the off-diagonal blocks.
        """
        full = self.jacobian(target, source, unconnected_gradients)
        if full is None:
            return None
        b = shape_of(target)[0]
        n_out = int(np.prod(shape_of(target)[1:], dtype=np.int64))
        n_in = int(np.prod(shape_of(source)[1:], dtype=np.int64))
        diag = getitem(
            reshape(full, (b, n_out, b, n_in)),
            index=(np.arange(b), slice(None), np.arange(b), slice(None)),
        )
        return reshape(diag, shape_of(target) + shape_of(source)[1:])


def _check_unconnected(mode: str) -> None:
    if mode not in ("none", "zero"):
        raise ValueError(f"unconnected_gradients must be 'none' or 'zero', got {mode!r}")


def _seeds(level, target, output_gradients) -> dict:
    from .transforms.reverse import _own_node, checked_cotangent

    t_leaves = flatten(target)[0]
    if output_gradients is None:
        o_leaves = [None] * len(t_leaves)
    else:
        o_leaves = flatten(output_gradients, is_leaf=is_none)[0]
        if len(o_leaves) != len(t_leaves):
            raise ValueError(
                f"GradientTape.gradient: output_gradients has {len(o_leaves)} value(s), but "
                f"target has {len(t_leaves)}; give one per target (None for ones)"
            )
    seeds: dict = {}
    for i, (t, o) in enumerate(zip(t_leaves, o_leaves)):
        if o is not None:
            o = checked_cotangent(o, t, f"GradientTape.gradient: output_gradients {i}")
        node = _own_node(level, t)
        if node is None:
            continue
        g = np.ones(shape_of(t), dtype_of(t)) if o is None else o
        prev = seeds.get(node)
        seeds[node] = g if prev is None else prev + g
    return seeds


def _jacobian_rows(level, target, nodes) -> list:
    """For each node, the cotangents of the one-hot seeds of ``target`` (one per entry, all in
    one ``vmap``-ed backward pass) stacked on a leading axis; ``None`` if unconnected."""
    from .transforms.reverse import _own_node

    node = _own_node(level, target)
    wanted = [n for n in nodes if n is not None]
    size = int(np.prod(shape_of(target), dtype=np.int64))
    if node is None or not wanted or size == 0:
        return [None] * len(nodes)
    seeds = np.eye(size, dtype=dtype_of(target)).reshape((size,) + shape_of(target))

    def pull(seed):
        found = level.backward({node: seed}, wanted, True)
        return [found.get(n) if n is not None else None for n in nodes]

    return vmap(pull)(seeds)


def _result(g, x, unconnected: str, lead=()):
    if g is None:
        if unconnected == "zero":
            return Tensor(np.zeros(tuple(lead) + shape_of(x), dtype_of(x)))
        return None
    return restore(g, "tensor")


# --- ForwardAccumulator --------------------------------------------------------------------


class ForwardAccumulator:
    """Forward-mode twin of the tape (TensorFlow's ``ForwardAccumulator``).

    >>> import pullback as pb
    >>> x = pb.tensor(2.0)
    >>> with pb.ForwardAccumulator(x, pb.tensor(1.0)) as acc:
    ...     y = x * x * x
    >>> float(acc.jvp(y))
    12.0
    """

    def __init__(self, primals, tangents) -> None:
        self._primals = [_watchable(x, "ForwardAccumulator") for x in flatten(primals)[0]]
        self._tangents = flatten(tangents)[0]
        if len(self._tangents) != len(self._primals):
            raise ValueError(
                f"ForwardAccumulator got {len(self._primals)} primal(s) but "
                f"{len(self._tangents)} tangent(s)"
            )
        for x, t in zip(self._primals, self._tangents):
            if shape_of(t) != shape_of(x):
                raise ValueError(
                    f"ForwardAccumulator: tangent of shape {shape_of(t)} for a primal of shape "
                    f"{shape_of(x)}"
                )
        self._level = ForwardLevel("ForwardAccumulator")

    def __enter__(self) -> ForwardAccumulator:
        self._level.__enter__()
        for x, t in zip(self._primals, self._tangents):
            t = t._raw if isinstance(t, Tensor) and t._level is None else t
            _insert_level(
                x,
                self._level,
                tangent=np.asarray(t, dtype_of(x)) if not isinstance(t, Tensor) else t,
            )
        return self

    def __exit__(self, *exc_info) -> None:
        self._level.__exit__(*exc_info)
        for x in reversed(self._primals):
            _remove_level(x, self._level)

    def jvp(self, target, unconnected_gradients="none"):
        """The tangent of ``target`` (a Tensor or pytree), ``None`` where unconnected."""
        _check_unconnected(unconnected_gradients)
        leaves, tree = flatten(target)
        out = []
        for x in leaves:
            t = None
            link = x
            while isinstance(link, Tensor):
                if link._level is self._level:
                    t = link._tangent
                    break
                link = link._primal
            out.append(_result(t, x, unconnected_gradients))
        return unflatten(tree, out)
