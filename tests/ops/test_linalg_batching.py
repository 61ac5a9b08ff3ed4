"""``vmap`` of the linear-algebra ops: each batched call equals the stack of unbatched calls.

Every primitive of ``ops/products.py`` and ``ops/linalg.py`` has a batching rule, so none of
them may fall back to the per-element loop (its warning is an error here). Binary ops run with
each operand batched or not, at axis 0 and at axis 1; ``vmap(grad)`` and ``grad(vmap)`` are
checked against loops.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import pullback as pb
import pullback.numpy as pnp
from pullback._core.primitive import Primitive
from pullback.ops import linalg as ops_linalg
from pullback.ops import products as ops_products
from pullback.transforms import batching

from ._matrices import well_conditioned
from .test_linalg import separated_singular_values, separated_spectrum, spd

la = pnp.linalg
B = 3
PRIMITIVES = {
    name: value
    for module in (ops_products, ops_linalg)
    for name, value in sorted(vars(module).items())
    if isinstance(value, Primitive) and value.__module__ == module.__name__
}
FALLBACK = rf"vmap: primitive '({'|'.join(PRIMITIVES)})' has no batching rule"
BINARY_AXES = [(0, None), (None, 0), (0, 0), (1, None), (None, 1), (1, 1), (0, 1)]


@pytest.fixture(autouse=True)
def _no_linalg_fallback(monkeypatch):
    """The fallback warns once per process; forget that so every test sees its warning."""
    monkeypatch.setattr(batching, "_warned", set())
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=FALLBACK)
        yield


def gaussian(rng, shape):
    return rng.standard_normal(shape)


def batched(rng, sampler, shape, axis):
    """``B`` samples of ``shape`` stacked at ``axis`` (one sample when ``axis`` is None)."""
    if axis is None:
        return sampler(rng, shape)
    return np.moveaxis(sampler(rng, (B,) + shape), 0, axis)


def leaves(out) -> list:
    return [np.asarray(x) for x in out] if isinstance(out, tuple) else [np.asarray(out)]


def check_vmap(f, args, in_axes, atol=1e-10):
    """``vmap(f)`` against ``f`` called on each batch element and stacked."""
    axes = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(args)
    got = leaves(pb.vmap(f, in_axes=in_axes)(*args))
    rows = []
    for b in range(B):
        sliced = [x if a is None else np.take(x, b, axis=a) for x, a in zip(args, axes)]
        rows.append(leaves(f(*sliced)))
    assert len(got) == len(rows[0])
    for i, g in enumerate(got):
        want = np.stack([r[i] for r in rows])
        assert g.shape == want.shape, (i, g.shape, want.shape)
        np.testing.assert_allclose(g, want, rtol=1e-10, atol=atol)


def run(f, shapes, in_axes, samplers=gaussian, seed=0):
    rng = np.random.default_rng(seed)
    axes = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(shapes)
    if not isinstance(samplers, tuple):
        samplers = (samplers,) * len(shapes)
    args = [batched(rng, s, shape, a) for s, shape, a in zip(samplers, shapes, axes)]
    check_vmap(f, args, in_axes)


def test_every_linalg_primitive_has_a_batching_rule():
    missing = [n for n, prim in PRIMITIVES.items() if prim.batch is None]
    assert not missing
    assert len(PRIMITIVES) == 15


def test_linalg_fallback_warning_fails_these_tests(monkeypatch):
    """The filter matches the engine's real message, so a lost rule cannot pass silently."""
    monkeypatch.setattr(ops_linalg.det, "batch", None)
    with pytest.raises(UserWarning, match="'det' has no batching rule"):
        pb.vmap(la.det)(np.ones((B, 2, 2)))


# --- unary ops on stacks of matrices -----------------------------------------------------

