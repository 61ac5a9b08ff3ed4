import numpy as np
import pytest

import pullback as pb
import pullback.numpy as pnp
from pullback.ops import transcendental as tr

from .harness import (
    OpCase,
    assert_agrees_with_jax,
    assert_float32_gradients,
    away_from_zero,
    case_ids,
    documented_primitives,
    run_case,
)

CASES = [
    OpCase(pnp.exp, order=3),
    OpCase(pnp.exp2, order=3),
    OpCase(pnp.expm1, order=3),
    OpCase(pnp.log, domain=(0.5, 3.0), order=3),
    OpCase(pnp.log2, domain=(0.5, 3.0), order=3),
    OpCase(pnp.log10, domain=(0.5, 3.0), order=3),
    OpCase(pnp.log1p, domain=(-0.5, 2.0), order=3),
    OpCase(pnp.logaddexp, 2, order=3),
    OpCase(pnp.logaddexp2, 2, order=3),
    OpCase(pnp.sin, order=3),
    OpCase(pnp.cos, order=3),
    OpCase(pnp.tan, domain=(-1.2, 1.2), order=3),
    OpCase(pnp.arcsin, domain=(-0.8, 0.8), order=3),
    OpCase(pnp.arccos, domain=(-0.8, 0.8), order=3),
    OpCase(pnp.arctan, order=3),
    OpCase(pnp.arctan2, 2, domain=[away_from_zero, (-2.0, 2.0)], order=3),
    OpCase(pnp.hypot, 2, domain=[away_from_zero, (-2.0, 2.0)], order=3),
    OpCase(pnp.sinh, order=3),
    OpCase(pnp.cosh, order=3),
    OpCase(pnp.tanh, order=3),
    OpCase(pnp.arcsinh, order=3),
    OpCase(pnp.arccosh, domain=(1.5, 3.0), order=3),
    OpCase(pnp.arctanh, domain=(-0.8, 0.8), order=3),
]


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_op_gradients_match_finite_differences(case):
    run_case(case)


# --- conventions (RELIABILITY.md H1-H13) -------------------------------------------------


def test_arctan2_gradient():
    assert pb.grad(pnp.arctan2, argnums=(0, 1))(1.0, 1.0) == (0.5, -0.5)
    assert pb.grad(pnp.arctan2, argnums=(0, 1))(0.0, -2.0) == (-0.5, 0.0)


@pytest.mark.parametrize("x", [1000.0, -1000.0])
def test_tanh_gradient_is_exactly_zero_far_out(x):
    assert pb.grad(pnp.tanh)(x) == 0.0
    assert pb.grad(pb.grad(pnp.tanh))(x) == 0.0
    assert pb.jvp(pnp.tanh, (x,), (1.0,))[1] == 0.0


def test_logaddexp_is_stable_far_out():
    # NOTE: ans = 1000 + log(2) is rounded to the ulp of 1000 (1e-13), so the halves are too.
    half = pytest.approx((0.5, 0.5), rel=1e-12)
    assert pb.grad(pnp.logaddexp, argnums=(0, 1))(1000.0, 1000.0) == half
    assert pb.grad(pnp.logaddexp2, argnums=(0, 1))(1000.0, 1000.0) == half
    assert pb.grad(pnp.logaddexp, argnums=(0, 1))(-1000.0, 0.0) == (0.0, 1.0)


def test_logaddexp_of_minus_infinities_has_zero_gradient():
    for op in (pnp.logaddexp, pnp.logaddexp2):
        assert op(-np.inf, -np.inf) == -np.inf
        assert pb.grad(op, argnums=(0, 1))(-np.inf, -np.inf) == (0.0, 0.0)


def test_hypot_gradient_is_finite_far_out_and_zero_at_the_origin():
    big = pb.grad(pnp.hypot, argnums=(0, 1))(3e200, 4e200)
    assert big == pytest.approx((0.6, 0.8), rel=1e-15)
    assert pb.grad(pnp.hypot, argnums=(0, 1))(0.0, 0.0) == (0.0, 0.0)
    assert pb.grad(pnp.arcsinh)(1e200) == pytest.approx(1e-200, rel=1e-15)


# --- float32 ----------------------------------------------------------------------------

FLOAT32_POINTS = [
    (pnp.exp2, (0.7,)),
    (pnp.expm1, (0.7,)),
    (pnp.log2, (0.7,)),
    (pnp.log10, (0.7,)),
    (pnp.log1p, (0.7,)),
    (pnp.tan, (0.7,)),
    (pnp.arcsin, (0.7,)),
    (pnp.arccos, (0.7,)),
    (pnp.arctan, (0.7,)),
    (pnp.sinh, (0.7,)),
    (pnp.cosh, (0.7,)),
    (pnp.tanh, (0.7,)),
    (pnp.arcsinh, (0.7,)),
    (pnp.arccosh, (1.7,)),
    (pnp.arctanh, (0.7,)),
    (pnp.arctan2, (0.7, -1.3)),
    (pnp.hypot, (0.7, -1.3)),
    (pnp.logaddexp, (0.7, -1.3)),
    (pnp.logaddexp2, (0.7, -1.3)),
]


@pytest.mark.parametrize("op, point", FLOAT32_POINTS, ids=[op.__name__ for op, _ in FLOAT32_POINTS])
def test_float32_inputs_give_float32_gradients(op, point):
    assert_float32_gradients(op, point)


# --- peer: JAX --------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_values_and_gradients_agree_with_jax(case, jax):
    assert_agrees_with_jax(case, getattr(jax.numpy, case.name), jax)


# --- docstrings -------------------------------------------------------------------------


@pytest.mark.parametrize("name", documented_primitives(tr))
def test_every_primitive_has_an_example(name):
    # The examples themselves run under pytest --doctest-modules.
    assert ">>>" in getattr(tr, name).__doc__, f"{name} has no example"
