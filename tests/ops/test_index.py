import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pullback as pb
import pullback.numpy as pnp
from pullback.numpy._indexing import AtIndexer

from .harness import OpCase, case_ids, run_case

SHAPE = (4, 5, 3)
MASK = np.random.default_rng(0).random(SHAPE) > 0.5
MASK_2D = np.array([[True, False, True, False, False]] * 2 + [[False] * 5] * 2)

INDICES = {
    "int": 2,
    "negative int": -1,
    "slice": slice(1, 3),
    "step": slice(None, None, 2),
    "negative step": slice(None, None, -1),
    "start stop negative step": slice(3, 0, -2),
    "two axes": (1, slice(4, None, -3)),
    "ellipsis": (Ellipsis, 1),
    "none": (None, 1),
    "none and ellipsis": (1, None, Ellipsis, None),
    "empty slice": slice(2, 2),
    "empty tuple": (),
    "int array with repeats": [0, 0, 3, 0],
    "2-d int array": np.array([[0, 1], [1, -1]]),
    "int arrays broadcast": (np.array([[0], [2]]), np.array([1, 1, 4])),
    "mask": MASK,
    "2-d mask": MASK_2D,
    "mask after int": (2, MASK_2D[0]),
    "mixed arrays and slice": ([0, 2, 2], slice(None), [1, 1, 0]),
    "slice then array": (slice(1, 3), [4, 4, 0]),
    "ellipsis then array": (Ellipsis, [2, 2]),
    "none then array": (None, [3, 1]),
    "empty int array": np.array([], dtype=np.intp),
}


@pytest.mark.parametrize("index", list(INDICES.values()), ids=list(INDICES))
def test_getitem_gradients_match_finite_differences(index):
    x = np.random.default_rng(1).standard_normal(SHAPE)
    pb.check_grads(lambda x: x[index], (x,), order=2)


@pytest.mark.parametrize("index", list(INDICES.values()), ids=list(INDICES))
def test_getitem_values_match_numpy(index):
    x = np.random.default_rng(2).standard_normal(SHAPE)
    np.testing.assert_array_equal(pb.tensor(x)[index].numpy(), x[index])


