"""Layers: gradients in float64, modes, shapes."""

from __future__ import annotations

import re

import numpy as np
import pytest

import pullback as pb
import pullback.nn
import pullback.numpy as pnp

F64 = np.float64
RNG = np.random.default_rng(0)
X = RNG.normal(size=(4, 3))


def _sum_sq(model, x):
    return pnp.sum(model(x) ** 2)


@pytest.mark.parametrize(
    "layer",
    [
        pb.nn.Dense(3, 2, activation="sigmoid", dtype=F64, seed=0),
        pb.nn.Dense(3, 2, use_bias=False, dtype=F64, seed=0),
    ],
    ids=["dense", "dense_no_bias"],
)
def test_layer_gradients_match_finite_differences(layer):
    pb.check_grads(_sum_sq, (layer, X), order=2)


@pytest.mark.parametrize(
    "layer", [pb.nn.LayerNorm(3, dtype=F64), pb.nn.BatchNorm(3, dtype=F64)], ids=["layer", "batch"]
)
def test_normalisation_gradients_match_finite_differences(layer):
    pb.check_grads(_sum_sq, (layer, X), order=2)


def test_dense_computes_affine_map_with_activation():
    layer = pb.nn.Dense(3, 2, activation=pb.nn.relu, dtype=F64, seed=0)
    want = np.maximum(X @ layer.kernel.numpy() + layer.bias.numpy(), 0)
    np.testing.assert_allclose(layer(X).numpy(), want)


def test_dense_defaults_to_float32_parameters():
    layer = pb.nn.Dense(3, 2)
    assert layer.kernel.dtype == np.float32
    assert layer(X.astype(np.float32)).dtype == np.float32


def test_dense_rejects_unknown_activation_name():
    with pytest.raises(ValueError, match="unknown activation"):
        pb.nn.Dense(2, 2, activation="swishy")


@pytest.mark.parametrize("shape", [(8, 5), (5,), ()])
def test_dense_names_itself_and_the_shape_of_a_wrong_input(shape):
    model = pb.nn.Sequential(pb.nn.Dense(4, 16, "relu"), pb.nn.Dense(16, 3))
    message = f"Dense(4, 16) needs inputs with 4 features on their last axis, got shape {shape}"
    with pytest.raises(ValueError, match=re.escape(message)):
        model(np.ones(shape))
    with pytest.raises(ValueError, match="Dense"):
        pb.grad(lambda m: m(np.ones(shape)).sum())(model)


def test_flatten_and_sequential_on_nhwc_images():
    model = pb.nn.Sequential(pb.nn.Flatten(), pb.nn.Dense(2 * 2 * 3, 5, dtype=F64, seed=0))
    assert model(np.ones((7, 2, 2, 3))).shape == (7, 5)


def test_dropout_scales_kept_units_in_training_and_is_identity_in_eval():
    np.random.seed(0)
    layer = pb.nn.Dropout(0.25)
    y = layer(np.ones((1000,)))
    kept = y != 0
    np.testing.assert_allclose(y[kept], 1 / 0.75)
    assert 0.65 < kept.mean() < 0.85
    np.testing.assert_array_equal(layer.eval()(np.ones(5)), np.ones(5))


def test_dropout_gradient_uses_the_forward_mask():
    np.random.seed(3)
    g = pb.grad(lambda x: pnp.sum(pb.nn.Dropout(0.5)(x)))(np.ones(50))
    np.random.seed(3)
    mask = pb.nn.Dropout(0.5)(np.ones(50)) != 0
    np.testing.assert_array_equal(g, np.where(mask, 2.0, 0.0))


def test_jitted_dropout_draws_a_new_mask_at_every_call():
    # a trace used to keep its one mask as a constant: the same units dropped at every step
    x = np.ones((4, 64))

    def masks(seed):
        step = pb.jit(lambda layer, x: layer(x))
        np.random.seed(seed)
        return [step(pb.nn.Dropout(0.5), x) for _ in range(3)]

    first, again = masks(5), masks(5)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)  # reproducible from NumPy's seed
        assert set(np.unique(a)) == {0.0, 2.0}
    assert not np.array_equal(first[1], first[2])


def test_jitted_dropout_gradient_uses_the_mask_of_its_own_call():
    f = lambda x: pnp.sum(pb.nn.functional.dropout(x, 0.5) * x)  # at ones: 2 * kept
    step = pb.jit(pb.value_and_grad(f))
    grads = []
    for _ in range(3):
        value, grad = step(np.ones(64))
        assert set(np.unique(grad)) == {0.0, 4.0} and 2 * value == grad.sum()
        grads.append(grad)
    assert not np.array_equal(grads[1], grads[2])


def test_two_dropouts_of_one_input_are_two_masks_under_jit():
    twice = lambda x: pb.nn.functional.dropout(x, 0.5) - pb.nn.functional.dropout(x, 0.5)
    assert np.any(pb.jit(twice)(np.ones(256)) != 0)  # not merged into one draw


