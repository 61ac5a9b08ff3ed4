import numpy as np
import pytest

import pullback as pb
import pullback.numpy as pnp


def test_operators_on_tensors_match_numpy():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0, 2.0])
    ta, tb = pb.tensor(a), pb.tensor(b)
    for op in (
        lambda x, y: x + y,
        lambda x, y: x - y,
        lambda x, y: x * y,
        lambda x, y: x / y,
        lambda x, y: -x + 2.0 * y,
        lambda x, y: x**2.0,
        lambda x, y: 2.0 / x,
        lambda x, y: x > y,
    ):
        assert np.array_equal(op(ta, tb).numpy(), op(a, b))


@pytest.mark.parametrize(
    "method",
    [
        lambda x: x.cumprod(),
        lambda x: x.cumprod(axis=1),
        lambda x: x.argsort(axis=0),
        lambda x: x.diagonal(),
        lambda x: x.diagonal(1),
        lambda x: x.trace(),
        lambda x: x.trace(-1),
        lambda x: x.repeat(2, axis=1),
        lambda x: x.take([0, 0, 3]),
        lambda x: x.take([1, 0], axis=1),
        lambda x: x.nonzero()[1],
        lambda x: x.conj(),
        lambda x: x.conjugate(),
        lambda x: x.real,
    ],
)
def test_ndarray_methods_match_numpy_and_differentiate(method):
    a = np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -0.25]])
    np.testing.assert_array_equal(np.asarray(method(pb.tensor(a)).numpy()), method(a))
    if np.asarray(method(a)).dtype.kind == "f":
        pb.check_grads(lambda x: method(x), (a,), order=2)


def test_divmod_and_round_builtins():
    t = pb.tensor([7.5, -2.25])
    quotient, remainder = divmod(t, 2.0)
    np.testing.assert_array_equal(quotient.numpy(), [3.0, -2.0])
    np.testing.assert_array_equal(remainder.numpy(), [1.5, 1.75])
    np.testing.assert_array_equal(divmod(10.0, t)[1].numpy(), np.mod(10.0, [7.5, -2.25]))
    np.testing.assert_array_equal(round(t).numpy(), [8.0, -2.0])
    np.testing.assert_array_equal(round(t, 1).numpy(), np.round([7.5, -2.25], 1))
    assert pb.grad(lambda x: divmod(x, 2.0)[1])(7.5) == 1.0


def test_in_place_sort_is_refused_with_the_functional_alternative():
    with pytest.raises(TypeError, match=r"x = pnp.sort\(x, axis\)"):
        pb.tensor([2.0, 1.0]).sort()
    np.testing.assert_array_equal(np.sort(pb.tensor([2.0, 1.0])).numpy(), [1.0, 2.0])


def test_ndarray_on_the_left_dispatches_to_the_tensor():
    out = np.ones(3) * pb.tensor([1.0, 2.0, 3.0])
    assert isinstance(out, pb.Tensor)
    g = pb.grad(lambda x: pnp.sum(np.arange(3.0) * x))(np.ones(3))
    assert np.array_equal(g, [0.0, 1.0, 2.0])


def test_numpy_functions_return_tensors_for_tensors():
    t = pb.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert isinstance(np.sin(t), pb.Tensor)
    assert isinstance(np.sum(t, axis=0), pb.Tensor)
    assert isinstance(t @ t, pb.Tensor)


def test_pnp_on_plain_arrays_returns_plain_arrays():
    assert type(pnp.sin(np.ones(2))) is np.ndarray


def test_untracked_tensor_converts_implicitly():
    t = pb.tensor([1.0, 2.0])
    assert np.asarray(t).tolist() == [1.0, 2.0]
    assert float(pb.tensor(3.0)) == 3.0


def test_tracked_tensor_refuses_implicit_conversion():
    with pytest.raises(TypeError, match="lose its gradient.*stop_gradient"):
        pb.grad(lambda x: pnp.sum(np.asarray(x)))(np.ones(2))


def test_unsupported_numpy_function_on_a_tracked_tensor_names_it():
    with pytest.raises(NotImplementedError, match=r"np\.fft.*pb\.primitive"):
        pb.grad(lambda x: pnp.sum(np.fft.fft(x).real))(np.ones(4))


def test_unsupported_numpy_function_on_an_untracked_tensor_just_works():
    out = np.fft.fft(pb.tensor(np.ones(4)))
    assert np.allclose(np.asarray(out), np.fft.fft(np.ones(4)))


def test_item_assignment_is_refused_with_the_functional_alternative():
    t = pb.tensor([1.0, 2.0])
    with pytest.raises(TypeError, match=r"\.at\[idx\]\.set"):
        t[0] = 5.0


def test_shape_properties():
    t = pb.tensor(np.zeros((2, 3), np.float32))
    assert (t.shape, t.ndim, t.size, t.dtype) == ((2, 3), 2, 6, np.float32)
    assert t.T.shape == (3, 2)


def test_repr_mentions_tracking_only_while_tracked():
    seen = []
    pb.grad(lambda x: seen.append(repr(x)) or x)(1.0)
    assert "tracked by grad" in seen[0]
    assert repr(pb.tensor(1.5)) == "tensor(1.5)"


def test_tensor_of_a_tracked_tensor_keeps_its_gradient():
    g = pb.grad(lambda x: pnp.sum(pb.tensor(x) * 3.0))(np.ones(2))
    assert np.array_equal(g, [3.0, 3.0])


def test_tensor_constructor_refuses_a_tracked_tensor():
    with pytest.raises(TypeError, match="lose its gradient"):
        pb.grad(lambda x: pnp.sum(pb.Tensor(x)))(np.ones(2))
