"""The seed 001 and 002 programs ported in examples/: each runs and prints the seed's numbers."""

import numpy as np
import pytest

import pullback as pb
import pullback.numpy as pnp

from ._examples import assert_plots_only_with_matplotlib, load, printed

# --- seed 002: controlling recording, several tapes ----------------------------------------


@pytest.fixture(scope="module")
def tape_basics():
    return load("seed002_tape_basics")


@pytest.mark.parametrize("example", ["stop_recording", "reset", "stop_gradient"])
def test_seed002_blocked_path_gives_4_for_x_and_none_for_y(tape_basics, capsys, example):
    grad = getattr(tape_basics, f"{example}_example")()
    assert float(grad["x"]) == 4.0
    assert grad["x"].dtype == np.float32
    assert grad["y"] is None
    assert printed(capsys) == ["dz/dx: 4.0", "dz/dy: None"]


def test_seed002_reset_is_what_drops_the_y_gradient(tape_basics, capsys):
    grad = tape_basics.reset_example(reset=False)
    assert float(grad["y"]) == 6.0
    capsys.readouterr()


def test_seed002_two_tapes_each_differentiate_their_own_source(tape_basics, capsys):
    d0, d1 = tape_basics.multiple_tapes_example()
    assert (float(d0), float(d1)) == (1.0, 0.25)
    assert printed(capsys) == ["1.0", "0.25"]


def test_seed002_tape_basics_main_runs_every_example(tape_basics, capsys):
    result = tape_basics.main()
    assert set(result) == {"stop_recording", "reset", "stop_gradient", "multiple_tapes"}
    assert len(printed(capsys)) == 3 * 2 + 2


# --- seed 002: custom gradients ------------------------------------------------------------


@pytest.fixture(scope="module")
def custom002():
    return load("seed002_custom_gradients")


def test_seed002_clip_gradients_is_the_identity_with_gradient_2(custom002, capsys):
    result = custom002.main()
    assert float(result["output"]) == 4.0
    assert float(result["gradient"]) == 2.0
    assert printed(capsys) == ["2.0"]


@pytest.mark.parametrize(("upstream", "want"), [(3.0, 2.0), (0.25, 1.0), (-1.0, -2.0)])
def test_seed002_clip_gradients_clips_the_upstream_gradient_to_norm_one_half(
    custom002, upstream, want
):
    v = pb.Variable(np.float32(2.0))
    with pb.GradientTape() as t:
        output = custom002.clip_gradients(v * v)
    # d(v * v)/dv = 4 times the clipped upstream gradient
    assert float(t.gradient(output, v, output_gradients=np.float32(upstream))) == want


def test_seed002_clip_gradients_clips_a_vector_by_its_norm(custom002):
    x = pb.tensor(np.array([1.0, 2.0]))
    with pb.GradientTape() as t:
        t.watch(x)
        output = custom002.clip_gradients(x)
    g = t.gradient(output, x, output_gradients=np.array([3.0, 4.0]))
    np.testing.assert_allclose(g.numpy(), [0.3, 0.4], rtol=1e-15)


# --- seed 002: higher-order gradients ------------------------------------------------------


@pytest.fixture(scope="module")
def higher_order():
    return load("seed002_higher_order")


def test_seed002_nested_tapes_give_the_second_derivative(higher_order, capsys):
    dy_dx, d2y_dx2 = higher_order.second_derivative_example()
    assert (float(dy_dx), float(d2y_dx2)) == (3.0, 6.0)
    assert printed(capsys) == ["dy_dx: 3.0", "d2y_dx2: 6.0"]


def test_seed002_input_gradient_regularisation_shapes(higher_order, capsys):
    result = higher_order.input_gradient_regularisation()
    assert [g.shape for g in result["dg1_mag"]] == [(5, 10), (10,)]
    assert printed(capsys) == ["[(5, 10), (10,)]"]


def test_seed002_input_gradient_regularisation_matches_nested_grad(higher_order, capsys):
    result = higher_order.input_gradient_regularisation()
    capsys.readouterr()
    x = result["x"].numpy().astype(np.float64)
    layer = result["layer"]

    def g1_mag(kernel, bias):
        out = lambda x: pnp.sum(pnp.maximum(x @ kernel + bias, 0.0) ** 2)
        return pnp.linalg.norm(pb.grad(out)(x))

    kernel = layer.kernel.numpy().astype(np.float64)
    bias = layer.bias.numpy().astype(np.float64)
    want = pb.grad(g1_mag, argnums=(0, 1))(kernel, bias)
    assert float(result["g1_mag"]) == pytest.approx(float(g1_mag(kernel, bias)), rel=1e-5)
    for got, w in zip(result["dg1_mag"], want):
        np.testing.assert_allclose(got.numpy(), w, rtol=1e-4, atol=1e-5)


# --- seed 002: Jacobians -------------------------------------------------------------------


