"""Losses: values, gradients, stability, label forms."""

from __future__ import annotations

import numpy as np
import pytest

import pullback as pb
import pullback.nn
import pullback.numpy as pnp

RNG = np.random.default_rng(0)
LOGITS = RNG.normal(size=(4, 3))
LABELS = np.array([0, 2, 1, 2])


def test_softmax_cross_entropy_int_and_one_hot_agree():
    one_hot = np.eye(3)[LABELS]
    a = pb.nn.softmax_cross_entropy(LOGITS, LABELS)
    b = pb.nn.softmax_cross_entropy(LOGITS, one_hot)
    logp = LOGITS - np.log(np.exp(LOGITS).sum(-1, keepdims=True))
    np.testing.assert_allclose(a, -logp[np.arange(4), LABELS].mean())
    np.testing.assert_allclose(a, b)


def test_softmax_cross_entropy_gradient_is_softmax_minus_one_hot():
    g = pb.grad(pb.nn.softmax_cross_entropy)(LOGITS, LABELS)
    p = np.exp(LOGITS) / np.exp(LOGITS).sum(-1, keepdims=True)
    np.testing.assert_allclose(g, (p - np.eye(3)[LABELS]) / 4)
    pb.check_grads(lambda z: pb.nn.softmax_cross_entropy(z, LABELS), (LOGITS,), order=2)


def test_softmax_cross_entropy_is_stable_for_huge_logits():
    loss = pb.nn.softmax_cross_entropy(np.array([[1e4, -1e4]]), np.array([1]))
    np.testing.assert_allclose(loss, 2e4)


def test_softmax_cross_entropy_rejects_mismatched_labels():
    with pytest.raises(ValueError, match="do not match"):
        pb.nn.softmax_cross_entropy(LOGITS, np.array([0, 1]))
    with pytest.raises(ValueError, match="one-hot"):
        pb.nn.softmax_cross_entropy(LOGITS, np.ones((4, 2)))


LOSS = pb.nn.softmax_cross_entropy
GRAD = pb.grad(LOSS)


@pytest.mark.parametrize(
    "call",
    [
        lambda z, y: LOSS(z, y),
        lambda z, y: GRAD(z, y),
        lambda z, y: pb.jvp(lambda z: LOSS(z, y), (z,), (z,)),
        lambda z, y: pb.hessian(lambda z: LOSS(z, y))(z),
        lambda z, y: pb.vmap(LOSS)(z[None], y[None]),
        lambda z, y: pb.vmap(GRAD, in_axes=(0, None))(z[None], y),
        lambda z, y: pb.jit(GRAD)(z, y),
    ],
)
@pytest.mark.parametrize("bad", [-1, 3, 7])
def test_int_labels_outside_the_classes_are_refused(call, bad):
    # NumPy would take -1 as the last class: a silently wrong loss and gradient
    z, y = np.zeros((4, 3)), np.array([0, 2, 1, 2])
    call(z, y)
    with pytest.raises(ValueError, match=rf"classes 0..2 of logits with 3 classes, got .*{bad}"):
        call(z, np.array([0, bad, 1, 2]))


def test_a_jitted_or_saved_gradient_checks_each_batch_of_labels(tmp_path):
    # a graph of the gradient alone has no forward pass of the loss: the labels are still checked
    z, y = np.zeros((4, 3)), np.array([0, 2, 1, 2])
    jitted = pb.jit(GRAD)
    pb.save(tmp_path / "grad.pb", GRAD, z, y)
    for f in (jitted, pb.load(tmp_path / "grad.pb")):
        np.testing.assert_allclose(f(z, y), GRAD(z, y), rtol=1e-15)
        with pytest.raises(ValueError, match="got labels from -1 to 2"):
            f(z, np.array([0, -1, 1, 2]))
    LOSS(np.zeros((3, 3)), np.array([0, 1, 2], np.uint8))  # unsigned labels pass


def test_boolean_labels_are_the_classes_one_and_zero():
    # NumPy would take a boolean array as a mask, not as indices
    z, labels = np.random.default_rng(3).standard_normal((3, 2)), np.array([True, False, True])
    as_ints = labels.astype(np.int64)
    for f in (LOSS, GRAD, pb.jit(GRAD), pb.hessian(LOSS)):
        np.testing.assert_array_equal(f(z, labels), f(z, as_ints))
    np.testing.assert_array_equal(pb.vmap(LOSS)(z[None], labels[None]), [LOSS(z, as_ints)])


@pytest.mark.parametrize(
    "loss, names", [(pb.nn.mse, "pred.*target"), (pb.nn.sigmoid_cross_entropy, "logits.*labels")]
)
def test_elementwise_losses_refuse_shapes_that_broadcast_to_a_larger_one(loss, names):
    with pytest.raises(ValueError, match=rf"{names} of shape \(3,\) would broadcast to \(3, 3\)"):
        loss(np.zeros((3, 1)), np.zeros(3))
    with pytest.raises(ValueError, match="do not broadcast"):
        loss(np.zeros(3), np.zeros(4))
    for a, b in (((3,), ()), ((2, 3), (3,)), ((), (3,)), ((3,), (1,))):
        loss(np.zeros(a), np.zeros(b))  # one broadcasts to the other: a constant, a row


