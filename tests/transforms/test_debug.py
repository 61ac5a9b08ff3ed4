import numpy as np
import pytest

import pullback as pb
import pullback.numpy as pnp
from pullback.ops.transcendental import exp


def test_seed_001_inverse_exp_in_float32_raises_at_exp_forward():
    with pytest.raises(
        FloatingPointError, match=r"Inf produced by 'exp' in the forward pass at test_debug.py:\d+"
    ):
        with pb.debug_nans():
            pb.grad(lambda x: 1.0 / pnp.exp(x))(np.float32(100.0))


def test_backward_inf_names_the_op_and_its_forward_line():
    def f(x):
        return pnp.sqrt(x) * 2.0  # the line the error points at

    with pytest.raises(
        FloatingPointError,
        match=r"'divide' in the backward pass of 'sqrt' \(created at test_debug.py:\d+\)",
    ):
        with pb.debug_nans():
            pb.grad(f)(0.0)


def test_nan_input_is_reported_as_such():
    with pytest.raises(FloatingPointError, match="NaN in input 0 of 'sin'"):
        with pb.debug_nans():
            pb.grad(pnp.sin)(np.nan)


def test_inf_from_summing_cotangents_of_plain_arrays_is_caught():
    # the backward pass adds plain arrays' cotangents with add's implementation directly, and
    # multiplies with multiply's: debug_nans still sees both
    with pytest.raises(FloatingPointError, match="Inf produced by 'add' in the backward pass"):
        with pb.debug_nans():
            pb.grad(lambda x: pnp.sum(x * 1e308 + x * 1e308))(np.full(2, 1e-308))
    with pytest.raises(FloatingPointError, match="Inf produced by 'multiply' in the backward"):
        with pb.debug_nans():
            pb.grad(lambda x: pnp.sum((x * 1e300) * 1e300))(np.ones(2) * 1e-300)
    # and on Python floats, which take the scalar implementations when debug_nans is off
    with pytest.raises(FloatingPointError, match="Inf produced by 'add' in the backward pass"):
        with pb.debug_nans():
            pb.grad(lambda x: x * 1e308 + x * 1e308)(1e-308)
    assert pb.grad(lambda x: x * 1e308 + x * 1e308)(1e-308) == float("inf")


def test_inf_from_summing_a_bias_cotangent_of_plain_arrays_is_caught():
    # a broadcast bias's cotangent is summed with sum's implementation directly: still seen
    x = np.full((2, 3), 1e-30, np.float32)  # forward: finite; x's rows' cotangents: 3e38
    with pytest.raises(FloatingPointError, match="Inf produced by 'sum' in the backward pass"):
        with pb.debug_nans():
            pb.grad(lambda b: pnp.sum((x + b) * np.float32(3e38)))(np.zeros(3, np.float32))


def test_overflow_in_power_is_caught():
    with pytest.raises(FloatingPointError, match="Inf produced by 'power'"):
        with pb.debug_nans():
            pb.grad(lambda x: (x * 1e300) ** 2)(1.0)


def test_without_debug_nans_values_propagate_and_nothing_is_patched():
    impl = exp.impl
    with pb.debug_nans():
        assert exp.impl is not impl
    assert exp.impl is impl
    with np.errstate(all="ignore"):
        assert np.isnan(pb.grad(pnp.sin)(np.nan))
        assert pb.grad(lambda x: (x * 1e300) ** 2)(1.0) == np.inf


def test_finite_computations_pass_unchanged_under_debug_nans():
    x = np.linspace(0.1, 1, 5)
    want = pb.grad(lambda x: pnp.sum(pnp.log(x) * pnp.sin(x)))(x)
    with pb.debug_nans():
        got = pb.grad(lambda x: pnp.sum(pnp.log(x) * pnp.sin(x)))(x)
    assert np.array_equal(want, got)


def test_masked_where_is_clean_under_debug_nans_when_the_branch_is_finite():
    def f(x):
        safe = pnp.where(x > 0, x, 1.0)
        return pnp.where(x > 0, pnp.log(safe), 0.0)

    with pb.debug_nans():
        assert pb.grad(f)(0.0) == 0.0
