import gc
import threading
import weakref

import numpy as np
import pytest

import pullback as pb
import pullback.numpy as pnp


def test_nested_tapes_give_higher_derivatives():
    x = pb.Variable(1.0)
    with pb.GradientTape() as t2:
        with pb.GradientTape() as t1:
            y = x * x * x
        dy_dx = t1.gradient(y, x)
    d2y_dx2 = t2.gradient(dy_dx, x)
    assert float(dy_dx) == 3.0 and float(d2y_dx2) == 6.0


def test_two_tapes_each_track_their_own_source():
    x0, x1 = pb.tensor(0.0), pb.tensor(0.0)
    with pb.GradientTape() as tape0, pb.GradientTape() as tape1:
        tape0.watch(x0)
        tape1.watch(x1)
        ys = pnp.sin(x0) + 1.0 / (1.0 + pnp.exp(-x1))
    assert float(tape0.gradient(ys, x0)) == 1.0
    assert float(tape1.gradient(ys, x1)) == 0.25


def test_non_persistent_tape_refuses_a_second_gradient():
    x = pb.Variable(2.0)
    with pb.GradientTape() as tape:
        y = x * x
    tape.gradient(y, x)
    with pytest.raises(RuntimeError, match="persistent=True"):
        tape.gradient(y, x)


def test_persistent_tape_answers_many_questions_including_intermediates():
    x = pb.tensor(3.0)
    with pb.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        z = y * y
    assert float(tape.gradient(z, x)) == 108.0
    assert float(tape.gradient(y, x)) == 6.0
    assert float(tape.gradient(z, y)) == 18.0


def test_sources_in_any_pytree_and_unconnected_sources():
    w, b, unused = pb.Variable(np.ones((3, 2))), pb.Variable(np.zeros(2)), pb.Variable(1.0)
    x = np.ones((4, 3))
    with pb.GradientTape(persistent=True) as tape:
        loss = pnp.sum((x @ w + b) ** 2)
    g = tape.gradient(loss, {"w": w, "b": [b, unused]})
    assert g["w"].shape == (3, 2) and g["b"][0].shape == (2,) and g["b"][1] is None
    zeros = tape.gradient(loss, unused, unconnected_gradients="zero")
    assert float(zeros) == 0.0


def test_output_gradients_weight_each_target():
    v, w = pb.Variable(np.array([1.0, 2.0, 3.0])), pb.Variable(1.0)
    with pb.GradientTape(persistent=True) as tape:
        a, b = v * 2, w * 3
    weights = np.array([1.0, 0.0, -1.0])
    np.testing.assert_array_equal(tape.gradient(a, v, output_gradients=weights), 2 * weights)
    grads = tape.gradient([a, b], [v, w], output_gradients=[None, 2.0])  # None: ones
    np.testing.assert_array_equal(grads[0], [2.0, 2.0, 2.0])
    assert float(grads[1]) == 6.0


@pytest.mark.parametrize(
    "output_gradients, error, message",
    [
        (np.ones((1, 3)), ValueError, r"output_gradients 0: cotangent has shape \(1, 3\)"),
        (np.ones(2), ValueError, r"shape \(2,\) float64, but the output it belongs to has shape"),
        ([np.ones(3), np.ones(3)], ValueError, "has 2 value.*target has 1"),
        (np.ones(3, int), TypeError, "dtype int64, but the output it belongs to has dtype float64"),
    ],
)
def test_output_gradients_of_another_shape_count_or_kind_are_refused(
    output_gradients, error, message
):
    # (1, 3) would broadcast, and a second value would have been dropped: silently wrong
    v = pb.Variable(np.array([1.0, 2.0, 3.0]))
    with pb.GradientTape() as tape:
        y = v * 2
    with pytest.raises(error, match=message):
        tape.gradient(y, v, output_gradients=output_gradients)


def test_trainable_variables_are_watched_on_read_and_others_not():
    a, b = pb.Variable(2.0), pb.Variable(2.0, trainable=False)
    with pb.GradientTape() as tape:
        y = a * a + b * b
    assert tape.watched_variables() == (a,)
    ga, gb = tape.gradient(y, [a, b])
    assert float(ga) == 4.0 and gb is None


def test_watch_accessed_variables_false_watches_only_what_is_asked():
    a = pb.Variable(2.0)
    with pb.GradientTape(watch_accessed_variables=False) as tape:
        y = a * a
    assert tape.gradient(y, a) is None


def test_watching_an_ndarray_or_int_tensor_raises():
    with pb.GradientTape() as tape:
        with pytest.raises(TypeError, match="pb.tensor"):
            tape.watch(np.ones(3))
        with pytest.raises(TypeError, match="int64"):
            tape.watch(pb.tensor(np.arange(3)))


