import numpy as np
import pytest

import pullback as pb
import pullback.numpy as pnp
from pullback.ops import elementwise as ew
from pullback.ops.elementwise import stop_gradient

from .harness import (
    OpCase,
    assert_agrees_with_jax,
    assert_float32_gradients,
    away_from_integers,
    away_from_zero,
    case_ids,
    documented_primitives,
    run_case,
)


def near_unit(rng, shape):
    """Divisors in ±(0.97, 1.03): with ``away_from_integers`` numerators, x / y stays clear
    of the integers where remainders jump."""
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.97, 1.03, shape)


def _clip(x):
    return pnp.clip(x, -0.5, 0.5)


def _clip_array_bounds(x, lo):
    return pnp.clip(x, lo, lo + 1.0)


CASES = [
    OpCase(pnp.add, 2, order=3),
    OpCase(pnp.subtract, 2, order=3),
    OpCase(pnp.multiply, 2, order=3),
    OpCase(pnp.divide, 2, domain=[(-2.0, 2.0), (0.5, 2.0)], order=3),
    OpCase(pnp.power, 2, domain=[(0.5, 2.0), (-2.0, 2.0)], order=3),
    OpCase(pnp.negative, order=3),
    OpCase(pnp.positive, order=3),
    OpCase(pnp.absolute, domain=away_from_zero, order=3),
    OpCase(pnp.square, order=3),
    OpCase(pnp.reciprocal, domain=away_from_zero, order=3),
    OpCase(pnp.sqrt, domain=(0.5, 3.0), order=3),
    OpCase(pnp.cbrt, domain=away_from_zero, order=3),
    OpCase(pnp.maximum, 2, order=3),
    OpCase(pnp.minimum, 2, order=3),
    OpCase(pnp.fmax, 2, order=3),
    OpCase(pnp.fmin, 2, order=3),
    OpCase(_clip, order=3, name="clip"),
    OpCase(_clip_array_bounds, 2, domain=[(-2.0, 2.0), (-1.0, 0.5)], order=3),
    OpCase(pnp.remainder, 2, domain=[away_from_integers, near_unit], order=3),
    OpCase(pnp.fmod, 2, domain=[away_from_integers, near_unit], order=3),
    OpCase(pnp.conjugate, order=3),
    OpCase(pnp.real, order=3),
]


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_op_gradients_match_finite_differences(case):
    run_case(case)


# --- conventions (RELIABILITY.md H1-H13) -------------------------------------------------


def test_abs_gradient_is_zero_at_zero_and_sign_elsewhere():
    assert pb.grad(pnp.abs)(0.0) == 0.0
    assert pb.grad(pnp.abs)(2.0) == 1.0
    assert pb.grad(pnp.abs)(-2.0) == -1.0
    assert pb.jvp(pnp.abs, (0.0,), (1.0,))[1] == 0.0


@pytest.mark.parametrize("op", [pnp.maximum, pnp.minimum, pnp.fmax, pnp.fmin])
def test_selection_ties_split_the_gradient_evenly(op):
    assert pb.grad(op, argnums=(0, 1))(1.0, 1.0) == (0.5, 0.5)
    assert pb.grad(lambda x: op(x, x))(1.0) == 1.0
    assert pb.grad(pb.grad(lambda x: op(x, 1.0)))(1.0) == 0.0
    assert pb.jvp(op, (1.0, 1.0), (1.0, 0.0))[1] == 0.5


def test_maximum_gradient_goes_to_the_larger_argument():
    assert pb.grad(pnp.maximum, argnums=(0, 1))(2.0, 1.0) == (1.0, 0.0)
    assert pb.grad(pnp.minimum, argnums=(0, 1))(2.0, 1.0) == (0.0, 1.0)


def test_maximum_of_nan_propagates_nan_gradients():
    gx, gy = pb.grad(pnp.maximum, argnums=(0, 1))(np.nan, 1.0)
    assert np.isnan(gx) and np.isnan(gy)


def test_fmax_ignores_a_nan_argument():
    assert pb.grad(pnp.fmax, argnums=(0, 1))(np.nan, 1.0) == (0.0, 1.0)
    assert pb.grad(pnp.fmin, argnums=(0, 1))(1.0, np.nan) == (1.0, 0.0)


def test_sqrt_gradient_at_zero_is_inf():
    with np.errstate(divide="ignore"):
        assert pb.grad(pnp.sqrt)(0.0) == np.inf
        assert pb.jvp(pnp.sqrt, (0.0,), (1.0,))[1] == np.inf


