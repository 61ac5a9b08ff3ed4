import numpy as np
import pytest

import pullback as pb
import pullback.numpy as pnp


def test_jvp_of_sin_is_cos_times_tangent():
    out, t = pb.jvp(pnp.sin, (0.3,), (2.0,))
    assert out == np.sin(0.3) and t == pytest.approx(2.0 * np.cos(0.3), rel=1e-15)
    assert type(t) is float


def test_jvp_with_pytree_inputs_and_outputs():
    def f(p):
        return {"y": p["a"] * p["b"], "z": pnp.exp(p["a"])}

    primals = ({"a": np.array([1.0, 2.0]), "b": np.array([3.0, 4.0])},)
    tangents = ({"a": np.array([1.0, 0.0]), "b": np.array([0.0, 1.0])},)
    out, t = pb.jvp(f, primals, tangents)
    assert np.array_equal(t["y"], [3.0, 2.0])
    assert np.allclose(t["z"], [np.e, 0.0])


def test_jvp_of_a_constant_output_is_exact_zeros():
    _, t = pb.jvp(lambda x: np.ones(3), (np.ones(2),), (np.ones(2),))
    assert np.array_equal(t, np.zeros(3))


def test_jvp_rejects_a_tangent_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"tangent 0 has shape \(2,\).*shape \(3,\)"):
        pb.jvp(pnp.sin, (np.ones(3),), (np.ones(2),))


def test_jvp_needs_tuples():
    with pytest.raises(TypeError, match=r"pb\.jvp\(f, \(x,\), \(v,\)\)"):
        pb.jvp(pnp.sin, 1.0, 1.0)


def test_forward_and_reverse_jacobian_columns_agree():
    w = np.random.default_rng(0).standard_normal((3, 4))

    def f(x):
        return pnp.tanh(w @ x)

    x = np.linspace(-1, 1, 4)
    _, back = pb.vjp(f, x)
    for i in range(4):
        e = np.zeros(4)
        e[i] = 1.0
        col = pb.jvp(f, (x,), (e,))[1]
        for j in range(3):
            u = np.zeros(3)
            u[j] = 1.0
            assert back(u)[0][i] == pytest.approx(col[j], rel=1e-14, abs=1e-15)


def test_float32_tangent_stays_float32():
    _, t = pb.jvp(pnp.exp, (np.ones(2, np.float32),), (np.ones(2, np.float32),))
    assert t.dtype == np.float32
