"""Primitives and ``bind``, the one dispatch point every differentiable operation goes through.

A primitive is a NumPy implementation with its rules beside it: ``vjp`` (reverse mode), ``jvp``
(forward mode) and ``batch`` (``vmap``). ``bind(prim, *args, **params)`` evaluates it: with no
transform active and no tracked argument it calls the implementation directly (the fast path);
otherwise the innermost level owning an argument interprets it.

>>> import pullback.numpy as pnp
>>> float(pnp.sin(0.0))
0.0
"""

from __future__ import annotations

import inspect
import types
import weakref
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from .levels import _state
from .tensor import Tensor, live

_registry: dict[str, Primitive] = {}
_ndarray = np.ndarray
_instances: weakref.WeakSet = weakref.WeakSet()  # every primitive, for pb.debug_nans


def bind(prim: Primitive, *args, **params):
    """Evaluate ``prim`` on ``args``; every op in pullback is a call of this function."""
    stack = _state.stack
    if stack:
        top = None
        clean = True
        for a in args:
            if isinstance(a, Tensor):
                level = a._level
                if level is None or not level.alive or a._on_read is not None:
                    clean = False
                elif top is None or level.id > top.id:
                    top = level
        if not clean or (top is not None and top.stack is not stack):
            top, args = _strip(args, stack)
        if top is not None:
            defaults = prim.param_defaults
            if defaults and not defaults.keys() <= params.keys():
                params = {**defaults, **params}
            return top.process(prim, args, params)
    for a in args:
        if isinstance(a, Tensor):
            return _evaluate(prim, args, params)
    # NOTE: an array first argument rules the float path out without a call (bench/overhead.py).
    if type(args[0]) is not _ndarray and prim.scalar is not None and on_floats(args):
        return call_scalar(prim, args, params)
    return prim.impl(*args, **params)


def on_floats(args) -> bool:
    """``args`` are Python (or NumPy) floats and ints, at least one a float: a primitive with a
    ``scalar`` implementation runs that (``math.sin`` is ten times ``np.sin`` on a float)."""
    found = False
    for a in args:
        kind = type(a)
        if kind is float or kind is np.float64:
            found = True
        elif kind is not int and kind is not np.int64:
            return False
    return found


def call_scalar(prim: Primitive, args, params):
    """``prim.scalar(*args)``; NumPy's implementation where ``math`` raises (it returns inf or
    nan with a warning instead)."""
    try:
        return prim.scalar(*args, **params)
    except (ArithmeticError, ValueError):
        return prim.impl(*args, **params)


def _strip(args, stack):
    """``args`` without plain-Tensor wrappers and wrappers of levels that are finished or belong
    to another thread; also the top level. Reading a Variable here lets tapes watch it."""
    top = None
    stripped = []
    for a in args:
        if isinstance(a, Tensor):
            if a._on_read is not None:
                a._on_read(stack)
            a = live(a, stack)
            if isinstance(a, Tensor) and (top is None or a._level.id > top.id):
                top = a._level
        stripped.append(a)
    return top, (stripped if top is not None else args)


def read(x: Tensor):
    """``x`` as an operation sees it: tapes watch a Variable being read; finished or foreign
    levels' wrappers are removed. Returns a Tensor of a live level, or a raw value."""
    stack = _state.stack
    if x._on_read is not None and stack:
        x._on_read(stack)
    return live(x, stack)


def _evaluate(prim: Primitive, args, params):
    """Run the NumPy implementation on Tensor arguments; plain Tensors give plain Tensors."""
    ans = prim.impl(*[a._raw if isinstance(a, Tensor) else a for a in args], **params)
    if prim.multiple_results:
        return tuple(Tensor(x) for x in ans)
    return Tensor(ans)