UNARY = [
    ("inv", la.inv, (4, 4), well_conditioned),
    ("det", la.det, (4, 4), well_conditioned),
    ("slogdet", la.slogdet, (4, 4), gaussian),
    ("cholesky", la.cholesky, (4, 4), spd),
    ("qr", la.qr, (5, 3), gaussian),
    ("qr_r", lambda a: la.qr(a, mode="r"), (3, 5), gaussian),
    ("eigh", la.eigh, (4, 4), separated_spectrum),
    ("eigvalsh", la.eigvalsh, (4, 4), gaussian),
    ("svd", lambda a: la.svd(a, full_matrices=False), (5, 3), separated_singular_values),
    ("svd_wide", lambda a: la.svd(a, full_matrices=False), (3, 5), separated_singular_values),
    ("svdvals", la.svdvals, (4, 3), gaussian),
    ("svd_no_uv", lambda a: la.svd(a, compute_uv=False), (3, 4), gaussian),
    ("pinv", la.pinv, (5, 3), gaussian),
    ("pinv_rcond", lambda a: la.pinv(a, rcond=1e-3), (3, 4), gaussian),
    ("pinv_hermitian", lambda a: la.pinv(a, hermitian=True), (4, 4), spd),
    ("matrix_power_0", lambda a: la.matrix_power(a, 0), (3, 3), gaussian),
    ("matrix_power_1", lambda a: la.matrix_power(a, 1), (3, 3), gaussian),
    ("matrix_power_5", lambda a: la.matrix_power(a, 5), (3, 3), gaussian),
    ("matrix_power_-2", lambda a: la.matrix_power(a, -2), (3, 3), well_conditioned),
    ("stack_det", la.det, (2, 3, 3), well_conditioned),
    ("stack_eigh", la.eigh, (2, 3, 3), separated_spectrum),
    ("stack_svd", lambda a: la.svd(a, full_matrices=False), (2, 4, 3), separated_singular_values),
]


@pytest.mark.parametrize("in_axes", [0, 1, -1])
@pytest.mark.parametrize("name, f, shape, sampler", UNARY, ids=[c[0] for c in UNARY])
def test_vmap_of_matrix_op_matches_loop(name, f, shape, sampler, in_axes):
    run(f, [shape], in_axes, sampler)


# --- diagonals, triangles, traces --------------------------------------------------------

DIAGONALS = [
    ("diag_of_vector", pnp.diag, (4,)),
    ("diag_of_vector_k1", lambda v: pnp.diag(v, k=1), (4,)),
    ("diag_of_vector_k-2", lambda v: pnp.diag(v, k=-2), (4,)),
    ("diag_of_matrix", pnp.diag, (3, 4)),
    ("diag_of_matrix_k-1", lambda x: pnp.diag(x, k=-1), (4, 3)),
    ("diagonal", pnp.diagonal, (3, 4)),
    ("diagonal_axes", lambda x: pnp.diagonal(x, 1, axis1=2, axis2=0), (3, 2, 4)),
    ("diagonal_mid", lambda x: pnp.diagonal(x, -1, axis1=1, axis2=2), (2, 4, 3)),
    ("trace", pnp.trace, (4, 4)),
    ("trace_axes", lambda x: pnp.trace(x, offset=1, axis1=1, axis2=2), (2, 3, 4)),
    ("tril", pnp.tril, (4, 3)),
    ("tril_k", lambda x: pnp.tril(x, k=-1), (2, 3, 4)),
    ("triu", pnp.triu, (3, 4)),
    ("triu_k", lambda x: pnp.triu(x, k=1), (4, 4)),
]


@pytest.mark.parametrize("in_axes", [0, 1, -1])
@pytest.mark.parametrize("name, f, shape", DIAGONALS, ids=[c[0] for c in DIAGONALS])
def test_vmap_of_diagonal_op_matches_loop(name, f, shape, in_axes):
    run(f, [shape], in_axes)


def test_vmap_of_diag_embed_primitive_matches_loop():
    def f(v):
        return ops_products.diag_embed(v, shape=(4, 2, 5), offset=1, axis1=2, axis2=0)

    run(f, [(2, 3)], 0)
    run(f, [(2, 3)], 1)
    run(f, [(2, 3)], 2)


# --- norms -------------------------------------------------------------------------------

