"""Jacobians and Hessians, built from ``vjp``, ``jvp`` and ``vmap``.

``jacrev`` records ``f`` once and maps its pullback over the rows of an identity (one-hot output
cotangents): one batched backward pass gives every row of the Jacobian. ``jacfwd`` maps ``jvp``
over one-hot input tangents: one batched forward pass gives every column. ``chunk_size=k`` maps
over ``k`` basis vectors at a time and concatenates, which bounds the memory of the batched pass
at the price of more, smaller passes. Results nest like JAX's: the output's structure outside,
the differentiated argument's inside, each leaf of shape ``out.shape + in.shape``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from .._core.errors import describe_function, describe_value
from .._core.tensor import dtype_of, shape_of
from .._core.tree import flatten, unflatten
from .._core.typing import PyTree
from ..ops.index import getitem
from ..ops.shape import concatenate, reshape, transpose
from ._args import argnums_tuple, diff_leaves, output_kind, restore
from .batching import vmap
from .forward import jvp
from .reverse import _restore_tree, _split_aux, grad, vjp

# --- shared helpers ------------------------------------------------------------------------


def _size(x) -> int:
    return int(np.prod(shape_of(x), dtype=np.int64))


def _offsets(leaves) -> list[int]:
    """Where each leaf's entries start in the concatenation of all of them, flattened."""
    return [int(n) for n in np.cumsum([0] + [_size(x) for x in leaves])]


def _one_hot(lo: int, hi: int, leaves, offsets) -> list:
    """Rows ``lo:hi`` of the identity over all leaves' entries, split into one array per leaf:
    leaf ``k`` gets shape ``(hi - lo, *leaf_k.shape)`` in its own dtype."""
    basis = []
    for x, start, stop in zip(leaves, offsets, offsets[1:]):
        rows = np.zeros((hi - lo, stop - start), dtype_of(x))
        hits = np.arange(max(lo, start), min(hi, stop))
        rows[hits - lo, hits - start] = 1
        basis.append(rows.reshape((hi - lo,) + shape_of(x)))
    return basis


def _mapped(fn: Callable, leaves, chunk_size: int | None) -> list:
    """``fn`` mapped over the identity basis of ``leaves``' entries, ``chunk_size`` at a time.

    ``fn`` takes a list (one array per leaf) and returns a list of arrays; each result gets a
    leading axis with one entry per basis vector (the chunks are concatenated along it).
    """
    offsets = _offsets(leaves)
    total = offsets[-1]
    step = chunk_size or total
    chunks = [
        _map_rows(fn, _one_hot(lo, min(lo + step, total), leaves, offsets))
        for lo in range(0, total, step)
    ]
    if len(chunks) == 1:
        return chunks[0]
    return [concatenate(*parts, axis=0) for parts in zip(*chunks)]


def _map_rows(fn: Callable, basis: list) -> list:
    """``vmap(fn)(basis)``; a single basis vector (a scalar's gradient) is passed unbatched:
    a batch of one only adds a level to every op (~1.2x on bench/jacobians.py's hessian)."""
    if shape_of(basis[0])[0] != 1:
        return vmap(fn)(basis)
    results = fn([reshape(b, shape_of(b)[1:]) for b in basis])
    return [reshape(r, (1,) + shape_of(r)) for r in results]


def _check_chunk_size(chunk_size, f, transform: str) -> None:
    if chunk_size is None:
        return
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError(
            f"{transform}({describe_function(f)}): chunk_size must be a positive int or None, "
            f"got {chunk_size!r}"
        )


def _check_outputs(leaves, f, transform: str) -> None:
    """Jacobians need floating-point outputs: an integer output has no derivative."""
    for i, x in enumerate(leaves):
        if dtype_of(x).kind != "f":
            raise TypeError(
                f"{transform}({describe_function(f)}) needs floating-point outputs, but output "
                f"leaf {i} has {describe_value(x)}. Cast it (x.astype(np.float64)) or return it "
                f"as aux with has_aux=True."
            )


