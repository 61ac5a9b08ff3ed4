import numpy as np
import pytest

import pullback as pb
import pullback.numpy as pnp


def _block(x, w):
    return pnp.tanh(x @ w)


def test_checkpointed_gradients_equal_plain_ones_and_forward_runs_twice():
    calls = []

    def block(x, w):
        calls.append(1)
        return _block(x, w)

    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((4, 3)), rng.standard_normal((3, 3))
    plain = pb.grad(lambda w: pnp.sum(_block(x, w) ** 2))(w)
    ckpt = pb.grad(lambda w: pnp.sum(pb.checkpoint(block)(x, w) ** 2))(w)
    assert np.array_equal(plain, ckpt)
    assert len(calls) == 2


def test_checkpoint_second_order_and_forward_mode():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3))
    f = lambda w: pnp.sum(pb.checkpoint(_block)(x, w) ** 2)
    pb.check_grads(f, (rng.standard_normal((3, 3)),), order=2)


def test_checkpoint_restores_the_random_state_for_dropout():
    def dropout(x):
        return x * (np.random.rand(*x.shape) > 0.5)

    np.random.seed(3)
    want = pb.grad(lambda x: pnp.sum(dropout(x) * x))(np.ones(8))
    np.random.seed(3)
    got = pb.grad(lambda x: pnp.sum(pb.recompute_in_gradient(dropout)(x) * x))(np.ones(8))
    assert np.array_equal(want, got)


def test_impure_checkpoint_raises_naming_the_function():
    sizes = iter([3, 2])

    def impure(x):
        return x[: next(sizes)]

    with pytest.raises(ValueError, match=r"checkpoint\(impure .*must be pure"):
        pb.grad(lambda x: pnp.sum(pb.checkpoint(impure)(x)))(np.ones(4))


def test_checkpoint_sequential_equals_the_plain_chain():
    rng = np.random.default_rng(2)
    ws = [rng.standard_normal((3, 3)) * 0.5 for _ in range(6)]
    x = rng.standard_normal((2, 3))

    def plain(ws):
        y = x
        for w in ws:
            y = pnp.tanh(y @ w)
        return pnp.sum(y)

    class Layer:
        def __init__(self, w):
            self.w = w

        def __call__(self, y):
            return pnp.tanh(y @ self.w)

    pb.tree.register(Layer, lambda l: ((l.w,), None), lambda aux, ch: Layer(*ch))

    def ckpt(ws):
        return pnp.sum(pb.checkpoint_sequential([Layer(w) for w in ws], segments=3)(x))

    assert np.allclose(pb.grad(ckpt)(ws), pb.grad(plain)(ws), rtol=1e-14, atol=0)


def test_checkpoint_of_a_function_closing_over_a_tracked_value_raises():
    x = np.ones((2, 3))

    def loss(w, v):
        return pnp.sum(pb.checkpoint(lambda v: pnp.tanh(v @ w))(v))

    with pytest.raises(TypeError, match="through a closure"):
        pb.grad(loss, argnums=(0, 1))(np.eye(3), x)


def test_checkpoint_takes_keyword_arguments():
    x, w = np.linspace(0.1, 0.6, 6).reshape(2, 3), np.ones((3, 2))
    block = pb.checkpoint(lambda x, w, scale=1.0: _block(x, w) * scale)
    plain = lambda x, w, scale=1.0: _block(x, w) * scale
    got = pb.grad(lambda x: pnp.sum(block(x, w, scale=3.0)))(x)
    np.testing.assert_allclose(got, pb.grad(lambda x: pnp.sum(plain(x, w, scale=3.0)))(x))
    # an array passed by keyword is differentiated
    got = pb.grad(lambda w: pnp.sum(block(x, w=w)))(w)
    np.testing.assert_allclose(got, pb.grad(lambda w: pnp.sum(plain(x, w=w)))(w), rtol=1e-15)
