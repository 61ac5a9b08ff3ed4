"""NumPy's dispatch protocols on Tensors: keywords pnp takes, refuses or leaves to NumPy, and
the ufunc methods mapped onto pnp."""

import numpy as np
import pytest

import pullback as pb

X = np.array([1.0, 2.0, 3.0, 4.0])
MASK = np.array([True, False, True, False])


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda t: np.sum(t, where=MASK), r"np.sum\(..., where=\).*pnp.where\(mask, x, 0\)"),
        (lambda t: np.mean(t, where=MASK), r"np.mean\(..., where=\)"),
        (lambda t: np.std(t, where=MASK), r"np.std\(..., where=\)"),
        (lambda t: np.max(t, initial=10.0), r"np.max\(..., initial=\).*pnp.maximum"),
        (lambda t: np.add.reduce(t, initial=1.0), r"np.add.reduce\(..., initial=\)"),
        # where= without out= leaves NumPy's uninitialised memory where the mask is False
        (lambda t: np.sum(np.add(t, 1.0, where=MASK)), r"np.add\(..., where=\)"),
    ],
)
def test_keywords_pnp_cannot_honour_are_refused_by_name(call, message):
    with pytest.raises(TypeError, match=message):
        pb.grad(call)(X)


def test_the_same_keywords_on_untracked_tensors_are_numpys():
    t = pb.tensor(X)
    assert np.sum(t, where=MASK) == 4.0
    assert np.add.reduce(t, initial=5.0) == 15.0
    np.testing.assert_array_equal(np.add(t, 1.0, where=MASK, out=np.zeros(4)), [2, 0, 4, 0])


def test_default_and_layout_keywords_change_nothing():
    grad = lambda f: pb.grad(f)(X)
    np.testing.assert_array_equal(grad(lambda t: np.sum(t, where=True)), np.ones(4))
    np.testing.assert_array_equal(grad(lambda t: np.sum(np.add(t, 1.0, where=True))), np.ones(4))
    np.testing.assert_array_equal(grad(lambda t: np.sum(np.power(t, 2, order="C"))), 2 * X)
    np.testing.assert_array_equal(
        grad(lambda t: np.sum(np.divide(t, 2.0, casting="same_kind"))), [0.5] * 4
    )


def test_a_ufunc_dtype_computes_in_that_dtype():
    out = np.exp(pb.tensor(X), dtype=np.float32)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), np.exp(X, dtype=np.float32))
    np.testing.assert_allclose(
        pb.grad(lambda t: np.sum(np.exp(t, dtype=np.float32)))(X), np.exp(X), rtol=1e-6
    )


@pytest.mark.parametrize(
    "f",
    [
        lambda t: np.add.accumulate(t),
        lambda t: np.multiply.accumulate(t),
        lambda t: np.add.accumulate(t.reshape(2, 2), axis=1),
        lambda t: np.multiply.outer(t, t[:3]),
        lambda t: np.subtract.outer(t.reshape(2, 2), t),
        lambda t: np.maximum.outer(t, t),
    ],
)
def test_accumulate_and_outer_match_numpy_and_differentiate(f):
    np.testing.assert_array_equal(f(pb.tensor(X)).numpy(), f(X))
    pb.check_grads(f, (X,), order=2)