NORMS = [
    ("vector_default", lambda x: la.norm(x), (5,)),
    *[(f"vector_{o}", lambda x, o=o: la.norm(x, ord=o), (5,)) for o in (1, 0, 3, np.inf, -np.inf)],
    ("all_default", lambda x: la.norm(x), (2, 3, 4)),
    ("all_keepdims", lambda x: la.norm(x, keepdims=True), (3, 4)),
    ("vector_axis", lambda x: la.norm(x, ord=1, axis=-1), (3, 4)),
    ("vector_axis0_keep", lambda x: la.norm(x, axis=0, keepdims=True), (3, 4)),
    *[
        (f"matrix_{o}", lambda x, o=o: la.norm(x, ord=o), (4, 3))
        for o in ("fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf)
    ],
    ("matrix_axes", lambda x: la.norm(x, ord="nuc", axis=(2, 0)), (4, 2, 3)),
    ("matrix_axes_keep", lambda x: la.norm(x, ord=np.inf, axis=(0, 1), keepdims=True), (3, 4, 2)),
]


@pytest.mark.parametrize("in_axes", [0, 1])
@pytest.mark.parametrize("name, f, shape", NORMS, ids=[c[0] for c in NORMS])
def test_vmap_of_norm_matches_loop(name, f, shape, in_axes):
    run(f, [shape], in_axes)


# --- binary products -----------------------------------------------------------------------

MATMUL_SHAPES = [(4,), (4, 4), (2, 4, 4), (1, 4, 4)]
BINARY = [
    *[
        (
            f"matmul_{len(sx)}d_{len(sy)}d{'_bcast' if (1 in sx[:1] + sy[:1]) else ''}",
            pnp.matmul,
            sx,
            sy,
        )
        for sx in MATMUL_SHAPES
        for sy in MATMUL_SHAPES
        if not (sx == (1, 4, 4) and sy == (1, 4, 4))
    ],
    ("matmul_rect", pnp.matmul, (2, 3), (3, 5)),
    ("dot_1d_1d", pnp.dot, (4,), (4,)),
    ("dot_2d_1d", pnp.dot, (3, 4), (4,)),
    ("dot_3d_3d", pnp.dot, (2, 3, 4), (5, 4, 2)),
    ("dot_scalar", pnp.dot, (), (3,)),
    ("vdot", pnp.vdot, (2, 3), (3, 2)),
    ("inner", pnp.inner, (2, 4), (3, 4)),
    ("inner_1d", pnp.inner, (4,), (4,)),
    ("outer", pnp.outer, (3,), (2, 2)),
    ("tensordot_1", lambda a, b: pnp.tensordot(a, b, axes=1), (2, 3), (3, 4)),
    ("tensordot_2", pnp.tensordot, (2, 3, 4), (3, 4, 2)),
    (
        "tensordot_pairs",
        lambda a, b: pnp.tensordot(a, b, axes=([0, 2], [2, 1])),
        (2, 3, 4),
        (5, 4, 2),
    ),
    ("kron", pnp.kron, (2, 3), (3, 2)),
    ("kron_ranks", pnp.kron, (2,), (2, 3)),
    ("solve_vector", la.solve, (4, 4), (4,)),
    ("solve_matrix", la.solve, (4, 4), (4, 2)),
    ("solve_stack", la.solve, (2, 4, 4), (4, 3)),
    ("solve_stack_b", la.solve, (4, 4), (2, 4, 3)),
    ("solve_primitive_vector", ops_linalg.solve, (2, 4, 4), (4,)),
    ("einsum_ij_jk", lambda a, b: pnp.einsum("ij,jk", a, b), (2, 3), (3, 4)),
    ("einsum_trace_outer", lambda a, b: pnp.einsum("ii,j->j", a, b), (3, 3), (2,)),
    ("einsum_ellipsis", lambda a, b: pnp.einsum("...ij,...j->...i", a, b), (2, 3, 4), (4,)),
    ("einsum_scalar_out", lambda a, b: pnp.einsum("ij,ij->", a, b), (2, 3), (2, 3)),
]
WELL_CONDITIONED_FIRST = (well_conditioned, gaussian)


def _samplers(name):
    return WELL_CONDITIONED_FIRST if name.startswith("solve") else gaussian


@pytest.mark.parametrize("in_axes", BINARY_AXES, ids=str)
@pytest.mark.parametrize("name, f, sx, sy", BINARY, ids=[c[0] for c in BINARY])
def test_vmap_of_binary_op_matches_loop(name, f, sx, sy, in_axes):
    rank = {0: len(sx), 1: len(sy)}
    if any(a == 1 and rank[i] == 0 for i, a in enumerate(in_axes)):
        pytest.skip("axis 1 of a batched scalar does not exist")
    run(f, [sx, sy], in_axes, _samplers(name))


@pytest.mark.parametrize(
    "in_axes", [(0, None, 0), (None, 1, None), (0, 0, 0), (2, None, 1)], ids=str
)
def test_vmap_of_three_operand_einsum_matches_loop(in_axes):
    def f(a, b, c):
        return pnp.einsum("ij,jk,kl->il", a, b, c)

    run(f, [(2, 3), (3, 4), (4, 2)], in_axes)


def test_vmap_of_einsum_repeated_label_matches_loop():
    run(lambda a: pnp.einsum("ii->i", a), [(3, 3)], 1)
    run(lambda a: pnp.einsum("iji->j", a), [(3, 2, 3)], 2)


# --- nesting and gradients ---------------------------------------------------------------


def test_nested_vmap_of_matmul_and_det_matches_loop():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, B, 3, 4))
    y = rng.standard_normal((4, B))
    inner_map = pb.vmap(pnp.matmul, in_axes=(0, None))
    got = pb.vmap(inner_map, in_axes=(1, 1))(x, y)
    want = np.stack([np.stack([x[i, b] @ y[:, b] for i in range(2)]) for b in range(B)])
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)
    a = well_conditioned(rng, (B, 2, 3, 3))
    np.testing.assert_allclose(pb.vmap(pb.vmap(la.det))(a), np.linalg.det(a), rtol=1e-10)


