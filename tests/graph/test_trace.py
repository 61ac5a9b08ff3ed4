import numpy as np
import pytest

import pullback as pb
import pullback.numpy as pnp


def test_graph_prints_like_a_program():
    g = pb.trace(lambda x: pnp.sin(x) * 2.0, np.zeros(3))
    assert str(g).splitlines() == [
        "<lambda>(v0: f64[3]) {".replace("<lambda>", "graph"),
        "  v1 = sin v0",
        "  v2 = multiply v1 2.0",
        "  return v2",
        "}",
    ]


def test_graph_is_callable_differentiable_and_vmappable():
    w = np.random.default_rng(0).standard_normal((3, 2))
    g = pb.trace(lambda x, w: pnp.sum(pnp.tanh(x @ w)), np.ones((4, 3)), w)
    x = np.random.default_rng(1).standard_normal((4, 3))
    plain = lambda x, w: pnp.sum(pnp.tanh(x @ w))
    assert g(x, w) == plain(x, w)
    assert np.array_equal(pb.grad(g, argnums=1)(x, w), pb.grad(plain, argnums=1)(x, w))
    assert pb.vmap(lambda xi: g(xi, w))(np.stack([x, x])).shape == (2,)


def test_tracing_grad_records_the_backward_pass():
    g = pb.trace(pb.grad(lambda x: pnp.sum(pnp.sin(x) * x)), np.ones(3))
    assert "cos" in str(g)
    x = np.arange(3.0)
    assert np.allclose(g(x), np.cos(x) * x + np.sin(x), rtol=1e-15)


def test_to_dot_names_every_equation():
    dot = pb.trace(lambda x: pnp.exp(pnp.sin(x)), 1.0).to_dot()
    assert dot.startswith("digraph") and '"sin"' in dot and '"exp"' in dot


def test_calling_a_graph_with_another_structure_raises():
    g = pb.trace(lambda x, y: x * y, 1.0, 2.0)
    with pytest.raises(TypeError, match="traced for arguments"):
        g(1.0)


def test_an_int_argument_used_as_a_length_or_bound_raises_instead_of_freezing():
    # Regression: range(n) on a traced int recorded the example's count of steps, and the
    # graph silently returned x ** 2 when called with n = 3.
    def power(x, n):
        y = 1.0
        for _ in range(n):
            y = y * x
        return y

    with pytest.raises(TypeError, match=r"range\(\).*test_trace.py:\d+.*pb.jit keeps"):
        pb.trace(power, 1.5, 2)
    with pytest.raises(TypeError, match="slice bound"):
        pb.trace(lambda x, n: x[:n], np.arange(4.0), 2)
    assert pb.jit(power)(1.5, 3) == pytest.approx(3.375)  # jit: ints are static
