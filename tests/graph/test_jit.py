import numpy as np
import pytest

import pullback as pb
import pullback.numpy as pnp

from ..ops.harness import POINTS
from ..ops.test_elementwise import CASES as ELEMENTWISE
from ..ops.test_reduce import CASES as REDUCE
from ..ops.test_transcendental import CASES as TRANSCENDENTAL


def seed(a, b, c):
    return pnp.log((pnp.sin(a * b) + pnp.exp(c - a / b)) ** 2) * c


def test_jit_of_grad_equals_eager_on_the_seed_function():
    g = pb.jit(pb.grad(seed, argnums=(0, 1, 2)))
    assert g(43.0, 3.0, 2.0) == pb.grad(seed, argnums=(0, 1, 2))(43.0, 3.0, 2.0)


def test_grad_of_jit_and_second_order():
    f = pb.jit(lambda x: pnp.sum(pnp.sin(x) * x))
    x = np.linspace(0, 1, 4)
    assert np.allclose(pb.grad(f)(x), np.cos(x) * x + np.sin(x), rtol=1e-15)
    h = pb.grad(lambda s: pb.grad(pb.jit(lambda t: pnp.sin(t) * t))(s))(0.3)
    assert h == pytest.approx(2 * np.cos(0.3) - 0.3 * np.sin(0.3), rel=1e-14)


def test_jit_traces_once_per_signature_and_retraces_on_a_change():
    calls = []

    def f(x):
        calls.append(1)
        return x * 2.0

    jf = pb.jit(f)
    jf(np.ones(3))
    jf(np.zeros(3))
    assert len(calls) == 1
    jf(np.ones(4))
    jf(np.ones(3, np.float32))
    assert len(calls) == 3


def test_static_python_ints_are_part_of_the_signature():
    jf = pb.jit(lambda x, n: x**n)
    assert jf(2.0, 3) == 8.0 and jf(2.0, 2) == 4.0


def test_branching_on_a_traced_value_names_the_line():
    def f(x):
        if pnp.sum(x) > 0:
            return x
        return -x

    with pytest.raises(TypeError, match=r"pb.jit / pb.trace.*test_jit.py:\d+.*pnp.where"):
        pb.jit(f)(np.ones(2))


def test_dead_code_and_common_subexpressions_are_removed():
    from pullback.graph.optimize import optimize

    def f(x):
        unused = pnp.exp(x)  # noqa: F841
        return pnp.sin(x) + pnp.sin(x)

    g = optimize(pb.trace(f, np.ones(2)))
    assert [e.primitive for e in g.equations] == ["sin", "add"]


def test_hooks_and_custom_rules_survive_jit():
    @pb.custom_gradient
    def clip(y):
        return y, lambda dy: pnp.clip(dy, -0.5, 0.5)

    assert pb.grad(pb.jit(lambda x: 3.0 * clip(x)))(1.0) == 0.5
    seen = []
    pb.grad(pb.jit(lambda x: pnp.sin(pb.with_derivative(x, seen.append))))(0.0)
    assert seen == [1.0]


@pytest.mark.parametrize(
    "case", ELEMENTWISE[::3] + TRANSCENDENTAL[::3] + REDUCE[::4], ids=lambda c: c.name
)
def test_jit_equals_eager_on_the_op_table(case):
    rng = np.random.default_rng(0)
    for shapes in case.shapes[:2]:
        for _ in range(POINTS):
            args = tuple(case.sampler(i)(rng, s) for i, s in enumerate(shapes))
            want = case.fn(*args)
            got = pb.jit(case.fn)(*args)
            assert np.allclose(got, want, rtol=1e-12, atol=0, equal_nan=True)
            if np.ndim(want) == 0 and np.issubdtype(np.asarray(want).dtype, np.floating):
                g_want = pb.grad(case.fn)(*args)
                g_got = pb.grad(pb.jit(case.fn))(*args)
                assert np.allclose(g_got, g_want, rtol=1e-12, atol=0, equal_nan=True)


def test_jit_sees_new_integer_labels_on_every_call():
    # Regression: labels read with .numpy() were frozen into the graph at the first call.
    loss = pb.jit(pb.nn.softmax_cross_entropy)
    z = np.array([[0.0, 1.0, 2.0]])
    for label in (0, 2, 1):
        want = pb.nn.softmax_cross_entropy(z, np.array([label]))
        assert loss(z, np.array([label])) == pytest.approx(float(want), rel=1e-15)


def test_reading_a_traced_value_out_of_the_graph_raises():
    with pytest.raises(TypeError, match=r"numpy\(\).*pb.jit / pb.trace.*constant"):
        pb.jit(lambda x: x * float(x.numpy().sum()))(np.ones(2))
    with pytest.raises(TypeError, match="An index array.*pb.jit"):
        pb.jit(lambda x, i: x[i])(np.ones(3), np.array([0, 1]))


