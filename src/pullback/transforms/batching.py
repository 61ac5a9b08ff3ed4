"""Batching: ``vmap`` and ``BatchLevel``, which carries a batch axis beside every value it tracks.

A primitive's batching rule ``rule(args, dims, **params) -> (out, out_dim)`` receives the
unwrapped arguments and, for each, the axis that holds the batch (``None``: not batched); it
computes with pullback ops, so batched code stays differentiable and nests with every other
transform. A primitive without a rule is run once per batch element and stacked (correct,
slow), with a warning naming it once.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np

from .._core.errors import describe_function, describe_value
from .._core.levels import Level
from .._core.primitive import bind
from .._core.tensor import Tensor, shape_of
from .._core.tree import flatten, unflatten
from ..ops._batch import move_axis, move_to_front, stack_front, take_batch
from ._args import as_primal

_warned: set[str] = set()


class BatchLevel(Level):
    """Interprets primitives on values that carry a batch axis of length ``size``."""

    __slots__ = ("size", "display_name")

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size
        self.display_name = "vmap"

    def wrap(self, x, bdim):
        """A Tensor of this level over ``x`` whose axis ``bdim`` is the batch."""
        t = Tensor.__new__(Tensor)
        t._raw = x._raw if isinstance(x, Tensor) else x
        shape = shape_of(x)
        t._shape = shape[:bdim] + shape[bdim + 1 :]
        t._primal, t._level, t._node, t._tangent, t._bdim = x, self, None, None, bdim
        return t

    def process(self, prim, args, params):
        vals, own = self.unwrap(args)
        dims = [None if t is None else t._bdim for t in own]
        rule = prim.batch
        if rule is None:
            out, out_dims = _loop(prim, vals, dims, params, self.size)
        else:
            out, out_dims = rule(vals, dims, **params)
        if prim.multiple_results:
            return tuple(self._out(o, d) for o, d in zip(out, out_dims))
        return self._out(out, out_dims)

    def _out(self, value, bdim):
        return value if bdim is None else self.wrap(value, bdim)


def _loop(prim, vals, dims, params, size: int):
    """Fallback: run ``prim`` on each batch element and stack the results along axis 0."""
    if prim.name not in _warned:
        _warned.add(prim.name)
        warnings.warn(
            f"vmap: primitive '{prim.name}' has no batching rule; running it once per batch "
            f"element (correct but slow). Give it one with pb.defbatch.",
            stacklevel=4,
        )
    results = []
    for b in range(size):
        sliced = [v if d is None else take_batch(v, d, b) for v, d in zip(vals, dims)]
        results.append(bind(prim, *sliced, **params))
    if prim.multiple_results:
        outs = tuple(stack_front([r[i] for r in results]) for i in range(len(results[0])))
        return outs, (0,) * len(outs)
    return stack_front(results), 0


# --- vmap ----------------------------------------------------------------------------------


def _axes_for(in_axes, args):
    """``in_axes`` broadcast to one axis (or None) per leaf of ``args``."""
    if isinstance(in_axes, (int, type(None))):
        return [in_axes] * len(flatten(args)[0])
    if isinstance(in_axes, list):
        in_axes = tuple(in_axes)
    if not isinstance(in_axes, tuple) or len(in_axes) != len(args):
        raise ValueError(
            f"vmap in_axes must be an int, None, or a tuple with one entry per positional "
            f"argument ({len(args)}), got {in_axes!r}"
        )
    axes = []
    for spec, arg in zip(in_axes, args):
        axes.extend(_prefix_leaves(spec, arg))
    return axes


def _prefix_leaves(spec, arg) -> list:
    """A pytree-prefix ``spec`` of ``arg`` expanded to one axis per leaf of ``arg``."""
    if isinstance(spec, (int, type(None))):
        return [spec] * len(flatten(arg)[0])
    if isinstance(spec, dict) and isinstance(arg, dict):
        if set(spec) != set(arg):
            raise ValueError(
                f"vmap axes {spec!r} is not a prefix of the argument's structure: the keys "
                f"differ from the argument's {sorted(arg)}"
            )
        return [a for k in arg for a in _prefix_leaves(spec[k], arg[k])]
    if isinstance(spec, (tuple, list)) and isinstance(arg, (tuple, list)) and len(spec) == len(arg):
        return [a for s, c in zip(spec, arg) for a in _prefix_leaves(s, c)]
    raise ValueError(f"vmap in_axes entry {spec!r} is not a prefix of the argument's structure")


def vmap(f, in_axes=0, out_axes=0):
    """``f`` mapped over a batch axis of its arguments, vectorised through batching rules.

    Args:
        in_axes: for each positional argument, the axis to map over (``None``: not mapped); an
            int applies to all; a pytree prefix of an argument maps its parts separately.
        out_axes: where the batch axis goes in each output (an int, or ``None`` for outputs
            that do not depend on the batch).

    >>> import numpy as np, pullback as pb, pullback.numpy as pnp
    >>> pb.vmap(lambda x, y: pnp.dot(x, y), in_axes=(0, None))(np.eye(2), np.array([1.0, 2.0]))
    array([1., 2.])
    """

    @functools.wraps(f)
    def vmapped(*args):
        leaves, treedef = flatten(tuple(args))
        axes = _axes_for(in_axes, args)
        size = _batch_size(f, leaves, axes)
        with BatchLevel(size) as level:
            boxed = [
                x if a is None else level.wrap(as_primal(x), a % max(len(shape_of(x)), 1))
                for x, a in zip(leaves, axes)
            ]
            out = f(*unflatten(treedef, boxed))
        out_leaves, out_tree = flatten(out)
        if isinstance(out_axes, (int, type(None))):
            oaxes = [out_axes] * len(out_leaves)
        else:
            oaxes = _prefix_leaves(out_axes, out)
        kind_tensor = any(isinstance(x, Tensor) for x in leaves)
        results = [_finish(level, x, a, size, kind_tensor) for x, a in zip(out_leaves, oaxes)]
        return unflatten(out_tree, results)

    return vmapped


def _batch_size(f, leaves, axes) -> int:
    sizes = {}
    for i, (x, a) in enumerate(zip(leaves, axes)):
        if a is None:
            continue
        shape = shape_of(x)
        if not shape:
            raise ValueError(
                f"vmap({describe_function(f)}): leaf {i} is a scalar ({describe_value(x)}) but "
                f"in_axes maps it over axis {a}; give it in_axes None"
            )
        if not -len(shape) <= a < len(shape):
            raise ValueError(
                f"vmap({describe_function(f)}): in_axes maps leaf {i} ({describe_value(x)}) "
                f"over axis {a}, which it does not have"
            )
        sizes[i] = shape[a % len(shape)]
    if not sizes:
        raise ValueError(f"vmap({describe_function(f)}): no argument is mapped (all in_axes None)")
    if len(set(sizes.values())) > 1:
        detail = ", ".join(f"leaf {i}: {n}" for i, n in sizes.items())
        raise ValueError(
            f"vmap({describe_function(f)}): mapped axes have different sizes ({detail})"
        )
    return next(iter(sizes.values()))


def _finish(level, x, out_axis, size, kind_tensor):
    """An output with its batch axis at ``out_axis`` (broadcast if it does not depend on it)."""
    bdim = None
    while isinstance(x, Tensor):
        if x._level is level:
            bdim = x._bdim
            x = x._primal
            break
        if x._level is None or x._level.alive:
            break
        x = x._primal
    if out_axis is None:
        if bdim is not None:
            raise ValueError("vmap: out_axes is None for an output that depends on the batch")
        return x
    x = move_to_front(x, bdim, size)
    ndim = len(shape_of(x))
    if not -ndim <= out_axis < ndim:
        raise ValueError(
            f"vmap: out_axes {out_axis} for an output of {ndim - 1} axes per example: the batch "
            f"axis can go at {-ndim}..{ndim - 1}"
        )
    x = move_axis(x, 0, out_axis % ndim)
    if isinstance(x, Tensor) or not kind_tensor:
        return x if isinstance(x, Tensor) else np.asarray(x)
    return Tensor(x)
