"""Activations: values against NumPy/SciPy, gradients, stability."""

from __future__ import annotations

import numpy as np
import pytest

import pullback as pb
import pullback.nn
import pullback.numpy as pnp

X = np.array([-3.0, -0.7, 0.3, 2.0, 7.5])


@pytest.mark.parametrize(
    "f",
    [
        pb.nn.relu,
        pb.nn.relu6,
        pb.nn.sigmoid,
        pb.nn.tanh,
        pb.nn.elu,
        pb.nn.gelu,
        lambda x: pb.nn.gelu(x, approximate=True),
        pb.nn.softplus,
        pb.nn.softmax,
        pb.nn.log_softmax,
    ],
    ids=[
        "relu",
        "relu6",
        "sigmoid",
        "tanh",
        "elu",
        "gelu",
        "gelu_tanh",
        "softplus",
        "softmax",
        "log_softmax",
    ],  # fmt: skip
)
def test_activation_gradients_match_finite_differences(f):
    pb.check_grads(lambda x: pnp.sum(f(x) * np.arange(1.0, 6.0)), (X,), order=2)


def test_relu_gradient_is_zero_at_zero():
    assert pb.grad(lambda x: pb.nn.relu(x))(0.0) == 0.0


def test_relu_values_are_numpys_maximum_with_zero_and_nan_propagates():
    x = np.array([-2.0, -0.0, 0.0, 3.0, np.inf, -np.inf, np.nan])
    np.testing.assert_array_equal(pb.nn.relu(x), np.maximum(x, 0))
    assert not np.signbit(pb.nn.relu(x)[1])  # relu(-0.0) is +0.0
    assert [pb.nn.relu(v) for v in (-2.0, 3.0)] == [0.0, 3.0]
    assert np.isnan(pb.nn.relu(float("nan")))


def test_relu_gradient_is_a_mask_in_both_modes_and_batches():
    x = np.array([[-1.0, 0.0, 2.0], [3.0, -4.0, np.nan]])
    expected = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    np.testing.assert_array_equal(pb.grad(lambda x: pnp.sum(pb.nn.relu(x)))(x), expected)
    _, tangent = pb.jvp(pb.nn.relu, (x,), (np.ones_like(x),))
    np.testing.assert_array_equal(tangent, expected)
    np.testing.assert_array_equal(pb.vmap(pb.nn.relu, in_axes=1)(x), pb.nn.relu(x).T)
    np.testing.assert_array_equal(pb.jit(pb.nn.relu)(x), pb.nn.relu(x))


def test_gelu_forms_match_reference_values():
    special = pytest.importorskip("scipy.special")
    exact = X * 0.5 * (1 + special.erf(X / np.sqrt(2)))
    np.testing.assert_allclose(pb.nn.gelu(X), exact)
    np.testing.assert_allclose(pb.nn.gelu(X, approximate=True), exact, atol=2e-3)


def test_elu_gradient_is_finite_for_large_inputs():
    g = pb.grad(lambda x: pnp.sum(pb.nn.elu(x)))(np.array([800.0, -800.0]))
    np.testing.assert_allclose(g, [1.0, 0.0])


@pytest.mark.parametrize("alpha", [1.0, 2.0])
def test_elu_gradient_at_zero_is_alpha_as_in_pytorch_and_jax(alpha):
    # the clamp of the exp branch was a minimum, whose tie at 0 halved the gradient there
    assert pb.grad(lambda x: pb.nn.elu(x, alpha))(0.0) == alpha
    _, tangent = pb.jvp(lambda x: pb.nn.elu(x, alpha), (0.0,), (1.0,))
    assert tangent == alpha


def test_softmax_is_stable_and_sums_to_one_along_axis():
    x = np.array([[1000.0, 1001.0, 1002.0], [-5.0, 0.0, 5.0]])
    p = pb.nn.softmax(x, axis=-1)
    assert np.all(np.isfinite(p))
    np.testing.assert_allclose(p.sum(-1), 1.0)
    np.testing.assert_allclose(pb.nn.log_softmax(x)[0], np.log(p[0]))


def test_activations_keep_float32():
    x = X.astype(np.float32)
    for f in (pb.nn.relu, pb.nn.sigmoid, pb.nn.gelu, pb.nn.softmax, pb.nn.elu):
        assert f(x).dtype == np.float32, f
