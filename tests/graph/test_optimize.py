import numpy as np
import pytest

import pullback as pb
import pullback.numpy as pnp
from pullback.graph.optimize import optimize, simplify


def primitives(f, *args):
    return [e.primitive for e in optimize(pb.trace(f, *args)).equations]


def replayed(f, *args):
    """``f``'s optimised graph, run through ``bind`` (no in-place replay involved)."""
    return optimize(pb.trace(f, *args))(*args)


@pytest.mark.parametrize(
    "f",
    [
        lambda x: x * 1.0,
        lambda x: 1 * x,
        lambda x: x / 1,
        lambda x: x**1,
        lambda x: pnp.reshape(x, x.shape),
        lambda x: pnp.broadcast_to(x, x.shape),
        lambda x: pnp.transpose(x, (0, 1)),
        lambda x: x[:, 0:3],
        lambda x: x[0:2],
    ],
)
def test_exact_identities_disappear_and_keep_every_bit(f):
    x = np.array([[1.5, -0.0, np.nan], [np.inf, -np.inf, 3.0]])
    assert primitives(f, x) == []
    np.testing.assert_array_equal(replayed(f, x), f(x))
    assert np.signbit(replayed(f, x)[0, 1])


def test_power_zero_is_ones_even_at_nan():
    x = np.array([np.nan, 0.0, -np.inf, 2.0])
    assert primitives(lambda t: t**0, x) == []
    np.testing.assert_array_equal(replayed(lambda t: t**0 * t, x), x)


@pytest.mark.parametrize(
    "f, kept",
    [
        (lambda x: pnp.transpose(x, (1, 0)), ["transpose"]),  # square: same aval, not identity
        (lambda x: x[:, 0:2], ["getitem"]),
        (lambda x: x[::-1], ["getitem"]),
        (lambda x: x * 2.0, ["multiply"]),
        (lambda x: x * np.ones((2, 3, 3)), ["multiply"]),  # broadcasts: not an identity
        (lambda x: x + 0.0, ["add"]),  # -0.0 + 0.0 is 0.0
    ],
)
def test_look_alikes_are_kept(f, kept):
    x = np.arange(9.0).reshape(3, 3)
    assert primitives(f, x) == kept
    np.testing.assert_array_equal(replayed(f, x), f(x))


def test_reshape_of_reshape_is_one_reshape():
    f = lambda x: pnp.reshape(pnp.reshape(x, (6, 2)), (3, 4))  # noqa: E731
    x = np.arange(12.0)
    assert primitives(f, x) == ["reshape"]
    np.testing.assert_array_equal(replayed(f, x), x.reshape(3, 4))


def test_an_elementwise_op_broadcasts_for_itself():
    def f(x, y):
        return pnp.broadcast_to(pnp.sum(x, axis=1, keepdims=True), (4, 3)) * y

    x, y = np.arange(12.0).reshape(4, 3), np.ones((4, 3))
    assert primitives(f, x, y) == ["sum", "multiply"]
    np.testing.assert_array_equal(replayed(f, x, y), f(x, y))


def test_a_broadcast_that_sets_the_shape_is_kept():
    def f(x, y):
        return pnp.broadcast_to(x, (4, 3)) * y  # y alone is (3,): the result needs the (4, 3)

    assert primitives(f, np.ones((1, 3)), np.ones(3)) == ["broadcast_to", "multiply"]


def test_constants_the_identities_create_are_folded():
    x = np.linspace(0.5, 2.0, 5)
    g = simplify(pb.trace(lambda t: t * (t**0 * 3.0), x))
    assert [e.primitive for e in optimize(g).equations] == ["multiply"]
    np.testing.assert_array_equal(g(x), x * 3.0)


def test_a_hessian_graph_loses_its_power_rule_leftovers():
    def loss(w):
        return pnp.sum(pnp.tanh(w) ** 2)

    hess = pb.hessian(loss)
    w = np.linspace(-1.0, 1.0, 4)
    traced = pb.trace(hess, w)
    names = [e.primitive for e in optimize(traced).equations]
    assert names.count("power") < [e.primitive for e in traced.equations].count("power")
    np.testing.assert_allclose(pb.jit(hess)(w), hess(w), rtol=1e-14, atol=0)
