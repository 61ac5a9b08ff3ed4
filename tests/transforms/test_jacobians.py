import zlib

import numpy as np
import pytest

import pullback as pb
import pullback.numpy as pnp
from pullback.transforms.jacobians import (
    batch_jacobian,
    hessian,
    hvp,
    jacfwd,
    jacobian,
    jacrev,
)

from ..ops import (
    test_elementwise,
    test_linalg,
    test_products,
    test_reduce,
    test_transcendental,
)
from ..ops.harness import case_ids

TABLE = (
    test_elementwise.CASES
    + test_transcendental.CASES
    + test_reduce.CASES
    + test_products.CASES
    + test_linalg.CASES
)


def _one_point(case):
    """``case``'s arguments at its first shape combination with entries in every array."""
    rng = np.random.default_rng(zlib.crc32(case.name.encode()))
    shapes = next(
        (s for s in case.shapes if all(np.prod(x) > 0 for x in s) and any(s)), case.shapes[0]
    )
    return tuple(case.sampler(i)(rng, s) for i, s in enumerate(shapes))


def _leaves(tree):
    return [np.asarray(x) for x in pb.tree.leaves(tree)]


def _assert_trees_close(got, want, rtol=1e-12):
    got_leaves, want_leaves = _leaves(got), _leaves(want)
    assert pb.tree.flatten(got)[1] == pb.tree.flatten(want)[1]
    for g, w in zip(got_leaves, want_leaves):
        assert g.shape == w.shape
        scale = np.max(np.abs(w)) if w.size else 0.0
        np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol * max(scale, 1.0))


def _mlp(params, x):
    """A two-layer tanh network; ``x``: shape ``(batch, 5)``, returns ``(batch, 6)``."""
    return pnp.tanh(pnp.tanh(x @ params["w1"] + params["b1"]) @ params["w2"])


@pytest.fixture
def params():
    rng = np.random.default_rng(2)
    return {
        "w1": rng.standard_normal((5, 8)),
        "b1": rng.standard_normal(8),
        "w2": rng.standard_normal((8, 6)),
    }


# --- forward and reverse agree on every op -------------------------------------------------


@pytest.mark.parametrize("case", TABLE, ids=case_ids(TABLE))
def test_jacfwd_equals_jacrev_on_the_op_table(case):
    args = _one_point(case)
    argnums = tuple(range(len(args)))
    _assert_trees_close(jacfwd(case.fn, argnums)(*args), jacrev(case.fn, argnums)(*args))


def test_jacrev_rows_match_pullbacks_and_jacfwd_columns_match_jvps():
    w = np.random.default_rng(0).standard_normal((3, 4))
    x = np.linspace(-1.0, 1.0, 4)

    def f(x):
        return pnp.tanh(w @ x) * x[:3]

    _, back = pb.vjp(f, x)
    rows = np.stack([back(e)[0] for e in np.eye(3)])
    columns = np.stack([pb.jvp(f, (x,), (e,))[1] for e in np.eye(4)], axis=1)
    np.testing.assert_array_equal(jacrev(f)(x), rows)
    np.testing.assert_array_equal(jacfwd(f)(x), columns)


# --- structure, shapes and kinds -----------------------------------------------------------


@pytest.mark.parametrize("transform", [jacrev, jacfwd, jacobian])
def test_jacobian_of_pytrees_nests_output_outside_and_input_inside(transform, params):
    x = np.random.default_rng(3).standard_normal((4, 5))

    def f(params, x):
        return {"y": _mlp(params, x), "norm": pnp.sum(params["w1"] ** 2)}

    j = transform(f, argnums=(0, 1))(params, x)
    assert set(j) == {"y", "norm"}
    assert j["y"][0]["w1"].shape == (4, 6, 5, 8)
    assert j["y"][0]["b1"].shape == (4, 6, 8)
    assert j["y"][1].shape == (4, 6, 4, 5)
    assert j["norm"][0]["w2"].shape == (8, 6)
    np.testing.assert_array_equal(j["norm"][0]["w1"], 2 * params["w1"])
    np.testing.assert_array_equal(j["norm"][0]["w2"], np.zeros((8, 6)))
    np.testing.assert_array_equal(j["norm"][1], np.zeros((4, 5)))
    _assert_trees_close(j, jacrev(f, argnums=(0, 1))(params, x))


