import numpy as np
import pytest

import pullback as pb
import pullback.numpy as pnp

from .harness import OpCase, case_ids, run_case

ANY = [((),), ((3,),), ((3, 4),), ((2, 3, 4),), ((0, 3),)]
MATRICES = [((3, 4),), ((1, 4),), ((3, 1),), ((0, 3),)]
AT_LEAST_2D = [((3, 4),), ((1, 4),), ((2, 3, 4),), ((0, 3),)]
ROWS = [((2, 3), (4, 3)), ((1, 3), (1, 3)), ((0, 3), (2, 3)), ((0, 3), (0, 3))]
SAME = [((), ()), ((3,), (3,)), ((2, 1), (2, 1)), ((0, 3), (0, 3))]


def case(fn, name, shapes=ANY, nargs=1):
    return OpCase(fn, nargs, shapes=shapes, order=2, name=name)


CASES = [
    # reshaping
    case(lambda x: pnp.reshape(x, (-1, 2)), "reshape(-1,2)", [((4,),), ((2, 3, 2),), ((0, 3),)]),
    case(pnp.ravel, "ravel"),
    case(lambda x: pnp.squeeze(x), "squeeze", [((1, 3, 1),), ((1,),), ((0, 1, 3),)]),
    case(lambda x: pnp.squeeze(x, axis=-1), "squeeze(axis=-1)", [((3, 1),), ((0, 1),)]),
    case(lambda x: pnp.expand_dims(x, (0, -1)), "expand_dims(0,-1)"),
    case(lambda x: pnp.broadcast_to(x, (2, 3, 4)), "broadcast_to", [((),), ((4,),), ((3, 1),)]),
    case(lambda x: pnp.atleast_1d(x), "atleast_1d"),
    case(lambda x: pnp.atleast_2d(x), "atleast_2d"),
    case(lambda x: pnp.atleast_3d(x), "atleast_3d"),
    # permuting axes
    case(pnp.transpose, "transpose"),
    case(lambda x: pnp.transpose(x, (1, 2, 0)), "transpose(1,2,0)", [((2, 3, 4),), ((1, 3, 1),)]),
    case(lambda x: pnp.swapaxes(x, 0, -1), "swapaxes(0,-1)", AT_LEAST_2D),
    case(lambda x: pnp.moveaxis(x, 0, -1), "moveaxis(0,-1)", AT_LEAST_2D),
    case(lambda x: pnp.moveaxis(x, (0, 1), (2, 0)), "moveaxis((0,1),(2,0))", [((2, 3, 4),)]),
    # joining
    case(lambda x, y: pnp.concatenate([x, y]), "concatenate", ROWS, 2),
    case(
        lambda x, y: pnp.concatenate([x, y], axis=-1),
        "concatenate(axis=-1)",
        [((2, 1), (2, 3)), ((0, 3), (0, 1))],
        2,
    ),
    case(
        lambda x, y: pnp.concatenate((x, y), axis=None),
        "concatenate(axis=None)",
        [((2, 3), (4,)), ((), (0, 3))],
        2,
    ),
    case(
        lambda x, y, z: pnp.concatenate([x, y, z, x], axis=1),
        "concatenate(3 arrays, axis=1)",
        [((2, 1), (2, 3), (2, 2)), ((0, 1), (0, 2), (0, 1))],
        3,
    ),
    case(lambda x, y: pnp.stack([x, y]), "stack", SAME, 2),
    case(lambda x, y: pnp.stack([x, y, x], axis=-1), "stack(axis=-1)", SAME, 2),
    case(lambda x, y: pnp.hstack([x, y]), "hstack", SAME + [((2, 1), (2, 3))], 2),
    case(lambda x, y: pnp.vstack([x, y]), "vstack", SAME + ROWS, 2),
    case(lambda x, y: pnp.dstack([x, y]), "dstack", SAME, 2),
    # splitting (list outputs)
    case(lambda x: pnp.split(x, 2), "split(2)", [((4,),), ((2, 3),), ((0, 3),)]),
    case(lambda x: pnp.split(x, [1, 3], axis=-1), "split([1,3])", [((2, 5),), ((0, 3),)]),
    case(lambda x: pnp.array_split(x, 3, axis=1), "array_split(3)", [((2, 4),), ((3, 1),)]),
    # rearranging entries
    case(lambda x: pnp.tile(x, (2, 1)), "tile((2,1))"),
    case(lambda x: pnp.tile(x, 3), "tile(3)", [((),), ((1, 2),), ((0, 3),)]),
    case(lambda x: pnp.repeat(x, 2), "repeat(2)"),
    case(lambda x: pnp.repeat(x, [1, 0, 3], axis=1), "repeat([1,0,3])", [((2, 3),), ((0, 3),)]),
    case(pnp.flip, "flip"),
    case(lambda x: pnp.flip(x, -1), "flip(-1)", MATRICES),
    case(pnp.fliplr, "fliplr", MATRICES),
    case(pnp.flipud, "flipud", MATRICES),
    case(lambda x: pnp.roll(x, 2), "roll(2)"),
    case(lambda x: pnp.roll(x, (1, -5), axis=(0, 1)), "roll((1,-5))", MATRICES),
    case(lambda x: pnp.roll(x, 1, axis=0), "roll(1, axis=0)", [((0, 3),), ((1, 3),)]),
    case(lambda x: pnp.pad(x, 1), "pad(1)"),
    case(
        lambda x: pnp.pad(x, ((1, 0), (0, 2)), constant_values=2.5),
        "pad(constant_values=2.5)",
        MATRICES,
    ),
    case(lambda x: pnp.pad(x, 2, mode="edge"), "pad(edge)", [((3,),), ((3, 4),), ((1, 2),)]),
    case(lambda x: pnp.pad(x, (2, 1), mode="reflect"), "pad(reflect)", [((3,),), ((3, 4),)]),
    case(lambda x: pnp.pad(x, 3, mode="symmetric"), "pad(symmetric)", [((2, 3),)]),
    case(lambda x: pnp.pad(x, ((0, 1), (4, 0)), mode="wrap"), "pad(wrap)", [((2, 3),)]),
    case(lambda x: pnp.sort(x), "sort", ANY[1:]),
    case(lambda x: pnp.sort(x, axis=0), "sort(axis=0)", MATRICES),
    case(lambda x: pnp.sort(x, axis=None), "sort(axis=None)", ANY),
    # compositions
    case(
        lambda x: pnp.concatenate([pnp.flip(x, 0), pnp.tile(x[:1], (2, 1))]) ** 2,
        "concatenate(flip, tile) ** 2",
        MATRICES,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_op_gradients_match_finite_differences(case):
    run_case(case)


# --- values match NumPy ------------------------------------------------------------------

X = np.arange(24.0).reshape(2, 3, 4)

SAME_AS_NUMPY = [
    ("moveaxis", lambda m, x: m.moveaxis(x, [0, -1], [-1, 1])),
    ("expand_dims", lambda m, x: m.expand_dims(x, (1, 4))),
    ("squeeze", lambda m, x: m.squeeze(x[:1, :, 1:2])),
    ("atleast_3d", lambda m, x: m.atleast_3d(x[0, 0])),
    ("atleast_2d", lambda m, x: m.atleast_2d(x[0, 0, 0])),
    ("tile", lambda m, x: m.tile(x[0], (2, 1, 3))),
    ("repeat", lambda m, x: m.repeat(x, [2, 0, 1], axis=1)),
    ("roll", lambda m, x: m.roll(x, (-7, 2), axis=(2, 0))),
    ("roll(None)", lambda m, x: m.roll(x, 5)),
    ("pad", lambda m, x: m.pad(x, ((0, 1), (2, 0), (1, 1)), constant_values=-1.0)),
    ("pad(reflect)", lambda m, x: m.pad(x, 2, mode="reflect")),
    ("hstack", lambda m, x: m.hstack([x, x[:, :1]])),
    ("dstack", lambda m, x: m.dstack([x[0], x[1]])),
    ("sort", lambda m, x: m.sort(m.sin(x), axis=1)),
    ("argsort", lambda m, x: m.argsort(m.sin(x), axis=0)),
    ("flip", lambda m, x: m.flip(x, (0, 2))),
]


@pytest.mark.parametrize("fn", [f for _, f in SAME_AS_NUMPY], ids=[n for n, _ in SAME_AS_NUMPY])
def test_values_match_numpy(fn):
    np.testing.assert_array_equal(fn(pnp, X), fn(np, X))


def test_split_pieces_match_numpy():
    for parts in (3, [1, -1], [2, 1, 10]):
        got = pnp.array_split(X, parts, axis=2)
        want = np.array_split(X, parts, axis=2)
        assert len(got) == len(want)
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)


def test_split_into_unequal_sections_raises():
    with pytest.raises(ValueError, match="equal division"):
        pnp.split(np.ones(5), 2)


def test_squeeze_of_an_axis_longer_than_one_raises():
    with pytest.raises(ValueError, match="axis 1"):
        pnp.squeeze(np.ones((1, 3)), axis=1)


def test_stack_of_different_shapes_raises():
    with pytest.raises(ValueError, match="same shape"):
        pnp.stack([np.ones(2), np.ones(3)])


def test_pad_mode_that_computes_values_raises():
    with pytest.raises(ValueError, match="mean"):
        pnp.pad(np.ones(3), 1, mode="mean")


def test_tensor_in_gives_tensor_out():
    t = pb.tensor(X)
    assert isinstance(pnp.concatenate([t, X]), pb.Tensor)
    assert isinstance(pnp.argsort(t), pb.Tensor)
    assert all(isinstance(p, pb.Tensor) for p in pnp.split(t, 2))


def test_argsort_has_no_gradient():
    def f(x):
        order = pnp.argsort(x)
        assert not isinstance(order, pb.Tensor)
        return (x * order).sum()

    np.testing.assert_array_equal(pb.grad(f)(np.array([3.0, 1.0, 2.0])), [1.0, 2.0, 0.0])


def test_sort_gradient_follows_entries():
    g = pb.grad(lambda x: (pnp.sort(x) * np.array([1.0, 10.0, 100.0])).sum())
    np.testing.assert_array_equal(g(np.array([3.0, 1.0, 2.0])), [100.0, 1.0, 10.0])


def test_concatenate_of_float32_and_float64_casts_each_gradient():
    a = np.ones(2, np.float32)
    ga, gb = pb.grad(lambda a, b: (pnp.concatenate([a, b]) * 3).sum(), argnums=(0, 1))(
        a, np.ones(1)
    )
    assert ga.dtype == np.float32 and gb.dtype == np.float64
    np.testing.assert_array_equal(ga, [3.0, 3.0])


def test_pad_edge_gradient_accumulates_on_the_edges():
    g = pb.grad(lambda x: pnp.pad(x, 2, mode="edge").sum())(np.zeros(3))
    np.testing.assert_array_equal(g, [3.0, 1.0, 3.0])


def test_tile_and_repeat_gradients_count_copies():
    x = np.zeros((2, 2))
    np.testing.assert_array_equal(
        pb.grad(lambda x: pnp.tile(x, (3, 1)).sum())(x), 3 * np.ones((2, 2))
    )
    g = pb.grad(lambda x: pnp.repeat(x, [2, 5], axis=0).sum())(x)
    np.testing.assert_array_equal(g, [[2.0, 2.0], [5.0, 5.0]])


# --- creation ----------------------------------------------------------------------------


def test_zeros_like_of_a_tracked_tensor_is_a_constant():
    def f(x):
        z = pnp.zeros_like(x)
        np.asarray(z)  # a tracked Tensor would refuse this
        return (x * pnp.ones_like(x) + z + pnp.full_like(x, 2.0)).sum()

    np.testing.assert_array_equal(pb.grad(f)(np.ones(3)), np.ones(3))


def test_array_and_asarray_of_a_tensor_keep_the_gradient():
    def f(x):
        return (pnp.array(x) * pnp.asarray(x) * pnp.copy(x)).sum()

    np.testing.assert_allclose(pb.grad(f)(np.array([1.0, 2.0])), [3.0, 12.0])


def test_array_of_a_list_of_tensors_stacks_them():
    def f(x, y):
        m = pnp.array([[x, y], [y * y, 1.0]])
        assert m.shape == (2, 2)
        return (m * np.array([[1.0, 2.0], [3.0, 4.0]])).sum()

    assert pb.grad(f, argnums=(0, 1))(1.0, 2.0) == (1.0, 14.0)


def test_array_with_dtype_and_ndmin():
    t = pnp.array(pb.tensor([1.0, 2.0]), dtype=np.float32, ndmin=3)
    assert t.shape == (1, 1, 2) and t.dtype == np.float32


def test_full_with_a_tensor_fill_value_is_differentiable():
    assert pb.grad(lambda c: (pnp.full((2, 3), c) ** 2).sum())(2.0) == 24.0


def test_creation_functions_match_numpy():
    np.testing.assert_array_equal(pnp.eye(3, 4, k=1), np.eye(3, 4, k=1))
    np.testing.assert_array_equal(pnp.identity(2), np.identity(2))
    np.testing.assert_array_equal(pnp.arange(1, 7, 2), np.arange(1, 7, 2))
    np.testing.assert_array_equal(pnp.linspace(0, 1, 5), np.linspace(0, 1, 5))
    np.testing.assert_array_equal(pnp.zeros((2, 3)), np.zeros((2, 3)))
    np.testing.assert_array_equal(pnp.ones(3, dtype=np.float32), np.ones(3, np.float32))
    np.testing.assert_array_equal(pnp.full(2, 3, dtype=np.int64), np.full(2, 3, dtype=np.int64))
    assert pnp.empty((2, 0)).shape == (2, 0)


def test_facts_about_arrays():
    t = pb.tensor(X)
    assert pnp.shape(t) == (2, 3, 4) and np.shape(t) == (2, 3, 4)
    assert pnp.ndim(t) == 3 and pnp.size(t) == 24 and pnp.size(t, 1) == 3
    assert pnp.result_type(t, np.float32) == np.float64
    assert pnp.isscalar(2.0) and not pnp.isscalar(t)