def test_keyword_arguments_are_part_of_the_signature():
    calls = []

    def f(x, *, scale, shift=0.0):
        calls.append(1)
        return x * scale + shift

    jf = pb.jit(f)
    x = np.arange(3.0)
    np.testing.assert_array_equal(jf(x, scale=2.0), x * 2.0)
    np.testing.assert_array_equal(jf(x, shift=1.0, scale=3.0), x * 3.0 + 1.0)
    np.testing.assert_array_equal(jf(x, scale=4.0, shift=1.0), x * 4.0 + 1.0)
    assert len(calls) == 2  # same names, same order after sorting: one trace
    assert pb.grad(lambda s: jf(1.5, scale=s))(2.0) == 1.5


def test_float_of_a_traced_value_says_it_would_be_frozen():
    with pytest.raises(TypeError, match=r"float\(\).*freeze the value"):
        pb.jit(lambda x: x * float(x))(2.0)


def test_a_module_replays_on_its_variables_values():
    model = pb.nn.Sequential(pb.nn.Dense(3, 4, activation=pb.nn.relu), pb.nn.Dense(4, 2))
    x = np.linspace(-1.0, 1.0, 6).reshape(2, 3)
    forward = pb.jit(lambda m, x: m(x))
    out = forward(model, x)
    assert isinstance(out, pb.Tensor)
    np.testing.assert_array_equal(out.numpy(), model(x).numpy())
    model.layers[1].bias.assign(np.ones(2))  # a new value, the same signature: seen
    np.testing.assert_array_equal(forward(model, x).numpy(), model(x).numpy())
    assert len(forward.cache) == 1
    with pb.GradientTape() as tape:
        y = pnp.sum(forward(model, x))
    grads = tape.gradient(y, model.trainable_variables)
    eager = pb.grad(lambda m: pnp.sum(m(x)))(model)
    np.testing.assert_allclose(grads[0], eager.layers[0].kernel, rtol=1e-15)


def _counting(f):
    """``f`` and a list that grows by one each time ``f`` runs (each trace, under jit)."""
    calls = []

    def counted(*args):
        calls.append(1)
        return f(*args)

    return counted, calls


def test_a_variable_read_through_a_closure_is_seen_when_assigned():
    # its value is a constant of the graph: a new value means a new trace, as TF reads it anew
    w = pb.Variable(np.array([1.0, 2.0]))
    f, traces = _counting(lambda x: x * w)
    jf = pb.jit(f)
    np.testing.assert_array_equal(jf(np.ones(2)), [1.0, 2.0])
    np.testing.assert_array_equal(jf(np.ones(2)), [1.0, 2.0])
    assert len(traces) == 1
    w.assign(np.array([3.0, 4.0]))
    np.testing.assert_array_equal(jf(np.ones(2)), [3.0, 4.0])
    assert len(traces) == 2


def test_frozen_weights_and_batch_norm_statistics_are_seen_when_assigned():
    # static attributes of the model (non-trainable Variables): not arguments of the graph
    x = np.linspace(-1.0, 1.0, 6).reshape(3, 2)
    dense = pb.nn.Dense(2, 2, dtype=np.float64, seed=0)
    dense.kernel.trainable = False
    norm = pb.nn.BatchNorm(2, dtype=np.float64).eval()
    for model, variable in ((dense, dense.kernel), (norm, norm.running_mean)):
        forward = pb.jit(lambda m, x: m(x))
        forward(model, x)
        variable.assign(variable.numpy() + 5.0)
        np.testing.assert_array_equal(forward(model, x).numpy(), model(x).numpy())


def test_arguments_variables_assigned_every_step_are_not_retraced():
    model = pb.nn.Dense(3, 2, dtype=np.float64, seed=0)
    loss, traces = _counting(lambda m, x: pnp.sum(m(x) ** 2))
    step = pb.jit(pb.grad(loss))
    opt = pb.optim.SGD(0.1)
    for _ in range(3):
        opt.update(model, step(model, np.ones((4, 3))))
    assert len(traces) == 1


def test_batch_norm_in_training_mode_refuses_to_be_traced():
    norm, x = pb.nn.BatchNorm(2, dtype=np.float64), np.ones((3, 2))
    for trace in (pb.jit(lambda m, x: m(x)), lambda m, x: pb.trace(lambda x: m(x), x)):
        with pytest.raises(TypeError, match=r"BatchNorm in training mode .*model\.eval\(\)"):
            trace(norm, x)
    pb.jit(lambda m, x: m(x))(norm.eval(), x)


def test_a_function_traced_again_and_again_is_said_once():
    scaled = pb.jit(lambda x, n: x * n)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for n in range(15):
            scaled(np.ones(2), n)  # each Python int is a new trace
    with pytest.warns(UserWarning, match="has traced it 16 times: each new Python int"):
        scaled(np.ones(2), 15)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scaled(np.ones(2), 16)  # said once