class _Call:
    """One call of a Jacobian transform: ``f``, its arguments, and what is differentiated."""

    def __init__(self, f, args, kwargs, argnums, transform: str) -> None:
        self.f = f
        self.args = args
        self.kwargs = kwargs
        self.argnums = argnums
        self.nums = argnums_tuple(argnums, len(args), f, transform)
        self.trees = diff_leaves(args, self.nums, f, transform)
        self.leaves = [x for leaves, _, flags in self.trees for x, k in zip(leaves, flags) if k]
        self.kind = output_kind(self.leaves)

    def primals(self) -> tuple:
        return tuple(self.args[i] for i in self.nums)

    def partial(self) -> Callable:
        """``f`` as a function of the differentiated arguments only."""

        @functools.wraps(self.f)
        def partial_f(*primals):
            args = list(self.args)
            for i, x in zip(self.nums, primals):
                args[i] = x
            return self.f(*args, **self.kwargs)

        return partial_f

    def tangents(self, basis) -> tuple:
        """Tangents for ``primals()``: the basis arrays at the differentiated leaves."""
        it = iter(basis)
        out = []
        for leaves, treedef, flags in self.trees:
            out.append(unflatten(treedef, [next(it) if k else x for x, k in zip(leaves, flags)]))
        return tuple(out)

    def per_input(self, block: Callable):
        """``block(leaf, index)`` for every differentiated leaf, in the arguments' structure;
        a static leaf gets ``None``. ``index`` counts differentiated leaves."""
        counter = iter(range(len(self.leaves)))
        out = []
        for leaves, treedef, flags in self.trees:
            parts = [block(x, next(counter)) if k else None for x, k in zip(leaves, flags)]
            out.append(unflatten(treedef, parts))
        return out[0] if isinstance(self.argnums, int) else tuple(out)


# --- reverse mode --------------------------------------------------------------------------


def _record(call: _Call, has_aux: bool):
    """Run ``f`` once under ``vjp``: ``(output leaves, output treedef, pullback, aux)``."""
    recorded = vjp(call.partial(), *call.primals(), has_aux=has_aux)
    out_leaves, out_tree = flatten(recorded[0])
    aux = recorded[2] if has_aux else None
    return out_leaves, out_tree, recorded[1], aux


def _reverse(call: _Call, recorded, chunk_size, transform: str):
    """The Jacobian from a recorded pullback, mapped over one-hot output cotangents."""
    out_leaves, out_tree, back, _ = recorded
    _check_outputs(out_leaves, call.f, transform)
    offsets = _offsets(out_leaves)

    def pull(basis):
        # NOTE: static leaves' cotangents are None, which flatten drops: one entry per input.
        return flatten(back(unflatten(out_tree, basis)))[0]

    rows = _mapped(pull, out_leaves, chunk_size) if offsets[-1] else None
    blocks = [
        call.per_input(_row_block(call, y, rows, start, stop))
        for y, start, stop in zip(out_leaves, offsets, offsets[1:])
    ]
    return unflatten(out_tree, blocks)


def _row_block(call: _Call, y, rows, start: int, stop: int) -> Callable:
    """``block(x, j)``: the Jacobian of output ``y`` (entries ``start:stop`` of all outputs)
    w.r.t. input leaf ``j``; ``rows[j]`` stacks leaf ``j``'s cotangents over the output basis."""

    def block(x, j):
        shape = shape_of(y) + shape_of(x)
        if rows is None:
            return restore(np.zeros(shape, dtype_of(x)), call.kind)
        return restore(reshape(getitem(rows[j], index=(slice(start, stop),)), shape), call.kind)

    return block


# --- forward mode --------------------------------------------------------------------------


def _forward(call: _Call, has_aux: bool, chunk_size, transform: str):
    """The Jacobian and aux from ``jvp`` mapped over one-hot input tangents."""
    partial = call.partial()
    first: dict = {}

    def value(*primals):
        out, aux = _split_aux(partial(*primals), has_aux, call.f, transform)
        first.setdefault("aux", aux)
        return out

    def push(basis):
        out, tangent = jvp(value, call.primals(), call.tangents(basis))
        out_leaves, out_tree = flatten(out)
        _check_outputs(out_leaves, call.f, transform)
        first.setdefault("out", (out_leaves, out_tree))
        return flatten(tangent)[0]

    offsets = _offsets(call.leaves)
    if offsets[-1]:
        columns = _mapped(push, call.leaves, chunk_size)
    else:
        push([np.zeros(shape_of(x), dtype_of(x)) for x in call.leaves])  # only for the outputs
        columns = [None] * len(first["out"][0])
    out_leaves, out_tree = first["out"]
    blocks = [
        call.per_input(_column_block(call, y, c, offsets)) for y, c in zip(out_leaves, columns)
    ]
    return unflatten(out_tree, blocks), _restore_tree(first["aux"], call.kind)


