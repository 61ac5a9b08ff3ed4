"""Pure optimisers: hand-computed steps and PyTorch as a peer."""

from __future__ import annotations

import numpy as np
import pytest

import pullback as pb
import pullback.optim

P0 = {"w": np.array([1.0, -2.0]), "b": np.array(0.5)}
GRADS = [
    {"w": np.array([0.5, -1.0]), "b": np.array(2.0)},
    {"w": np.array([-0.3, 0.2]), "b": np.array(-1.0)},
    {"w": np.array([0.1, 0.4]), "b": np.array(0.25)},
]


def _run(opt, steps=GRADS):
    params, state = P0, opt.init(P0)
    for g in steps:
        updates, state = opt.update(g, state, params)
        params = pb.optim.apply_updates(params, updates)
    return params


def test_sgd_momentum_matches_hand_computation():
    params = _run(pb.optim.sgd(0.1, momentum=0.9), GRADS[:2])
    buf1 = GRADS[0]["w"]
    buf2 = 0.9 * buf1 + GRADS[1]["w"]
    np.testing.assert_allclose(params["w"], P0["w"] - 0.1 * buf1 - 0.1 * buf2)


def test_adam_first_step_is_learning_rate_times_sign():
    params = _run(pb.optim.adam(0.01), GRADS[:1])
    np.testing.assert_allclose(params["w"], P0["w"] - 0.01 * np.sign(GRADS[0]["w"]), rtol=1e-6)


def test_schedule_sets_learning_rate_per_step():
    opt = pb.optim.sgd(pb.optim.exponential_decay(1.0, decay_steps=1, decay_rate=0.5))
    params = _run(opt, GRADS[:2])
    np.testing.assert_allclose(params["b"], 0.5 - 1.0 * 2.0 - 0.5 * -1.0)


def test_non_float_leaves_get_none_state_and_none_gradients():
    opt = pb.optim.adam(0.1)
    state = opt.init({"w": np.ones(2), "n": 3})
    assert state.mu["n"] is None
    updates, _ = opt.update({"w": np.ones(2), "n": None}, state)
    assert updates["n"] is None


def test_apply_updates_leaves_a_parameter_without_an_update_as_it_is():
    # the optimisers give a non-float leaf no update: applying them used to fail on its None
    params = {"w": np.ones(2), "n": 3, "nothing": None}
    opt = pb.optim.adam(0.1)
    grads = pb.grad(lambda p: (p["w"] * p["n"]).sum())(params)
    updates, _ = opt.update(grads, opt.init(params))
    new = pb.optim.apply_updates(params, updates)
    assert new["n"] == 3 and new["nothing"] is None
    np.testing.assert_allclose(new["w"], [0.9, 0.9])


def test_adamw_needs_params_and_nesterov_needs_momentum():
    opt = pb.optim.adamw()
    with pytest.raises(ValueError, match="params"):
        opt.update(GRADS[0], opt.init(P0))
    with pytest.raises(ValueError, match="momentum"):
        pb.optim.sgd(0.1, nesterov=True)


def test_optimiser_update_is_differentiable():
    opt = pb.optim.sgd(0.1, momentum=0.5)

    def after_step(w):
        updates, _ = opt.update({"w": w * w}, opt.init({"w": w}))
        return pb.optim.apply_updates({"w": w}, updates)["w"]

    assert pb.grad(after_step)(3.0) == pytest.approx(1 - 0.2 * 3.0)


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (lambda: pb.optim.sgd(0.1), lambda t, p: t.optim.SGD(p, lr=0.1)),
        (
            lambda: pb.optim.sgd(0.1, momentum=0.9, nesterov=True),
            lambda t, p: t.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
        ),
        (lambda: pb.optim.adam(0.05), lambda t, p: t.optim.Adam(p, lr=0.05)),
        (
            lambda: pb.optim.adamw(0.05, weight_decay=0.1),
            lambda t, p: t.optim.AdamW(p, lr=0.05, weight_decay=0.1),
        ),
    ],
    ids=["sgd", "nesterov", "adam", "adamw"],
)
def test_steps_match_pytorch(ours, theirs):
    torch = pytest.importorskip("torch")
    tw = torch.tensor(P0["w"], requires_grad=True)
    tb = torch.tensor(P0["b"], requires_grad=True)
    topt = theirs(torch, [tw, tb])
    for g in GRADS:
        tw.grad, tb.grad = torch.tensor(g["w"]), torch.tensor(g["b"])
        topt.step()
    params = _run(ours())
    np.testing.assert_allclose(params["w"], tw.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(params["b"], tb.detach().numpy(), rtol=1e-12)