@pytest.fixture(scope="module")
def jacobians():
    return load("seed002_jacobians")


@pytest.fixture(scope="module")
def jacobian_results(jacobians):
    return jacobians.main([])


def test_seed002_jacobians_print_the_seeds_shapes(jacobians, capsys):
    jacobians.main([])
    lines = printed(capsys)
    for line in [
        "(201,)",
        "(7, 10)",
        "(5, 10)",
        "(7, 10, 5, 10)",
        "g.shape: (5, 10)",
        "layer.kernel.shape: (5, 8)",
        "h.shape: (5, 8, 5, 8)",
        "(7, 6)",
        "(7, 6, 7, 5)",
        "(7, 6, 5)",
        "j.shape: (7, 6, 7, 5)",
        "jb.shape: (7, 6, 5)",
    ]:
        assert line in lines
    assert lines[:2] == ["(201,)", "(201,)"]
    assert "plot" not in "\n".join(lines)


def test_seed002_scalar_source_jacobian_is_the_sigmoids_derivative(jacobian_results):
    result = jacobian_results["scalar_source"]
    assert result["y"].shape == result["dy_dx"].shape == (201,)
    sigma = 1.0 / (1.0 + np.exp(-result["x"].astype(np.float64)))
    np.testing.assert_allclose(result["dy_dx"], sigma * (1.0 - sigma), rtol=1e-5, atol=1e-7)


def test_seed002_kernel_jacobian_sums_to_the_gradient(jacobian_results):
    result = jacobian_results["tensor_source"]
    assert result["j"].shape == (7, 10, 5, 10)
    np.testing.assert_allclose(result["j"].sum(axis=(0, 1)), result["g"], rtol=1e-5, atol=1e-6)
    assert result["delta"] < 1e-3


def test_seed002_hessian_is_symmetric_and_matches_forward_over_reverse(jacobian_results):
    result = jacobian_results["hessian"]
    assert result["h"].shape == (5, 8, 5, 8)
    h_mat = result["h_mat"]
    np.testing.assert_allclose(h_mat, h_mat.T, atol=1e-6)
    x = result["x"].numpy()
    layer1, layer2 = result["layers"]
    relu = lambda z: pnp.maximum(z, 0.0)

    def loss(kernel):
        hidden = relu(x @ kernel + layer1.bias.numpy())
        return pnp.mean(relu(hidden @ layer2.kernel.numpy() + layer2.bias.numpy()) ** 2)

    kernel = result["kernel_before"]
    np.testing.assert_allclose(pb.grad(loss)(kernel), result["g"], rtol=1e-5, atol=1e-7)
    columns = []
    for index in np.ndindex(kernel.shape):
        unit = np.zeros_like(kernel)
        unit[index] = 1.0
        columns.append(pb.jvp(pb.grad(loss), (kernel,), (unit,))[1].ravel())
    np.testing.assert_allclose(np.stack(columns, axis=1), h_mat, rtol=1e-4, atol=1e-6)


def test_seed002_newton_step_solves_the_damped_system_and_reduces_the_loss(
    jacobians, jacobian_results
):
    result = jacobian_results["hessian"]
    n = result["h_mat"].shape[0]
    h = result["h_mat"].astype(np.float64) + jacobians.NEWTON_EPS * np.eye(n)
    g = result["g"].reshape(n, 1).astype(np.float64)
    np.testing.assert_allclose(result["update"], np.linalg.solve(h, g), rtol=1e-3, atol=1e-6)
    np.testing.assert_allclose(
        result["layers"][0].kernel.numpy(),
        result["kernel_before"] - result["update"].reshape(5, 8),
        rtol=1e-6,
    )
    assert result["loss_after"] < 0.1 * result["loss_before"]


def test_seed002_batch_jacobian_equals_the_summed_full_jacobian(jacobian_results):
    result = jacobian_results["batch"]
    j, jb = result["j"], result["jb"]
    assert j.shape == (7, 6, 7, 5)
    assert jb.shape == (7, 6, 5)
    np.testing.assert_array_equal(jb, j.sum(axis=2))
    np.testing.assert_array_equal(jb, np.einsum("bxby->bxy", j))


def test_seed002_rows_are_independent_without_batch_norm(jacobians, jacobian_results):
    j = jacobian_results["batch"]["j"]
    assert jacobians.off_diagonal_max(j) == 0.0
    assert np.abs(j).max() > 0.1


def test_seed002_batch_norm_couples_rows_so_batch_jacobian_is_not_the_dependency(
    jacobians, jacobian_results
):
    result = jacobian_results["batch_norm"]
    j, jb = result["j"], result["jb"]
    assert j.shape == (7, 6, 7, 5)
    assert jb.shape == (7, 6, 5)
    assert jacobians.off_diagonal_max(j) > 0.1
    # batch_jacobian keeps only the diagonal blocks, so it no longer sums to the full Jacobian
    np.testing.assert_array_equal(jb, np.einsum("bxby->bxy", j))
    assert np.abs(jb - j.sum(axis=2)).max() > 0.1


