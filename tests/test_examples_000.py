"""Seed 000's programs, ported in examples/seed000_*.py: each prints the seed's numbers."""

import numpy as np
import pytest

import pullback as pb
import pullback.numpy as pnp

from ._examples import load, printed


def numbers(line: str) -> np.ndarray:
    """Every number printed after the ``=`` of ``line``."""
    text = line.split("=", 1)[1].replace("[", " ").replace("]", " ").replace(",", " ")
    return np.array(text.split(), dtype=np.float64)


def ulps(a, b) -> int:
    """How many float32 steps lie between ``a`` and ``b``."""
    ia = np.asarray(a, np.float32).view(np.int32).astype(np.int64)
    ib = np.asarray(b, np.float32).view(np.int32).astype(np.int64)
    return int(np.max(np.abs(ia - ib)))


# --- custom derivative of a C function -----------------------------------------------------


@pytest.fixture(scope="module")
def custom():
    return load("seed000_custom_derivatives")


def test_seed000_silly_exp_prints_the_seeds_lines(custom, capsys):
    result = custom.main()
    assert printed(capsys) == [
        "Taking 𝑒(2.7182817) to the power of 3.0!",
        "exp(3) = 20.085535",
        "Taking 𝑒(2.7182817) to the power of 3.0!",
        "𝛁exp(3) = 20.085535",
    ]
    assert result["value"] == np.float32(20.085535)
    assert result["gradient"] == np.float32(20.085535)
    assert result["gradient"].dtype == np.float32


def test_seed000_silly_exp_rule_composes_to_second_order_and_forward_mode(custom, capsys):
    x = np.float32(3.0)
    assert pb.grad(pb.grad(custom.silly_exp))(x) == np.float32(20.085535)
    assert pb.jvp(custom.silly_exp, (x,), (np.float32(2.0),))[1] == 2 * np.float32(20.085535)
    # float32 C arithmetic: finite differences cannot check it, the exact derivative can.
    assert pb.grad(custom.silly_exp)(np.float32(1.5)) == pytest.approx(np.exp(1.5), rel=1e-6)
    capsys.readouterr()


# --- withoutDerivative and withDerivative --------------------------------------------------


@pytest.fixture(scope="module")
def surgery():
    return load("seed000_derivative_surgery")


def test_seed000_derivative_surgery_prints_the_seeds_lines(surgery, capsys):
    result = surgery.main()
    # The hooks print in the order of the backward pass: log's (computed last) first.
    assert printed(capsys) == [
        "(-0.18009877, 0.0)",
        "∂log/∂x = 0.033333335, but rewritten to 0.5",
        "∂+/∂sin = 1.0",
        "0.65425146",
    ]
    assert result["without"] == (np.float32(-0.18009877), np.float32(0.0))
    assert result["with"] == np.float32(0.65425146)
    assert result["with"].dtype == np.float32


def test_seed000_rewritten_derivative_is_cos_plus_one_half(surgery, capsys):
    assert pb.grad(surgery.surgery)(30.0) == pytest.approx(np.cos(30.0) + 0.5, rel=1e-15)
    x, y = 2.0, 3.0
    chain = np.cos(np.sin(np.sin(x))) * np.cos(np.sin(x)) * np.cos(x)
    assert pb.grad(
        lambda x, y: pnp.sin(pnp.sin(pnp.sin(x))) + pb.without_derivative(pnp.cos(y)),
        argnums=(0, 1),
    )(x, y) == (pytest.approx(chain, rel=1e-15), 0.0)
    capsys.readouterr()


# --- makeRecomputedInGradient --------------------------------------------------------------


@pytest.fixture(scope="module")
def checkpointing():
    return load("seed000_checkpointing")


def test_seed000_checkpointing_recomputes_the_square_in_the_backward_pass(checkpointing, capsys):
    result = checkpointing.main()
    assert printed(capsys) == [
        "Running original computation...",
        " Computing square...",
        "Running backpropagation...",
        " Computing square...",
        "Gradient = -0.91294515",
    ]
    assert (result["forward_runs"], result["backward_runs"]) == (1, 1)


