"""Reverse mode: a tape of nodes recorded by ``ReverseLevel`` and an iterative backward pass.

``grad``, ``value_and_grad``, ``vjp`` and ``pullback`` each open a private ``ReverseLevel``
around one call of the user's function; ``GradientTape`` is the same level opened by ``with``.
"""

from __future__ import annotations

import numpy as np

from .._core.errors import MissingRuleError
from .._core.levels import Level, pause_collector, resume_collector
from .._core.primitive import bind, call_scalar, identity_rule, on_floats
from .._core.tensor import Tensor, dtype_of, shape_of, wrap
from ..ops.elementwise import add
from . import transpose
from ._fit import fit_cotangent, is_differentiable_dtype, zeros_like_value


class Node:
    """One recorded primitive application: what its VJP rules need, and its parents' nodes.

    ``parents[i]`` is the node of argument ``i`` if that argument is tracked by the same
    level, else ``None``. A leaf (an input being differentiated) has ``prim = None``.
    """

    __slots__ = ("prim", "parents", "args", "ans", "params", "__weakref__")

    def __init__(self, prim, parents, args, ans, params) -> None:
        self.prim = prim
        self.parents = parents
        self.args = args
        self.ans = ans
        self.params = params

    def release(self) -> None:
        """Drop the saved values once the backward pass has used them."""
        self.args = self.ans = self.params = None


class OutputNode(Node):
    """Output ``index`` of a multiple-result primitive; its parent holds the whole tuple."""

    __slots__ = ("index",)

    def __init__(self, parent: Node, index: int) -> None:
        super().__init__(None, (parent,), None, None, None)
        self.index = index


class SpecialNode(Node):
    """A special primitive's application: ``args`` holds the residuals of its ``fwd``, and
    ``avals`` the (shape, dtype) of each argument, against which ``bwd``'s results are checked."""

    __slots__ = ("avals",)

    def __init__(self, prim, parents, residuals, ans, params, avals) -> None:
        super().__init__(prim, parents, residuals, ans, params)
        self.avals = avals


def _check_no_closure(level: ReverseLevel, prim, ans) -> None:
    """A special primitive's output must not already be tracked by ``level``: that means its
    function reached a tracked value through a closure instead of an argument."""
    for a in ans if prim.multiple_results else (ans,):
        if isinstance(a, Tensor) and a._level is level:
            raise TypeError(
                f"{transpose.rule_description(prim)}: the function uses a value that "
                f"{level.display_name} is differentiating through a closure, not through its "
                f"arguments, so its gradient would bypass the custom rule. Pass that value "
                f"(e.g. the layer or its weights) as an argument."
            )


def leaf_node() -> Node:
    return Node(None, (), None, None, None)


_new_tensor = Tensor.__new__
_new_node = Node.__new__  # 25% faster than Node(...) on the recording path (bench/overhead.py)
_ndarray = np.ndarray  # a global, not np.ndarray: the float-path check is one type test