def test_seed002_jacobians_plot_only_when_asked(jacobians, capsys, tmp_path):
    path = tmp_path / "jacobians.png"
    assert_plots_only_with_matplotlib(jacobians.main, ["--plot", str(path)], path, capsys)


# --- seed 001: the custom sine layer -------------------------------------------------------


@pytest.fixture(scope="module")
def custom_layer():
    return load("seed001_custom_layer")


def test_seed001_sine_layer_gradients_match_the_hand_derived_formula(custom_layer, capsys):
    result = custom_layer.main()
    capsys.readouterr()
    x, w = result["inputs"].astype(np.float64), result["kernel"].astype(np.float64)
    hand = custom_layer.hand_gradients(x, w, result["bias"].astype(np.float64))
    for name in ("kernel", "bias", "inputs"):
        got = result["gradients"][name]
        assert got.dtype == np.float32, name
        np.testing.assert_allclose(got, hand[name], rtol=1e-5, atol=1e-6, err_msg=name)
    assert float(result["loss"]) == pytest.approx(np.sum(np.sin(x @ w) ** 2), rel=1e-6)


def test_seed001_sine_layer_prints_the_kernel_and_its_gradient(custom_layer, capsys):
    result = custom_layer.main()
    out = capsys.readouterr().out
    assert out.startswith("my_custom_layer.trainable_variables:\n")
    assert "\ngradient:\n" in out
    assert str(result["gradients"]["kernel"]) in out
    assert result["kernel"].shape == (3, 2)
    assert not result["bias"].any()


# --- seed 001: 1 / exp(x) ------------------------------------------------------------------


@pytest.fixture(scope="module")
def exp_nan():
    return load("seed001_exp_nan")


def test_seed001_naive_float32_gradient_is_nan(exp_nan, capsys):
    result = exp_nan.main()
    lines = printed(capsys)
    assert result["output"] == 0.0
    assert np.isnan(result["gradient"])
    assert lines[:2] == ["output using autodiff:  0.0", "gradient using autodiff:  nan"]


def test_seed001_custom_gradient_is_finite(exp_nan, capsys):
    result = exp_nan.main()
    capsys.readouterr()
    g = result["gradient_custom"]
    assert g.dtype == np.float32
    assert np.isfinite(g) and g < 0
    assert g == -np.exp(np.float32(-100.0))


def test_seed001_float64_gradient_is_minus_exp_minus_100(exp_nan, capsys):
    result = exp_nan.main()
    capsys.readouterr()
    assert result["gradient_float64"] == pytest.approx(-3.7200759760208e-44, rel=1e-12)
    assert pb.grad(exp_nan.function_using_customdiff)(100.0) == pytest.approx(
        -3.7200759760208e-44, rel=1e-12
    )


# --- seed 001: Eigen's forward mode --------------------------------------------------------


@pytest.fixture(scope="module")
def forward_mode():
    return load("seed001_forward_mode")


def test_seed001_sigmoid_value_and_derivative_at_2(forward_mode, capsys):
    result = forward_mode.sigmoid_example()
    assert printed(capsys) == ["Y: 0.880797", "", "derivatives:", "0.104994"]
    sigma = 1.0 / (1.0 + np.exp(-2.0))
    for y, dy in [(result["y"], result["dy"]), (result["y_acc"], result["dy_acc"])]:
        assert y == pytest.approx(sigma, rel=1e-15)
        assert round(y, 4) == 0.8808
        assert dy == pytest.approx(sigma * (1.0 - sigma), rel=1e-14)
        assert round(dy, 5) == 0.10499


def test_seed001_forward_mode_layer_gradients_equal_reverse_mode(forward_mode, capsys):
    result = forward_mode.custom_layer_example()
    capsys.readouterr()
    (fx, fw), (rx, rw) = result["forward"], result["reverse"]
    assert fx.shape == rx.shape == (3, 3)
    assert fw.shape == rw.shape == (3, 2)
    np.testing.assert_allclose(fx, rx, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fw, rw, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(result["accumulator"], fw, rtol=1e-6, atol=1e-7)
    x, w = forward_mode.X_IN.astype(np.float64), result["w"].astype(np.float64)
    dz = np.sin(2.0 * (x @ w))
    np.testing.assert_allclose(fw, x.T @ dz, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fx, dz @ w.T, rtol=1e-5, atol=1e-6)
    assert float(result["loss"]) == pytest.approx(float(result["output"].sum()), rel=1e-6)


def test_seed001_forward_mode_main_prints_both_examples(forward_mode, capsys):
    result = forward_mode.main()
    out = capsys.readouterr().out
    assert set(result) == {"sigmoid", "custom_layer"}
    for heading in ("trainable_variables:", "gradient:", "output:", "loss:"):
        assert heading in out.splitlines()
