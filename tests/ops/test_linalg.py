import numpy as np
import pytest

import pullback as pb
import pullback.numpy as pnp

from ._matrices import (
    assert_float32_gradient_of_squares,
    assert_pairs_agree_with_jax,
    assert_values_match_numpy,
    well_conditioned,
)
from .harness import OpCase, case_ids, run_case, uniform

la = pnp.linalg

# --- samplers ----------------------------------------------------------------------------


def spd(rng, shape):
    """B B^T + n I: symmetric positive definite."""
    b = rng.standard_normal(shape)
    return b @ np.swapaxes(b, -1, -2) + shape[-1] * np.eye(shape[-1])


def _orthogonal(rng, shape):
    q, r = np.linalg.qr(rng.standard_normal(shape))
    return q * np.sign(np.diagonal(r, axis1=-2, axis2=-1))[..., None, :]


def separated_spectrum(rng, shape):
    """Q diag(w) Q^T with eigenvalues about 1 apart, so the eigenvector derivatives (which
    divide by eigenvalue gaps) stay O(1)."""
    n = shape[-1]
    w = np.arange(1.0, n + 1) + rng.uniform(-0.2, 0.2, shape[:-1])
    q = _orthogonal(rng, shape)
    return (q * w[..., None, :]) @ np.swapaxes(q, -1, -2)


def separated_singular_values(rng, shape):
    """U diag(s) V^T with singular values 1, 2, 3, ... (jittered): distinct and nonzero."""
    m, n = shape[-2:]
    k = min(m, n)
    s = np.arange(1.0, k + 1) + rng.uniform(-0.2, 0.2, shape[:-2] + (k,))
    u = _orthogonal(rng, shape[:-2] + (m, k))
    v = _orthogonal(rng, shape[:-2] + (n, k))
    return (u * s[..., None, :]) @ np.swapaxes(v, -1, -2)