def test_clip_gradient_is_one_inside_and_on_the_boundary():
    f = pb.grad(lambda x: pnp.clip(x, 0, 1))
    assert [f(x) for x in (-0.5, 0.0, 0.5, 1.0, 1.5)] == [0.0, 1.0, 1.0, 1.0, 0.0]
    x = pb.tensor([-0.5, 0.0, 0.5, 1.0, 1.5])
    g = pb.grad(lambda x: np.clip(x, 0, 1).sum())(x)
    np.testing.assert_array_equal(g.numpy(), [0.0, 1.0, 1.0, 1.0, 0.0])


def test_clip_bound_gradients_where_x_lies_beyond_them():
    f = pb.grad(lambda x, lo, hi: pnp.clip(x, lo, hi).sum(), argnums=(0, 1, 2))
    x = np.array([-2.0, 0.0, 0.5, 1.0, 3.0])
    gx, glo, ghi = f(x, np.zeros(5), 1.0)
    np.testing.assert_array_equal(gx, [0.0, 1.0, 1.0, 1.0, 0.0])
    np.testing.assert_array_equal(glo, [1.0, 0.0, 0.0, 0.0, 0.0])
    assert ghi == 1.0


def test_clip_with_one_bound_none():
    f = pb.grad(lambda x: pnp.clip(x, None, 1.0))
    assert (f(-100.0), f(1.0), f(2.0)) == (1.0, 1.0, 0.0)
    assert pb.grad(lambda x: pnp.clip(x, a_min=0.0))(-1.0) == 0.0
    assert pb.grad(lambda x: pnp.clip(x, min=0.0, max=2.0))(1.0) == 1.0


def test_clip_of_nan_passes_the_gradient_through_not_zero():
    assert pb.grad(lambda x: pnp.clip(x, 0.0, 1.0))(np.nan) == 1.0


def test_clip_given_both_a_min_and_min_raises():
    with pytest.raises(TypeError, match="a_min and min"):
        pnp.clip(1.0, 0.0, 2.0, min=0.0)


@pytest.mark.parametrize(
    "op",
    [pnp.floor, pnp.ceil, pnp.round, pnp.rint, pnp.trunc, pnp.sign, stop_gradient],
    ids=lambda op: op.__name__,
)
@pytest.mark.parametrize("x", [-1.5, -1.0, 0.0, 0.3, 2.0])
def test_piecewise_constant_ops_have_exactly_zero_gradient(op, x):
    assert pb.grad(op)(x) == 0.0
    assert pb.jvp(op, (x,), (1.0,))[1] == 0.0
    assert pb.grad(lambda x: x * op(x))(x) == float(op(x))


def test_round_with_decimals_dispatches_from_numpy():
    t = pb.tensor([1.234, 5.678])
    np.testing.assert_array_equal(np.round(t, 1).numpy(), [1.2, 5.7])
    assert pb.grad(lambda x: pnp.round(x, 2))(1.234) == 0.0


def test_floor_divide_has_zero_gradient():
    assert pb.grad(pnp.floor_divide, argnums=(0, 1))(7.5, 2.0) == (0.0, 0.0)


def test_remainder_gradients():
    assert pb.grad(pnp.mod, argnums=(0, 1))(7.5, 2.0) == (1.0, -3.0)
    assert pb.grad(pnp.mod, argnums=(0, 1))(-7.5, 2.0) == (1.0, 4.0)
    assert pb.grad(pnp.mod, argnums=(0, 1))(7.5, -2.0) == (1.0, 4.0)


def test_fmod_gradients():
    assert pb.grad(pnp.fmod, argnums=(0, 1))(7.5, 2.0) == (1.0, -3.0)
    assert pb.grad(pnp.fmod, argnums=(0, 1))(-7.5, 2.0) == (1.0, 3.0)


def test_stop_gradient_passes_the_value():
    x = pb.tensor([1.0, 2.0])
    np.testing.assert_array_equal(stop_gradient(x).numpy(), [1.0, 2.0])
    assert pb.grad(lambda x: x * stop_gradient(x))(3.0) == 3.0


def test_predicates_are_not_differentiated():
    x = pb.tensor([np.nan, np.inf, 1.0])
    np.testing.assert_array_equal(pnp.isnan(x).numpy(), [True, False, False])
    np.testing.assert_array_equal(pnp.isinf(x).numpy(), [False, True, False])
    np.testing.assert_array_equal(pnp.isfinite(x).numpy(), [False, False, True])
    np.testing.assert_array_equal(pnp.logical_xor([True, True], [True, False]), [False, True])
    g = pb.grad(lambda x: pnp.where(pnp.isnan(x), 0.0, x).sum())(x)
    np.testing.assert_array_equal(g.numpy(), [0.0, 1.0, 1.0])


def test_aliases_are_the_numpy_names():
    assert pnp.abs is pnp.absolute
    assert pnp.mod is pnp.remainder
    assert pnp.conj is pnp.conjugate
    assert pnp.true_divide is pnp.divide


