"""The seed programs ported in examples/: each runs and prints the seed's numbers."""

import dataclasses

import numpy as np
import pytest

from ._examples import assert_plots_only_with_matplotlib, load, printed


def printed_number(lines: list[str], prefix: str) -> float:
    """The number after ``prefix`` on the one line that starts with it."""
    (line,) = [line for line in lines if line.startswith(prefix)]
    return float(line[len(prefix) :])


# --- seed 004: from scratch ----------------------------------------------------------------


@pytest.fixture(scope="module")
def seed004():
    return load("seed004_from_scratch")


def test_seed004_first_example_prints_the_seeds_lines(seed004, capsys):
    result = seed004.first_example()
    assert printed(capsys) == [
        "d.value = 28",
        "The partial derivative of d with respect to a = 11",
        "gradients[b] = 4",
        "gradients[c] = 4",
        "dict(d.grad)[a] = 7",
        "dict(d.grad)[c] = 4",
        "dict(c.grad)[a] = 1",
        "dict(c.grad)[b] = 1",
    ]
    assert (result["d"], result["grad_a"], result["grad_b"], result["grad_c"]) == (28, 11, 4, 4)
    assert result["local_d"] == (7.0, 4.0)
    assert result["local_c"] == (1.0, 1.0)
    assert all(type(g) is float for g in (result["grad_a"], result["grad_b"], result["grad_c"]))


def test_seed004_operators_example_gives_the_seeds_gradient(seed004, capsys):
    result = seed004.operators_example()
    lines = printed(capsys)
    want = (-153284.83150602411, 3815.0389441500993)
    assert result["grad"] == pytest.approx(want, rel=1e-12)
    assert printed_number(lines, "The partial derivative of y with respect to a = ") == (
        pytest.approx(want[0], rel=1e-12)
    )
    assert printed_number(lines, "The partial derivative of y with respect to b = ") == (
        pytest.approx(want[1], rel=1e-12)
    )


def test_seed004_operators_example_reproduces_the_seeds_numeric_estimate(seed004, capsys):
    result = seed004.operators_example()
    lines = printed(capsys)
    # NOTE: forward differences with delta 1e-8 amplify rounding by |f| / delta, so the seed's
    # estimates are reproduced (they are IEEE +-*/ only) but only agree with the exact
    # gradient to about 1e-5.
    seed_numeric = (-153284.89243984222, 3815.069794654846)
    assert result["numeric"] == pytest.approx(seed_numeric, rel=1e-9)
    assert printed_number(lines, "The numerical estimate for a = ") == pytest.approx(
        seed_numeric[0], rel=1e-9
    )
    assert result["numeric"] == pytest.approx(result["grad"], rel=1e-4)


def test_seed004_functions_example_gives_the_seeds_gradient(seed004, capsys):
    result = seed004.functions_example()
    lines = printed(capsys)
    want = (60.85353612046653, 872.2331479536114, -3.2853671032530305)
    assert result["grad"] == pytest.approx(want, rel=1e-12)
    for name, w in zip("abc", want):
        prefix = f"The partial derivative of y with respect to {name} = "
        assert printed_number(lines, prefix) == pytest.approx(w, rel=1e-12)


def test_seed004_functions_example_numeric_estimate_is_close_to_the_seeds(seed004, capsys):
    result = seed004.functions_example()
    lines = printed(capsys)
    # NOTE: sin/exp/log may differ by an ulp between libms; divided by delta that is ~1e-7.
    seed_numeric = (60.85352186602222, 872.232160009645, -3.285367089489455)
    assert result["numeric"] == pytest.approx(seed_numeric, rel=1e-6)
    for name, w in zip("abc", seed_numeric):
        assert printed_number(lines, f"The numerical estimate for {name} = ") == (
            pytest.approx(w, rel=1e-6)
        )
    assert result["numeric"] == pytest.approx(result["grad"], rel=1e-5)


def test_seed004_main_returns_every_example(seed004, capsys):
    result = seed004.main()
    assert set(result) == {"first", "operators", "functions"}
    assert len(printed(capsys)) == 8 + 4 + 6


# --- seed 004: naive vectorisation ---------------------------------------------------------


@pytest.fixture(scope="module")
def vectorisation():
    return load("seed004_naive_vectorisation")


def numpy_fit(steps=100, lrate=0.001) -> list[float]:
    """The seed's training loop with the gradient written by hand in NumPy."""
    np.random.seed(0)
    x = np.random.random(50)
    y_true = np.random.random(10)
    weights = np.random.random((50, 10))
    losses = []
    for _ in range(steps):
        residual = y_true - np.dot(x, weights)
        losses.append(float(np.sum(residual * residual)))
        weights = weights - lrate * np.outer(x, -2.0 * residual)
    return losses


def test_seed004_vectorisation_loss_decreases_monotonically(vectorisation, capsys):
    losses = vectorisation.main([])
    assert len(losses) == 100
    assert all(later < earlier for earlier, later in zip(losses, losses[1:]))
    lines = printed(capsys)
    assert printed_number(lines, "loss at step 0 = ") == losses[0]
    assert printed_number(lines, "loss at step 99 = ") == losses[-1]


