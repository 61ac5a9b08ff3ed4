import sys

import numpy as np
import pytest

import pullback as pb
import pullback.numpy as pnp
from pullback.ops import special as ops_special

from .harness import OpCase, case_ids, run_case

scipy_special = pytest.importorskip("scipy.special")

sp = pnp.special
NONEMPTY = [((3,),), ((3, 4),), ((2, 3, 4),)]


def logsumexp_cases():
    variants = [
        ("axis=None", {"axis": None}, [((),), *NONEMPTY]),
        ("axis=0", {"axis": 0}, NONEMPTY),
        ("axis=-1", {"axis": -1}, [*NONEMPTY, ((0, 3),)]),
        ("axis=(0,2)", {"axis": (0, 2)}, [((2, 3, 4),)]),
        ("axis=-1,keepdims", {"axis": -1, "keepdims": True}, [*NONEMPTY, ((0, 3),)]),
        ("axis=None,keepdims", {"axis": None, "keepdims": True}, NONEMPTY),
    ]
    return [
        OpCase(lambda x, kw=kw: sp.logsumexp(x, **kw), shapes=shapes, name=f"logsumexp[{label}]")
        for label, kw, shapes in variants
    ]


CASES = [
    OpCase(sp.erf),
    OpCase(sp.erfc),
    OpCase(sp.gammaln, domain=(0.5, 4.0)),
    OpCase(sp.digamma, domain=(0.5, 4.0)),
    OpCase(lambda x: sp.polygamma(1, x), domain=(0.5, 4.0), name="polygamma[n=1]"),
    OpCase(lambda x: sp.polygamma(2, x), domain=(0.5, 4.0), name="polygamma[n=2]"),
    OpCase(sp.expit, domain=(-5.0, 5.0)),
    OpCase(sp.logit, domain=(0.1, 0.9)),
    OpCase(sp.softplus, domain=(-5.0, 5.0)),
    OpCase(sp.xlogy, nargs=2, domain=[(-2.0, 2.0), (0.5, 3.0)]),
    *logsumexp_cases(),
]


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_op_gradients_match_finite_differences(case):
    run_case(case)


# --- values against SciPy ----------------------------------------------------------------

UNARY = ["erf", "erfc", "gammaln", "digamma", "expit", "logit"]


@pytest.mark.parametrize("name", UNARY)
def test_values_match_scipy(name):
    x = np.random.default_rng(1).uniform(0.05, 0.95, (3, 4))
    np.testing.assert_allclose(getattr(sp, name)(x), getattr(scipy_special, name)(x), rtol=1e-14)


def test_logsumexp_value_matches_scipy():
    x = np.random.default_rng(2).uniform(-800, 800, (3, 4))
    np.testing.assert_allclose(
        sp.logsumexp(x, axis=1, keepdims=True),
        scipy_special.logsumexp(x, axis=1, keepdims=True),
        rtol=1e-14,
    )


def test_special_functions_keep_float32():
    x = np.array([0.5, 1.5], np.float32)
    for f in (sp.erf, sp.gammaln, sp.digamma, sp.expit, sp.softplus, sp.logit):
        assert f(x / 2).dtype == np.float32, f.__name__
    assert sp.polygamma(1, x).dtype == np.float32


# --- stability at extremes (RELIABILITY H11, H12) ----------------------------------------


def test_logsumexp_of_all_neg_inf_is_neg_inf_with_zero_gradient():
    x = np.array([-np.inf, -np.inf])
    assert sp.logsumexp(x) == -np.inf
    np.testing.assert_array_equal(pb.grad(sp.logsumexp)(x), [0.0, 0.0])
    _, t = pb.jvp(sp.logsumexp, (x,), (np.ones(2),))
    assert t == 0.0


def test_logsumexp_masked_row_gets_zero_gradient_and_others_softmax():
    x = np.array([[-np.inf, -np.inf], [0.0, 0.0]])
    g = pb.grad(lambda x: pnp.sum(sp.logsumexp(x, axis=1)))(x)
    np.testing.assert_array_equal(g, [[0.0, 0.0], [0.5, 0.5]])