def solve_loss(a, b):
    return pnp.sum(la.solve(a, b) ** 2)


def det_loss(a):
    return la.det(a) + la.slogdet(a).logabsdet


def eigh_loss(a):
    w, v = la.eigh(a)
    # NOTE: v * v, not v: eigenvectors are defined up to sign.
    return pnp.sum(w * np.arange(1.0, 5.0)) + pnp.sum(v * v * np.arange(4.0))


def svd_loss(a):
    u, s, vh = la.svd(a, full_matrices=False)
    return pnp.sum(s * np.arange(1.0, 4.0)) + pnp.sum(u * u * np.arange(3.0)) + pnp.sum(vh * vh)


def matmul_loss(a, b):
    return pnp.sum(pnp.tanh(pnp.matmul(a, b)))


GRAD_CASES = [
    ("solve", solve_loss, [(4, 4), (4, 2)], WELL_CONDITIONED_FIRST),
    ("solve_vector", solve_loss, [(4, 4), (4,)], WELL_CONDITIONED_FIRST),
    ("det", det_loss, [(4, 4)], (well_conditioned,)),
    ("eigh", eigh_loss, [(4, 4)], (separated_spectrum,)),
    ("svd", svd_loss, [(5, 3)], (separated_singular_values,)),
    ("matmul", matmul_loss, [(3, 4), (4,)], (gaussian, gaussian)),
]


def _grad_case_args(shapes, samplers, axes):
    rng = np.random.default_rng(2)
    return [batched(rng, s, shape, a) for s, shape, a in zip(samplers, shapes, axes)]


def _looped_grads(f, args, axes):
    rows = []
    for b in range(B):
        sliced = [x if a is None else np.take(x, b, axis=a) for x, a in zip(args, axes)]
        rows.append(np.asarray(pb.grad(f)(*sliced)))
    return np.stack(rows)


def _axes_for(shapes):
    return [(0,) * len(shapes)] + ([(0, None), (1, 0)] if len(shapes) == 2 else [(1,)])


@pytest.mark.parametrize(
    "name, f, shapes, samplers, axes",
    [(*c, axes) for c in GRAD_CASES for axes in _axes_for(c[2])],
    ids=[f"{c[0]}-{axes}" for c in GRAD_CASES for axes in _axes_for(c[2])],
)
def test_vmap_of_grad_matches_loop(name, f, shapes, samplers, axes):
    args = _grad_case_args(shapes, samplers, axes)
    got = pb.vmap(pb.grad(f), in_axes=axes)(*args)
    want = _looped_grads(f, args, axes)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize(
    "name, f, shapes, samplers, axes",
    [(*c, axes) for c in GRAD_CASES for axes in _axes_for(c[2])],
    ids=[f"{c[0]}-{axes}" for c in GRAD_CASES for axes in _axes_for(c[2])],
)
def test_grad_of_vmap_matches_loop(name, f, shapes, samplers, axes):
    args = _grad_case_args(shapes, samplers, axes)

    def total(x):
        return pnp.sum(pb.vmap(f, in_axes=axes)(x, *args[1:]))

    got = pb.grad(total)(args[0])
    # NOTE: the first argument is always batched, so its gradient is one per element.
    want = np.moveaxis(_looped_grads(f, args, axes), 0, axes[0])
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize(
    "f, shapes, samplers",
    [
        (solve_loss, [(4, 4), (4, 2)], WELL_CONDITIONED_FIRST),
        (solve_loss, [(4, 4), (4,)], WELL_CONDITIONED_FIRST),
        (matmul_loss, [(3, 4), (4,)], (gaussian, gaussian)),
        (lambda b, a: matmul_loss(a, b), [(4,), (3, 4)], (gaussian, gaussian)),
    ],
    ids=["solve", "solve_vector", "matmul", "matmul_vector_first"],
)
def test_grad_of_vmap_over_the_other_operand_sums_the_loop(f, shapes, samplers):
    """The differentiated operand is unbatched, so its gradient sums over the batch."""
    args = _grad_case_args(shapes, samplers, (None, 1))
    got = pb.grad(lambda x: pnp.sum(pb.vmap(f, in_axes=(None, 1))(x, args[1])))(args[0])
    want = _looped_grads(f, args, (None, 1)).sum(axis=0)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-10)
