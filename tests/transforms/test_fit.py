import numpy as np
import pytest

import pullback as pb
from pullback.transforms._fit import sum_to


@pytest.mark.parametrize(
    ("gshape", "shape"),
    [((1440, 6), (6,)), ((10, 12, 12, 6), (6,)), ((10, 12, 12, 6), (12, 6)), ((100, 0), (0,))],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sum_to_leading_axes_agrees_with_numpy(gshape, shape, dtype):
    g = np.random.default_rng(0).standard_normal(gshape).astype(dtype)
    lead = len(gshape) - len(shape)
    got = sum_to(g, shape)
    assert got.shape == shape and got.dtype == dtype
    np.testing.assert_allclose(got, g.sum(axis=tuple(range(lead))), rtol=1e-5, atol=1e-4)


def test_gradient_of_an_empty_bias_is_empty():
    assert pb.grad(lambda b: (np.zeros((100, 0)) + b).sum())(np.zeros(0)).shape == (0,)


def test_sum_to_of_integer_or_strided_rows_takes_numpy_reduction():
    g = np.arange(1440 * 6).reshape(1440, 6)
    assert (sum_to(g, (6,)) == g.sum(axis=0)).all()
    gt = np.random.default_rng(1).standard_normal((6, 1440)).T
    np.testing.assert_allclose(sum_to(gt, (6,)), gt.sum(axis=0), rtol=1e-12)


def test_a_traced_bias_gradient_is_one_product_and_stays_differentiable():
    x = np.random.default_rng(2).standard_normal((300, 4))

    def loss(b):
        return ((x + b) ** 3).sum()

    b = np.array([0.1, -0.2, 0.3, 0.0])
    graph = pb.trace(pb.grad(loss), b)
    assert "matmul" in [eqn.primitive for eqn in graph.equations]
    np.testing.assert_allclose(pb.jit(pb.grad(loss))(b), 3 * ((x + b) ** 2).sum(0), rtol=1e-12)
    pb.check_grads(loss, (b,), order=2, modes=("rev", "fwd"))
