import numpy as np
import pytest

import pullback as pb
import pullback.numpy as pnp

from .harness import OpCase, case_ids, run_case

SCALAR = [((),)]
NONEMPTY = [((3,),), ((3, 4),), ((2, 3, 4),)]
EMPTY = [((0, 3),)]
CUBE = [((2, 3, 4),)]


def reduction_cases(name, fn, none_shapes, atol=1e-8, **params):
    """One OpCase per axis/keepdims variant of the reduction ``fn(x, axis=, keepdims=)``."""
    variants = [
        ("axis=None", {"axis": None}, none_shapes),
        ("axis=0", {"axis": 0}, NONEMPTY),
        ("axis=-1", {"axis": -1}, NONEMPTY + EMPTY),
        ("axis=(0,2)", {"axis": (0, 2)}, CUBE),
        ("axis=-1,keepdims", {"axis": -1, "keepdims": True}, NONEMPTY + EMPTY),
        ("axis=None,keepdims", {"axis": None, "keepdims": True}, none_shapes),
    ]
    return [
        OpCase(
            lambda x, kw={**kw, **params}: fn(x, **kw),
            shapes=shapes,
            atol=atol,
            name=f"{name}[{label}]",
        )
        for label, kw, shapes in variants
    ]


def cumulative_cases(name, fn):
    variants = [
        ("axis=None", None, SCALAR + NONEMPTY + EMPTY),
        ("axis=0", 0, NONEMPTY),
        ("axis=-1", -1, NONEMPTY + EMPTY),
    ]
    return [
        OpCase(lambda x, axis=axis: fn(x, axis=axis), shapes=shapes, name=f"{name}[{label}]")
        for label, axis, shapes in variants
    ]


ALL = SCALAR + NONEMPTY + EMPTY
CASES = [
    *reduction_cases("sum", pnp.sum, ALL),
    *reduction_cases("prod", pnp.prod, ALL),
    *reduction_cases("max", pnp.max, SCALAR + NONEMPTY),
    *reduction_cases("min", pnp.min, SCALAR + NONEMPTY),
    *reduction_cases("ptp", pnp.ptp, SCALAR + NONEMPTY),
    *reduction_cases("mean", pnp.mean, SCALAR + NONEMPTY),
    *reduction_cases("var", pnp.var, SCALAR + NONEMPTY),
    *reduction_cases("var_ddof1", pnp.var, NONEMPTY, ddof=1),
    # NOTE: no scalar for std: var is 0 there, and sqrt's slope at 0 is infinite. Over an axis
    # of length 2 std is |a - b| / 2, whose zero 3rd derivative (full matrix) has FD noise ~1e-8.
    *reduction_cases("std", pnp.std, NONEMPTY, atol=1e-7),
    *cumulative_cases("cumsum", pnp.cumsum),
    *cumulative_cases("cumprod", pnp.cumprod),
    OpCase(
        lambda x, w: pnp.average(x, weights=w),
        nargs=2,
        domain=[(-2.0, 2.0), (0.5, 2.0)],
        shapes=[((3,), (3,)), ((2, 3, 4), (2, 3, 4))],
        name="average[weights,axis=None]",
    ),
    OpCase(
        lambda x, w: pnp.average(x, axis=-1, weights=w),
        nargs=2,
        domain=[(-2.0, 2.0), (0.5, 2.0)],
        shapes=[((3, 4), (4,)), ((0, 3), (3,)), ((2, 3, 4), (2, 3, 4))],
        name="average[weights,axis=-1]",
    ),
    OpCase(lambda x: pnp.average(x, axis=(0, 2)), shapes=CUBE, name="average[axis=(0,2)]"),
]


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_op_gradients_match_finite_differences(case):
    run_case(case)


# --- values against NumPy ----------------------------------------------------------------

VALUE_CALLS = [
    ("sum", {"axis": (0, 2)}),
    ("prod", {"axis": 1, "keepdims": True}),
    ("max", {"axis": -1}),
    ("amax", {"axis": 0}),
    ("min", {"axis": None, "keepdims": True}),
    ("amin", {"axis": (0, 1)}),
    ("ptp", {"axis": 1}),
    ("mean", {"axis": (1, 2), "keepdims": True}),
    ("var", {"axis": 0, "ddof": 1}),
    ("std", {"axis": -1, "ddof": 1, "keepdims": True}),
    ("cumsum", {}),
    ("cumsum", {"axis": 1}),
    ("cumprod", {"axis": -1}),
    ("average", {"axis": 2}),
    ("argmax", {}),
    ("argmax", {"axis": 1, "keepdims": True}),
    ("argmin", {"axis": -1}),
    ("all", {"axis": 0}),
    ("any", {"axis": (0, 2), "keepdims": True}),
    ("count_nonzero", {"axis": 1}),
]


@pytest.mark.parametrize(("name", "kwargs"), VALUE_CALLS, ids=[n for n, _ in VALUE_CALLS])
def test_values_match_numpy(name, kwargs):
    x = np.random.default_rng(0).uniform(-2, 2, (2, 3, 4))
    x[0, 1] = 0.0
    np.testing.assert_allclose(getattr(pnp, name)(x, **kwargs), getattr(np, name)(x, **kwargs))


def test_mean_of_integers_is_float64_like_numpy():
    got = pnp.mean(np.arange(4))
    assert got.dtype == np.float64 and got == 1.5


