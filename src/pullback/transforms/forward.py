"""Forward mode: ``ForwardLevel`` carries a tangent beside every value it tracks.

``jvp`` opens a private ``ForwardLevel`` around one call; ``ForwardAccumulator`` is the same
level opened by ``with``.
"""

from __future__ import annotations

from .._core.errors import MissingRuleError
from .._core.levels import Level
from .._core.primitive import bind
from .._core.tensor import Tensor, dtype_of, shape_of, wrap
from ..ops.elementwise import add
from . import transpose
from ._fit import fit_tangent, is_differentiable_dtype, zeros_like_value


class ForwardLevel(Level):
    """Pushes tangents through every primitive applied to its Tensors."""

    __slots__ = ("display_name",)

    def __init__(self, display_name: str = "jvp") -> None:
        super().__init__()
        self.display_name = display_name

    def seed(self, x, tangent) -> Tensor:
        """A Tensor of this level over ``x`` with tangent ``tangent``."""
        return wrap(x, self, tangent=tangent)

    def process(self, prim, args, params):
        if prim.inline_jvp:
            return prim.impl(*args, **params)
        primals, own = self.unwrap(args)
        tangents = [None if t is None else t._tangent for t in own]
        if prim.jvp_joint is not None:
            return self._push_joint(prim, primals, tangents, params)
        if prim.fwd is not None and prim.jvp is None:
            return self._push_special(prim, primals, tangents, params)
        ans = bind(prim, *primals, **params)
        if not prim.differentiable:
            return ans
        if not prim.multiple_results and not is_differentiable_dtype(ans):
            return ans
        return self._wrap_tangents(prim, ans, _push(prim, primals, tangents, ans, params))

    def _push_joint(self, prim, primals, tangents, params):
        """A joint forward rule: all tangents at once (exact zeros for untracked arguments)."""
        full = [zeros_like_value(x) if t is None else t for x, t in zip(primals, tangents)]
        ans, t = prim.jvp_joint(primals, full, **params)
        return self._wrap_tangents(prim, ans, t)

    def _push_special(self, prim, primals, tangents, params):
        """A special primitive without a JVP rule: its tangent is the transpose of ``bwd``."""
        ans, residuals = prim.fwd(*primals, **params)
        avals = [(shape_of(x), dtype_of(x)) for x in primals]
        t = transpose.jvp_from_bwd(prim, residuals, ans, tangents, avals, params)
        return self._wrap_tangents(prim, ans, t)

    def _wrap_tangents(self, prim, ans, t):
        if t is None:
            return ans
        if not prim.multiple_results:
            if not is_differentiable_dtype(ans):
                return ans
            return wrap(ans, self, tangent=fit_tangent(t, ans))
        return tuple(
            wrap(a, self, tangent=fit_tangent(ti, a))
            if ti is not None and is_differentiable_dtype(a)
            else a
            for a, ti in zip(ans, t)
        )


def _transposed_rule(prim, i):
    if prim.vjp is None:
        raise MissingRuleError(
            f"no JVP rule for '{prim.name}': define one with pb.defjvp({prim.name}, ...)"
        )
    return transpose.jvp_from_vjp(prim, i)


def _push(prim, primals, tangents, ans, params):
    """The output tangent: the sum of each tracked argument's JVP contribution (None if zero)."""
    total = None
    for i, t in enumerate(tangents):
        if t is None:
            continue
        rule = prim.jvp_rule(i) if prim.jvp is not None else _transposed_rule(prim, i)
        if rule is None:
            continue
        c = rule(t, ans, *primals, **params)
        if c is None:
            continue
        if total is None:
            total = c
        elif prim.multiple_results:
            total = tuple(add(a, b) for a, b in zip(total, c))
        else:
            total = add(total, c)
    return total


# --- the functional API ------------------------------------------------------------------

import numpy as np  # noqa: E402

from .._core.errors import describe_function, describe_value  # noqa: E402
from .._core.tree import flatten, treedef_leaves, unflatten  # noqa: E402
from ._args import as_primal, check_input, is_differentiable_leaf, output_kind, restore  # noqa: E402


def jvp(f, primals, tangents):
    """``(f(*primals), J @ tangents)``: forward mode, one pass.

    Args:
        primals: a tuple (or list) of the arguments.
        tangents: a tuple of the same structure, shapes and dtypes.

    >>> import pullback as pb, pullback.numpy as pnp
    >>> pb.jvp(pnp.sin, (0.0,), (2.0,))
    (0.0, 2.0)
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError(
            f"jvp({describe_function(f)}, primals, tangents) takes primals and tangents as "
            f"tuples, e.g. pb.jvp(f, (x,), (v,)); got {type(primals).__name__} and "
            f"{type(tangents).__name__}"
        )
    leaves, treedef = flatten(tuple(primals))
    t_leaves = _matched_tangents(treedef, tangents, leaves, f)
    kind = output_kind([x for x in leaves if is_differentiable_leaf(x)])
    with ForwardLevel("jvp") as level:
        boxed = [
            level.seed(as_primal(x), as_primal(t)) if is_differentiable_leaf(x) else x
            for x, t in zip(leaves, t_leaves)
        ]
        out = f(*unflatten(treedef, boxed))
    out_leaves, out_tree = flatten(out)
    values = [restore(x, kind) for x in out_leaves]
    out_tangents = [restore(_tangent_of(level, x), kind) for x in out_leaves]
    return unflatten(out_tree, values), unflatten(out_tree, out_tangents)


def _matched_tangents(treedef, tangents, leaves, f):
    t_leaves = treedef_leaves(treedef, tuple(tangents))
    for i, (x, t) in enumerate(zip(leaves, t_leaves)):
        if not is_differentiable_leaf(x):
            continue
        check_input(x, f, "jvp", i)
        if shape_of(t) != shape_of(x):
            raise ValueError(
                f"jvp({describe_function(f)}): tangent {i} has {describe_value(t)}, but its "
                f"primal has {describe_value(x)}"
            )
    return t_leaves


def _tangent_of(level, x):
    """The tangent ``level`` carries for output ``x`` (exact zeros if it carries none)."""
    while isinstance(x, Tensor):
        if x._level is level:
            return x._tangent
        if x._level is None or x._level.alive:
            break
        x = x._primal
    if isinstance(x, (Tensor, np.ndarray, np.generic, float)):
        return np.zeros(shape_of(x), dtype_of(x))
    return None
