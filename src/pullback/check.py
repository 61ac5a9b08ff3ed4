"""``check_grads``: derivatives checked against central finite differences.

Forward mode is checked as ``J v`` against ``(f(x + eps v) - f(x - eps v)) / 2 eps``; reverse
mode through ``<J^T u, v> == <u, J v>``, so no Jacobian is ever formed. Higher orders check the
derivative functions themselves, recursively.
"""

from __future__ import annotations

import numpy as np

from ._core.tensor import Tensor
from ._core.tree import flatten, unflatten
from .transforms.forward import jvp
from .transforms.reverse import vjp


def _as_arrays(args):
    leaves, treedef = flatten(tuple(args))
    return [
        np.asarray(x._raw if isinstance(x, Tensor) else x, dtype=np.float64) for x in leaves
    ], treedef


def _random_like(leaves, rng):
    return [rng.standard_normal(np.shape(x)) for x in leaves]


def _flat_out(out) -> np.ndarray:
    leaves, _ = flatten(out)
    parts = [
        np.ravel(np.asarray(x._raw if isinstance(x, Tensor) else x, dtype=np.float64))
        for x in leaves
    ]
    return np.concatenate(parts) if parts else np.zeros(0)


def _inner(a, b) -> float:
    return float(sum(np.vdot(np.ravel(x), np.ravel(y)) for x, y in zip(a, b)))


def _numeric_jvp(f, leaves, treedef, v, eps):
    plus = unflatten(treedef, [x + eps * d for x, d in zip(leaves, v)])
    minus = unflatten(treedef, [x - eps * d for x, d in zip(leaves, v)])
    return (_flat_out(f(*plus)) - _flat_out(f(*minus))) / (2 * eps)


def _assert_close(got, want, what: str, rtol: float, atol: float) -> None:
    got, want = np.atleast_1d(np.asarray(got, float)), np.atleast_1d(np.asarray(want, float))
    err = np.abs(got - want)
    bound = atol + rtol * np.abs(want)
    if not (np.all(err <= bound) and np.all(np.isfinite(got) == np.isfinite(want))):
        i = int(np.argmax(err - bound)) if err.size else 0
        raise AssertionError(
            f"{what}: entry {i} is {got.flat[i]!r}, expected {want.flat[i]!r} "
            f"(abs error {err.flat[i]:.3g}, allowed {bound.flat[i]:.3g})"
        )


def check_grads(f, args, order=2, modes=("fwd", "rev"), eps=1e-6, rtol=1e-6, atol=1e-8, seed=0):
    """Check ``f``'s derivatives at ``args`` against central differences, up to ``order``.

    Args:
        f: a function of the positional ``args`` (floats, arrays, or pytrees of them).
        order: how many times to differentiate (2 checks the derivatives of the derivatives).
        modes: ``"fwd"`` checks ``jvp``, ``"rev"`` checks ``vjp``; with both, ``<u, J v>``
            from ``jvp`` must equal ``<J^T u, v>`` from ``vjp`` to 1e-12.

    Raises:
        AssertionError: naming the mode, the order and the worst entry.

    >>> import pullback as pb, pullback.numpy as pnp
    >>> pb.check_grads(pnp.sin, (0.5,), order=2)
    """
    rng = np.random.default_rng(seed)
    leaves, treedef = _as_arrays(args)
    _check_order(f, leaves, treedef, order, tuple(modes), eps, rtol, atol, rng, 1)


def _check_order(f, leaves, treedef, order, modes, eps, rtol, atol, rng, level):
    if order < 1:
        return
    v = _random_like(leaves, rng)
    numeric = _numeric_jvp(f, leaves, treedef, v, eps)
    primals = unflatten(treedef, leaves)
    tangents = unflatten(treedef, v)
    analytic_jv = None
    if "fwd" in modes:
        analytic_jv = _flat_out(jvp(f, primals, tangents)[1])
        _assert_close(analytic_jv, numeric, f"forward mode (order {level})", rtol, atol)
    if "rev" in modes:
        out, back = vjp(f, *primals)
        out_leaves, out_tree = flatten(out)
        u = [rng.standard_normal(np.shape(x)) for x in out_leaves]
        ct = unflatten(
            out_tree, [np.asarray(x, dtype=np.asarray(y).dtype) for x, y in zip(u, out_leaves)]
        )
        back_leaves = flatten(back(ct))[0]
        vjp_v = _inner(back_leaves, v)
        u_flat = np.concatenate([np.ravel(x) for x in u]) if u else np.zeros(0)
        # NOTE: <u, Jv> sums the finite-difference error of every entry, so the bound does too.
        scale = np.abs(u_flat)
        bound = atol * scale.sum() + rtol * float(np.dot(scale, np.abs(numeric)))
        _assert_close(
            vjp_v, float(np.dot(u_flat, numeric)), f"reverse mode (order {level})", 0, bound
        )
        if analytic_jv is not None:
            exact = float(np.dot(u_flat, analytic_jv))
            # NOTE: both inner products round in proportion to the sums of |terms|.
            terms = float(np.dot(scale, np.abs(analytic_jv))) + _inner(
                [np.abs(b) for b in back_leaves], [np.abs(d) for d in v]
            )
            tight = 1e-12 * (1 + terms)
            _assert_close(vjp_v, exact, f"<J^T u, v> vs <u, J v> (order {level})", 0, tight)
    if order > 1:
        _check_derivatives(f, leaves, treedef, order, modes, eps, rtol, atol, rng, level, v)


def _check_derivatives(f, leaves, treedef, order, modes, eps, rtol, atol, rng, level, v):
    tangents = unflatten(treedef, v)
    if "fwd" in modes:

        def df(*xs):
            return jvp(f, xs, tangents)[1]

        _check_order(df, leaves, treedef, order - 1, modes, eps, rtol, atol, rng, level + 1)
    if "rev" in modes:
        primals = unflatten(treedef, leaves)
        out_leaves, out_tree = flatten(f(*primals))
        u = [rng.standard_normal(np.shape(x)) for x in out_leaves]

        # NOTE: the cotangent is an input too, so the VJP rules' own derivatives with respect
        # to their cotangent are checked, not only those with respect to the primals.
        def vf(*xs_and_u):
            *xs, cotangent = xs_and_u
            return vjp(f, *xs)[1](unflatten(out_tree, cotangent))

        ext_leaves, ext_tree = flatten((*primals, u))
        _check_order(vf, ext_leaves, ext_tree, order - 1, modes, eps, rtol, atol, rng, level + 1)