def test_logsumexp_of_huge_values_does_not_overflow():
    x = np.array([1000.0, 1000.0])
    assert sp.logsumexp(x) == 1000.0 + np.log(2.0)
    np.testing.assert_array_equal(pb.grad(sp.logsumexp)(x), [0.5, 0.5])


def test_logsumexp_rejects_b():
    with pytest.raises(NotImplementedError, match="log\\(b\\)"):
        sp.logsumexp(np.zeros(2), b=np.ones(2))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softplus_is_stable_at_extremes(dtype):
    assert pb.grad(sp.softplus)(dtype(100.0)) == 1.0
    assert sp.softplus(dtype(100.0)) == 100.0
    assert sp.softplus(dtype(-1000.0)) == 0.0
    assert pb.grad(sp.softplus)(dtype(-1000.0)) == 0.0


@pytest.mark.parametrize(("dtype", "far"), [(np.float32, 100.0), (np.float64, 1000.0)])
def test_expit_gradient_is_finite_far_out(dtype, far):
    assert sp.expit(dtype(far)) == 1.0
    assert pb.grad(sp.expit)(dtype(far)) == 0.0
    # expit(-x) underflows to its own tiny value (a float32 subnormal at -100), as does its slope.
    assert pb.grad(sp.expit)(dtype(-far)) == sp.expit(dtype(-far))


def test_softplus_gradient_in_float32_keeps_dtype():
    assert pb.grad(sp.softplus)(np.float32(100.0)).dtype == np.float32


def test_xlogy_at_zero_is_zero_with_zero_gradient_in_y():
    assert sp.xlogy(0.0, 0.0) == 0.0
    assert pb.grad(sp.xlogy, argnums=1)(0.0, 0.0) == 0.0


def test_logit_is_infinite_at_the_ends():
    np.testing.assert_array_equal(sp.logit(np.array([0.0, 1.0])), [-np.inf, np.inf])


# --- the gamma family to higher order ----------------------------------------------------


def test_digamma_second_derivative_is_polygamma_2():
    x = 1.7
    got = pb.grad(pb.grad(sp.digamma))(x)
    np.testing.assert_allclose(got, scipy_special.polygamma(2, x), rtol=1e-14)


def test_gammaln_third_derivative_is_polygamma_2():
    got = pb.grad(pb.grad(pb.grad(sp.gammaln)))(2.5)
    np.testing.assert_allclose(got, scipy_special.polygamma(2, 2.5), rtol=1e-14)


def test_polygamma_rejects_negative_order():
    with pytest.raises(ValueError, match="n >= 0"):
        sp.polygamma(-1, 1.0)


def test_missing_scipy_raises_import_error_naming_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "scipy.special", None)
    with pytest.raises(ImportError, match=r"pullback\[special\]"):
        ops_special._scipy_special()


# --- peers: JAX --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def jax_x64():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    yield jax
    jax.config.update("jax_enable_x64", False)