class ReverseLevel(Level):
    """Records every primitive applied to its Tensors on a tape, in order."""

    __slots__ = ("tape", "display_name")

    def __init__(self, display_name: str = "grad") -> None:
        super().__init__()
        self.tape: list[Node] = []
        self.display_name = display_name

    def watch(self, x) -> Tensor:
        """A Tensor of this level over ``x`` with a fresh leaf node."""
        return wrap(x, self, leaf_node())

    def process(self, prim, args, params):
        # NOTE: Level.unwrap inlined: this loop is the hot path of every gradient.
        primals = []
        parents = []
        nested = False
        for a in args:
            if isinstance(a, Tensor):
                if a._level is self:
                    parents.append(a._node)
                    a = a._primal
                    if not nested and isinstance(a, Tensor):
                        nested = True
                else:
                    parents.append(None)
                    nested = True
            else:
                parents.append(None)
            primals.append(a)
        if prim.fwd is not None:
            return self._record_special(prim, parents, primals, params)
        # NOTE: with no outer level involved, the implementation is called directly (fast path).
        if nested:
            ans = bind(prim, *primals, **params)
        elif type(primals[0]) is not _ndarray and prim.scalar is not None and on_floats(primals):
            ans = call_scalar(prim, primals, params)
        else:
            ans = prim.impl(*primals, **params) if params else prim.impl(*primals)
        if not prim.differentiable:
            return ans
        if prim.multiple_results:
            return self._record_many(prim, parents, primals, ans, params)
        # NOTE: the result's type first: an ndarray or a float settles it without a try.
        kind = type(ans)
        if kind is _ndarray:
            if ans.dtype.kind not in "fc":
                return ans
            shape = ans.shape
        elif kind is float:
            shape = ()
        else:
            try:
                if ans.dtype.kind not in "fc":
                    return ans
            except AttributeError:
                if not is_differentiable_dtype(ans):
                    return ans
                ans = np.asarray(ans)
            shape = ans.shape
        node = _new_node(Node)
        node.prim = prim
        node.parents = parents
        node.args = primals
        node.ans = ans
        node.params = params
        self.tape.append(node)
        out = _new_tensor(Tensor)
        if nested and isinstance(ans, Tensor):
            out._raw = ans._raw
            out._shape = ans._shape
        else:
            out._raw = ans
            out._shape = shape
        out._primal = ans
        out._level = self
        out._node = node
        out._tangent = None
        out._bdim = None
        return out

    def _record_special(self, prim, parents, primals, params):
        """Run ``prim.fwd`` on the primals (outer levels see its ops) and keep its residuals."""
        ans, residuals = prim.fwd(*primals, **params)
        _check_no_closure(self, prim, ans)
        avals = [(shape_of(x), dtype_of(x)) for x in primals]
        node = SpecialNode(prim, parents, residuals, ans, params, avals)
        if prim.multiple_results:
            return self._wrap_many(node, ans)
        self.tape.append(node)
        return wrap(ans, self, node) if is_differentiable_dtype(ans) else ans

    def _record_many(self, prim, parents, primals, ans, params):
        return self._wrap_many(Node(prim, parents, primals, ans, params), ans)

    def _wrap_many(self, node, ans):
        self.tape.append(node)
        outs = []
        for i, a in enumerate(ans):
            out = OutputNode(node, i)
            self.tape.append(out)
            outs.append(wrap(a, self, out) if is_differentiable_dtype(a) else a)
        return tuple(outs)

    def backward(self, seeds: dict, wanted, retain: bool) -> dict:
        """Propagate ``seeds`` ({node: cotangent}) down the tape.

        Returns the cotangents of the ``wanted`` nodes (leaves or recorded nodes); nodes that
        receive none are absent. Unless ``retain``, saved values are dropped as they are used.
        """
        pause_collector()
        try:
            return self._backward(seeds, wanted, retain)
        finally:
            resume_collector()

    def _backward(self, seeds: dict, wanted, retain: bool) -> dict:
        cts = dict(seeds)
        wanted = set(wanted)
        # Leaves are not on the tape: only recorded nodes need looking up as the tape unwinds.
        recorded = {n for n in wanted if n.prim is not None or isinstance(n, OutputNode)}
        found = {}
        for node in reversed(self.tape):
            g = cts.pop(node, None)
            if g is None:
                continue
            if recorded and node in recorded:
                found[node] = g
            _propagate(node, g, cts)
            if not retain:
                node.args = node.ans = node.params = None
        if not retain:
            self.tape = []
        for node in wanted:
            if node in cts:
                found[node] = cts[node]
        return found


def _accumulate(cts: dict, node: Node, g) -> None:
    prev = cts.get(node)
    cts[node] = g if prev is None else add(prev, g)


