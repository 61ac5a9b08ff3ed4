import math
import warnings

import numpy as np
import pytest

import pullback as pb
import pullback.numpy as pnp
from pullback.graph.optimize import optimize
from pullback.graph.replay import _shared_residuals, compile_arrays, compile_scalars
from pullback.ops import nn as ops

from ..ops.harness import POINTS
from ..ops.test_elementwise import CASES as ELEMENTWISE
from ..ops.test_transcendental import CASES as TRANSCENDENTAL


def compiled(f, *args):
    return compile_arrays(optimize(pb.trace(f, *args)))


# --- in-place buffer reuse -----------------------------------------------------------------


def test_elementwise_chains_reuse_one_buffer():
    run = compiled(lambda x: pnp.tanh(pnp.exp(x * 2.0) + 1.0) - x, np.ones(5))
    assert run.in_place == 4  # exp, add, tanh and subtract write into multiply's result
    x = np.linspace(-1, 1, 5)
    np.testing.assert_array_equal(run(x)[0], np.tanh(np.exp(x * 2.0) + 1.0) - x)


def test_inputs_constants_and_outputs_are_never_written():
    c = np.linspace(1.0, 2.0, 4)

    def f(x):
        y = pnp.sin(x)  # x: an input
        z = y * c  # c: a constant
        return z, pnp.exp(z), pnp.reshape(c, (2, 2)) + 1.0

    x = np.linspace(0.0, 1.0, 4)
    x0, c0 = x.copy(), c.copy()
    jf = pb.jit(f)
    first = jf(x)
    kept = [a.copy() for a in first]
    second = jf(x)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(c, c0)
    for a, b, want in zip(first, second, f(x)):
        np.testing.assert_array_equal(a, want)
        np.testing.assert_array_equal(b, want)
    for a, k in zip(first, kept):  # the second call did not write into the first's results
        np.testing.assert_array_equal(a, k)


def test_a_buffer_read_through_a_view_later_is_not_written():
    def f(x):
        y = pnp.exp(x)
        t = pnp.transpose(y, (1, 0))  # a view of y's buffer
        z = pnp.sin(y)  # y is dead after this, but t still views its buffer
        return z + pnp.transpose(t, (1, 0))

    x = np.arange(4.0).reshape(2, 2) / 4
    np.testing.assert_array_equal(pb.jit(f)(x), f(x))


def test_a_read_only_broadcast_view_is_not_written():
    def f(x):
        b = pnp.broadcast_to(pnp.exp(x), (3, 2))
        return pnp.sin(b) * 2.0

    x = np.array([0.1, 0.2])
    np.testing.assert_array_equal(pb.jit(f)(x), f(x))


def hypothesis_programs():
    """Random straight-line programs over two inputs: unary and binary elementwise ops,
    views and reductions, checked bit for bit against eager on three calls."""
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies
    unary = [pnp.sin, pnp.exp, pnp.tanh, pnp.negative, lambda v: pnp.transpose(v, (1, 0))]
    binary = [pnp.add, pnp.multiply, pnp.subtract, pnp.maximum]
    step = st.tuples(st.integers(0, 1), st.integers(0, 8), st.integers(0, 8))
    return hypothesis, st.lists(step, min_size=1, max_size=12), unary, binary