def test_jacobian_of_a_tuple_output_with_an_int_argnum():
    j = jacobian(lambda x: (x * x, pnp.sum(x)))(np.array([1.0, 2.0]))
    assert isinstance(j, tuple) and len(j) == 2
    np.testing.assert_array_equal(j[0], np.diag([2.0, 4.0]))
    np.testing.assert_array_equal(j[1], [1.0, 1.0])


def test_static_leaves_of_a_pytree_argument_get_none():
    j = jacrev(lambda p: p["x"] * p["n"])({"x": np.array([1.0, 2.0]), "n": 3})
    assert j["n"] is None
    np.testing.assert_array_equal(j["x"], 3 * np.eye(2))


@pytest.mark.parametrize("transform", [jacrev, jacfwd, jacobian])
def test_results_have_the_kind_of_the_inputs(transform):
    assert type(transform(pnp.sin)(0.5)) is float
    assert type(transform(pnp.sin)(np.array([0.5, 1.0]))) is np.ndarray
    assert isinstance(transform(pnp.sin)(pb.tensor([0.5, 1.0])), pb.Tensor)


@pytest.mark.parametrize("transform", [jacrev, jacfwd, jacobian])
def test_float32_jacobians_stay_float32(transform):
    j = transform(pnp.exp)(np.ones(3, np.float32))
    assert j.dtype == np.float32


def test_jacobian_picks_forward_mode_for_a_wide_output_and_reverse_for_a_narrow_one():
    calls = []

    def wide(x):
        calls.append(x)
        return pnp.outer(x, pnp.arange(10.0))

    j = jacobian(wide)(np.array([1.0, 2.0]))
    assert j.shape == (2, 10, 2) and len(calls) == 2  # recorded once, then forward mode
    _assert_trees_close(j, jacrev(wide)(np.array([1.0, 2.0])))
    calls.clear()
    jacobian(lambda x: wide(x).sum())(np.array([1.0, 2.0]))
    assert len(calls) == 1


@pytest.mark.parametrize("transform", [jacrev, jacfwd, jacobian])
def test_has_aux_returns_the_aux_at_the_primal(transform):
    j, aux = transform(lambda x: (x * x, {"value": x * x, "n": 3}), has_aux=True)(
        np.array([1.0, 2.0])
    )
    np.testing.assert_array_equal(j, np.diag([2.0, 4.0]))
    np.testing.assert_array_equal(aux["value"], [1.0, 4.0])
    assert aux["n"] == 3


@pytest.mark.parametrize("transform", [jacrev, jacfwd, jacobian])
def test_empty_inputs_and_outputs_give_empty_jacobians(transform):
    assert transform(lambda x: x * 2.0)(np.ones(0)).shape == (0, 0)
    assert transform(lambda x: x.sum() * np.ones(3))(np.ones(0)).shape == (3, 0)


def test_jacfwd_of_a_cast_to_float64():
    j = jacfwd(lambda x: x.astype(np.float64) * 2.0)(np.ones(2, np.float32))
    np.testing.assert_array_equal(j, 2.0 * np.eye(2))


def test_an_output_that_does_not_depend_on_the_input_has_a_zero_jacobian():
    for transform in (jacrev, jacfwd):
        j = transform(lambda x, y: y * 2.0, argnums=0)(np.ones(2), np.ones(3))
        np.testing.assert_array_equal(j, np.zeros((3, 2)))


# --- chunking ------------------------------------------------------------------------------


@pytest.mark.parametrize("transform", [jacrev, jacfwd, jacobian])
@pytest.mark.parametrize("chunk_size", [1, 3, 7, 100])
def test_chunk_size_gives_identical_results(transform, chunk_size, params):
    x = np.random.default_rng(4).standard_normal((3, 5))
    whole = transform(_mlp, argnums=(0, 1))(params, x)
    chunked = transform(_mlp, argnums=(0, 1), chunk_size=chunk_size)(params, x)
    _assert_trees_close(chunked, whole, rtol=1e-15)