def _propagate(node: Node, g, cts: dict) -> None:
    """Apply ``node``'s VJP rules to ``g`` and add the results to its parents' cotangents."""
    prim = node.prim
    if prim is None:
        _propagate_output(node, g, cts)
        return
    if prim.multiple_results:
        g = tuple(zeros_like_value(a) if gi is None else gi for gi, a in zip(g, node.ans))
    if prim.bwd is not None:
        _propagate_special(node, g, cts)
        return
    args = node.args
    ans = node.ans
    params = node.params
    rules = prim.vjp
    for i, parent in enumerate(node.parents):
        if parent is None:
            continue
        try:
            rule = rules[i] if not prim.variadic else _fallback_rule(prim, i)
        except (TypeError, IndexError):
            rule = _fallback_rule(prim, i)
        if rule is identity_rule:
            gi = g
        elif rule is None:
            continue
        else:
            gi = rule(g, ans, *args, **params) if params else rule(g, ans, *args)
            if gi is None:
                continue
        x = args[i]
        if type(x) is float and (type(gi) is float or type(gi) is np.float64):
            fits = True
        else:
            try:
                # NOTE: builtin dtypes are singletons, so `is` settles the common case cheaply.
                fits = gi.shape == x.shape and (gi.dtype is x.dtype or gi.dtype == x.dtype)
            except AttributeError:
                fits = False
        if not fits:
            gi = fit_cotangent(gi, x)
        prev = cts.get(parent)
        if prev is None:
            cts[parent] = gi
        elif type(prev) is _ndarray and type(gi) is _ndarray:
            # NOTE: two plain arrays of one shape and dtype: add's implementation without
            # bind, which would only call it (bench/overhead.py: x is summed into 500 times)
            cts[parent] = add.impl(prev, gi)
        elif type(prev) is float and type(gi) is float and add.scalar is not None:
            cts[parent] = prev + gi  # add's scalar implementation (None under debug_nans)
        else:
            cts[parent] = add(prev, gi)


def _propagate_output(node: OutputNode, g, cts: dict) -> None:
    """Collect the cotangent of one output of a multiple-result primitive."""
    parent = node.parents[0]
    slots = cts.get(parent)
    if slots is None:
        slots = cts[parent] = [None] * len(parent.ans)
    slots[node.index] = g if slots[node.index] is None else add(slots[node.index], g)


def _fallback_rule(prim, i):
    """A variadic rule, or the transpose of the JVP rule when the primitive has no VJP rules."""
    if prim.vjp is not None:
        return prim.vjp_rule(i)
    if prim.jvp is not None:
        return transpose.vjp_from_jvp(prim, i)
    raise MissingRuleError(
        f"no VJP rule for '{prim.name}': define one with pb.defvjp({prim.name}, ...)"
    )


def _propagate_special(node: SpecialNode, g, cts: dict) -> None:
    """Apply a special primitive's ``bwd`` to ``g``, checking what it returns."""
    prim = node.prim
    needed = tuple(parent is not None for parent in node.parents)
    cotangents = prim.bwd(node.args, g, needed, **node.params)
    cotangents = transpose.checked_cotangents(prim, cotangents, node.avals)
    for parent, gi in zip(node.parents, cotangents):
        if parent is not None and gi is not None:
            prev = cts.get(parent)
            cts[parent] = gi if prev is None else add(prev, gi)


# --- the functional API ------------------------------------------------------------------

import functools  # noqa: E402

from .._core.errors import describe_function, describe_value  # noqa: E402
from .._core.tensor import live  # noqa: E402
from .._core.tree import flatten, remember_built, treedef_leaves, unflatten  # noqa: E402
from ._args import argnums_tuple, as_primal, diff_leaves, output_kind, restore  # noqa: E402


def _boxed_args(level: ReverseLevel, args, nums, trees):
    """``args`` with every differentiated leaf wrapped by ``level``; also the leaf nodes."""
    args = list(args)
    nodes = []
    for i, (leaves, treedef, flags) in zip(nums, trees):
        boxed = []
        for x, flag in zip(leaves, flags):
            if flag:
                t = level.watch(as_primal(x))
                nodes.append(t._node)
                boxed.append(t)
            else:
                nodes.append(None)
                boxed.append(x)
        args[i] = unflatten(treedef, boxed)
    return args, nodes


def _own_node(level: ReverseLevel, x):
    """The node of ``x`` if ``level`` tracks it, else ``None``."""
    while isinstance(x, Tensor):
        if x._level is level:
            return x._node
        if x._level is None or x._level.alive:
            return None
        x = x._primal
    return None


