"""Stateful optimisers: in-place steps on models, Keras-style pairs, end-to-end training."""

from __future__ import annotations

import numpy as np
import pytest

import pullback as pb
import pullback.data
import pullback.nn
import pullback.numpy as pnp
import pullback.optim


def test_update_steps_trainable_variables_of_a_model_in_place():
    model = pb.nn.Dense(2, 1, dtype=np.float64, seed=0)
    model.bias.trainable = False
    kernel = model.kernel.numpy().copy()
    grads = pb.grad(lambda m: pnp.sum(m(np.ones((1, 2)))))(model)
    pb.optim.SGD(0.5).update(model, grads)
    np.testing.assert_allclose(model.kernel.numpy(), kernel - 0.5)
    assert model.bias.numpy().tolist() == [0.0]


def test_update_rejects_gradients_of_another_structure():
    model = pb.nn.Dense(2, 1)
    with pytest.raises(ValueError, match="structure"):
        pb.optim.Adam().update(model, {"kernel": np.zeros((2, 1))})


@pytest.mark.parametrize("shape", [(3,), (1, 3), (2, 1), (2, 3, 1)])
def test_apply_gradients_rejects_a_gradient_of_another_shape(shape):
    # (3,), (1, 3) and (2, 1) would broadcast against the (2, 3) kernel: a silently wrong step
    v = pb.Variable(np.ones((2, 3)), name="kernel")
    with pytest.raises(ValueError, match=r"shape \(.*\) for Variable 'kernel' of shape \(2, 3\)"):
        pb.optim.SGD(0.1).apply_gradients([(np.ones(shape), v)])
    assert v.numpy().tolist() == [[1.0] * 3] * 2


def test_apply_gradients_keeps_adam_state_and_reads_learning_rate_each_step():
    v = pb.Variable(np.array([1.0]))
    opt = pb.optim.Adam(0.1)
    opt.apply_gradients([(np.array([2.0]), v)])
    opt.learning_rate = 0.0
    opt.apply_gradients([(np.array([2.0]), v), (None, pb.Variable(1.0))])
    np.testing.assert_allclose(v.numpy(), [0.9])


def test_gradient_tape_style_training_step():
    w = pb.Variable(np.array([3.0]))
    opt = pb.optim.SGD(0.25, momentum=0.5)
    for _ in range(2):
        with pb.GradientTape() as tape:
            loss = pnp.sum(w * w)
        opt.apply_gradients(zip([tape.gradient(loss, w)], [w]))
    np.testing.assert_allclose(w.numpy(), [3.0 - 1.5 - 0.25 * (0.5 * 6.0 + 3.0)])


def test_xor_mlp_loss_falls_over_ten_steps():
    np.random.seed(0)
    model = pb.nn.Sequential(
        pb.nn.Dense(2, 4, activation=pb.nn.tanh, dtype=np.float64),
        pb.nn.Dense(4, 1, dtype=np.float64),
    )
    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([[0.0], [1.0], [1.0], [0.0]])
    loss = lambda m: pb.nn.sigmoid_cross_entropy(m(x), y)
    opt = pb.optim.SGD(0.5, momentum=0.9)
    losses = []
    for _ in range(10):
        value, grads = pb.value_and_grad(loss)(model)
        losses.append(float(value.numpy()))
        opt.update(model, grads)
    assert losses[-1] < losses[0]


def test_digits_mlp_reaches_ninety_percent_test_accuracy():
    pytest.importorskip("sklearn")
    (x_train, y_train), (x_test, y_test) = pb.data.load_digits()
    np.random.seed(0)
    model = pb.nn.Sequential(
        pb.nn.Flatten(), pb.nn.Dense(64, 128, activation=pb.nn.relu), pb.nn.Dense(128, 10)
    )
    loss = lambda m, x, y: pb.nn.softmax_cross_entropy(m(x), y)
    opt = pb.optim.Adam(1e-2)
    for epoch in range(3):
        for xb, yb in pb.data.batches(x_train, y_train, 32, seed=epoch):
            opt.update(model, pb.grad(loss)(model, xb, yb))
    accuracy = np.mean(np.argmax(model(x_test).numpy(), axis=-1) == y_test)
    assert accuracy >= 0.9


class _Tied(pb.nn.Module):
    """Two dense layers sharing one kernel (tied weights)."""

    def __init__(self):
        super().__init__()
        self.first = pb.nn.Dense(2, 2, use_bias=False, dtype=np.float64, seed=0)
        self.second = pb.nn.Dense(2, 2, use_bias=False, dtype=np.float64, seed=1)
        self.second.kernel = self.first.kernel

    def __call__(self, x):
        return self.second(self.first(x))


def _tied_loss(model):
    return pnp.sum(model(np.ones((1, 2))) ** 2)


@pytest.mark.parametrize("style", ["update", "tape"])
def test_tied_weights_take_one_step_on_their_whole_gradient(style):
    # each place of a shared Variable used to get its own Adam state and its own step
    model = _Tied()
    assert model.trainable_variables == [model.first.kernel]  # listed once, as in PyTorch
    w = model.first.kernel.numpy().copy()
    whole = pb.grad(lambda w: pnp.sum((np.ones((1, 2)) @ w @ w) ** 2))(w)
    opt = pb.optim.Adam(0.1)
    if style == "update":
        opt.update(model, pb.grad(_tied_loss)(model))
    else:
        with pb.GradientTape() as tape:
            loss = _tied_loss(model)
        variables = model.trainable_variables
        opt.apply_gradients(zip(tape.gradient(loss, variables), variables))
    reference = pb.optim.adam(0.1)
    step, _ = reference.update(whole, reference.init(w))
    np.testing.assert_allclose(model.first.kernel.numpy(), w + step, rtol=1e-14)


def test_apply_gradients_refuses_a_variable_given_twice():
    v = pb.Variable(np.ones(2))
    with pytest.raises(ValueError, match="appears more than once"):
        pb.optim.SGD(0.1).apply_gradients([(np.ones(2), v), (np.ones(2), v)])
    assert v.numpy().tolist() == [1.0, 1.0]


class _ArrayParameter(pb.nn.Module):
    """A parameter held as a plain array (NumPy style) beside a Variable."""

    def __init__(self, w):
        super().__init__()
        self.w = w
        self.v = pb.Variable(np.ones((2, 1)))

    def __call__(self, x):
        return x @ self.w + x @ self.v


def _array_loss(model):
    return pnp.sum(model(np.ones((3, 2))))


def test_update_steps_float_array_parameters_in_place():
    # a float array is a pytree leaf with a gradient: it used to be skipped, silently
    w = np.ones((2, 1))
    model = _ArrayParameter(w)
    pb.optim.SGD(0.1).update(model, pb.grad(_array_loss)(model))
    assert model.w is w
    np.testing.assert_allclose(w.ravel(), [0.7, 0.7])
    np.testing.assert_allclose(model.v.numpy().ravel(), [0.7, 0.7])


@pytest.mark.parametrize(
    "w", [pb.tensor(np.ones((2, 1))), np.broadcast_to(np.ones(1), (2, 1))], ids=["tensor", "view"]
)
def test_update_refuses_a_parameter_it_cannot_step_and_steps_nothing(w):
    model = _ArrayParameter(w)
    grads = pb.grad(_array_loss)(model)
    with pytest.raises(TypeError, match=r"cannot be stepped in place .* make it a pb.Variable"):
        pb.optim.Adam(0.1).update(model, grads)
    assert model.v.numpy().ravel().tolist() == [1.0, 1.0]
