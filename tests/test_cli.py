import json
import subprocess
import sys

import pytest

from pullback.cli import main
from pullback.train import Config, train

pytest.importorskip("sklearn")


def test_train_mlp_reaches_the_accuracy_bar_and_saves(tmp_path):
    history = train(Config(model="mlp", out=str(tmp_path)), log=lambda line: None)
    assert history["final_test_accuracy"] >= 0.96
    assert (tmp_path / "model.npz").exists()
    saved = json.loads((tmp_path / "history.json").read_text())
    assert saved["config"]["model"] == "mlp" and len(saved["loss"]) == 20
    assert saved["loss"][-1] < saved["loss"][0]


def test_train_cnn_two_epochs_learns(tmp_path):
    history = train(Config(model="cnn", epochs=2, out=str(tmp_path)), log=lambda line: None)
    assert history["test_accuracy"][-1] > 0.8


def test_bad_arguments_get_one_line_errors(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--epochs", "0"])
    assert exit_info.value.code == 2
    assert "must be positive" in capsys.readouterr().err


def test_unreadable_data_gets_a_one_line_error(tmp_path, capsys):
    assert main(["train", "--data", str(tmp_path / "missing"), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("pullback train: error:") and err.count("\n") == 1


def test_an_unwritable_out_directory_fails_before_training(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert main(["train", "--out", str(blocker / "run")]) == 2
    captured = capsys.readouterr()
    assert "epoch" not in captured.out + captured.err  # no epoch was trained
    assert captured.err.startswith("pullback train: error:") and captured.err.count("\n") == 1


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("pullback ")


def test_help_lists_every_command():
    out = subprocess.run(
        [sys.executable, "-m", "pullback", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "train" in out and "demo" in out