def test_seed000_checkpointing_gradient_is_minus_sin_20(checkpointing, capsys):
    result = checkpointing.main()
    # NOTE: the seed prints -0.9129453; NumPy's float32 sin(10) is -0.54402107, one ulp from
    # glibc's sinf (-0.5440211, correctly rounded), so the float32 gradient is two ulps away.
    assert result["gradient"] == np.float32(-0.91294515)
    assert result["gradient"].dtype == np.float32
    assert ulps(result["gradient"], -0.9129453) == 2
    # In float64 the gradient is -sin(20), which rounds to the seed's float32 digits.
    exact = pb.grad(checkpointing.f)(10.0)
    assert exact == pytest.approx(-np.sin(20.0), rel=1e-15)
    assert str(np.float32(exact)) == "-0.9129453"
    capsys.readouterr()


def test_seed000_checkpointing_matches_the_librarys_checkpoint(checkpointing, capsys):
    library = pb.grad(lambda x: pb.checkpoint(checkpointing.computing_square)(pnp.cos(x)))
    assert library(10.0) == pb.grad(checkpointing.f)(10.0)
    assert pb.grad(pb.grad(checkpointing.f))(10.0) == pytest.approx(-2 * np.cos(20.0), rel=1e-14)
    capsys.readouterr()


# --- the MLP with derivative hooks ---------------------------------------------------------


@pytest.fixture(scope="module")
def mlp():
    return load("seed000_mlp_sgd")


SEED_MLP_LOSSES = [
    0.45304087, 0.43502235, 0.40576553, 0.38182113, 0.36222494,
    0.34618416, 0.33304712, 0.32227832, 0.3134383, 0.30616698,
]  # fmt: skip
SEED_MLP_DL_DYHAT = [
    [-0.25, -0.25, -0.2143442, -0.1791575],
    [-0.24459878, -0.24358931, -0.19911093, -0.16190395],
    [-0.23289952, -0.22639728, -0.17728773, -0.13724682],
    [-0.22214013, -0.21068493, -0.15761846, -0.115079075],
    [-0.2122466, -0.19632757, -0.13990551, -0.09517485],
    [-0.20314947, -0.1832107, -0.12396976, -0.07732913],
    [-0.19478384, -0.1712287, -0.10964805, -0.061354905],
    [-0.187089, -0.16028392, -0.09679102, -0.04708069],
    [-0.18000817, -0.15028599, -0.08526195, -0.034349076],
    [-0.17348853, -0.14115131, -0.074935496, -0.023015507],
]
SEED_MLP_DL_DLAYER1_FIRST = [
    [0.0] * 10,
    [0.0] * 10,
    [-0.046330024, -0.07919147, -0.077494234, -0.07907715, 0.14447221,
     -0.07965051, 0.0873662, -0.016764779, 0.1293755, 0.027867926],
    [-0.038724493, -0.066191405, -0.0647728, -0.06609586, 0.12075568,
     -0.06657509, 0.07302418, -0.014012676, 0.108137235, 0.023293132],
]  # fmt: skip
SEED_MLP_DL_DLAYER1_LAST = [
    [-0.038581613, -0.07305531, -0.063298136, -0.06620461, 0.11486097,
     -0.064468496, 0.067762226, -0.013569281, 0.103915446, 0.022556083],
    [-0.031390235, -0.059438244, -0.051499747, -0.053864464, 0.093451574,
     -0.052451957, 0.055131756, -0.011040049, 0.08454623, 0.018351763],
    [-0.01666469, -0.031555034, -0.027340584, -0.028595984, 0.04961229,
     -0.0278461, 0.029268773, -0.0058610262, 0.044884555, 0.009742727],
    [-0.0051183524, -0.009691737, -0.00839732, -0.008782901, 0.015237799,
     -0.008552584, 0.00898954, -0.0018001414, 0.013785734, 0.0029923574],
]  # fmt: skip