@pytest.mark.parametrize("chunk_size", [0, -1, 2.0, True])
def test_a_bad_chunk_size_raises_naming_the_function(chunk_size):
    def model(x):
        return x

    with pytest.raises(ValueError, match=r"jacrev\(model \(test_jacobians.py:\d+\)\): chunk_size"):
        jacrev(model, chunk_size=chunk_size)


# --- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize("transform", [jacrev, jacfwd, jacobian, hessian])
def test_integer_inputs_raise_naming_the_function_and_argument(transform):
    def model(x, y):
        return x * y

    name = transform.__name__
    with pytest.raises(TypeError, match=rf"{name}\(model .*argument 1 .*int64"):
        transform(model, argnums=1)(np.ones(2), np.arange(2))
    with pytest.raises(TypeError, match=r"argument 0 is the Python int 3\. Pass 3\.0"):
        transform(model)(3, 2.0)


@pytest.mark.parametrize("transform", [jacrev, jacfwd])
def test_an_integer_output_raises_naming_the_function(transform):
    def count(x):
        return pnp.sum(x > 0)

    with pytest.raises(TypeError, match=r"count \(.*floating-point outputs.*int64"):
        transform(count)(np.ones(3))


def test_argnums_out_of_range_raises():
    with pytest.raises(TypeError, match=r"jacfwd\(.*argument 2.*1 positional"):
        jacfwd(pnp.sin, argnums=2)(1.0)


def test_batch_jacobian_of_a_function_that_drops_the_batch_raises():
    def total(x):
        return pnp.sum(x)

    with pytest.raises(ValueError, match=r"batch_jacobian\(total .*shape \(\) float64"):
        batch_jacobian(total)(np.ones((3, 2)))


# --- Hessians ------------------------------------------------------------------------------


def _rosenbrock(x):
    return pnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def test_hessian_is_symmetric_and_matches_the_closed_form():
    x = np.array([0.3, -0.7, 1.2, 0.5])
    h = hessian(_rosenbrock)(x)
    assert h.shape == (4, 4)
    np.testing.assert_array_equal(h, h.T)
    want = np.zeros((4, 4))
    for i in range(3):
        want[i, i] += 1200 * x[i] ** 2 - 400 * x[i + 1] + 2
        want[i + 1, i + 1] += 200
        want[i, i + 1] = want[i + 1, i] = -400 * x[i]
    np.testing.assert_allclose(h, want, rtol=1e-13)


def test_hessian_of_several_pytree_arguments_nests_like_jax(params):
    x = np.random.default_rng(5).standard_normal((3, 5))

    def loss(params, x):
        return pnp.mean(_mlp(params, x) ** 2)

    # h[i] has the structure of gradient i (outside); each of its leaves, that of the arguments
    h = hessian(loss, argnums=(0, 1))(params, x)
    assert h[0]["w1"][0]["b1"].shape == (5, 8, 8)
    assert h[0]["w2"][1].shape == (8, 6, 3, 5)
    assert h[1][1].shape == (3, 5, 3, 5)
    np.testing.assert_allclose(
        h[0]["w1"][1], np.moveaxis(h[1][0]["w1"], (0, 1), (2, 3)), rtol=1e-12, atol=1e-14
    )


def test_hessian_matches_jax(params):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    x = np.random.default_rng(6).standard_normal((3, 5))

    def loss(params, x, np_=pnp):
        hidden = np_.tanh(x @ params["w1"] + params["b1"])
        return np_.mean(np_.tanh(hidden @ params["w2"]) ** 2)

    got = hessian(loss)(params, x)
    want = jax.hessian(lambda p: loss(p, x, jnp))(params)
    # JAX sorts dict keys; pullback keeps the argument's order
    want = {a: {b: np.asarray(want[a][b]) for b in params} for a in params}
    _assert_trees_close(got, want, rtol=1e-10)


def test_hvp_equals_hessian_times_vector():
    rng = np.random.default_rng(7)
    x = rng.standard_normal(6)
    v = rng.standard_normal(6)
    np.testing.assert_allclose(hvp(_rosenbrock, (x,), (v,)), hessian(_rosenbrock)(x) @ v, 1e-13)