def test_random_programs_replay_bit_for_bit():
    hypothesis, programs, unary, binary = hypothesis_programs()

    def build(program):
        def f(a, b):
            values = [a, b]
            for kind, i, j in program:
                x, y = values[i % len(values)], values[j % len(values)]
                op = binary[j % len(binary)] if kind else unary[i % len(unary)]
                values.append(op(x, y) if kind else op(x))
            return values[-1], values[len(values) // 2]

        return f

    @hypothesis.settings(max_examples=60, deadline=None, derandomize=True)
    @hypothesis.given(programs)
    def check(program):
        f = build(program)
        a, b = np.linspace(-1, 1, 9).reshape(3, 3), np.linspace(0.5, 1.5, 9).reshape(3, 3)
        a0, b0 = a.copy(), b.copy()
        jf = pb.jit(f)
        for _ in range(3):
            for got, want in zip(jf(a, b), f(a0, b0)):
                np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(a, a0)
        np.testing.assert_array_equal(b, b0)

    check()


# --- Python float arithmetic for scalar graphs ---------------------------------------------


def seed(a, b, c):
    return pnp.log((pnp.sin(a * b) + pnp.exp(c - a / b)) ** 2) * c


def test_the_seed_gradient_replays_in_float_arithmetic():
    grad = pb.grad(seed, argnums=(0, 1, 2))
    jf = pb.jit(grad)
    got = jf(1.5, 2.0, 0.5)
    (compiled_,) = jf.cache.values()
    assert compiled_.scalars is not None
    assert all(type(g) is float for g in got)
    np.testing.assert_allclose(got, grad(1.5, 2.0, 0.5), rtol=1e-14, atol=0)


def test_arrays_do_not_take_the_float_path():
    jf = pb.jit(pb.grad(seed))
    got = jf(np.float64(1.5), np.asarray(2.0), 0.5)
    assert isinstance(got, np.ndarray) and got.shape == ()


def test_numpy_floats_give_floats_as_grad_does():
    got = pb.jit(pb.grad(seed))(np.float64(1.5), 2.0, 0.5)
    assert type(got) is float
    assert got == pytest.approx(pb.grad(seed)(np.float64(1.5), 2.0, 0.5), rel=1e-14)


@pytest.mark.parametrize(
    "f, x",
    [
        (pnp.log, 0.0),  # math.log raises; NumPy gives -inf
        (pnp.exp, 1000.0),  # math.exp overflows; NumPy gives inf
        (pnp.sqrt, -1.0),  # math.sqrt raises; NumPy gives nan
        (lambda x: 1.0 / x, 0.0),  # ZeroDivisionError; NumPy gives inf
        (lambda x: x**0.5, -8.0),  # math.pow raises; NumPy gives nan
    ],
)
def test_where_math_raises_the_replay_gives_numpys_value(f, x):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        want = float(f(np.float64(x)))
        got = pb.jit(f)(x)
    assert type(got) is float
    assert got == want or (math.isnan(got) and math.isnan(want))


def test_comparisons_and_where_in_float_arithmetic():
    def f(x):
        return pnp.where(x > 0.0, pnp.log(x), 0.0) + pnp.maximum(x, 0.5)

    jf = pb.jit(pb.value_and_grad(f))
    for x in (2.0, 0.0, -1.0):
        assert jf(x) == pytest.approx(pb.value_and_grad(f)(x), rel=1e-15)
    (compiled_,) = jf.cache.values()
    assert compiled_.scalars is not None


def test_graphs_with_arrays_have_no_float_path():
    run = compile_scalars(pb.trace(lambda x: pnp.sum(pnp.sin(x)), np.ones(2)))
    assert run is None


SCALAR_CASES = [c for c in ELEMENTWISE + TRANSCENDENTAL if c.nargs <= 2]


@pytest.mark.parametrize("case", SCALAR_CASES[::2], ids=lambda c: c.name)
def test_float_replay_equals_eager_on_the_op_table(case):
    rng = np.random.default_rng(1)
    for _ in range(POINTS):
        args = tuple(float(case.sampler(i)(rng, ())) for i in range(case.nargs))
        want = case.fn(*args)
        assert np.allclose(pb.jit(case.fn)(*args), want, rtol=1e-13, atol=0, equal_nan=True)
        if np.issubdtype(np.asarray(want).dtype, np.floating):
            g_want = pb.grad(case.fn, argnums=tuple(range(case.nargs)))(*args)
            g_got = pb.jit(pb.grad(case.fn, argnums=tuple(range(case.nargs))))(*args)
            assert np.allclose(g_got, g_want, rtol=1e-13, atol=0, equal_nan=True)


@pytest.mark.parametrize(
    ("kernel", "strides", "padding"),
    [
        ((3, 3), (1, 1), ((0, 0), (0, 0))),
        ((1, 1), (1, 1), ((0, 0), (0, 0))),
        ((2, 3), (2, 1), ((1, 0), (0, 2))),
    ],
)
def test_filter_gradient_replays_on_the_forward_patches_bit_for_bit(kernel, strides, padding):
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal((2, 7, 6, 3)), rng.standard_normal((*kernel, 3, 4))
    geo = {"strides": strides, "padding": padding, "dilation": (1, 1)}

    def loss(x, w):
        return pnp.sum(pnp.tanh(ops.conv2d(x, w, **geo)))

    graph = optimize(pb.trace(pb.grad(loss, argnums=(0, 1)), x, w))
    run = compile_arrays(graph)
    fns = [step[0] for step in run.steps]
    assert ops._conv2d_with_patches in fns and ops._filter_grad_of_patches in fns
    for got, want in zip(run(x, w), graph(x, w)):
        np.testing.assert_array_equal(got, want)


def test_patches_are_not_shared_between_different_kernel_sizes():
    geo = {"strides": (1, 1), "padding": ((0, 0), (0, 0)), "dilation": (1, 1)}
    x = np.random.default_rng(6).standard_normal((1, 6, 6, 2))
    w3, w2 = np.ones((3, 3, 2, 1)), np.ones((2, 2, 2, 1))

    def loss(w2):
        return pnp.sum(ops.conv2d(x, w3, **geo)) + pnp.sum(ops.conv2d(x, w2, **geo) ** 2)

    graph = optimize(pb.trace(pb.grad(loss), w2))
    producers, consumers = _shared_residuals(graph)
    (producer,) = producers
    assert graph.equations[producer].inputs[1] == graph.invars[0]  # the 2x2 kernel's conv
    assert [j for j, _ in consumers.values()] == [producer]
    np.testing.assert_array_equal(compile_arrays(graph)(w2)[0], graph(w2))
