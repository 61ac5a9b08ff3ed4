"""Custom derivatives: ``custom_vjp``, ``custom_jvp``, ``custom_gradient``,
``differentiable_function``, ``with_derivative`` and ``stop_gradient``.

Each is a special primitive of the one engine (``fwd``/``bwd`` beside the implementation), so it
works under ``grad``, ``vjp``, ``jvp``, tapes, and to any order. A rule written for one mode is
transposed for the other (``transpose.py``): a ``custom_vjp`` also works under ``jvp``.
"""

from __future__ import annotations

import functools
import inspect

import numpy as np

from .._core.errors import describe_function
from .._core.primitive import Primitive, bind, defjvp
from .._core.tensor import Tensor, dtype_of, shape_of
from .._core.tree import flatten, is_none, unflatten
from ..ops.elementwise import stop_gradient as stop_gradient
from . import transpose


def _is_array_arg(x) -> bool:
    """Floating arrays, Tensors and floats become primitive arguments; the rest stays static."""
    if isinstance(x, (Tensor, np.ndarray, np.generic)):
        return dtype_of(x).kind == "f"
    return isinstance(x, float)


class CallSpec:
    """How one call's pytree arguments map onto a primitive's flat array arguments.

    ``out_tree`` is filled in when the function first runs.
    """

    __slots__ = ("fn", "in_tree", "positions", "leaves", "out_tree")

    def __init__(self, fn, args) -> None:
        self.fn = fn
        self.leaves, self.in_tree = flatten(tuple(args))
        self.positions = [i for i, x in enumerate(self.leaves) if _is_array_arg(x)]
        self.out_tree = None

    def arrays(self) -> list:
        return [self.leaves[i] for i in self.positions]

    def rebuild(self, arrays) -> tuple:
        """The call's arguments with ``arrays`` in place of its array leaves."""
        leaves = list(self.leaves)
        for i, x in zip(self.positions, arrays):
            leaves[i] = x
        return unflatten(self.in_tree, leaves)

    def flat_outputs(self, out) -> tuple:
        leaves, self.out_tree = flatten(out)
        return tuple(leaves)

    def flat_cotangents(self, cts, prim) -> tuple:
        """Per-argument cotangent pytrees (None for zero) as one entry per array argument."""
        nargs = len(self.in_tree.children)
        if nargs == 1 and not (isinstance(cts, (tuple, list)) and len(cts) == 1):
            cts = (cts,)
        if not isinstance(cts, (tuple, list)) or len(cts) != nargs:
            got = len(cts) if isinstance(cts, (tuple, list)) else 1
            raise ValueError(
                f"{transpose.rule_description(prim)} returned {got} cotangent(s) for "
                f"{nargs} argument(s); return a tuple with one per argument (None for zero)"
            )
        leaves = []
        for ct, sub in zip(cts, self.in_tree.children):
            if ct is None:
                leaves.extend([None] * sub.num_leaves)
            else:
                leaves.extend(flatten(ct, is_leaf=is_none)[0])
        if len(leaves) != len(self.leaves):
            raise ValueError(
                f"{transpose.rule_description(prim)} returned cotangents whose structure does "
                f"not match the arguments {self.in_tree!r}"
            )
        return tuple(leaves[i] for i in self.positions)


def call_special(prim: Primitive, fn, args):
    """Bind ``prim`` on the array leaves of ``args``; return ``fn``'s pytree output."""
    spec = CallSpec(fn, args)
    outs = bind(prim, *spec.arrays(), spec=spec)
    return unflatten(spec.out_tree, outs)


def _impl(*arrays, spec):
    return spec.flat_outputs(spec.fn(*spec.rebuild(arrays)))


# --- custom_vjp ----------------------------------------------------------------------------


class _CustomFunction:
    """What ``custom_vjp`` and ``custom_jvp`` share: the wrapped function, its static
    arguments, and calling the special primitive once a rule is set."""

    _kind = ""
    _how = ""

    def __init__(self, fun, nondiff_argnums=()) -> None:
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)
        self.prim: Primitive | None = None
        self._signature = _signature(fun)
        self._least = _positional_count(self._signature)  # fewer arguments: defaults to add

    def __call__(self, *args, **kwargs):
        if self.prim is None:
            raise TypeError(
                f"{self._kind} function {describe_function(self.fun)} has no rule yet: "
                f"call {self.fun.__name__}.{self._how} first"
            )
        if kwargs or len(args) < self._least:
            # as JAX does: keyword arguments and defaults by position, so the rules see them
            args = _positional(self.fun, self._signature, args, kwargs)
        statics = [args[i] for i in self.nondiff_argnums]
        dynamic = [a for i, a in enumerate(args) if i not in self.nondiff_argnums]
        fn = functools.partial(_with_statics, self.fun, self.nondiff_argnums, statics)
        return call_special(self.prim, _StaticCall(fn, statics), dynamic)