def _grads_tree(found, nodes, trees, nums, kind, argnums):
    """Gradients with the structure of the differentiated arguments."""
    out = []
    it = iter(nodes)
    for leaves, treedef, flags in trees:
        grads = []
        for x, flag in zip(leaves, flags):
            node = next(it)
            if not flag:
                grads.append(None)
            elif node in found:
                grads.append(_writable(restore(found[node], kind)))
            else:
                grads.append(restore(np.zeros(shape_of(x), dtype_of(as_primal(x))), kind))
        grad_tree = unflatten(treedef, grads)
        remember_built(grad_tree, grads, treedef)  # an optimiser flattens it next
        out.append(grad_tree)
    return out[0] if isinstance(argnums, int) else tuple(out)


def _writable(g):
    """``g``, copied if it is a read-only array: a broadcast view (the gradient of a sum is
    its seed broadcast to the input's shape) would refuse ``g -= ...``, as NumPy code does."""
    if type(g) is np.ndarray and not g.flags.writeable:
        return g.copy()
    return g


def _split_aux(out, has_aux: bool, f, transform: str):
    if not has_aux:
        return out, None
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        raise TypeError(
            f"{transform}({describe_function(f)}, has_aux=True) needs f to return a pair "
            f"(output, aux), but it returned {type(out).__name__}"
        )
    return out[0], out[1]


def _restore_tree(tree, kind):
    leaves, treedef = flatten(tree)
    return unflatten(treedef, [restore(x, kind) if _is_value(x) else x for x in leaves])


def _is_value(x) -> bool:
    return isinstance(x, (Tensor, np.ndarray, np.generic, float))


def value_and_grad(f, argnums=0, has_aux=False):
    """A function returning ``(f(*args), gradient of f w.r.t. args[argnums])``.

    ``f`` must return a scalar. With ``has_aux=True`` it returns ``(scalar, aux)`` and the
    result is ``((value, aux), grad)``. The gradient has the structure of the argument(s).

    Raises:
        TypeError: ``f`` returns a non-scalar, or an argument is not floating point.

    >>> import pullback as pb
    >>> pb.value_and_grad(lambda x: x * x)(3.0)
    (9.0, 6.0)
    """

    @functools.wraps(f)
    def value_and_grad_f(*args, **kwargs):
        nums = argnums_tuple(argnums, len(args), f, "grad")
        trees = diff_leaves(args, nums, f, "grad")
        kind = output_kind([x for leaves, _, flags in trees for x, k in zip(leaves, flags) if k])
        with ReverseLevel("grad") as level:
            boxed, nodes = _boxed_args(level, args, nums, trees)
            out, aux = _split_aux(f(*boxed, **kwargs), has_aux, f, "grad")
        _check_scalar(out, f)
        seed_node = _own_node(level, out)
        found = {}
        if seed_node is not None:
            # NOTE: the output is a scalar: np.array, not np.ones (5x faster, a Python wrapper)
            seed = 1.0 if type(out._raw) is float else np.array(1, dtype_of(out))
            found = level.backward({seed_node: seed}, [n for n in nodes if n is not None], False)
        grads = _grads_tree(found, nodes, trees, nums, kind, argnums)
        value = restore(out, kind)
        if has_aux:
            return (value, _restore_tree(aux, kind)), grads
        return value, grads

    return value_and_grad_f


def _check_scalar(out, f) -> None:
    if not _is_value(out):
        raise TypeError(
            f"grad({describe_function(f)}) needs a scalar output, but it returned "
            f"{type(out).__name__}. Return a scalar, or use pb.vjp / pb.jacobian."
        )
    if shape_of(out) != ():
        raise TypeError(
            f"grad({describe_function(f)}) needs a scalar output, but it returned "
            f"{describe_value(out)}. Reduce it (e.g. .sum()) or use pb.jacobian."
        )
    if dtype_of(out).kind != "f":
        raise TypeError(
            f"grad({describe_function(f)}) needs a floating-point output, but it returned "
            f"{describe_value(out)}"
        )