def test_stop_recording_and_reset():
    x = pb.tensor(2.0)
    with pb.GradientTape(persistent=True) as tape:
        tape.watch(x)
        with tape.stop_recording():
            c = x * x
        y = x * c
    assert float(tape.gradient(y, x)) == 4.0
    with pb.GradientTape() as tape:
        tape.watch(x)
        y = x * x
        tape.reset()
        tape.watch(x)
        y = x * x * x
    assert float(tape.gradient(y, x)) == 12.0


def test_watched_tensor_is_plain_again_after_the_tape():
    x = pb.tensor(2.0)
    with pb.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    tape.gradient(y, x)
    assert float(x) == 2.0 and "tracked" not in repr(x)


def test_tape_gradient_equals_pb_grad():
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((3, 2))
    x = rng.standard_normal((5, 3))

    def loss(w):
        return pnp.sum(pnp.tanh(x @ w) ** 2)

    w = pb.Variable(w0)
    with pb.GradientTape() as tape:
        value = loss(w)
    assert np.array_equal(tape.gradient(value, w).numpy(), pb.grad(loss)(w0))


def test_jacobian_and_batch_jacobian():
    rng = np.random.default_rng(1)
    x = pb.tensor(rng.standard_normal((7, 5)))
    w = rng.standard_normal((5, 6))
    with pb.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = pnp.tanh(x @ w)
    full = tape.jacobian(y, x).numpy()
    batch = tape.batch_jacobian(y, x).numpy()
    assert full.shape == (7, 6, 7, 5) and batch.shape == (7, 6, 5)
    assert np.allclose(full.sum(axis=2), batch, rtol=0, atol=1e-14)
    assert np.allclose(batch[0], (1 - np.tanh(x.numpy()[0] @ w) ** 2)[:, None] * w.T)


def test_pb_grad_inside_a_tape_and_a_tape_inside_pb_grad():
    x = pb.Variable(0.5)
    with pb.GradientTape() as tape:
        y = pb.grad(lambda s: pnp.sin(s) * s)(x)
    assert float(tape.gradient(y, x)) == pytest.approx(2 * np.cos(0.5) - 0.5 * np.sin(0.5))

    def f(s):
        t = pb.tensor(s)
        with pb.GradientTape() as tape:
            tape.watch(t)
            y = t * t * t
        return tape.gradient(y, t)

    assert float(pb.grad(f)(2.0)) == 12.0


def test_forward_accumulator_and_forward_over_tape_hvp():
    x = pb.tensor(2.0)
    with pb.ForwardAccumulator(x, pb.tensor(1.0)) as acc:
        y = x * x * x
    assert float(acc.jvp(y)) == 12.0
    v = np.array([1.0, 0.0])
    x = pb.tensor(np.array([1.0, 2.0]))
    with pb.ForwardAccumulator(x, v) as acc:
        with pb.GradientTape() as tape:
            tape.watch(x)
            y = pnp.sum(x**3)
        g = tape.gradient(y, x)
    assert np.array_equal(acc.jvp(g).numpy(), [6.0, 0.0])


def test_custom_gradient_under_a_tape():
    @pb.custom_gradient
    def clip_gradients(y):
        return y, lambda dy: pnp.clip(dy, -0.5, 0.5)

    x = pb.Variable(2.0)
    with pb.GradientTape() as tape:
        y = clip_gradients(x) * 3.0
    assert float(tape.gradient(y, x)) == 0.5


def test_variable_assign_operations():
    v = pb.Variable(np.ones(2), name="v")
    v.assign([2.0, 3.0]).assign_add(1.0).assign_sub([0.5, 0.5])
    assert v.numpy().tolist() == [2.5, 3.5]
    with pytest.raises(ValueError, match="shape"):
        v.assign(np.ones(3))


def test_thousand_training_steps_leave_no_live_nodes():
    from pullback.transforms.reverse import Node

    w = pb.Variable(np.ones((3, 2)))
    x = np.ones((4, 3))

    def step():
        with pb.GradientTape() as tape:
            loss = pnp.sum((x @ w) ** 2)
        g = tape.gradient(loss, w)
        w.assign_sub(1e-4 * g.numpy())

    step()
    gc.collect()
    before = sum(isinstance(o, Node) for o in gc.get_objects())
    for _ in range(1000):
        step()
    gc.collect()
    assert sum(isinstance(o, Node) for o in gc.get_objects()) == before


def test_persistent_tape_frees_its_graph_when_released():
    x = pb.tensor(np.ones(3))
    with pb.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = pnp.sum(pnp.sin(x))
    ref = weakref.ref(y._node)
    del tape, y
    assert ref() is None


def test_a_tape_in_another_thread_records_nothing_of_ours():
    v = pb.Variable(1.0)
    recorded = []
    started, finish = threading.Event(), threading.Event()

    def other():
        with pb.GradientTape() as tape:
            tape.watch(v)
            started.set()
            finish.wait(5)
        recorded.append(len(tape._level.tape))

    t = threading.Thread(target=other)
    t.start()
    started.wait(5)
    for _ in range(10):
        _ = v * 2.0
    finish.set()
    t.join()
    assert recorded == [0]