CASES = [
    OpCase(lambda x: pnp.take(x, [2, 0, 2]), shapes=[((3,),), ((2, 3),)], name="take"),
    OpCase(
        lambda x: pnp.take(x, [[1, -1], [0, 0]], axis=1),
        shapes=[((2, 3),), ((0, 2),)],
        name="take(axis=1)",
    ),
    OpCase(
        lambda x: pnp.take_along_axis(x, np.array([[0, 0, 2], [1, 0, 1]]), axis=1),
        shapes=[((2, 3),), ((2, 4),)],
        name="take_along_axis",
    ),
    OpCase(
        lambda x: pnp.take_along_axis(x, np.array([[1], [0], [1]]), axis=0),
        shapes=[((2, 1),), ((3, 3),)],
        name="take_along_axis(axis=0)",
    ),
    OpCase(
        lambda x, v: AtIndexer(x)[[0, 2, 0]].set(v),
        2,
        shapes=[((3,), (3,)), ((3,), ()), ((4, 2), (3, 2)), ((4, 2), (1, 2))],
        name="at[[0,2,0]].set(v)",
    ),
    OpCase(
        lambda x, v: AtIndexer(x)[1:, ::-1].set(v),
        2,
        shapes=[((3, 4), (2, 4)), ((3, 4), (4,)), ((1, 4), ())],
        name="at[1:, ::-1].set(v)",
    ),
    OpCase(
        lambda x, v: AtIndexer(x)[[0, 2, 0]].add(v),
        2,
        shapes=[((3,), (3,)), ((3,), ()), ((4, 2), (3, 1))],
        name="at[[0,2,0]].add(v)",
    ),
    OpCase(
        lambda x, v: AtIndexer(x)[..., 0].add(v),
        2,
        shapes=[((2, 3), (2,)), ((0, 3), ())],
        name="at[..., 0].add(v)",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_op_gradients_match_finite_differences(case):
    run_case(case)


# --- exact gradients ---------------------------------------------------------------------


def test_repeated_indices_accumulate_in_the_gradient():
    g = pb.grad(lambda x: x[[0, 0, 1]].sum())(np.zeros(3))
    np.testing.assert_array_equal(g, [2.0, 1.0, 0.0])
    _, back = pb.vjp(lambda x: x[np.array([2, 0, 2, 2])], np.zeros(3))
    np.testing.assert_array_equal(back(np.array([1.0, 2.0, 3.0, 4.0]))[0], [2.0, 0.0, 8.0])


def test_boolean_mask_from_a_tracked_tensor():
    x = np.array([-1.0, 2.0, -3.0, 4.0])
    g = pb.grad(lambda x: (x[x > 0] ** 2).sum())(x)
    np.testing.assert_array_equal(g, [0.0, 4.0, 0.0, 8.0])


def test_index_given_as_a_tensor():
    idx = pb.tensor([1, 1])
    g = pb.grad(lambda x: x[idx].sum())(np.zeros(3))
    np.testing.assert_array_equal(g, [0.0, 2.0, 0.0])


def test_at_set_with_repeated_indices_matches_numpy():
    x = np.arange(5.0)
    index = [0, 3, 0, 3, 1]
    v = np.array([10.0, 20.0, 30.0, 40.0, 50.0])
    want = x.copy()
    want[index] = v
    np.testing.assert_array_equal(AtIndexer(x)[index].set(v), want)
    np.testing.assert_array_equal(pb.tensor(x).at[index].set(pb.tensor(v)).numpy(), want)


def test_at_set_gradient_goes_only_to_the_written_values():
    index = [0, 3, 0, 3, 1]
    w = np.array([1.0, 2.0, 3.0, 4.0, 5.0])

    def f(x, v):
        return (AtIndexer(x)[index].set(v) * w).sum()

    gx, gv = pb.grad(f, argnums=(0, 1))(np.zeros(5), np.zeros(5))
    np.testing.assert_array_equal(gx, [0.0, 0.0, 3.0, 0.0, 5.0])
    np.testing.assert_array_equal(gv, [0.0, 0.0, 1.0, 4.0, 2.0])


def test_at_set_with_a_broadcast_value():
    def f(x, v):
        return (AtIndexer(x)[1:, [0, 0]].set(v) * np.arange(6.0).reshape(3, 2)).sum()

    gx, gv = pb.grad(f, argnums=(0, 1))(np.zeros((3, 2)), 0.0)
    np.testing.assert_array_equal(gx, [[0.0, 1.0], [0.0, 3.0], [0.0, 5.0]])
    assert gv == 2.0 + 4.0


def test_at_add_with_repeated_indices_matches_numpy_add_at():
    x = np.arange(4.0)
    v = np.array([1.0, 2.0, 3.0])
    want = x.copy()
    np.add.at(want, [1, 1, 3], v)
    np.testing.assert_array_equal(AtIndexer(x)[[1, 1, 3]].add(v), want)
    gv = pb.grad(lambda v: (AtIndexer(x)[[1, 1, 3]].add(v) * np.arange(4.0)).sum())(v)
    np.testing.assert_array_equal(gv, [1.0, 1.0, 3.0])


def test_at_update_keeps_the_dtype_of_x():
    x = pb.tensor(np.zeros(3, np.float32))
    assert x.at[0].set(1.0).dtype == np.float32
    assert x.at[1:].add(np.ones(2)).dtype == np.float32


def test_take_along_axis_matches_numpy():
    x = np.random.default_rng(3).standard_normal((3, 4))
    order = np.argsort(x, axis=0)
    np.testing.assert_array_equal(pnp.take_along_axis(x, order, 0), np.take_along_axis(x, order, 0))
    np.testing.assert_array_equal(pnp.take(x, [-1, 5]), np.take(x, [-1, 5]))


def test_take_out_of_bounds_raises():
    with pytest.raises(IndexError):
        pnp.take(np.ones(3), [3])


def test_nonzero_and_argwhere_match_numpy():
    x = np.array([[0.0, 1.0], [2.0, 0.0]])
    for got, want in zip(pnp.nonzero(pb.tensor(x)), np.nonzero(x)):
        assert isinstance(got, pb.Tensor)
        np.testing.assert_array_equal(got.numpy(), want)
    np.testing.assert_array_equal(pnp.argwhere(x), np.argwhere(x))


# --- property: the VJP of basic indexing is a scatter-add ---------------------------------


@st.composite
def shapes_and_basic_indices(draw):
    shape = tuple(draw(st.lists(st.integers(0, 5), min_size=1, max_size=3)))
    index = []
    for n in shape:
        kinds = ["slice", "none"] + (["int"] if n else [])
        kind = draw(st.sampled_from(kinds))
        if kind == "int":
            index.append(draw(st.integers(-n, n - 1)))
        elif kind == "none":
            index += [None, slice(None)]
        else:
            bound = st.none() | st.integers(-n - 2, n + 2)
            step = draw(st.none() | st.integers(-3, 3).filter(bool))
            index.append(slice(draw(bound), draw(bound), step))
    if draw(st.booleans()):
        index.insert(draw(st.integers(0, len(index))), Ellipsis)
    return shape, tuple(index)


@settings(max_examples=50, deadline=None)
@given(shapes_and_basic_indices(), st.integers(0, 2**32 - 1))
def test_vjp_of_basic_indexing_is_a_scatter_add(shape_and_index, seed):
    shape, index = shape_and_index
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    out, back = pb.vjp(lambda x: x[index], x)
    np.testing.assert_array_equal(out, x[index])
    ct = rng.standard_normal(np.shape(out))
    want = np.zeros(shape)
    np.add.at(want, index, ct)
    np.testing.assert_array_equal(back(ct)[0], want)


# --- peers -------------------------------------------------------------------------------


def _compound_shape(m, x):
    y = m.concatenate([x[::-1, :2], m.tile(x[:1], (2, 1))[:, 1:3]], axis=0)
    z = m.sort(y, axis=1) * m.roll(y, 1, axis=0)
    return m.sum(m.sin(m.moveaxis(m.stack([z, y**2], axis=-1), -1, 0)) ** 2)


def _compound_index(m, x):
    y = m.stack([x[np.array([0, 0, 2])], x[1:4, ::-1]], axis=-1)
    z = m.pad(y, ((1, 0), (0, 1), (0, 0)), mode="edge")
    w = m.take_along_axis(z, m.argsort(z, axis=1), axis=1)
    return m.sum(m.repeat(w, 2, axis=-1)[..., None, 1] * m.flip(z, 0)[:, :, 0:1])


def _compound_at(m, x):
    y = x.at[1:, ::2].set(m.sin(x[:-1, 1::2]) * x[0, 0])
    y = y.at[np.array([0, 2, 0]), 1].add(x[:3, 3])
    mask = np.array([True, False, True, True])
    return m.sum(m.split(y[mask], 2, axis=1)[1] ** 3)


@pytest.mark.parametrize("fn", [_compound_shape, _compound_index, _compound_at])
def test_gradients_match_jax(fn):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    x = np.random.default_rng(4).standard_normal((4, 4))
    want = np.asarray(jax.jit(jax.grad(lambda x: fn(jnp, x)))(x))
    got = pb.grad(lambda x: fn(pnp, x))(x)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
