"""vmap: every op of the op tables batched by its rule, nesting with grad and jvp, in_axes/out_axes.

The table test runs each ``OpCase`` of the op families once, over a batch of 3, against the
same function applied to each example and stacked; a primitive that falls back to the
per-element loop fails it (the fallback's warning is an error there).
"""

import importlib
import warnings
import zlib

import numpy as np
import pytest

import pullback as pb
import pullback.numpy as pnp
from pullback.transforms import batching

from ..ops.test_index import INDICES, SHAPE

FAMILIES = [
    "elementwise",
    "transcendental",
    "reduce",
    "special",
    "shape",
    "index",
    "products",
    "linalg",
]
BATCH = 3
FALLBACK = r"vmap: primitive '.*' has no batching rule"


def _table():
    params = []
    for family in FAMILIES:
        try:
            module = importlib.import_module(f"..ops.test_{family}", __package__)
        except (ImportError, pytest.skip.Exception):
            continue
        params += [pytest.param(case, id=f"{family}:{case.name}") for case in module.CASES]
    return params


def _leaves(out) -> list:
    return [np.asarray(x) for x in pb.tree.leaves(out)]


def _widest(shapes: list) -> tuple:
    """The shape combination with the most axes (the one that exercises the rules most)."""
    return max(shapes, key=lambda combo: (sum(len(s) for s in combo), -shapes.index(combo)))


@pytest.fixture
def strict_rules(monkeypatch):
    """The fallback's warning raises, even for a primitive that has warned before."""
    monkeypatch.setattr(batching, "_warned", set())
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=FALLBACK)
        yield


def _stacked(fn, args, in_axes) -> list:
    """``fn`` applied to each example of ``args`` (split along ``in_axes``), leaves stacked."""
    per_example = [
        _leaves(fn(*[np.take(a, b, axis=ax) for a, ax in zip(args, in_axes)])) for b in range(BATCH)
    ]
    return [np.stack(leaf) for leaf in zip(*per_example)]


@pytest.mark.parametrize("case", _table())
def test_vmap_of_each_op_matches_a_loop_over_the_batch(case, strict_rules):
    shapes = _widest(case.shapes)
    rng = np.random.default_rng(zlib.crc32(case.name.encode()))
    examples = [case.sampler(i)(rng, (BATCH, *s)) for i, s in enumerate(shapes)]
    want = _stacked(case.fn, examples, [0] * len(examples))
    got = _leaves(pb.vmap(case.fn)(*examples))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)

    in_axes = tuple(min(1, len(s)) for s in shapes)
    out_axis = 1 if all(w.ndim > 1 for w in want) else 0
    moved = [np.moveaxis(x, 0, ax) for x, ax in zip(examples, in_axes)]
    got = _leaves(pb.vmap(case.fn, in_axes=in_axes, out_axes=out_axis)(*moved))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, np.moveaxis(w, 0, out_axis), rtol=1e-12, atol=1e-12)


# --- getitem and scatter_add over the index table of test_index ---------------------------


@pytest.mark.parametrize("axis", [0, 2, 3])
@pytest.mark.parametrize("index", list(INDICES.values()), ids=list(INDICES))
def test_vmap_of_getitem_and_its_gradient_match_a_loop(index, axis, strict_rules):
    rng = np.random.default_rng(3)
    x = rng.standard_normal(SHAPE[:axis] + (BATCH,) + SHAPE[axis:])
    examples = [np.take(x, b, axis=axis) for b in range(BATCH)]
    want = np.stack([e[index] for e in examples])
    np.testing.assert_array_equal(pb.vmap(lambda x: x[index], in_axes=axis)(x), want)

    # NOTE: the gradient of a gather is a scatter_add, so this batches scatter_add too.
    v = rng.standard_normal(want.shape[1:])
    grad = pb.grad(lambda x: pnp.sum(x[index] * v))
    want_grads = np.stack([grad(e) for e in examples], axis=axis)
    got = pb.vmap(grad, in_axes=axis, out_axes=axis)(x)
    np.testing.assert_allclose(got, want_grads, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "index",
    [
        (0, slice(None), np.array([1, 2])),
        (np.array([0, 1]), None, np.array([1, 2])),
        (np.array(1),),
    ],
    ids=["int and array apart", "arrays apart around None", "0-d int array"],
)
def test_vmap_places_the_batch_axis_where_numpy_moves_index_arrays(index, strict_rules):
    x = np.random.default_rng(4).standard_normal((BATCH, 2, 3, 4))
    got = pb.vmap(lambda x: x[index])(x)
    np.testing.assert_array_equal(got, np.stack([e[index] for e in x]))


def test_vmap_of_getitem_with_a_boolean_scalar_runs_per_example_without_warning(strict_rules):
    x = np.arange(6.0).reshape(BATCH, 2)
    np.testing.assert_array_equal(pb.vmap(lambda x: x[True])(x), x[:, None])