class Primitive:
    """A differentiable operation: its NumPy implementation and its rules.

    Args:
        impl: the NumPy implementation, called with raw arrays and the keyword ``params``.
        name: the name used in the IR and in error messages (defaults to ``impl.__name__``).
        multiple_results: ``impl`` returns a tuple of arrays.
        differentiable: ``False`` for ops whose output carries no derivative (comparisons,
            ``floor``, ``argmax``): transforms treat their output as a constant.
        variadic: the op takes any number of array arguments (``concatenate``); its one VJP and
            JVP rule receives the argument's position as ``argnum=``.
        register: list it under ``name`` for ``load`` (per-function custom-rule primitives
            are not: their names are the users' and need not be unique).
        scalar: the same function on Python floats (``math.sin`` for ``sin``), which ``jit``
            replays a graph of scalars with; it may raise ``ArithmeticError``/``ValueError``
            where NumPy returns inf or nan (``jit`` then replays with ``impl``).
        random: each call draws new random values (a dropout mask): ``jit`` replays it at
            every call and never merges two calls with the same inputs into one, unless a
            ``draw`` param names the same draw of the random state for both (a
            ``pb.checkpoint``'s recomputation and its forward pass).

    ``ufunc`` is the NumPy ufunc when ``impl`` is one: ``jit`` then writes results into dead
    buffers with ``out=``.

    Special primitives (custom rules, hooks, checkpoints) set ``fwd(*primals, **params) ->
    (ans, residuals)`` and ``bwd(residuals, g, needed, **params) -> one cotangent per argument``
    (``needed[i]`` says whether argument ``i``'s cotangent is used; others may be ``None``)
    instead of per-argument VJP rules: reverse mode runs ``fwd`` in place of the implementation
    (on values that outer levels still track) and keeps only the residuals. With
    ``inline_jvp``, forward mode runs the implementation on its own Tensors, so tangents flow
    through the Python function itself; ``jvp_joint(primals, tangents, **params) -> (ans,
    tangent)`` is a forward rule over all arguments at once (``custom_jvp``).

    ``replay_share`` (a ``ReplayShare``) lets ``jit``'s replay hand this primitive a value
    an earlier equation computed anyway (``conv2d_filter_grad`` takes ``conv2d``'s patches).

    Calling a primitive binds it: ``sin(x)`` is ``bind(sin, x)``.
    """

    def __init__(
        self,
        impl: Callable,
        name: str | None = None,
        *,
        multiple_results: bool = False,
        differentiable: bool = True,
        variadic: bool = False,
        register: bool = True,
        scalar: Callable | None = None,
        random: bool = False,
    ) -> None:
        self.impl = impl
        self.ufunc = impl if isinstance(impl, np.ufunc) else None
        self.scalar = scalar
        self.name = name or impl.__name__
        self.vjp: tuple | None = None
        self.jvp: tuple | None = None
        self.batch: Callable | None = None
        self.fwd: Callable | None = None
        self.bwd: Callable | None = None
        self.inline_jvp = False
        self.jvp_joint: Callable | None = None
        self.replay_share: ReplayShare | None = None
        self.multiple_results = multiple_results
        self.differentiable = differentiable
        self.variadic = variadic
        self.random = random
        self.__doc__ = impl.__doc__
        # NOTE: doctest collects only objects whose __module__ is the module under test.
        self.__module__ = getattr(impl, "__module__", None)
        self.__wrapped__ = impl
        try:
            self.__signature__ = inspect.signature(impl)
        except (TypeError, ValueError):
            self.__signature__ = None
        # NOTE: only Python implementations: a ufunc's keywords (out=, casting=...) are not params.
        python_impl = isinstance(impl, types.FunctionType)
        self.param_defaults = _keyword_defaults(self.__signature__) if python_impl else {}
        if register:
            _register(self)
        _instances.add(self)

    __call__ = bind

    @property
    def __name__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"

    def vjp_rule(self, argnum: int) -> Callable | None:
        """The VJP rule of argument ``argnum``, or ``None`` if it is not differentiable."""
        if self.vjp is None:
            return None
        if self.variadic:
            return _at_argnum(self.vjp[0], argnum)
        return self.vjp[argnum] if argnum < len(self.vjp) else None

    def jvp_rule(self, argnum: int) -> Callable | None:
        """The JVP rule of argument ``argnum``, or ``None`` if it is not differentiable."""
        if self.jvp is None:
            return None
        if self.variadic:
            return _at_argnum(self.jvp[0], argnum)
        return self.jvp[argnum] if argnum < len(self.jvp) else None