def grad(f, argnums=0, has_aux=False):
    """The gradient of scalar-valued ``f`` with respect to ``args[argnums]``.

    Args:
        f: a function returning a scalar (float, 0-d array or 0-d Tensor).
        argnums: an int or a tuple of ints; a tuple gives a tuple of gradients.
        has_aux: ``f`` returns ``(scalar, aux)``; the result is then ``(grad, aux)``.

    >>> import pullback as pb, pullback.numpy as pnp
    >>> pb.grad(pnp.sin)(0.0)
    1.0
    >>> pb.grad(lambda x, y: x * y, argnums=(0, 1))(2.0, 3.0)
    (3.0, 2.0)
    """
    vg = value_and_grad(f, argnums, has_aux)

    @functools.wraps(f)
    def grad_f(*args, **kwargs):
        value, g = vg(*args, **kwargs)
        if has_aux:
            return g, value[1]
        return g

    return grad_f


def vjp(f, *primals, has_aux=False):
    """``(f(*primals), pullback)``: ``pullback(cotangent)`` gives one cotangent per primal.

    The pullback can be called many times; ``cotangent`` must match the output's structure,
    shapes and dtypes. With ``has_aux=True`` returns ``(out, pullback, aux)``.

    >>> import pullback as pb
    >>> out, back = pb.vjp(lambda x: x * x, 3.0)
    >>> out, back(1.0)
    (9.0, (6.0,))
    """
    nums = tuple(range(len(primals)))
    trees = diff_leaves(primals, nums, f, "vjp")
    kind = output_kind([x for leaves, _, flags in trees for x, k in zip(leaves, flags) if k])
    with ReverseLevel("vjp") as level:
        boxed, nodes = _boxed_args(level, primals, nums, trees)
        out, aux = _split_aux(f(*boxed), has_aux, f, "vjp")
    out_leaves, out_tree = flatten(out)
    out_nodes = [_own_node(level, x) for x in out_leaves]
    wanted = [n for n in nodes if n is not None]

    def pullback_f(cotangent):
        try:
            cts = treedef_leaves(out_tree, cotangent)
        except ValueError:
            raise ValueError(
                f"pullback of {describe_function(f)}: the cotangent has structure "
                f"{flatten(cotangent)[1]!r}, but the output has structure {out_tree!r}"
            ) from None
        seeds = {}
        for x, node, ct in zip(out_leaves, out_nodes, cts):
            ct = checked_cotangent(ct, x, f"pullback of {describe_function(f)}")
            if node is not None:
                _accumulate(seeds, node, ct)
        found = level.backward(seeds, wanted, True)
        return tuple(_grads_tree(found, nodes, trees, nums, kind, nums))

    pullback_f.__name__ = f"pullback_of_{getattr(f, '__name__', 'f')}"
    out_value = _restore_tree(out, kind)
    if has_aux:
        return out_value, pullback_f, _restore_tree(aux, kind)
    return out_value, pullback_f


def checked_cotangent(ct, x, where: str):
    """``ct`` as a value of ``x``'s shape and dtype, or a ValueError/TypeError naming both and
    ``where`` it was given (e.g. ``"pullback of f (file.py:3)"``)."""
    ct = as_primal(ct)
    if shape_of(ct) != shape_of(x):
        raise ValueError(
            f"{where}: cotangent has {describe_value(ct)}, but the output it belongs to has "
            f"{describe_value(x)}"
        )
    if dtype_of(ct).kind != dtype_of(x).kind:
        raise TypeError(
            f"{where}: cotangent has dtype {dtype_of(ct)}, but the output it belongs to has "
            f"dtype {dtype_of(x)}"
        )
    return ct


def pullback(f, *primals):
    """Just the pullback of ``f`` at ``primals`` (Swift's ``pullback(at:in:)``).

    >>> import pullback as pb
    >>> pb.pullback(lambda x: 2 * x, 1.0)(1.0)
    (2.0,)
    """
    return vjp(f, *primals)[1]


del live