def test_hvp_of_several_primals_gives_a_tuple():
    rng = np.random.default_rng(8)
    a, b, u, w = rng.standard_normal((4, 3))

    def f(a, b):
        return pnp.sum(pnp.sin(a) * b**2)

    hu, hw = hvp(f, (a, b), (u, w))
    h = hessian(f, argnums=(0, 1))(a, b)
    np.testing.assert_allclose(hu, h[0][0] @ u + h[0][1] @ w, rtol=1e-13)
    np.testing.assert_allclose(hw, h[1][0] @ u + h[1][1] @ w, rtol=1e-13)


def test_hvp_needs_tuples():
    with pytest.raises(TypeError, match=r"pb\.hvp\(f, \(x,\), \(v,\)\)"):
        hvp(_rosenbrock, np.ones(3), np.ones(3))


# --- batch_jacobian ------------------------------------------------------------------------


def test_batch_jacobian_equals_the_diagonal_blocks_of_the_full_jacobian(params):
    x = np.random.default_rng(9).standard_normal((7, 5))

    def net(x):
        return _mlp(params, x)

    jb = batch_jacobian(net)(x)
    assert jb.shape == (7, 6, 5)
    full = jacrev(net)(x)
    np.testing.assert_allclose(jb, np.einsum("bxby->bxy", full), rtol=1e-13, atol=1e-15)


def test_batch_jacobian_of_tensors_with_several_feature_axes():
    x = pb.tensor(np.random.default_rng(10).standard_normal((4, 2, 3)))
    jb = batch_jacobian(lambda x: pnp.cumsum(x, axis=-1) ** 2)(x)
    assert isinstance(jb, pb.Tensor) and jb.shape == (4, 2, 3, 2, 3)
    full = jacfwd(lambda x: pnp.cumsum(x, axis=-1) ** 2)(x).numpy()
    np.testing.assert_allclose(jb.numpy(), np.einsum("baxbcy->baxcy", full), rtol=1e-14)


# --- nesting and perturbation confusion ----------------------------------------------------


def test_no_perturbation_confusion_in_jacfwd_of_jacrev():
    def f(x):
        return x * jacrev(lambda y: x + y)(1.0)

    for x in (0.5, 2.0, -3.0):
        assert jacrev(f)(x) == 1.0
        assert jacfwd(f)(x) == 1.0
        assert jacfwd(jacrev(f))(x) == 0.0


def test_no_perturbation_confusion_between_nested_vector_jacobians():
    c = np.array([1.0, 2.0])

    def inner_jacobian(x):
        # d/dy (x * y) at y = c is diag(x): it must not pick up x's own perturbation
        return jacfwd(lambda y: x * y)(c)

    j = jacrev(lambda x: pnp.sum(inner_jacobian(x)))(np.array([3.0, 4.0]))
    np.testing.assert_array_equal(j, [1.0, 1.0])
    jj = jacfwd(jacrev(lambda x: pnp.sum(x * x * inner_jacobian(x))))(np.array([3.0, 4.0]))
    np.testing.assert_allclose(jj, np.diag([6.0 * 3.0, 6.0 * 4.0]), rtol=1e-14)


def test_jacrev_of_jacrev_and_vmap_of_jacrev_and_grad_of_jacobian():
    x = np.array([0.3, -0.7, 1.2])
    h = hessian(_rosenbrock)(x)
    _assert_trees_close(jacrev(jacrev(_rosenbrock))(x), h)
    _assert_trees_close(jacfwd(jacfwd(_rosenbrock))(x), h)
    xs = np.stack([x, 2 * x])
    per_row = pb.vmap(jacrev(_rosenbrock))(xs)
    _assert_trees_close(per_row, np.stack([jacrev(_rosenbrock)(r) for r in xs]))
    trace = pb.grad(lambda x: pnp.trace(jacrev(jacrev(_rosenbrock))(x)))(x)
    assert trace.shape == (3,)
    # trace(H) = sum_i (1200 x_i^2 - 400 x_{i+1} + 2) + 200 (n - 1) over i < n - 1
    np.testing.assert_allclose(trace, [2400 * x[0], 2400 * x[1] - 400, -400], rtol=1e-13)