def test_vmap_of_at_add_with_a_broadcast_update(strict_rules):
    x = np.zeros((BATCH, 4, 2))
    v = np.arange(9.0).reshape(BATCH, 3, 1)
    got = pb.vmap(lambda x, v: x.at[[0, 2, 0]].add(v))(pb.tensor(x), v)
    want = np.stack([pb.tensor(a).at[[0, 2, 0]].add(b).numpy() for a, b in zip(x, v)])
    np.testing.assert_array_equal(got.numpy(), want)


@pytest.mark.parametrize("op", [pnp.nonzero, pnp.argwhere], ids=["nonzero", "argwhere"])
def test_vmap_of_data_dependent_shapes_raises_naming_the_primitive(op):
    name = op.__name__
    with pytest.raises(ValueError, match=f"vmap cannot batch '{name}'"):
        pb.vmap(op)(np.eye(3))


def test_vmap_of_sort_sorts_each_example_with_its_own_order(strict_rules):
    # Regression: sort once read the raw batched array, sorting along the wrong axis.
    x = np.array([[3.0, 1.0, 2.0], [0.0, 5.0, -1.0]])
    np.testing.assert_array_equal(pb.vmap(pnp.sort)(x), np.sort(x, axis=1))
    np.testing.assert_array_equal(pb.vmap(pnp.sort, in_axes=1, out_axes=1)(x), np.sort(x, axis=0))


# --- nesting with grad and jvp ------------------------------------------------------------


def _gathers(x):
    """A scalar of x (shape (4,)) through sort, slices, an index array and cumulative ops."""
    return pnp.sum(pnp.sort(x) * pnp.cumprod(x[::-1])) + pnp.prod(x[np.array([0, 2, 2])])


def _reshapes(x):
    """A scalar of x (shape (4,)) through reshape, transpose, pad, concatenate and tile."""
    m = pnp.reshape(x, (2, 2)).T
    joined = pnp.concatenate([pnp.pad(m, 1), pnp.tile(m, (2, 2))], axis=0)
    return pnp.sum(pnp.sin(joined) * pnp.cumsum(joined, axis=1)) + pnp.special.erf(x[1])


def _extrema(x):
    """A scalar of x (shape (4,)) through max, min and logsumexp (whose rules compare)."""
    m = pnp.reshape(x, (2, 2))
    return pnp.max(m * x[:2]) - pnp.min(pnp.exp(m), axis=0)[1] + pnp.special.logsumexp(x**2)


COMPOUNDS = [_gathers, _reshapes, _extrema]
POINTS = np.random.default_rng(5).uniform(0.5, 2.0, (BATCH, 4))


def _assert_close(got, want):
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("f", COMPOUNDS)
def test_vmap_of_grad_matches_per_example_gradients(f):
    _assert_close(pb.vmap(pb.grad(f))(POINTS), np.stack([pb.grad(f)(x) for x in POINTS]))


@pytest.mark.parametrize("f", COMPOUNDS)
def test_grad_of_vmap_sum_matches_per_example_gradients(f):
    got = pb.grad(lambda xs: pnp.sum(pb.vmap(f)(xs)))(POINTS)
    _assert_close(got, np.stack([pb.grad(f)(x) for x in POINTS]))


@pytest.mark.parametrize("f", COMPOUNDS)
def test_vmap_of_jvp_over_a_basis_is_the_gradient(f):
    x = POINTS[0]
    row = pb.vmap(lambda t: pb.jvp(f, (x,), (t,))[1])(np.eye(4))
    _assert_close(row, pb.grad(f)(x))