def test_numpy_calls_on_tensors_dispatch_to_pullback():
    f = lambda x: np.abs(x) + np.mod(x, 1.5) + x // 1.0 + np.conj(x) + np.fmax(x, 0.0)
    g = pb.grad(lambda x: f(x).sum())(pb.tensor([-1.2, 0.7]))
    np.testing.assert_allclose(g.numpy(), [-1.0 + 1 + 1 + 0, 1.0 + 1 + 1 + 1])


# --- float32 ----------------------------------------------------------------------------

FLOAT32_POINTS = [
    (pnp.absolute, (-0.7,)),
    (pnp.square, (0.7,)),
    (pnp.reciprocal, (0.7,)),
    (pnp.sqrt, (0.7,)),
    (pnp.cbrt, (-0.7,)),
    (pnp.maximum, (0.7, -1.3)),
    (pnp.minimum, (0.7, -1.3)),
    (pnp.fmax, (0.7, -1.3)),
    (pnp.fmin, (0.7, -1.3)),
    (pnp.remainder, (2.7, -1.3)),
    (pnp.fmod, (2.7, -1.3)),
    (_clip, (0.3,)),
]


@pytest.mark.parametrize("op, point", FLOAT32_POINTS, ids=[op.__name__ for op, _ in FLOAT32_POINTS])
def test_float32_inputs_give_float32_gradients(op, point):
    assert_float32_gradients(op, point)


# --- peer: JAX --------------------------------------------------------------------------


JAX_CLIP = {"clip": lambda jnp: lambda x: jnp.clip(x, -0.5, 0.5)}
JAX_CASES = [c for c in CASES if c.name != "_clip_array_bounds"]


@pytest.mark.parametrize("case", JAX_CASES, ids=case_ids(JAX_CASES))
def test_values_and_gradients_agree_with_jax(case, jax):
    jnp = jax.numpy
    theirs = JAX_CLIP[case.name](jnp) if case.name in JAX_CLIP else getattr(jnp, case.name)
    assert_agrees_with_jax(case, theirs, jax)


# --- docstrings -------------------------------------------------------------------------

DOCUMENTED = documented_primitives(ew)


@pytest.mark.parametrize("name", DOCUMENTED)
def test_every_primitive_has_an_example(name):
    # The examples themselves run under pytest --doctest-modules.
    assert ">>>" in getattr(ew, name).__doc__, f"{name} has no example"


# --- strong zeros: pnp.where never leaks NaN from the branch it did not select ------------


@pytest.mark.parametrize(
    "op", [pnp.log, pnp.sqrt, pnp.log2, pnp.log10, pnp.reciprocal, pnp.cbrt, pnp.arctanh]
)
def test_where_masks_the_singular_branch_to_exact_zero(op):
    def f(x):
        return pnp.where(x > 0, op(x), 0.0)

    with np.errstate(all="ignore"):
        assert pb.grad(f)(0.0) == 0.0
        assert pb.grad(pb.grad(f))(0.0) == 0.0


def test_where_masked_division_and_power():
    def f(x):
        return pnp.sum(pnp.where(x > 0, 1.0 / x + x**0.5, 0.0))

    with np.errstate(all="ignore"):
        g = pb.grad(f)(np.array([0.0, 4.0]))
    assert g[0] == 0.0 and g[1] == pytest.approx(-1 / 16 + 0.25)


def test_singular_derivatives_are_still_infinite_where_selected():
    with np.errstate(all="ignore"):
        assert pb.grad(pnp.sqrt)(0.0) == np.inf
        assert pb.grad(pnp.log)(0.0) == np.inf


def test_mask_zero_keeps_nan_cotangents():
    # A NaN cotangent is not zero: NaN still propagates (never silently 0).
    assert np.isnan(pnp.mask_zero(np.nan, 1.0)) is np.False_
    assert np.isnan(pb.grad(lambda x: pnp.log(x) * np.nan)(1.0))


def test_second_derivative_through_division_where_a_cotangent_is_zero():
    # Regression: strong zeros once masked derivatives wherever a cotangent was exactly 0.
    x = np.array([[1.0, 2.0], [3.0, 5.0]])
    weights = np.array([[1.0, 0.0], [0.0, 0.0]])

    def f(s, x):
        return pnp.sum((x - pnp.sum(x, axis=1, keepdims=True) / 2.0) ** 2 * s)

    mixed = pb.grad(lambda s: pnp.sum(pb.grad(f, argnums=1)(s, x) * weights))(np.ones(2))
    assert np.allclose(mixed, [-0.5, -0.5], rtol=1e-14)
    pb.check_grads(lambda s: pnp.sum(pb.grad(f, argnums=1)(s, x) * weights), (np.ones(2),))
