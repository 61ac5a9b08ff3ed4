"""Engine-level hazards from RELIABILITY.md: depth, lifetime, threads, mutation, determinism."""

import gc
import sys
import threading
import weakref

import numpy as np
import pytest

import pullback as pb
import pullback.numpy as pnp
from pullback.transforms.reverse import Node


def test_million_op_chain_differentiates_at_the_default_recursion_limit():
    limit = sys.getrecursionlimit()

    def chain(x):
        y = x
        for _ in range(500_000):
            y = y * 0.5 + x
        return pnp.sum(y)

    g = pb.grad(chain)(np.ones(1))
    assert sys.getrecursionlimit() == limit
    # d/dx of y_{n+1} = y_n / 2 + x, y_0 = x: converges to 2.
    assert g == pytest.approx([2.0], rel=1e-12)


def test_deleting_an_unused_million_node_graph_does_not_crash():
    def build(x):
        y = x
        for _ in range(500_000):
            y = y * 0.5 + x
        return pnp.sum(y)

    out, back = pb.vjp(build, np.ones(1))
    del back
    gc.collect()
    assert out == pytest.approx(2.0)


def _live_nodes() -> int:
    return sum(isinstance(o, Node) for o in gc.get_objects())


def test_no_intermediate_is_alive_after_grad_returns():
    refs = []

    def f(x):
        y = pnp.sin(x) * x
        refs.append(weakref.ref(y))
        refs.append(weakref.ref(y._node))
        return pnp.sum(y * y)

    pb.grad(f)(np.ones(3))
    assert all(r() is None for r in refs)


def test_grad_leaves_no_cycles_for_the_garbage_collector():
    def f(x):
        return pnp.sum(pnp.tanh(x @ np.ones((3, 3))) ** 2)

    pb.grad(f)(np.ones((2, 3)))
    gc.collect()
    gc.disable()
    try:
        for _ in range(50):
            pb.grad(f)(np.ones((2, 3)))
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_pullback_releases_the_graph_when_dropped():
    out, back = pb.vjp(lambda x: pnp.sin(x) * x, np.ones(3))
    ref = weakref.ref(back)
    del back
    assert ref() is None


def test_threads_compute_the_serial_results():
    def f(x):
        return pnp.sum(pnp.sin(x) * pnp.exp(x / 3))

    g3 = pb.grad(pb.grad(pb.grad(lambda s: pnp.sin(s) * s)))
    inputs = [np.linspace(-1, 1, 5) + i for i in range(8)]
    serial = [(pb.grad(f)(x), g3(float(x[0]))) for x in inputs]
    results = [None] * 8
    errors = []

    def work(i):
        try:
            for _ in range(50):
                results[i] = (pb.grad(f)(inputs[i]), g3(float(inputs[i][0])))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for (g, h), (sg, sh) in zip(results, serial):
        assert np.array_equal(g, sg) and h == sh


def test_grad_does_not_mutate_its_input():
    x = np.array([1.0, 2.0, 3.0])
    before = x.copy()
    pb.grad(lambda x: pnp.sum(x * x))(x)
    assert np.array_equal(x, before) and x.flags.writeable


def test_pullback_twice_is_bit_identical():
    _, back = pb.vjp(lambda x: pnp.tanh(x) @ np.arange(6.0).reshape(3, 2), np.linspace(0, 1, 3))
    ct = np.array([0.3, -1.7])
    assert np.array_equal(back(ct)[0], back(ct)[0])


def test_zero_cotangent_gives_exact_zeros():
    _, back = pb.vjp(lambda x: pnp.exp(x) * pnp.sin(x), np.linspace(0, 1, 4))
    assert np.array_equal(back(np.zeros(4))[0], np.zeros(4))


def test_unused_outputs_get_zero_cotangents():
    _, back = pb.vjp(lambda x: (x * 2.0, pnp.exp(x)), np.ones(2))
    (g,) = back((np.ones(2), np.zeros(2)))
    assert np.array_equal(g, [2.0, 2.0])


def test_a_value_leaked_from_a_finished_grad_is_a_constant():
    leaked = []

    def f(x):
        leaked.append(x * 3.0)
        return pnp.sum(x)

    pb.grad(f)(np.ones(2))
    # The outer grad sees the leaked value as a constant (its transform has ended).
    g = pb.grad(lambda y: pnp.sum(y * leaked[0]))(np.ones(2))
    assert np.array_equal(g, [3.0, 3.0])


@pytest.mark.parametrize(
    "outer, inner",
    [("rev", "rev"), ("fwd", "fwd"), ("fwd", "rev"), ("rev", "fwd")],
)
def test_no_perturbation_confusion_in_any_nesting(outer, inner):
    def d(f, mode):
        if mode == "rev":
            return pb.grad(f)
        return lambda x: pb.jvp(f, (x,), (1.0,))[1]

    def f(x):
        return x * d(lambda y: x + y, inner)(1.0)

    def g(x):
        return x * d(lambda y: x * y, inner)(2.0)

    assert d(f, outer)(1.0) == 1.0
    assert d(f, outer)(3.5) == 1.0
    assert d(g, outer)(1.0) == 2.0


def test_fifth_derivative_of_sin():
    f = pnp.sin
    for _ in range(5):
        f = pb.grad(f)
    assert f(0.4) == pytest.approx(np.cos(0.4), abs=1e-12)


def test_custom_gradient_closing_over_its_output_does_not_leak():
    refs = []

    @pb.custom_gradient
    def f(x):
        y = pnp.exp(x)
        refs.append(weakref.ref(y))
        return y, lambda g: g * y

    pb.grad(lambda x: pnp.sum(f(x)))(np.ones(3))
    gc.collect()
    assert refs[0]() is None


def test_grad_inside_a_custom_backward_is_reentrant():
    @pb.custom_vjp
    def f(x):
        return pnp.sin(x)

    f.defvjp(lambda x: (pnp.sin(x), x), lambda x, g: (g * pb.grad(pnp.sin)(x),))
    assert pb.grad(f)(0.3) == pytest.approx(np.cos(0.3), rel=1e-15)
    assert pb.grad(pb.grad(f))(0.3) == pytest.approx(-np.sin(0.3), rel=1e-14)


def test_jit_and_checkpoint_leave_their_inputs_untouched():
    x = np.linspace(0, 1, 5)
    before = x.copy()
    pb.jit(lambda x: pnp.sum(pnp.sin(x)))(x)
    pb.grad(lambda x: pnp.sum(pb.checkpoint(pnp.exp)(x)))(x)
    pb.grad(pb.jit(lambda x: pnp.sum(x * x)))(x)
    assert np.array_equal(x, before) and x.flags.writeable


def test_the_collector_is_restored_after_transforms_and_errors():
    assert gc.isenabled()
    pb.grad(lambda x: pnp.sum(pnp.sin(x)))(np.ones(3))
    with pytest.raises(TypeError):
        pb.grad(lambda x: x * 2)(np.ones(3))  # non-scalar output: raises after the level
    assert gc.isenabled()
    gc.disable()
    try:
        pb.grad(lambda x: pnp.sum(x))(np.ones(2))
        assert not gc.isenabled()  # a user's choice to disable it is kept
    finally:
        gc.enable()