class custom_vjp(_CustomFunction):
    """A function with a custom VJP (JAX style): ``f.defvjp(fwd, bwd)``.

    ``fwd(*args) -> (out, residuals)``; ``bwd(residuals, g) -> tuple`` with one cotangent (or
    None) per argument, each of its argument's structure, shape and dtype (checked). The rule
    also serves forward mode, transposed, so ``pb.jvp`` works too.

    >>> import pullback as pb, pullback.numpy as pnp
    >>> @pb.custom_vjp
    ... def f(x):
    ...     return pnp.sin(x)
    >>> f.defvjp(lambda x: (pnp.sin(x), pnp.cos(x)), lambda cos_x, g: (2 * cos_x * g,))
    >>> pb.grad(f)(0.0)
    2.0
    """

    _kind = "custom_vjp"
    _how = "defvjp(fwd, bwd)"

    def defvjp(self, fwd, bwd) -> None:
        """Set the forward pass ``fwd(*args) -> (out, res)`` and ``bwd(res, g) -> cotangents``."""
        self.prim = _vjp_primitive(self.fun, fwd, bwd, self.nondiff_argnums, "custom_vjp")


class _StaticCall:
    """``fn`` together with the non-differentiable arguments ``bwd`` receives first."""

    __slots__ = ("fn", "statics")

    def __init__(self, fn, statics) -> None:
        self.fn = fn
        self.statics = statics

    def __call__(self, *args):
        return self.fn(*args)


def _signature(fun) -> inspect.Signature | None:
    try:
        return inspect.signature(fun)
    except (TypeError, ValueError):  # a builtin without one
        return None


def _positional_count(signature: inspect.Signature | None) -> int:
    """How many positional parameters ``signature`` has (0 if it is unknown)."""
    if signature is None:
        return 0
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return sum(p.kind in kinds for p in signature.parameters.values())


def _positional(fun, signature, args: tuple, kwargs: dict) -> tuple:
    """``args`` and ``kwargs`` as the positional arguments ``fun``'s ``signature`` binds them
    to."""
    if signature is None:
        raise TypeError(
            f"{describe_function(fun)} has no signature to place keyword arguments by; pass "
            f"its arguments by position"
        )
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError as error:
        raise TypeError(f"{describe_function(fun)}: {error}") from None
    bound.apply_defaults()
    if bound.kwargs:
        raise TypeError(
            f"{describe_function(fun)}: keyword-only arguments {sorted(bound.kwargs)} cannot "
            f"reach the custom rules, which take arguments by position; make them positional"
        )
    return bound.args


def _with_statics(fn, positions, statics, *dynamic):
    args = list(dynamic)
    for i, s in sorted(zip(positions, statics)):
        args.insert(i, s)
    return fn(*args)


def _vjp_primitive(fun, fwd, bwd, nondiff_argnums, kind: str) -> Primitive:
    name = getattr(fun, "__name__", "custom")
    prim = Primitive(_impl, name, multiple_results=True, register=False)
    prim.rule_description = f"bwd of {kind} {name!r} ({describe_function(fun)})"

    def prim_fwd(*arrays, spec):
        args = spec.rebuild(arrays)
        full = _with_statics(lambda *a: a, nondiff_argnums, spec.fn.statics, *args)
        out, residuals = fwd(*full)
        return spec.flat_outputs(out), residuals

    def prim_bwd(residuals, g, needed, spec):
        del needed  # the user's bwd returns every cotangent
        cts = bwd(*spec.fn.statics, residuals, unflatten(spec.out_tree, g))
        return spec.flat_cotangents(cts, prim)

    prim.fwd = prim_fwd
    prim.bwd = prim_bwd
    return prim


def custom_gradient(f):
    """A function with a custom gradient (TensorFlow style).

    ``f(*args)`` returns ``(y, grad_fn)``; ``grad_fn(upstream)`` returns the cotangent of each
    argument (a single value when there is one argument).

    >>> import pullback as pb, pullback.numpy as pnp
    >>> @pb.custom_gradient
    ... def clip_gradients(y):
    ...     return y, lambda dy: pnp.clip(dy, -0.5, 0.5)
    >>> pb.grad(lambda x: 3.0 * clip_gradients(x))(1.0)
    0.5
    """
    wrapped = custom_vjp(functools.wraps(f)(lambda *args: f(*args)[0]))
    wrapped.prim = _vjp_primitive(f, f, lambda grad_fn, g: grad_fn(g), (), "custom_gradient")
    return wrapped