def _column_block(call: _Call, y, columns, offsets) -> Callable:
    """``block(x, j)``: the Jacobian of output ``y`` w.r.t. input leaf ``j`` from ``columns``,
    ``y``'s tangents stacked over the input basis, shape ``(n_inputs, *y.shape)``."""

    def block(x, j):
        shape = shape_of(y) + shape_of(x)
        if columns is None:
            return restore(np.zeros(shape, dtype_of(y)), call.kind)
        part = getitem(columns, index=(slice(offsets[j], offsets[j + 1]),))
        part = transpose(reshape(part, (_size(x), _size(y))), (1, 0))
        return restore(reshape(part, shape), call.kind)

    return block


# --- the public transforms -----------------------------------------------------------------


def _with_aux(jac, aux, has_aux: bool):
    return (jac, aux) if has_aux else jac


def jacrev(
    f: Callable,
    argnums: int | tuple[int, ...] = 0,
    has_aux: bool = False,
    chunk_size: int | None = None,
) -> Callable:
    """The Jacobian of ``f`` w.r.t. ``args[argnums]`` by reverse mode: one batched pullback.

    Each leaf has shape ``out.shape + in.shape``. Reverse mode costs one forward pass plus a
    backward pass batched over the output's entries: choose it when the output is smaller than
    the input (``jacfwd`` otherwise, or ``jacobian`` to let pullback pick).

    Args:
        f: a function of arrays (or pytrees of them) returning an array or a pytree of arrays.
        argnums: an int, or a tuple of ints (a tuple gives a tuple in each output leaf).
        has_aux: ``f`` returns ``(output, aux)``; the result is then ``(jacobian, aux)``.
        chunk_size: map the pullback over this many output entries at a time (bounds memory);
            ``None`` maps over all of them at once. The results are the same.

    Returns:
        A function of ``f``'s arguments: for a pytree output and a pytree argument, a nested
        result with the output's structure outside and the argument's inside, like JAX.

    Raises:
        TypeError: a differentiated argument or an output is not floating point.

    >>> import numpy as np, pullback as pb, pullback.numpy as pnp
    >>> pb.jacrev(lambda x: x[:2] * x[1:])(np.array([1.0, 2.0, 3.0]))
    array([[2., 1., 0.],
           [0., 3., 2.]])
    """
    _check_chunk_size(chunk_size, f, "jacrev")

    @functools.wraps(f)
    def jacrev_f(*args, **kwargs):
        call = _Call(f, args, kwargs, argnums, "jacrev")
        recorded = _record(call, has_aux)
        return _with_aux(_reverse(call, recorded, chunk_size, "jacrev"), recorded[3], has_aux)

    return jacrev_f


def jacfwd(
    f: Callable,
    argnums: int | tuple[int, ...] = 0,
    has_aux: bool = False,
    chunk_size: int | None = None,
) -> Callable:
    """The Jacobian of ``f`` w.r.t. ``args[argnums]`` by forward mode: one batched ``jvp``.

    Each leaf has shape ``out.shape + in.shape``. Forward mode costs one forward pass batched
    over the input's entries: choose it when the input is smaller than the output. Arguments
    as for ``jacrev``; ``chunk_size`` maps over that many input entries at a time.

    >>> import numpy as np, pullback as pb, pullback.numpy as pnp
    >>> pb.jacfwd(lambda x: pnp.stack([x * x, pnp.sin(x)]))(0.0)
    array([0., 1.])
    """
    _check_chunk_size(chunk_size, f, "jacfwd")

    @functools.wraps(f)
    def jacfwd_f(*args, **kwargs):
        call = _Call(f, args, kwargs, argnums, "jacfwd")
        return _with_aux(*_forward(call, has_aux, chunk_size, "jacfwd"), has_aux)

    return jacfwd_f


def jacobian(
    f: Callable,
    argnums: int | tuple[int, ...] = 0,
    has_aux: bool = False,
    chunk_size: int | None = None,
) -> Callable:
    """The Jacobian of ``f`` w.r.t. ``args[argnums]``, in whichever mode is cheaper.

    ``f`` is first recorded for reverse mode, which also gives the output's size. If the
    differentiated input has fewer entries than the output, the Jacobian is computed in forward
    mode (``jacfwd``), which runs ``f`` a second time; otherwise the recorded pullback is used
    (``jacrev``). Both give the same values; see ``jacrev`` for the arguments.

    >>> import numpy as np, pullback as pb
    >>> pb.jacobian(lambda x, y: x * y, argnums=(0, 1))(2.0, 3.0)
    (3.0, 2.0)
    """
    _check_chunk_size(chunk_size, f, "jacobian")

    @functools.wraps(f)
    def jacobian_f(*args, **kwargs):
        call = _Call(f, args, kwargs, argnums, "jacobian")
        recorded = _record(call, has_aux)
        if _offsets(call.leaves)[-1] < _offsets(recorded[0])[-1]:
            return _with_aux(*_forward(call, has_aux, chunk_size, "jacobian"), has_aux)
        return _with_aux(_reverse(call, recorded, chunk_size, "jacobian"), recorded[3], has_aux)

    return jacobian_f