def test_sigmoid_cross_entropy_value_gradient_and_stability():
    z = np.array([-800.0, 0.0, 3.0, 800.0])
    y = np.array([1.0, 1.0, 0.0, 0.0])
    loss = pb.nn.sigmoid_cross_entropy(z, y)
    np.testing.assert_allclose(loss, (800 + np.log(2) + 3 + np.log1p(np.exp(-3)) + 800) / 4)
    g = pb.grad(pb.nn.sigmoid_cross_entropy)(z, y)
    np.testing.assert_allclose(g, (0.5 * (1 + np.tanh(z / 2)) - y) / 4)
    pb.check_grads(lambda z: pb.nn.sigmoid_cross_entropy(z, y[1:3]), (z[1:3],), order=2)


def test_mse_value_and_gradient():
    pred, target = np.array([1.0, 2.0]), np.array([0.0, 4.0])
    np.testing.assert_allclose(pb.nn.mse(pred, target), 2.5)
    np.testing.assert_allclose(pb.grad(pb.nn.mse)(pred, target), [1.0, -2.0])


def _composite(z, labels):
    logp = pb.nn.log_softmax(z, axis=-1)
    return -pnp.mean(pnp.take_along_axis(logp, pnp.expand_dims(labels, -1), axis=-1))


@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 4), (1, 7)])
def test_int_label_cross_entropy_equals_its_composite_formula(shape):
    rng = np.random.default_rng(0)
    z = rng.standard_normal(shape)
    labels = rng.integers(0, shape[-1], shape[:-1])
    loss = lambda z: pb.nn.softmax_cross_entropy(z, labels)  # noqa: E731
    assert float(loss(z)) == pytest.approx(float(_composite(z, labels)), rel=1e-15)
    np.testing.assert_allclose(
        pb.grad(loss)(z), pb.grad(lambda z: _composite(z, labels))(z), rtol=1e-14, atol=1e-17
    )
    pb.check_grads(loss, (z,), order=2, modes=("rev", "fwd"))


def test_int_label_cross_entropy_vectorises():
    rng = np.random.default_rng(1)
    z = rng.standard_normal((6, 3, 5))
    labels = rng.integers(0, 5, (6, 3))
    per_example = pb.vmap(pb.nn.softmax_cross_entropy)(z, labels)
    looped = [float(pb.nn.softmax_cross_entropy(z[i], labels[i])) for i in range(6)]
    np.testing.assert_allclose(per_example, looped, rtol=1e-14)
    grads = pb.vmap(pb.grad(pb.nn.softmax_cross_entropy))(z, labels)
    np.testing.assert_allclose(
        grads[2], pb.grad(pb.nn.softmax_cross_entropy)(z[2], labels[2]), rtol=1e-14
    )
    shared = pb.vmap(pb.nn.softmax_cross_entropy, in_axes=(None, 0))(z[0], labels)
    assert shared.shape == (6,)
    np.testing.assert_allclose(shared[4], float(pb.nn.softmax_cross_entropy(z[0], labels[4])))


def test_int_label_cross_entropy_jits_and_saves(tmp_path):
    z, labels = np.random.default_rng(2).standard_normal((4, 3)), np.array([0, 2, 1, 2])
    loss = pb.nn.softmax_cross_entropy
    assert pb.jit(loss)(z, labels) == pytest.approx(float(loss(z, labels)), rel=1e-15)
    pb.save(tmp_path / "ce.pb", loss, z, labels)
    loaded = pb.load(tmp_path / "ce.pb")
    np.testing.assert_allclose(pb.grad(loaded)(z, labels), pb.grad(loss)(z, labels), rtol=1e-15)


def test_int_label_cross_entropy_keeps_float32_and_masked_classes():
    z = np.array([[0.0, -np.inf, 1.0], [2.0, 0.5, -np.inf]], np.float32)
    labels = np.array([2, 0])
    value, g = pb.value_and_grad(pb.nn.softmax_cross_entropy)(z, labels)
    assert value.dtype == g.dtype == np.float32
    assert g[0, 1] == g[1, 2] == 0.0
    expected = pb.grad(lambda z: _composite(z, labels))(z.astype(np.float64))
    np.testing.assert_allclose(g, expected, rtol=1e-6, atol=1e-7)


def test_int_label_cross_entropy_backward_reuses_the_forward_softmax_once():
    from pullback.nn import losses

    before = len(losses._softmaxes)
    z = np.random.default_rng(3).standard_normal((5, 4))
    labels = np.array([0, 3, 1, 1, 2])
    expected = (pnp.special.softmax(z, axis=-1) - np.eye(4)[labels]) * (1.0 / 5)
    np.testing.assert_array_equal(pb.grad(pb.nn.softmax_cross_entropy)(z, labels), expected)
    # two losses on one logits array, and a persistent tape that runs the backward pass twice:
    # the weights are handed over once, then computed again
    x = pb.tensor(z)
    with pb.GradientTape(persistent=True) as tape:
        tape.watch(x)
        loss = pb.nn.softmax_cross_entropy(x, labels) + pb.nn.softmax_cross_entropy(x, labels)
    first, second = tape.gradient(loss, x), tape.gradient(loss, x)
    np.testing.assert_array_equal(first.numpy(), 2 * expected)
    np.testing.assert_array_equal(second.numpy(), first.numpy())
    del tape, loss, x
    pb.nn.softmax_cross_entropy(z, labels)  # no transform active: nothing kept
    assert len(losses._softmaxes) == before
    alive = [z.copy() for _ in range(10)]
    for v in alive:  # forward passes alone (jvp) on live logits keep at most a few
        pb.jvp(lambda v: pb.nn.softmax_cross_entropy(v, labels), (v,), (z,))
    assert len(losses._softmaxes) == losses._KEPT