@pytest.mark.parametrize("transform", [jacrev, jacfwd])
def test_jacobian_of_a_100k_op_chain(transform):
    # NOTE: 10**5 ops, not the 10**6 of test_engine_reliability.py: the backward pass is the
    # same iterative one, and a million batched ops take ~20 s (measured 23 s for jacrev).
    def chain(x):
        y = x
        for _ in range(50_000):
            y = y * 0.5 + x
        return y

    np.testing.assert_allclose(transform(chain)(np.ones(2)), 2.0 * np.eye(2), rtol=1e-12)


def test_custom_vjp_rules_run_batched_under_jacrev():
    @pb.custom_vjp
    def scaled(x):
        return 2.0 * x

    scaled.defvjp(lambda x: (2.0 * x, None), lambda res, g: (2.0 * g,))
    np.testing.assert_array_equal(jacrev(scaled)(np.ones(3)), 2.0 * np.eye(3))


# --- seed 002's Jacobians with the functional API ------------------------------------------


def test_seed002_scalar_source_jacobian_has_the_targets_shape():
    x = np.linspace(-10.0, 10.0, 201)
    j = jacrev(lambda delta: pb.special.expit(x + delta))(0.0)
    assert j.shape == (201,)
    sigma = 1.0 / (1.0 + np.exp(-x))
    np.testing.assert_allclose(j, sigma * (1.0 - sigma), rtol=1e-13)


def test_seed002_dense_kernel_jacobian_sums_to_the_gradient():
    rng = np.random.default_rng(11)
    x = rng.standard_normal((7, 5))

    def dense(kernel):
        return pnp.maximum(x @ kernel, 0.0)

    kernel = rng.standard_normal((5, 10))
    j = jacrev(dense)(kernel)
    assert j.shape == (7, 10, 5, 10)
    _assert_trees_close(j, jacfwd(dense)(kernel))
    np.testing.assert_allclose(
        j.sum(axis=(0, 1)), pb.grad(lambda k: dense(k).sum())(kernel), rtol=1e-13
    )


def test_seed002_hessian_gives_a_newton_step_that_matches_a_direct_solve(params):
    x = np.random.default_rng(12).standard_normal((7, 5))

    def loss(w1):
        return pnp.mean(_mlp({**params, "w1": w1}, x) ** 2)

    w1 = params["w1"]
    h = hessian(loss)(w1)
    assert h.shape == (5, 8, 5, 8)
    h_mat = h.reshape(40, 40)
    np.testing.assert_allclose(h_mat, h_mat.T, rtol=1e-12, atol=1e-15)
    g = pb.grad(loss)(w1).reshape(40, 1)
    damped = h_mat + 1e-3 * np.eye(40)
    step = pnp.linalg.solve(damped, g)
    np.testing.assert_allclose(step, np.linalg.solve(damped, g), rtol=1e-10)
    columns = [hvp(loss, (w1,), (e.reshape(5, 8),)).ravel() for e in np.eye(40)[:5]]
    np.testing.assert_allclose(np.stack(columns, axis=1), h_mat[:, :5], rtol=1e-12, atol=1e-15)


def test_seed002_batch_jacobian_shape(params):
    x = np.random.default_rng(13).standard_normal((7, 5))
    jb = batch_jacobian(lambda x: _mlp(params, x))(x)
    assert jb.shape == (7, 6, 5)


# --- GradientTape.jacobian is the same vectorised pullback ---------------------------------


def test_tape_jacobian_equals_jacrev_and_is_differentiable_by_an_outer_tape():
    x0 = np.array([0.3, -0.7, 1.2])
    x = pb.tensor(x0)
    with pb.GradientTape() as outer:
        outer.watch(x)
        with pb.GradientTape() as inner:
            inner.watch(x)
            y = pnp.sin(x) * x[0]
        j = inner.jacobian(y, x)
        total = pnp.sum(j)
    np.testing.assert_array_equal(j.numpy(), jacrev(lambda x: pnp.sin(x) * x[0])(x0))
    want = pb.grad(lambda x: pnp.sum(jacrev(lambda x: pnp.sin(x) * x[0])(x)))(x0)
    np.testing.assert_allclose(outer.gradient(total, x).numpy(), want, rtol=1e-14)