def test_mean_keeps_float32():
    assert pnp.mean(np.ones(3, np.float32)).dtype == np.float32


def test_average_returned_gives_sum_of_weights_broadcast():
    x = np.arange(6.0).reshape(2, 3)
    avg, total = pnp.average(x, axis=1, weights=np.array([1.0, 2.0, 3.0]), returned=True)
    want_avg, want_total = np.average(x, axis=1, weights=[1.0, 2.0, 3.0], returned=True)
    np.testing.assert_allclose(avg, want_avg)
    np.testing.assert_allclose(total, want_total)


def test_average_rejects_weights_that_do_not_fit():
    with pytest.raises(ValueError, match="weights of shape"):
        pnp.average(np.ones((2, 3)), weights=np.ones(3))


def test_reductions_reject_out():
    with pytest.raises(TypeError, match="out="):
        pnp.mean(np.ones(3), out=np.empty(()))


def test_non_differentiable_reductions_give_untracked_values_under_grad():
    def f(x):
        assert int(pnp.argmax(x)) == 2 and bool(pnp.any(x)) and not bool(pnp.all(x))
        return pnp.sum(x) * pnp.count_nonzero(x)

    np.testing.assert_array_equal(pb.grad(f)(np.array([1.0, 0.0, 2.0])), [2.0, 2.0, 2.0])


# --- max and min: ties (RELIABILITY H3) --------------------------------------------------


def test_max_ties_split_the_gradient_evenly():
    np.testing.assert_array_equal(pb.grad(pnp.max)(np.array([1.0, 3.0, 3.0])), [0.0, 0.5, 0.5])


def test_min_ties_split_the_gradient_evenly_in_forward_mode():
    _, t = pb.jvp(pnp.min, (np.array([2.0, 2.0, 5.0]),), (np.array([1.0, 3.0, 7.0]),))
    assert t == 2.0


def test_max_of_a_stacked_input_has_total_gradient_one_and_zero_curvature():
    def f(x):
        return pnp.max(pnp.broadcast_to(x, (2,)))

    assert pb.grad(f)(1.0) == 1.0
    assert pb.grad(pb.grad(f))(1.0) == 0.0


def test_max_second_derivative_is_zero_at_ties():
    x = np.array([1.0, 3.0, 3.0])
    v = np.array([0.3, -1.0, 2.0])
    hv = pb.grad(lambda x: pnp.sum(pb.grad(pnp.max)(x) * v))(x)
    np.testing.assert_array_equal(hv, np.zeros(3))


def test_max_ties_split_along_an_axis():
    x = np.array([[1.0, 1.0], [0.0, 2.0]])
    np.testing.assert_array_equal(
        pb.grad(lambda x: pnp.sum(pnp.max(x, axis=1)))(x), [[0.5, 0.5], [0.0, 1.0]]
    )


# --- prod and cumprod with zeros ---------------------------------------------------------


def test_prod_gradient_with_one_zero():
    np.testing.assert_array_equal(pb.grad(pnp.prod)(np.array([2.0, 0.0, 4.0])), [0.0, 8.0, 0.0])


def test_prod_gradient_with_two_zeros():
    np.testing.assert_array_equal(pb.grad(pnp.prod)(np.array([0.0, 0.0, 4.0])), [0.0, 0.0, 0.0])


def test_prod_second_derivative_with_zeros():
    # d2 prod / dx_i dx_j = product of the entries other than i and j.
    def row(i):
        return pb.grad(lambda x: pb.grad(pnp.prod)(x)[i])

    np.testing.assert_array_equal(row(1)(np.array([2.0, 0.0, 4.0])), [4.0, 0.0, 2.0])
    np.testing.assert_array_equal(row(0)(np.array([0.0, 0.0, 4.0])), [0.0, 4.0, 0.0])


def test_prod_gradient_with_zeros_along_an_axis_in_forward_and_reverse():
    x = np.array([[2.0, 0.0, 3.0], [1.0, 5.0, 2.0]])
    want = np.array([[0.0, 6.0, 0.0], [10.0, 2.0, 5.0]])
    np.testing.assert_array_equal(pb.grad(lambda x: pnp.sum(pnp.prod(x, axis=1)))(x), want)
    _, t = pb.jvp(lambda x: pnp.prod(x, axis=1), (x,), (np.ones_like(x),))
    np.testing.assert_array_equal(t, want.sum(axis=1))


def test_cumprod_gradient_with_a_zero():
    x = np.array([2.0, 0.0, 3.0, 4.0])
    np.testing.assert_array_equal(pb.grad(lambda x: pnp.sum(pnp.cumprod(x)))(x), [1, 32, 0, 0])
    # d/dx of d(sum cumprod)/dx_2 = [x1 + x1 x3, x0 + x0 x3, 0, x0 x1]
    hess_row = pb.grad(lambda x: pb.grad(lambda y: pnp.sum(pnp.cumprod(y)))(x)[2])(x)
    np.testing.assert_array_equal(hess_row, [0.0, 10.0, 0.0, 0.0])


def test_cumulative_ops_flatten_when_axis_is_none():
    x = np.arange(1.0, 7.0).reshape(2, 3)
    g = pb.grad(lambda x: pnp.cumsum(x)[3])(x)
    np.testing.assert_array_equal(g, [[1.0, 1.0, 1.0], [1.0, 0.0, 0.0]])