@pytest.mark.parametrize("f", COMPOUNDS)
def test_vmap_of_jvp_of_grad_is_the_hessian(f):
    x = POINTS[1]
    hessian = pb.vmap(lambda v: pb.jvp(pb.grad(f), (x,), (v,))[1])(np.eye(4))
    rows = [pb.grad(lambda y, i=i: pb.grad(f)(y)[i])(x) for i in range(4)]
    np.testing.assert_allclose(hessian, np.stack(rows), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("f", COMPOUNDS)
def test_vmap_of_vmap_matches_a_double_loop(f):
    xs = np.random.default_rng(6).uniform(0.5, 2.0, (2, BATCH, 4))
    want = np.array([[f(x) for x in row] for row in xs])
    _assert_close(pb.vmap(pb.vmap(f))(xs), want)
    _assert_close(pb.vmap(pb.vmap(f), in_axes=1)(xs), want.T)


@pytest.mark.parametrize("f", [_gathers, _reshapes])
def test_vmap_of_grad_needs_no_fallback(f, strict_rules):
    pb.vmap(pb.grad(f))(POINTS)


def test_vmap_of_grad_of_extrema_needs_no_fallback(strict_rules):
    pb.vmap(pb.grad(_extrema))(POINTS)


# --- in_axes, out_axes and errors ---------------------------------------------------------


def test_in_axes_pytree_prefix_with_none_and_a_per_argument_axis():
    params = {"w": np.arange(2.0), "b": np.array(0.5)}
    x = np.arange(6.0).reshape(2, 3)

    def affine(p, x):
        return p["w"] * x + p["b"]

    got = pb.vmap(affine, in_axes=({"w": None, "b": None}, 1))(params, x)
    _assert_close(got, np.stack([affine(params, x[:, j]) for j in range(3)]))
    got = pb.vmap(affine, in_axes=({"w": 0, "b": None}, 0))(params, x)
    _assert_close(got, params["w"][:, None] * x + params["b"])


def test_out_axes_per_output():
    x = np.arange(6.0).reshape(2, 3)
    rows, cols = pb.vmap(lambda x: (x, x * 2), in_axes=1, out_axes=(0, 1))(x)
    _assert_close(rows, x.T)
    _assert_close(cols, 2 * x)


def test_out_axes_none_for_an_output_that_does_not_depend_on_the_batch():
    c = np.ones(4)
    _assert_close(pb.vmap(lambda x: c, out_axes=None)(np.ones(2)), c)


def test_out_axes_pytree_with_none_for_an_unbatched_output():
    c = np.ones(4)
    x, const = pb.vmap(lambda x: (x, c), out_axes=(0, None))(np.ones(2))
    _assert_close(const, c)


def test_negative_in_axes_count_from_the_end():
    x = np.arange(6.0).reshape(2, 3)
    _assert_close(pb.vmap(pnp.sum, in_axes=-1)(x), x.sum(axis=0))


def test_mismatched_batch_sizes_raise_naming_each_size():
    with pytest.raises(ValueError, match=r"different sizes \(leaf 0: 2, leaf 1: 3\)"):
        pb.vmap(pnp.add)(np.ones(2), np.ones(3))


@pytest.mark.parametrize("axis", [2, -3])
def test_an_in_axis_the_argument_does_not_have_raises(axis):
    # it used to wrap around (axis 2 of a 2-d argument mapped axis 0)
    with pytest.raises(ValueError, match=f"over axis {axis}, which it does not have"):
        pb.vmap(lambda r: r, in_axes=axis)(np.ones((2, 3)))


@pytest.mark.parametrize("axis", [2, -3])
def test_an_out_axis_past_the_outputs_axes_raises(axis):
    with pytest.raises(ValueError, match=f"out_axes {axis} for an output of 1 axes per example"):
        pb.vmap(lambda r: r, out_axes=axis)(np.ones((2, 3)))


def test_a_python_branch_on_a_batched_value_names_pnp_where():
    branchy = lambda r: r if pnp.sum(r) > 3 else -r
    for batch in (np.ones((2, 3)), np.ones((1, 3))):  # a batch of one too: no silent path
        with pytest.raises(TypeError, match=r"would test the whole batch.*pnp.where"):
            pb.vmap(branchy)(batch)
    # a branch on an unbatched argument is an ordinary Python branch
    out = pb.vmap(lambda r, s: r if s > 0 else -r, in_axes=(0, None))(np.ones((2, 3)), 1.0)
    np.testing.assert_array_equal(out, np.ones((2, 3)))


def test_mapping_a_scalar_raises():
    with pytest.raises(ValueError, match="leaf 1 is a scalar"):
        pb.vmap(pnp.add)(np.ones(2), 1.0)


def test_all_in_axes_none_raises():
    with pytest.raises(ValueError, match="no argument is mapped"):
        pb.vmap(pnp.add, in_axes=None)(np.ones(2), np.ones(2))


def test_in_axes_with_the_wrong_number_of_entries_raises():
    with pytest.raises(ValueError, match="one entry per positional argument"):
        pb.vmap(pnp.add, in_axes=(0,))(np.ones(2), np.ones(2))


def test_in_axes_that_is_not_a_prefix_raises():
    with pytest.raises(ValueError, match="not a prefix"):
        pb.vmap(lambda p: p[0], in_axes=([0, 0],))((np.ones(2),))


@pytest.mark.parametrize("spec", [{"b": 0}, {"a": 0, "b": 0}], ids=["missing key", "extra key"])
def test_in_axes_dict_with_other_keys_raises(spec):
    with pytest.raises(ValueError, match="not a prefix"):
        pb.vmap(lambda p: p["a"], in_axes=(spec,))({"a": np.ones(2)})


def test_out_axes_none_for_a_batched_output_raises():
    with pytest.raises(ValueError, match="out_axes is None"):
        pb.vmap(pnp.sin, out_axes=None)(np.ones(2))
