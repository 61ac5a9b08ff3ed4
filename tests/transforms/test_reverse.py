import numpy as np
import pytest

import pullback as pb
import pullback.numpy as pnp


def seed_function(a, b, c):
    return pnp.log((pnp.sin(a * b) + pnp.exp(c - a / b)) ** 2) * c


def test_grad_of_seed_function_matches_the_seed():
    assert pb.grad(seed_function, argnums=(0, 1, 2))(43.0, 3.0, 2.0) == pytest.approx(
        (60.85353612046653, 872.2331479536114, -3.2853671032530305), rel=1e-13
    )


def test_grad_returns_the_kind_of_its_input():
    assert type(pb.grad(pnp.sin)(1.0)) is float
    assert type(pb.grad(lambda x: pnp.sum(pnp.sin(x)))(np.ones(3))) is np.ndarray
    assert type(pb.grad(lambda x: pnp.sum(pnp.sin(x)))(pb.tensor(np.ones(3)))) is pb.Tensor


def test_grad_of_nonscalar_output_raises_naming_the_function():
    def loss(x):
        return x * 2

    with pytest.raises(TypeError, match=r"grad\(loss \(test_reverse.py:\d+\)\).*shape \(3,\)"):
        pb.grad(loss)(np.ones(3))


def test_grad_of_integer_input_raises():
    with pytest.raises(TypeError, match="Python int 3"):
        pb.grad(lambda x: x * x)(3)
    with pytest.raises(TypeError, match="int64"):
        pb.grad(lambda x: pnp.sum(x))(np.arange(3))


def test_nested_grad_has_no_perturbation_confusion():
    def f(x):
        return x * pb.grad(lambda y: x + y)(1.0)

    for x in (1.0, 2.5, -3.0):
        assert pb.grad(f)(x) == 1.0


def test_third_derivative_of_sin():
    x = 0.7
    assert pb.grad(pb.grad(pb.grad(pnp.sin)))(x) == pytest.approx(-np.cos(x), abs=1e-12)


def test_unused_input_gets_exact_zeros():
    g = pb.grad(lambda x, y: pnp.sum(x * 2.0), argnums=1)(np.ones(2), np.ones(3))
    assert np.array_equal(g, np.zeros(3))


def test_vjp_pullback_can_be_called_many_times():
    out, back = pb.vjp(lambda x: x * x, np.array([1.0, 2.0]))
    first = back(np.ones(2))
    second = back(np.ones(2))
    assert np.array_equal(first[0], [2.0, 4.0]) and np.array_equal(first[0], second[0])


def test_vjp_rejects_a_cotangent_of_the_wrong_shape():
    _, back = pb.vjp(lambda x: x * x, np.ones(3))
    with pytest.raises(ValueError, match=r"shape \(2,\).*shape \(3,\)"):
        back(np.ones(2))


def test_broadcasting_gradients_have_input_shapes():
    x, y = np.ones((3, 1)), np.ones((1, 4))
    gx, gy = pb.grad(lambda x, y: pnp.sum(x + y), argnums=(0, 1))(x, y)
    assert np.array_equal(gx, 4 * np.ones((3, 1))) and np.array_equal(gy, 3 * np.ones((1, 4)))


def test_jvp_of_grad_and_grad_of_jvp_agree():
    x = 0.3
    fwd_rev = pb.jvp(pb.grad(pnp.sin), (x,), (1.0,))[1]
    rev_fwd = pb.grad(lambda x: pb.jvp(pnp.sin, (x,), (1.0,))[1])(x)
    assert fwd_rev == pytest.approx(-np.sin(x), abs=1e-15)
    assert rev_fwd == pytest.approx(-np.sin(x), abs=1e-15)


def test_numpy_functions_on_tensors_are_differentiable():
    g = pb.grad(lambda x: np.sum(np.sin(x) * x))(np.array([1.0, 2.0]))
    x = np.array([1.0, 2.0])
    assert np.allclose(g, np.cos(x) * x + np.sin(x), rtol=1e-14)


def test_implicit_conversion_of_a_tracked_tensor_raises():
    with pytest.raises(TypeError, match="stop_gradient"):
        pb.grad(lambda x: float(x))(1.0)


def test_vjp_rejects_a_cotangent_of_the_wrong_structure_naming_the_function():
    def pair(x):
        return (x, x)

    _, back = pb.vjp(pair, 1.0)
    with pytest.raises(ValueError, match=r"pullback of pair \(.*\).*structure \*.*tuple\(\*, \*\)"):
        back(1.0)


def test_gradients_are_writable_arrays():
    # the gradient of a sum is the seed broadcast to the input's shape: a read-only view
    g = pb.grad(lambda x: pnp.sum(x))(np.ones(3))
    g -= 0.5
    np.testing.assert_array_equal(g, [0.5, 0.5, 0.5])
    (g,) = pb.vjp(lambda x: pnp.sum(x, axis=0), np.ones((2, 3)))[1](np.ones(3))
    assert g.flags.writeable and g.shape == (2, 3)