def test_seed004_vectorisation_matches_manual_numpy_gradients(vectorisation, capsys):
    losses = vectorisation.main([])
    lines = printed(capsys)
    want = numpy_fit()
    np.testing.assert_allclose(losses, want, rtol=1e-10)
    assert printed_number(lines, "loss at step 0 = ") == pytest.approx(want[0], rel=1e-10)
    assert printed_number(lines, "loss at step 99 = ") == pytest.approx(want[-1], rel=1e-10)
    assert losses[0] == pytest.approx(1711.1598338302545, rel=1e-10)
    assert losses[-1] == pytest.approx(1.119446761827309, rel=1e-10)


def test_seed004_vectorisation_plots_only_when_asked(vectorisation, capsys, tmp_path):
    vectorisation.main([])
    assert "plot" not in capsys.readouterr().out
    path = tmp_path / "loss.png"
    assert_plots_only_with_matplotlib(vectorisation.main, ["--plot", str(path)], path, capsys)


# --- seed 003: gradients and pullbacks -----------------------------------------------------


@pytest.fixture(scope="module")
def gradients003():
    return load("seed003_gradients")


def test_seed003_gradient_of_x_squared_over_the_stride(gradients003, capsys):
    grads = gradients003.square_gradients()
    assert grads == [2 * (i * 0.1) for i in range(10)]
    assert all(type(g) is float for g in grads)
    assert printed(capsys) == [repr(g) for g in grads]


def test_seed003_do_thing_gradient_matches_the_analytic_derivative(gradients003, capsys):
    g = gradients003.do_thing_gradient()
    x = 3.14
    analytic = 2 * x * np.cos(x * x) - 2 * x * np.sin(x * x)
    assert g == pytest.approx(analytic, rel=1e-12)
    assert printed(capsys) == [repr(g)]


def test_seed003_mse_inner_every_form_gives_the_same_value_and_gradient(gradients003, capsys):
    result = gradients003.mse_inner_examples()
    want = [0.5, 1.0, 1.5, 2.0]
    assert result["manual"][0] == 7.5
    assert result["vwc"][0] == 7.5
    assert float(result["vjp"][0]) == 7.5
    assert float(result["value_and_grad"][0]) == 7.5
    for key in ("builtin_grad", "pullback", "grad"):
        assert result[key].tolist() == want
    for key in ("manual", "vwc", "vjp", "value_and_grad"):
        assert result[key][1].tolist() == want
    assert type(result["grad"]) is np.ndarray
    capsys.readouterr()


def test_seed003_manual_gradient_computes_square_twice_and_vwc_once(gradients003, capsys):
    gradients003.mse_inner_examples()
    lines = printed(capsys)
    manual = lines[: lines.index("")]
    assert manual == ["square", "mean", "square", "grad_mean", "grad_square"]
    forward = lines.index("Calling the forward function:")
    backward = lines.index("Calling the backward function:")
    assert lines[forward + 1 : forward + 3] == ["square_vwc", "mean_vwc"]
    assert lines[backward + 1 : backward + 3] == ["mean_chain", "square_chain"]


def test_seed003_pullback_runs_no_python_code_of_the_function(gradients003, capsys):
    gradients003.mse_inner_examples()
    lines = printed(capsys)
    start = lines.index("Calling pb.vjp (the forward pass runs once):")
    assert lines[start + 1 : start + 4] == [
        "mse_inner_for_ad",
        "Calling its pullback (no Python code of the function runs again):",
        "[0.5, 1.0, 1.5, 2.0]",
    ]


# --- seed 003: the MLP, by hand and by pullback --------------------------------------------


@pytest.fixture(scope="module")
def mlp():
    return load("seed003_mlp_manual_vs_auto")


def assert_same_gradients(got: dict, want: dict, rtol: float, atol: float) -> None:
    assert set(got) == set(want)
    for key in want:
        assert got[key].shape == want[key].shape, key
        assert got[key].dtype == want[key].dtype, key
        scale = float(np.max(np.abs(want[key])))
        np.testing.assert_allclose(got[key], want[key], rtol=rtol, atol=atol * scale, err_msg=key)


@pytest.mark.parametrize(
    ("dtype", "rtol", "atol"), [(np.float32, 1e-4, 1e-5), (np.float64, 1e-10, 1e-12)]
)
def test_seed003_mlp_pullback_gradients_equal_manual_gradients(mlp, capsys, dtype, rtol, atol):
    result = mlp.compare(dtype)
    assert_same_gradients(result["chained"], result["manual"], rtol, atol)
    assert_same_gradients(result["auto"], result["manual"], rtol, atol)
    assert len(printed(capsys)) == 4


def test_seed003_mlp_gradient_of_a_dataclass_is_the_same_dataclass(mlp, capsys):
    x, y = mlp.synthetic_mnist(np.float64)
    model = mlp.kaiming_model(np.float64)
    _, model_grad = mlp.automatic_gradients(x[:10], y[:10], model)
    assert type(model_grad) is mlp.MyModel
    for field in dataclasses.fields(model):
        assert getattr(model_grad, field.name).shape == getattr(model, field.name).shape


def test_seed003_mlp_uses_mnist_shaped_kaiming_initialised_data(mlp):
    x, y = mlp.synthetic_mnist(np.float32)
    assert x.shape == (1000, 784) and x.dtype == np.float32
    assert abs(float(x.mean())) < 1e-3 and abs(float(x.std()) - 1) < 1e-3
    model = mlp.kaiming_model(np.float32)
    assert abs(float(model.w1.std()) - np.sqrt(2 / 784)) < 2e-3