class ReplayShare(NamedTuple):
    """How ``jit``'s replay lets a primitive (the consumer) reuse what an earlier equation of
    ``producer`` on the same first input computed on the way to its result.

    When ``producer_key(shapes, params)`` of the producer's equation equals
    ``consumer_key(shapes, params)`` of the consumer's (``shapes``: the equation's input
    shapes), the replay runs ``produce(*inputs, **params) -> (result, residual)`` in place of
    the producer and ``consume(residual, *other inputs, **params)`` in place of the consumer.
    Both must give bit for bit what the primitives give: the graph itself (``evaluate``,
    ``save``) is unchanged.
    """

    producer: Primitive
    producer_key: Callable
    consumer_key: Callable
    produce: Callable
    consume: Callable


def _register(prim: Primitive) -> None:
    """List ``prim`` by name; a name of one of pullback's own primitives cannot be taken."""
    old = _registry.get(prim.name)
    if old is not None and str(old.__module__).startswith("pullback.ops"):
        raise ValueError(
            f"a primitive named {prim.name!r} already exists in pullback; choose another name"
        )
    _registry[prim.name] = prim


def _keyword_defaults(signature) -> dict:
    """The implementation's keyword-only defaults, which rules receive when a call omits them."""
    if signature is None:
        return {}
    return {
        name: p.default
        for name, p in signature.parameters.items()
        if p.kind is p.KEYWORD_ONLY and p.default is not p.empty
    }


def _at_argnum(rule: Callable, argnum: int) -> Callable:
    return lambda g, ans, *args, **params: rule(g, ans, *args, argnum=argnum, **params)


def primitive(
    fn: Callable | None = None,
    *,
    name: str | None = None,
    multiple_results: bool = False,
    differentiable: bool = True,
    variadic: bool = False,
    ufunc: Callable | None = None,
    scalar: Callable | None = None,
    random: bool = False,
):
    """Make ``fn`` (written with NumPy, SciPy, ctypes ...) a primitive; give it rules with
    ``defvjp``/``defjvp``.

    ``ufunc``: when ``fn`` only calls this NumPy ufunc, it is called directly instead (one
    Python call less per op, about 2% of an elementwise op's cost: bench/overhead.py); ``fn``
    still gives the name, docstring and signature. ``scalar``: the same function on Python
    floats, for ``jit``'s replay of scalar graphs (see ``Primitive``). ``random``: ``fn`` draws
    new random values at each call (see ``Primitive``).

    >>> import numpy as np, pullback as pb
    >>> cube = pb.primitive(lambda x: x ** 3, name="cube")
    >>> pb.defvjp(cube, lambda g, ans, x: g * 3 * x ** 2)
    >>> float(pb.grad(cube)(2.0))
    12.0
    """

    def make(f: Callable) -> Primitive:
        prim = Primitive(
            f,
            name,
            multiple_results=multiple_results,
            differentiable=differentiable,
            variadic=variadic,
            scalar=scalar,
            random=random,
        )
        if ufunc is not None:
            prim.impl = prim.ufunc = ufunc
        return prim

    return make if fn is None else make(fn)


def identity_rule(g, ans, *args, **params):
    """The rule of an argument that passes its cotangent (or tangent) through unchanged; the
    engine recognises it and skips the call."""
    return g


def defvjp(prim: Primitive, *rules: Callable | None) -> None:
    """Attach VJP rules ``(g, ans, *args, **params) -> cotangent``, one per positional argument.

    ``None`` marks an argument that is not differentiable.
    """
    prim.vjp = tuple(rules)


def defjvp(prim: Primitive, *rules: Callable | None) -> None:
    """Attach JVP rules ``(t, ans, *args, **params) -> output tangent``, one per argument."""
    prim.jvp = tuple(rules)


def defbatch(prim: Primitive, rule: Callable) -> None:
    """Attach the batching rule used by ``vmap``."""
    prim.batch = rule


def lookup(name: str) -> Primitive:
    """The primitive registered under ``name`` (used by ``load``)."""
    try:
        return _registry[name]
    except KeyError:
        raise LookupError(f"no primitive named {name!r}") from None