def differentiable_function(vjp_fn):
    """A differentiable function from ``vjp_fn(*args) -> (value, pullback)`` (Swift style).

    >>> import pullback as pb
    >>> square = pb.differentiable_function(lambda x: (x * x, lambda g: 2 * x * g))
    >>> pb.grad(square)(3.0)
    6.0
    """
    return custom_gradient(vjp_fn)


# --- custom_jvp ----------------------------------------------------------------------------


class custom_jvp(_CustomFunction):
    """A function with a custom JVP (JAX style): ``f.defjvp(rule)``.

    ``rule(primals, tangents) -> (out, tangent_out)`` with ``primals`` and ``tangents`` tuples.
    Reverse mode transposes the rule (linear in ``tangents``), so ``pb.grad`` works too.
    Arguments listed in ``nondiff_argnums`` are passed to the rule first and get no tangent.

    >>> import pullback as pb, pullback.numpy as pnp
    >>> @pb.custom_jvp
    ... def f(x):
    ...     return pnp.sin(x)
    >>> f.defjvp(lambda p, t: (pnp.sin(p[0]), 3 * t[0]))
    >>> pb.grad(f)(0.0), pb.jvp(f, (0.0,), (1.0,))[1]
    (3.0, 3.0)
    """

    _kind = "custom_jvp"
    _how = "defjvp(rule)"

    def defjvp(self, rule) -> None:
        """Set the forward rule ``rule(primals, tangents) -> (out, tangent_out)``."""
        self.prim = _jvp_primitive(self.fun, rule)


def _jvp_primitive(fun, rule) -> Primitive:
    name = getattr(fun, "__name__", "custom")
    prim = Primitive(_impl, name, multiple_results=True, register=False)
    prim.rule_description = f"jvp rule of custom_jvp {name!r} ({describe_function(fun)})"

    def joint(primals, tangents, spec):
        p_args = spec.rebuild(primals)
        t_args = spec.rebuild(tangents)
        out, t_out = rule(tuple(spec.fn.statics) + tuple(p_args), tuple(t_args))
        leaves, spec.out_tree = flatten(out)
        return tuple(leaves), _checked_tangents(prim, leaves, t_out)

    def prim_fwd(*arrays, spec):
        return _impl(*arrays, spec=spec), arrays

    def prim_bwd(primals, g, needed, spec):
        del needed  # transposing the joint rule gives every cotangent at once
        from .reverse import vjp

        zeros = [np.zeros(shape_of(x), dtype_of(x)) for x in primals]
        _, back = vjp(lambda *t: joint(primals, t, spec)[1], *zeros)
        return back(tuple(g))

    prim.jvp_joint = joint
    prim.fwd = prim_fwd
    prim.bwd = prim_bwd
    return prim


def _checked_tangents(prim: Primitive, outs: list, t_out) -> tuple:
    """The rule's output tangent as one leaf per output leaf, each of its output's shape."""
    tangents = flatten(t_out)[0]
    if len(tangents) != len(outs):
        raise ValueError(
            f"{prim.rule_description} returned {len(tangents)} tangent(s) for "
            f"{len(outs)} output(s); return one per output, of its shape"
        )
    for i, (t, out) in enumerate(zip(tangents, outs)):
        if shape_of(t) != shape_of(out):
            raise ValueError(
                f"{prim.rule_description} returned a tangent of shape {shape_of(t)} for output "
                f"{i} of shape {shape_of(out)}"
            )
    return tuple(tangents)


# --- hooks ---------------------------------------------------------------------------------


def _with_derivative_impl(x, *, hook):
    return x


with_derivative_p = Primitive(_with_derivative_impl, "with_derivative")
with_derivative_p.rule_description = "with_derivative hook"
with_derivative_p.fwd = lambda x, hook: (x, None)


def _with_derivative_bwd(residuals, g, needed, hook):
    del needed  # one argument
    replaced = hook(g)
    return (g if replaced is None else replaced,)


with_derivative_p.bwd = _with_derivative_bwd
defjvp(with_derivative_p, lambda t, ans, x, hook: t)


def with_derivative(x, hook):
    """``x`` unchanged; in the backward pass ``hook(cotangent)`` is called, and an array it
    returns replaces the cotangent (Swift's ``withDerivative``).

    >>> import pullback as pb
    >>> pb.grad(lambda x: pb.with_derivative(x, lambda g: g * 10) * 2)(1.0)
    20.0
    """
    return with_derivative_p(x, hook=hook)


without_derivative = stop_gradient