def test_seed000_mlp_losses_are_the_seeds(mlp, capsys):
    losses = mlp.main()
    # NOTE: float32 sums in another order than TensorFlow's: a few ulps apart at most, and 7 of
    # the 10 losses print the seed's exact digits.
    assert all(loss.dtype == np.float32 for loss in losses)
    np.testing.assert_allclose(losses, SEED_MLP_LOSSES, rtol=1e-6)
    assert ulps(losses, SEED_MLP_LOSSES) <= 2
    assert all(later < earlier for earlier, later in zip(losses, losses[1:]))
    lines = printed(capsys)
    assert [line for line in lines if line.startswith("Loss: ")] == [
        f"Loss: {loss!s}" for loss in losses
    ]


def test_seed000_mlp_hooks_print_the_seeds_derivatives(mlp, capsys):
    mlp.main()
    lines = printed(capsys)
    assert len(lines) == 30
    assert [line.split(" ")[0] for line in lines[:3]] == ["Loss:", "∂L/∂ŷ", "∂L/∂layer1"]
    dl_dyhat = [numbers(line) for line in lines[1::3]]
    dl_dlayer1 = [numbers(line).reshape(4, 10) for line in lines[2::3]]
    np.testing.assert_allclose(dl_dyhat, SEED_MLP_DL_DYHAT, rtol=1e-6)
    np.testing.assert_allclose(dl_dlayer1[0], SEED_MLP_DL_DLAYER1_FIRST, rtol=1e-6, atol=3e-8)
    np.testing.assert_allclose(dl_dlayer1[-1], SEED_MLP_DL_DLAYER1_LAST, rtol=1e-6, atol=3e-8)
    # The first input leaves every unit off at step 1: Swift's relu has derivative 0 at 0.
    assert lines[2].startswith("∂L/∂layer1 = [[0.0, 0.0,")


def test_seed000_mlp_gradient_is_an_mlp_of_float32_arrays(mlp, capsys):
    model = mlp.seed_model()
    gradient = pb.grad(mlp.loss_fn)(model)
    assert type(gradient) is mlp.MLP
    assert gradient.layer1.weight.shape == (2, 10)
    assert gradient.layer1.weight.dtype == np.float32
    capsys.readouterr()


# --- the activation-discarding CNN ---------------------------------------------------------


@pytest.fixture(scope="module")
def discarding():
    return load("seed000_activation_discarding")


def test_seed000_conv_layer_runs_twice_per_training_step(discarding, capsys):
    result = discarding.main()
    assert result["runs"] == [(1, 1)] * 5
    step = [
        " Running original computation...",
        " Applying Conv2D<Float> layer...",
        " Running backpropagation...",
        " Applying Conv2D<Float> layer...",
    ]
    lines = printed(capsys)
    assert len(lines) == 5 * 6
    for i in range(5):
        block = lines[6 * i : 6 * i + 6]
        assert block[0] == f"Starting training step {i + 1}"
        assert block[3].startswith(" Loss: ")
        assert block[1:3] + block[4:6] == step


def test_seed000_conv_model_loss_falls(discarding, capsys):
    losses = discarding.main()["losses"]
    # NOTE: the seed's losses (2.6726463 ... 1.701678) come from Swift's random data and
    # weights, which cannot be reproduced; ours come from NumPy's seeded generator.
    assert all(loss.dtype == np.float32 for loss in losses)
    assert all(later < earlier for earlier, later in zip(losses, losses[1:]))
    assert losses[0] == pytest.approx(3.3556666, rel=1e-5)
    assert losses[-1] == pytest.approx(2.2717872, rel=1e-5)
    capsys.readouterr()


def test_seed000_discarding_activations_keeps_the_gradient(discarding, capsys):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 16, 16, 3)).astype(np.float32)
    model = discarding.init_model(rng)
    plain = discarding.Model(model.conv.wrapped, model.dense)

    def loss(model):
        return pnp.sum(model(x) ** 2)

    got = pb.grad(loss)(model)
    want = pb.grad(loss)(plain)
    np.testing.assert_allclose(got.conv.wrapped.filter, want.conv.filter, rtol=1e-6)
    np.testing.assert_allclose(got.conv.wrapped.bias, want.conv.bias, rtol=1e-6)
    np.testing.assert_allclose(got.dense.weight, want.dense.weight, rtol=1e-6)
    capsys.readouterr()
