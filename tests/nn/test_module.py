"""Module: pytree structure, gradients of the model's class, modes, checkpointing, weights."""

from __future__ import annotations

import numpy as np
import pytest

import pullback as pb
import pullback.nn
import pullback.numpy as pnp

F64 = np.float64


def _mlp(seed=0):
    return pb.nn.Sequential(
        pb.nn.Dense(3, 4, activation=pb.nn.tanh, dtype=F64, seed=seed),
        pb.nn.Dense(4, 2, dtype=F64, seed=seed + 1),
    )


def _loss(model, x):
    return pnp.sum(model(x) ** 2)


X = np.random.default_rng(0).normal(size=(5, 3))


class Affine(pb.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = pb.Variable(np.array([2.0]))
        self.blocks = {"inner": pb.nn.Dense(1, 1, dtype=F64, seed=0)}
        self.name = "affine"

    def __call__(self, x):
        return self.blocks["inner"](x * self.w)


class Lazy(pb.nn.Module):
    def build(self, input_shape):
        self.add_weight("kernel", (input_shape[-1], 2), "ones", dtype=F64)

    def __call__(self, x):
        return x @ self.kernel


def test_module_pytree_round_trip_keeps_class_and_static_attributes():
    model = Affine()
    leaves, treedef = pb.tree.flatten(model)
    again = pb.tree.unflatten(treedef, leaves)
    assert type(again) is Affine
    assert again.name == "affine"
    assert again.w is model.w
    assert again.blocks["inner"].kernel is model.blocks["inner"].kernel
    assert [id(v) for v in leaves] == [id(v) for v in model.trainable_variables]


def test_grad_returns_the_model_class_with_gradient_leaves():
    model = _mlp()
    grads = pb.grad(_loss)(model, X)
    assert type(grads) is pb.nn.Sequential
    assert type(grads.layers[0]) is pb.nn.Dense
    assert grads.layers[0].kernel.shape == (3, 4)
    assert grads.layers[0].activation is pb.nn.tanh
    h = np.tanh(X @ model.layers[0].kernel.numpy() + model.layers[0].bias.numpy())
    out = h @ model.layers[1].kernel.numpy() + model.layers[1].bias.numpy()
    np.testing.assert_allclose(grads.layers[1].kernel.numpy(), h.T @ (2 * out))


def test_module_gradients_match_finite_differences():
    pb.check_grads(_loss, (_mlp(), X), order=2)


def test_trainable_variables_are_in_insertion_order_and_skip_frozen():
    model = _mlp()
    model.layers[1].bias.trainable = False
    names = [v.name for v in model.trainable_variables]
    assert names == ["kernel", "bias", "kernel"]
    assert model.parameters() == model.trainable_variables
    assert len(model.variables) == 4
    assert len(pb.tree.leaves(model)) == 3


def test_frozen_variable_gets_no_gradient_and_stays_shared():
    model = _mlp()
    model.layers[0].kernel.trainable = False
    grads = pb.grad(_loss)(model, X)
    assert grads.layers[0].kernel is model.layers[0].kernel
    assert len(pb.tree.leaves(grads)) == 3


def test_tree_map_over_two_models_of_the_same_architecture():
    a, b = pb.nn.BatchNorm(2, dtype=F64), pb.nn.BatchNorm(2, dtype=F64)
    mean = pb.tree.map(lambda x, y: (x + y) / 2, a, b)
    assert type(mean) is pb.nn.BatchNorm


def test_lazy_build_runs_once_on_first_call():
    layer = Lazy()
    assert layer(np.ones((1, 3))).shape == (1, 2)
    kernel = layer.kernel
    layer(np.ones((1, 3)))
    assert layer.kernel is kernel
    assert [v.name for v in layer.trainable_variables] == ["kernel"]


@pytest.mark.parametrize(
    "transform",
    [
        lambda model, x: pb.grad(lambda m: pnp.sum(m(x)))(model),
        lambda model, x: pb.value_and_grad(lambda m: pnp.sum(m(x)))(model),
        lambda model, x: pb.jit(lambda m, x: m(x))(model, x),
        lambda model, x: pb.vmap(lambda m, row: m(row[None]), in_axes=(None, 0))(model, x),
        lambda model, x: pb.grad(lambda m: pnp.sum(m[0](x)))([model]),  # nested in a pytree
    ],
)
def test_building_a_transforms_copy_of_a_lazy_layer_is_refused(transform):
    # the copy would get the weights and the layer never would: every step from new weights
    layer, x = Lazy(), np.ones((2, 3))
    with pytest.raises(TypeError, match="Lazy builds its weights on its first call.*model\\(x\\)"):
        transform(layer, x)
    assert not hasattr(layer, "kernel")
    layer(x)  # called once: then every transform works
    transform(layer, x)


def test_lazy_layers_still_build_inside_tapes_closures_and_on_plain_copies():
    x = np.ones((2, 3))
    layer = Lazy()
    with pb.GradientTape() as tape:
        y = pnp.sum(layer(x))  # the layer itself, not a copy
    assert tape.gradient(y, layer.kernel).shape == (3, 2)
    closed = Lazy()
    pb.grad(lambda x: pnp.sum(closed(x)))(x)  # a closure: the layer itself builds
    assert closed.kernel.shape == (3, 2)
    copy = pb.tree.map(lambda v: v, Lazy())  # a copy outside any transform is a layer too
    assert copy(x).shape == (2, 2)


def test_applied_for_backpropagation_matches_vjp():
    model = _mlp()
    y, backprop = model.applied_for_backpropagation(X)
    dy = np.ones(y.shape)
    dmodel, dx = backprop(dy)
    assert type(dmodel) is pb.nn.Sequential
    want = pb.grad(lambda m, x: pnp.sum(m(x)), argnums=(0, 1))(model, X)
    np.testing.assert_allclose(dx, want[1])
    np.testing.assert_allclose(dmodel.layers[0].kernel.numpy(), want[0].layers[0].kernel.numpy())


class Counting(pb.nn.Module):
    def __init__(self):
        super().__init__()
        self.inner = pb.nn.Dense(3, 3, activation=pb.nn.tanh, dtype=F64, seed=3)
        self.calls = [0]

    def __call__(self, x):
        self.calls[0] += 1
        return self.inner(x)


def test_discarding_activations_recomputes_and_keeps_gradients():
    layer = Counting()
    plain = pb.grad(_loss, argnums=(0, 1))(layer, X)
    assert layer.calls[0] == 1
    wrapped = layer.discarding_activations()
    grads = pb.grad(_loss, argnums=(0, 1))(wrapped, X)
    assert layer.calls[0] == 3
    assert type(grads[0]) is pb.nn.Checkpointed
    np.testing.assert_allclose(grads[1], plain[1], rtol=1e-15)
    np.testing.assert_allclose(
        grads[0].module.inner.kernel.numpy(), plain[0].inner.kernel.numpy(), rtol=1e-15
    )


def test_discarding_activations_replays_dropout_masks():
    np.random.seed(1)
    model = pb.nn.Sequential(pb.nn.Dense(3, 8, dtype=F64, seed=0), pb.nn.Dropout(0.5))
    np.random.seed(5)
    plain = pb.grad(_loss)(model, X)
    np.random.seed(5)
    again = pb.grad(_loss)(model.discarding_activations(), X)
    np.testing.assert_array_equal(
        again.module.layers[0].kernel.numpy(), plain.layers[0].kernel.numpy()
    )


def test_train_and_eval_propagate_to_submodules():
    model = pb.nn.Sequential(pb.nn.Dense(2, 2), [pb.nn.Dropout(0.5)])
    model.eval()
    assert not model.training and not model.layers[1][0].training
    assert model.train() is model and model.layers[0].training


def test_state_dict_round_trip_through_a_file(tmp_path):
    model, other = _mlp(0), _mlp(7)
    bn = pb.nn.Sequential(pb.nn.BatchNorm(3, dtype=F64))
    bn(X)
    path = tmp_path / "weights.npz"
    model.save_weights(path)
    other.load_weights(path)
    for a, b in zip(model.variables, other.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert set(bn.state_dict()) == {
        "layers.0.scale",
        "layers.0.offset",
        "layers.0.running_mean",
        "layers.0.running_var",
    }


def test_load_state_dict_rejects_missing_and_misshapen_values():
    model = _mlp()
    state = model.state_dict()
    del state["layers.0.bias"]
    with pytest.raises(KeyError, match="layers.0.bias"):
        model.load_state_dict(state)
    state = model.state_dict()
    state["layers.0.bias"] = np.zeros(7)
    with pytest.raises(ValueError, match="shape"):
        model.load_state_dict(state)


def test_add_weight_rejects_unknown_initializer():
    with pytest.raises(ValueError, match="unknown initializer"):
        pb.nn.Module().add_weight("w", (2,), "normalish")


# --- the remembered flattening: every change a model can go through is seen ------------------


def _leaf_ids(tree):
    return [id(x) for x in pb.tree.leaves(tree)]


class _Holder(pb.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = pb.Variable(np.ones(2))
        self.blocks = {"a": pb.Variable(np.ones(1))}
        self.nested = ([pb.Variable(np.ones(3))],)
        self.sizes = [3, 4]


def test_a_remembered_flattening_is_the_flattening():
    model = _mlp()
    first, second = pb.tree.flatten(model), pb.tree.flatten(model)
    assert first[1] == second[1] and [id(x) for x in first[0]] == [id(x) for x in second[0]]
    first[0].clear()  # the caller's list is its own
    assert len(pb.tree.leaves(model)) == 4
    grads = pb.grad(_loss)(model, X)
    np.testing.assert_allclose(
        pb.tree.leaves(grads)[0].numpy(), pb.grad(_loss)(_mlp(), X).layers[0].kernel.numpy()
    )


@pytest.mark.parametrize(
    "change, leaves",
    [
        (lambda m: setattr(m, "w", pb.Variable(np.zeros(2))), 3),  # a new object, same count
        (lambda m: setattr(m, "extra", pb.Variable(np.ones(1))), 4),
        (lambda m: delattr(m, "w"), 2),
        (lambda m: m.blocks.update(b=pb.Variable(np.ones(1))), 4),
        (lambda m: m.blocks.pop("a"), 2),
        (lambda m: m.nested[0].append(pb.Variable(np.ones(1))), 4),
        (lambda m: m.nested[0].__setitem__(0, pb.Variable(np.ones(3))), 3),
        (lambda m: m.sizes.append(pb.Variable(np.ones(1))), 6),  # a static list turns dynamic
        (lambda m: setattr(m.w, "trainable", False), 2),
    ],
)
def test_a_remembered_flattening_sees_every_change(change, leaves):
    model = _Holder()
    before = _leaf_ids(model)
    assert len(before) == 3 and _leaf_ids(model) == before
    change(model)
    after = [id(x) for x in pb.tree.leaves(model)]
    fresh = [id(x) for x in pb.tree.leaves(model, is_leaf=lambda x: False)]  # not remembered
    assert len(after) == leaves and after == fresh
    assert after != before


def test_a_remembered_flattening_sees_sub_modules_and_modes():
    model = _mlp()
    treedef = pb.tree.structure(model)
    model.layers[1].bias.trainable = False
    assert len(pb.tree.leaves(model)) == 3
    model.layers[1].bias.trainable = True
    model.layers.append(pb.nn.Dense(2, 2, dtype=F64))
    assert len(pb.tree.leaves(model)) == 6
    model.layers.pop()
    assert pb.tree.structure(model) == treedef
    model.eval()
    assert pb.tree.structure(model) != treedef  # the training flag is static data
    assert all(not m.training for m in model.modules())


def test_jit_of_a_model_sees_the_model_change_between_calls():
    model = _mlp()
    grad = pb.jit(pb.grad(_loss))
    assert len(pb.tree.leaves(grad(model, X))) == 4
    model.layers[0].bias.trainable = False
    assert len(pb.tree.leaves(grad(model, X))) == 3
    model.layers.append(pb.nn.Dense(2, 2, dtype=F64, seed=5))
    got, want = grad(model, X), pb.grad(_loss)(model, X)
    assert len(grad.cache) == 3
    for a, b in zip(pb.tree.leaves(got), pb.tree.leaves(want), strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)


def test_a_gradient_model_remembers_the_flattening_it_was_built_from():
    from pullback.nn import module

    model = _mlp()
    grads = pb.grad(_loss)(model, X)
    assert id(grads) in module._flattenings  # opt.update's flattening needs no walk
    leaves, treedef = pb.tree.flatten(grads)
    walked = pb.tree.flatten(grads, is_leaf=lambda x: False)  # a walk, not remembered
    assert [id(x) for x in leaves] == [id(x) for x in walked[0]] and treedef == walked[1]
    grads.layers.append(pb.nn.Dense(2, 2, dtype=F64))  # its own list, mutated: seen
    assert len(pb.tree.leaves(grads)) == 6
    # a gradient with None leaves (of the ints in a list that holds a Variable) is not: a walk
    # takes None as static data, so it would not give the model's flattening back
    holder = _Holder()
    holder.sizes.append(pb.Variable(np.ones(1)))
    grads = pb.grad(lambda m: pnp.sum(m.w * m.sizes[2]))(holder)
    assert id(grads) not in module._flattenings
    assert grads.sizes[:2] == [None, None] and len(pb.tree.leaves(grads)) == 4