def test_dropout_under_vmap_gives_each_example_its_own_mask():
    out = pb.vmap(lambda row: pb.nn.functional.dropout(row, 0.5))(np.ones((8, 64)))
    assert len({row.tobytes() for row in out}) == 8


def test_dropout_with_a_generator_key_advances_it_under_jit():
    rng = np.random.default_rng(0)
    step = pb.jit(lambda x: pb.nn.functional.dropout(x, 0.5, key=rng))
    state = rng.bit_generator.state["state"]["state"]
    masks = [step(np.ones(64)) for _ in range(3)]
    assert not np.array_equal(masks[1], masks[2])
    assert rng.bit_generator.state["state"]["state"] != state


def test_dropout_rejects_rate_of_one():
    with pytest.raises(ValueError, match="rate"):
        pb.nn.Dropout(1.0)


def test_batch_norm_training_normalises_and_updates_running_stats_inside_grad():
    bn = pb.nn.BatchNorm(3, momentum=0.9, dtype=F64)
    x = RNG.normal(loc=5.0, size=(64, 3))
    pb.grad(_sum_sq)(bn, x)
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.1 * x.mean(0))
    np.testing.assert_allclose(bn.running_var.numpy(), 0.9 + 0.1 * x.var(0))
    y = bn(x).numpy()
    np.testing.assert_allclose(y.mean(0), 0, atol=1e-12)


def test_batch_norm_eval_uses_running_stats_on_nhwc():
    bn = pb.nn.BatchNorm(2, dtype=F64).eval()
    bn.running_mean.assign(np.array([1.0, 2.0]))
    bn.running_var.assign(np.array([4.0, 9.0]))
    x = np.ones((2, 3, 3, 2))
    want = (x - [1.0, 2.0]) / np.sqrt(np.array([4.0, 9.0]) + 1e-3)
    np.testing.assert_allclose(bn(x).numpy(), want)
    assert bn.running_mean.numpy().tolist() == [1.0, 2.0]


def test_embedding_gradient_scatter_adds_repeated_ids():
    emb = pb.nn.Embedding(5, 2, dtype=F64, seed=0)
    ids = np.array([[1, 1], [3, 1]])
    g = pb.grad(lambda m: pnp.sum(m(ids)))(emb)
    want = np.zeros((5, 2))
    want[1], want[3] = 3.0, 1.0
    np.testing.assert_array_equal(g.embeddings.numpy(), want)


def test_embedding_gradient_matches_finite_differences():
    ids = np.array([0, 2, 2])
    pb.check_grads(lambda m: pnp.sum(m(ids) ** 3), (pb.nn.Embedding(3, 2, dtype=F64, seed=0),))


def test_embedding_rejects_float_ids():
    with pytest.raises(TypeError, match="integers"):
        pb.nn.Embedding(5, 2)(np.array([1.0]))


def test_a_checkpointed_dropout_under_jit_recomputes_the_forward_passs_mask():
    # the recomputation is a second draw in the graph: it must be the same draw, as eagerly
    block = pb.checkpoint(lambda x: pb.nn.functional.dropout(x, 0.5) * x)
    step = pb.jit(pb.value_and_grad(lambda x: pnp.sum(block(x))))  # at ones: 2 * kept
    grads = []
    for _ in range(4):
        value, grad = step(np.ones(64))
        assert 2 * value == grad.sum()
        grads.append(grad)
    assert not np.array_equal(grads[0], grads[1])


@pytest.mark.parametrize("bad", [-1, 5])
def test_embedding_ids_outside_the_table_are_refused(bad):
    # NumPy would take -1 as the last row: a silently wrong lookup and gradient
    table = pb.nn.Embedding(5, 2, dtype=np.float64)
    calls = [
        lambda ids: table(ids),
        lambda ids: pb.grad(lambda m: pnp.sum(m(ids)))(table),
        lambda ids: pb.jit(lambda m, i: m(i))(table, pb.tensor(ids)),
        lambda ids: pb.vmap(lambda i: table(i), in_axes=0)(ids[None]),
    ]
    for call in calls:
        call(np.array([0, 4]))
        with pytest.raises(ValueError, match=rf"rows 0..4 of a table of 5, got ids from .*{bad}"):
            call(np.array([0, bad]))


@pytest.mark.parametrize(
    "layer, shape",
    [
        (lambda: pb.nn.BatchNorm(3), (2, 4)),
        (lambda: pb.nn.BatchNorm(3, axis=1), (2, 4, 3)),
        (lambda: pb.nn.LayerNorm(3), (2, 4)),
        (lambda: pb.nn.LayerNorm(3), (2, 1)),  # NumPy would broadcast it to (2, 3), silently
    ],
)
def test_normalisation_layers_name_themselves_and_a_wrong_input(layer, shape):
    layer = layer()
    message = re.escape(f"{type(layer).__name__}(3) normalises 3 features on axis")
    with pytest.raises(ValueError, match=message + r".*" + re.escape(str(shape))):
        layer(np.ones(shape))