# (name, pullback function, JAX twin as a function of (jax, x), sampling interval)
PEERS = [
    ("erf", sp.erf, lambda jax, x: jax.scipy.special.erf(x), (-2, 2)),
    ("erfc", sp.erfc, lambda jax, x: jax.scipy.special.erfc(x), (-2, 2)),
    ("gammaln", sp.gammaln, lambda jax, x: jax.scipy.special.gammaln(x), (0.5, 4)),
    ("digamma", sp.digamma, lambda jax, x: jax.scipy.special.digamma(x), (0.5, 4)),
    (
        "polygamma1",
        lambda x: sp.polygamma(1, x),
        lambda jax, x: jax.scipy.special.polygamma(1, x),
        (0.5, 4),
    ),
    ("expit", sp.expit, lambda jax, x: jax.scipy.special.expit(x), (-5, 5)),
    ("logit", sp.logit, lambda jax, x: jax.scipy.special.logit(x), (0.1, 0.9)),
    ("softplus", sp.softplus, lambda jax, x: jax.nn.softplus(x), (-5, 5)),
    (
        "xlogy",
        lambda x: sp.xlogy(x, x + 2.5),
        lambda jax, x: jax.scipy.special.xlogy(x, x + 2.5),
        (-2, 2),
    ),
    (
        "logsumexp",
        lambda x: sp.logsumexp(x, axis=1),
        lambda jax, x: jax.scipy.special.logsumexp(x, axis=1),
        (-3, 3),
    ),
    ("sum", lambda x: pnp.sum(x, axis=0), lambda jax, x: jax.numpy.sum(x, axis=0), (-2, 2)),
    ("mean", lambda x: pnp.mean(x, axis=1), lambda jax, x: jax.numpy.mean(x, axis=1), (-2, 2)),
    ("prod", lambda x: pnp.prod(x, axis=1), lambda jax, x: jax.numpy.prod(x, axis=1), (-2, 2)),
    ("max", lambda x: pnp.max(x, axis=0), lambda jax, x: jax.numpy.max(x, axis=0), (-2, 2)),
    ("min", pnp.min, lambda jax, x: jax.numpy.min(x), (-2, 2)),
    ("ptp", lambda x: pnp.ptp(x, axis=1), lambda jax, x: jax.numpy.ptp(x, axis=1), (-2, 2)),
    (
        "var",
        lambda x: pnp.var(x, axis=1, ddof=1),
        lambda jax, x: jax.numpy.var(x, axis=1, ddof=1),
        (-2, 2),
    ),
    ("std", lambda x: pnp.std(x, axis=0), lambda jax, x: jax.numpy.std(x, axis=0), (-2, 2)),
    (
        "cumsum",
        lambda x: pnp.cumsum(x, axis=1),
        lambda jax, x: jax.numpy.cumsum(x, axis=1),
        (-2, 2),
    ),
    ("cumprod", pnp.cumprod, lambda jax, x: jax.numpy.cumprod(x), (-2, 2)),
    (
        "average",
        lambda x: pnp.average(x, axis=1),
        lambda jax, x: jax.numpy.average(x, axis=1),
        (-2, 2),
    ),
]


@pytest.mark.parametrize(("name", "mine", "theirs", "interval"), PEERS, ids=[p[0] for p in PEERS])
def test_values_and_gradients_match_jax(jax_x64, name, mine, theirs, interval):
    jax = jax_x64
    rng = np.random.default_rng(3)
    x = rng.uniform(*interval, (3, 4))
    out = np.asarray(theirs(jax, x))
    u = rng.standard_normal(out.shape)
    np.testing.assert_allclose(mine(x), out, rtol=1e-12, err_msg=name)
    got = pb.grad(lambda x: pnp.sum(mine(x) * u))(x)
    want = jax.grad(lambda x: jax.numpy.sum(theirs(jax, x) * u))(x)
    np.testing.assert_allclose(got, np.asarray(want), rtol=1e-12, err_msg=name)


def test_softmax_matches_scipy_and_is_exact_for_ties():
    from scipy.special import softmax as scipy_softmax

    x = np.random.default_rng(3).standard_normal((3, 4))
    for axis in (None, 0, 1, (0, 1)):
        np.testing.assert_allclose(
            pnp.special.softmax(x, axis=axis), scipy_softmax(x, axis=axis), rtol=1e-14
        )
    assert pnp.special.softmax(np.array([1000.0, 1000.0])).tolist() == [0.5, 0.5]
    assert pnp.special.softmax(np.array([-np.inf, -np.inf])).tolist() == [0.0, 0.0]


@pytest.mark.parametrize("axis", [None, 0, -1])
def test_softmax_gradients_match_finite_differences(axis):
    x = np.random.default_rng(4).standard_normal((3, 4))
    pb.check_grads(
        lambda x: pnp.special.softmax(x, axis=axis) * np.arange(12.0).reshape(3, 4), (x,), order=2
    )