def away_from_zero(rng, shape):
    """|x| in (0.3, 2) with random signs: no entry near the kink of abs."""
    return rng.uniform(0.3, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


SQUARE = [((3, 3),), ((2, 3, 3),), ((1, 1),)]
SQUARE_NONEMPTY_BATCH = [((3, 3),), ((2, 3, 3),)]
RECTANGULAR = [((3, 3),), ((4, 3),), ((3, 4),), ((2, 4, 3),)]
TALL = [((3, 3),), ((4, 3),), ((2, 4, 3),)]


def eigh_w(a):
    return la.eigh(a)[0]


def eigh_vv(a):
    # NOTE: v * v is invariant to each eigenvector's sign, so finite differences see a smooth
    # function.
    v = la.eigh(a)[1]
    return v * v


def eigh_both(a):
    w, v = la.eigh(a)
    return w, v * v


def eigh_rebuilt(a):
    w, v = la.eigh(a)
    return (v * w[..., None, :]) @ v.mT


def svd_u(a):
    u = la.svd(a, full_matrices=False)[0]
    return u * u


def svd_s(a):
    return la.svd(a, full_matrices=False)[1]


def svd_vh(a):
    vh = la.svd(a, full_matrices=False)[2]
    return vh * vh


def svd_all(a):
    u, s, vh = la.svd(a, full_matrices=False)
    return u * u, s, vh * vh


def svd_rebuilt(a):
    u, s, vh = la.svd(a, full_matrices=False)
    return (u * s[..., None, :]) @ vh


def qr_q(a):
    return la.qr(a)[0]


def qr_r(a):
    return la.qr(a)[1]


def qr_both(a):
    return tuple(la.qr(a))


DECOMPOSITIONS = [
    OpCase(la.inv, domain=well_conditioned, shapes=SQUARE),
    OpCase(
        la.solve,
        2,
        domain=[well_conditioned, (-2.0, 2.0)],
        shapes=[
            ((3, 3), (3,)),
            ((3, 3), (3, 2)),
            ((2, 3, 3), (2, 3, 2)),
            ((2, 3, 3), (3, 2)),
            ((3, 3), (2, 3, 1)),
            ((2, 3, 3), (3,)),
        ],
    ),
    OpCase(la.det, domain=well_conditioned, shapes=SQUARE),
    OpCase(lambda a: la.slogdet(a)[1], domain=well_conditioned, shapes=SQUARE, name="logabsdet"),
    OpCase(lambda a: tuple(la.slogdet(a)), domain=well_conditioned, shapes=SQUARE, name="slogdet"),
    OpCase(la.cholesky, domain=spd, shapes=SQUARE),
    # NOTE: atol 1e-7: at order 3 (PULLBACK_FULL_MATRIX=1) central differences of Q's rules
    # err by up to ~1.4e-8 (measured) where the exact derivative is 0.
    OpCase(qr_q, domain=well_conditioned, shapes=TALL, atol=1e-7),
    OpCase(qr_r, domain=well_conditioned, shapes=TALL, atol=1e-7),
    OpCase(qr_both, domain=well_conditioned, shapes=TALL, atol=1e-7),
    OpCase(eigh_w, domain=separated_spectrum, shapes=SQUARE),
    OpCase(eigh_vv, domain=separated_spectrum, shapes=SQUARE),
    OpCase(eigh_both, domain=separated_spectrum, shapes=SQUARE_NONEMPTY_BATCH),
    OpCase(eigh_rebuilt, domain=separated_spectrum, shapes=SQUARE_NONEMPTY_BATCH),
    OpCase(la.eigvalsh, domain=separated_spectrum, shapes=SQUARE),
    # NOTE: atol 1e-7 for the singular vectors: at order 3 (PULLBACK_FULL_MATRIX=1) central
    # differences of their gap-divided rules err by up to ~1.2e-8 (measured), just over 1e-8.
    OpCase(svd_u, domain=separated_singular_values, shapes=RECTANGULAR, atol=1e-7),
    OpCase(svd_s, domain=separated_singular_values, shapes=RECTANGULAR),
    OpCase(svd_vh, domain=separated_singular_values, shapes=RECTANGULAR, atol=1e-7),
    OpCase(svd_all, domain=separated_singular_values, shapes=RECTANGULAR, atol=1e-7),
    OpCase(svd_rebuilt, domain=separated_singular_values, shapes=RECTANGULAR, atol=1e-7),
    OpCase(la.svdvals, domain=separated_singular_values, shapes=RECTANGULAR),
    OpCase(la.pinv, domain=separated_singular_values, shapes=RECTANGULAR),
    OpCase(lambda a: la.matrix_power(a, 3), domain=well_conditioned, shapes=SQUARE, name="power_3"),
    OpCase(
        lambda a: la.matrix_power(a, -2), domain=well_conditioned, shapes=SQUARE, name="power_-2"
    ),
    OpCase(lambda a: la.matrix_power(a, 0), domain=well_conditioned, shapes=SQUARE, name="power_0"),
]

VECTOR_SHAPES = [((3,),), ((4,),)]


def _norm_case(name, domain, shapes, **kwargs):
    return OpCase(lambda x: la.norm(x, **kwargs), domain=domain, shapes=shapes, name=name)


NORMS = [
    _norm_case("norm", (-2.0, 2.0), [((3,),), ((3, 4),), ((2, 3, 4),)]),
    _norm_case("norm_keepdims", (-2.0, 2.0), [((3, 4),)], keepdims=True),
    _norm_case("norm_1", away_from_zero, VECTOR_SHAPES, ord=1),
    _norm_case("norm_2_axis", (-2.0, 2.0), [((3, 4),)], ord=2, axis=0),
    _norm_case("norm_inf", away_from_zero, VECTOR_SHAPES, ord=np.inf),
    _norm_case("norm_-inf", away_from_zero, VECTOR_SHAPES, ord=-np.inf),
    _norm_case("norm_3", away_from_zero, VECTOR_SHAPES, ord=3),
    _norm_case("norm_0.5", away_from_zero, VECTOR_SHAPES, ord=0.5),
    _norm_case("norm_0", away_from_zero, VECTOR_SHAPES, ord=0),
    _norm_case("norm_vector_axis_keepdims", (-2.0, 2.0), [((2, 3, 4),)], axis=-1, keepdims=True),
    _norm_case("norm_fro", (-2.0, 2.0), [((3, 4),)], ord="fro"),
    _norm_case("norm_fro_axes", (-2.0, 2.0), [((2, 3, 4),)], ord="fro", axis=(2, 0)),
    _norm_case("norm_nuc", separated_singular_values, [((3, 4),)], ord="nuc"),
    _norm_case("norm_matrix_2", separated_singular_values, [((4, 3),)], ord=2),
    _norm_case("norm_matrix_-2", separated_singular_values, [((3, 3),)], ord=-2),
    _norm_case("norm_matrix_1", away_from_zero, [((3, 4),)], ord=1),
    _norm_case("norm_matrix_-1", away_from_zero, [((3, 4),)], ord=-1),
    _norm_case("norm_matrix_inf", away_from_zero, [((3, 4),)], ord=np.inf),
    _norm_case(
        "norm_matrix_inf_axes_keepdims",
        away_from_zero,
        [((3, 2, 4),)],
        ord=np.inf,
        axis=(2, 0),
        keepdims=True,
    ),
    _norm_case("norm_nuc_axes", separated_singular_values, [((3, 3),)], ord="nuc", axis=(1, 0)),
]

CASES = DECOMPOSITIONS + NORMS


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_op_gradients_match_finite_differences(case):
    run_case(case)


# --- values against NumPy ----------------------------------------------------------------

VALUE_CHECKS = {
    "norm_2_axes": (
        lambda a: la.norm(a, 2, (2, 0)),
        lambda a: np.linalg.norm(a, 2, (2, 0)),
        [(3, 2, 4)],
    ),
    "norm_-inf_keepdims": (
        lambda a: la.norm(a, -np.inf, (0, 1), True),
        lambda a: np.linalg.norm(a, -np.inf, (0, 1), True),
        [(3, 4)],
    ),
    "norm_keepdims": (
        lambda a: la.norm(a, keepdims=True),
        lambda a: np.linalg.norm(a, keepdims=True),
        [(3, 4)],
    ),
    "solve_vector": (la.solve, np.linalg.solve, [(2, 3, 3), (3,)]),
    "pinv": (la.pinv, np.linalg.pinv, [(4, 3)]),
    "matrix_power": (
        lambda a: la.matrix_power(a, -3),
        lambda a: np.linalg.matrix_power(a, -3),
        [(3, 3)],
    ),
}


@pytest.mark.parametrize("name", list(VALUE_CHECKS))
def test_values_match_numpy(name):
    ours, theirs, shapes = VALUE_CHECKS[name]
    assert_values_match_numpy(ours, theirs, shapes)


def test_decompositions_match_numpy_on_symmetric_input():
    a = spd(np.random.default_rng(0), (2, 3, 3))
    np.testing.assert_array_equal(la.cholesky(a), np.linalg.cholesky(a))
    np.testing.assert_array_equal(la.eigh(a).eigenvalues, np.linalg.eigh(a).eigenvalues)
    np.testing.assert_array_equal(la.eigvalsh(a), np.linalg.eigvalsh(a))


def test_numpy_functions_on_tensors_dispatch_to_pnp():
    a = well_conditioned(np.random.default_rng(0), (3, 3))
    g = pb.grad(lambda x: np.trace(np.linalg.inv(x)) + np.linalg.det(x))(a)
    want = pb.grad(lambda x: pnp.trace(la.inv(x)) + la.det(x))(a)
    np.testing.assert_array_equal(g, want)


# --- special values ----------------------------------------------------------------------


def test_norm_gradient_at_zero_is_exactly_zero():
    zero = np.zeros(3)
    assert np.array_equal(pb.grad(la.norm)(zero), zero)
    assert np.array_equal(pb.grad(lambda x: la.norm(x) ** 2)(zero), zero)
    rows = np.zeros((2, 3))
    assert np.array_equal(pb.grad(lambda x: la.norm(x, axis=1).sum())(rows), rows)


def test_norm_second_derivative_at_zero_is_finite():
    zero = np.zeros(3)
    for f in (la.norm, lambda x: la.norm(x) ** 2):
        _, hv = pb.jvp(pb.grad(f), (zero,), (np.ones(3),))
        assert np.all(np.isfinite(hv))
        back = pb.vjp(pb.grad(f), zero)[1](np.ones(3))[0]
        assert np.all(np.isfinite(back))


def test_singular_values_gradient_is_defined_at_repeated_values():
    eye = np.eye(3)
    assert np.array_equal(pb.grad(lambda a: la.norm(a, "nuc"))(eye), eye)
    assert np.array_equal(pb.grad(lambda a: la.svd(a, compute_uv=False).sum())(eye), eye)
    assert np.array_equal(pb.grad(lambda a: la.eigvalsh(a).sum())(eye), eye)


def test_matrix_2_norm_splits_a_tied_top_singular_value():
    g = pb.grad(lambda a: la.norm(a, 2))(np.eye(2))
    np.testing.assert_allclose(g, np.eye(2) / 2, rtol=1e-12)


def test_slogdet_sign_has_no_derivative():
    a = -well_conditioned(np.random.default_rng(0), (3, 3))
    assert np.array_equal(pb.grad(lambda x: la.slogdet(x)[0])(a), np.zeros((3, 3)))
    _, t = pb.jvp(lambda x: la.slogdet(x)[0], (a,), (np.ones((3, 3)),))
    assert t == 0.0


def test_rectangular_full_svd_raises_with_a_remedy():
    with pytest.raises(NotImplementedError, match="full_matrices=False"):
        la.svd(np.ones((3, 2)))


def test_wide_qr_derivative_raises_with_a_remedy():
    with pytest.raises(NotImplementedError, match="rows >= columns"):
        pb.grad(lambda a: la.qr(a)[1].sum())(np.ones((2, 3)))


# --- peers -------------------------------------------------------------------------------


def _jax_pairs(jnp):
    jla = jnp.linalg
    return [
        ("inv", la.inv, jla.inv, [well_conditioned], [(2, 3, 3)]),
        ("solve", la.solve, jla.solve, [well_conditioned, uniform(-2, 2)], [(2, 3, 3), (2, 3, 2)]),
        ("det", la.det, jla.det, [well_conditioned], [(2, 3, 3)]),
        ("slogdet", lambda a: la.slogdet(a)[1], lambda a: jla.slogdet(a)[1], [well_conditioned],
         [(2, 3, 3)]),
        ("cholesky", la.cholesky, jla.cholesky, [spd], [(2, 3, 3)]),
        ("qr", lambda a: la.qr(a)[1], lambda a: jla.qr(a)[1], [well_conditioned], [(4, 3)]),
        ("eigh", eigh_vv, lambda a: jla.eigh(a)[1] ** 2, [separated_spectrum], [(2, 3, 3)]),
        ("eigvalsh", la.eigvalsh, jla.eigvalsh, [separated_spectrum], [(3, 3)]),
        ("svd", svd_u, lambda a: jla.svd(a, full_matrices=False)[0] ** 2,
         [separated_singular_values], [(4, 3)]),
        ("svdvals", la.svdvals, lambda a: jla.svd(a, compute_uv=False),
         [separated_singular_values], [(3, 4)]),
        ("pinv", la.pinv, jla.pinv, [separated_singular_values], [(4, 3)]),
        ("norm", la.norm, jla.norm, [uniform(-2, 2)], [(3, 4)]),
        ("norm_nuc", lambda a: la.norm(a, "nuc"), lambda a: jla.norm(a, "nuc"),
         [separated_singular_values], [(3, 4)]),
    ]  # fmt: skip


def test_values_and_gradients_match_jax(jax):
    assert_pairs_agree_with_jax(_jax_pairs(jax.numpy), jax)


@pytest.mark.parametrize(
    "f, sampler, shape",
    [
        (la.inv, well_conditioned, (3, 3)),
        (la.det, well_conditioned, (2, 3, 3)),
        (la.cholesky, spd, (3, 3)),
        (svd_all, separated_singular_values, (4, 3)),
        (eigh_both, separated_spectrum, (3, 3)),
        (qr_both, well_conditioned, (4, 3)),
        (la.pinv, separated_singular_values, (3, 4)),
        (la.norm, uniform(-2, 2), (3,)),
    ],
)
def test_float32_gradients_stay_float32(f, sampler, shape):
    assert_float32_gradient_of_squares(f, sampler, shape)
