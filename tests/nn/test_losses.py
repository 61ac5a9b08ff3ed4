"""Losses: values, gradients, stability, label forms."""

from __future__ import annotations

import numpy as np
import pytest

import pullback as pb
import pullback.nn

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