def hessian(f: Callable, argnums: int | tuple[int, ...] = 0) -> Callable:
    """The Hessian of ``f`` w.r.t. ``args[argnums]``: ``jacfwd(jacrev(f))``, forward over reverse.

    For a scalar ``f`` each block has shape ``in.shape + in.shape`` (``out.shape + in.shape +
    in.shape`` in general); with a tuple ``argnums`` the result is a tuple of tuples, ``H[i][j]``
    the block of arguments ``i`` and ``j``.

    >>> import numpy as np, pullback as pb
    >>> pb.hessian(lambda x: (x ** 3).sum())(np.array([1.0, 2.0]))
    array([[ 6.,  0.],
           [ 0., 12.]])
    """
    inner = jacfwd(jacrev(f, argnums), argnums)

    @functools.wraps(f)
    def hessian_f(*args, **kwargs):
        nums = argnums_tuple(argnums, len(args), f, "hessian")
        diff_leaves(args, nums, f, "hessian")
        return inner(*args, **kwargs)

    return hessian_f


def hvp(f: Callable, primals: tuple, tangents: tuple) -> PyTree:
    """The Hessian-vector product of scalar ``f`` at ``primals`` with ``tangents``, by forward
    over reverse (``jvp(grad(f), primals, tangents)``): the Hessian is never formed, so this
    costs a few gradient evaluations whatever the size of the input.

    Args:
        primals: a tuple of the arguments; ``f`` is differentiated w.r.t. all of them.
        tangents: a tuple of the same structure, shapes and dtypes.

    Returns:
        ``H @ v`` with the structure of ``primals[0]`` for one primal, else a tuple.

    >>> import numpy as np, pullback as pb
    >>> pb.hvp(lambda x: (x ** 3).sum(), (np.array([1.0, 2.0]),), (np.array([1.0, 1.0]),))
    array([ 6., 12.])
    """
    if not isinstance(primals, (tuple, list)):
        raise TypeError(
            f"hvp({describe_function(f)}, primals, tangents) takes primals and tangents as "
            f"tuples, e.g. pb.hvp(f, (x,), (v,)); got {type(primals).__name__}"
        )
    gradient = grad(f, argnums=tuple(range(len(primals))))
    _, product = jvp(gradient, primals, tangents)
    return product[0] if len(primals) == 1 else product


def batch_jacobian(f: Callable) -> Callable:
    """Per-example Jacobians of ``f: (B, *in) -> (B, *out)``: shape ``(B, *out, *in)``.

    Computed as ``vmap`` over the batch of the Jacobian of one example (``f`` applied to a
    batch of one), so the ``B * B - B`` off-diagonal blocks of the full Jacobian, zero when
    examples are independent, are never computed. It assumes that they are independent: for
    an ``f`` that mixes examples (batch normalisation in training mode, a mean over the batch),
    the result is the Jacobian of ``f`` applied to each example alone, not a block of the full
    Jacobian; use ``jacobian`` there.

    >>> import numpy as np, pullback as pb, pullback.numpy as pnp
    >>> pb.batch_jacobian(lambda x: x * x)(np.array([[1.0, 2.0], [3.0, 4.0]]))
    array([[[2., 0.],
            [0., 4.]],
    <BLANKLINE>
           [[6., 0.],
            [0., 8.]]])
    """

    @functools.wraps(f)
    def one_example(x):
        out = f(reshape(x, (1,) + shape_of(x)))
        if len(shape_of(out)) < 1 or shape_of(out)[0] != 1:
            raise ValueError(
                f"batch_jacobian({describe_function(f)}) needs f to map a batch (B, *in) to a "
                f"batch (B, *out), but on a batch of one it returned {describe_value(out)}"
            )
        return reshape(out, shape_of(out)[1:])

    per_example = jacrev(one_example)

    @functools.wraps(f)
    def batch_jacobian_f(x):
        diff_leaves((x,), (0,), f, "batch_jacobian")
        if len(shape_of(x)) < 1:
            raise ValueError(
                f"batch_jacobian({describe_function(f)}) needs an input with a batch axis, "
                f"got {describe_value(x)}"
            )
        return vmap(per_example)(x)

    return batch_jacobian_f
