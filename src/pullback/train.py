"""``pullback train``: train an MLP or a CNN on the bundled digits (or MNIST files you have).

Built only on the public API: ``pb.nn`` layers, ``pb.value_and_grad``, ``pb.optim``,
``pb.data``. Writes the weights (``model.npz``) and a loss/accuracy plot (``curves.png``, when
matplotlib is installed) to ``--out``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import pullback as pb
import pullback.numpy as pnp

DEFAULT_EPOCHS = {"mlp": 20, "cnn": 12}  # both reach their accuracy bar (README) in < 60 s


@dataclass
class Config:
    """The command line's settings."""

    model: str = "mlp"
    epochs: int | None = None  # None: the model's default (DEFAULT_EPOCHS)
    batch_size: int = 32
    lr: float = 1e-3
    optimizer: str = "adam"
    seed: int = 0
    data: str = "digits"
    out: str = "pullback-run"


def load(data: str):
    """``((x_train, y_train), (x_test, y_test))`` for ``digits`` or an MNIST directory."""
    if data == "digits":
        return pb.data.load_digits()
    return pb.data.load_mnist(data)


def build_model(kind: str, image_shape: tuple[int, int, int], seed: int) -> pb.nn.Module:
    """A 64-128-10-style MLP or a small CNN for NHWC images of ``image_shape``."""
    h, w, c = image_shape
    if kind == "mlp":
        return pb.nn.Sequential(
            pb.nn.Flatten(),
            pb.nn.Dense(h * w * c, 128, activation="relu", seed=seed),
            pb.nn.Dense(128, 10, seed=seed + 1),
        )
    return pb.nn.Sequential(
        pb.nn.Conv2D((3, 3, c, 32), padding="same", activation="relu", seed=seed),
        pb.nn.MaxPool2D((2, 2)),
        pb.nn.Flatten(),
        pb.nn.Dense((h // 2) * (w // 2) * 32, 64, activation="relu", seed=seed + 1),
        pb.nn.Dense(64, 10, seed=seed + 2),
    )


def loss_fn(model, x, y):
    """Mean softmax cross-entropy of ``model(x)`` against integer labels ``y``."""
    return pb.nn.softmax_cross_entropy(model(x), y)


def accuracy(model, x, y, batch_size: int = 512) -> float:
    """The fraction of ``x`` that ``model`` classifies as ``y``."""
    correct = 0
    for i in range(0, len(x), batch_size):
        logits = model(x[i : i + batch_size])
        correct += int(
            np.sum(np.argmax(pb.tensor(logits).numpy(), axis=1) == y[i : i + batch_size])
        )
    return correct / len(x)


def make_optimizer(name: str, lr: float):
    return {"sgd": pb.optim.SGD, "adam": pb.optim.Adam, "adamw": pb.optim.AdamW}[name](lr)


def _progress(iterable, total: int, desc: str):
    try:
        from tqdm import tqdm
    except ImportError:
        return iterable
    return tqdm(iterable, total=total, desc=desc, leave=False, unit="batch")


def train(config: Config, log=print) -> dict:
    """Train as ``config`` says; returns the history and the final test accuracy."""
    if config.epochs is None:
        config.epochs = DEFAULT_EPOCHS[config.model]
    (x_train, y_train), (x_test, y_test) = load(config.data)
    Path(config.out).mkdir(parents=True, exist_ok=True)  # before training: fail fast
    np.random.seed(config.seed)
    model = build_model(config.model, x_train.shape[1:], config.seed)
    optimizer = make_optimizer(config.optimizer, config.lr)
    step = pb.value_and_grad(loss_fn)
    history = {"loss": [], "train_accuracy": [], "test_accuracy": []}
    started = time.perf_counter()
    steps_per_epoch = -(-len(x_train) // config.batch_size)
    for epoch in range(1, config.epochs + 1):
        losses = []
        batches = pb.data.batches(x_train, y_train, config.batch_size, seed=config.seed + epoch)
        for x, y in _progress(batches, steps_per_epoch, f"epoch {epoch}/{config.epochs}"):
            loss, grads = step(model, x, y)
            optimizer.update(model, grads)
            losses.append(float(loss))
        history["loss"].append(float(np.mean(losses)))
        history["train_accuracy"].append(accuracy(model, x_train, y_train))
        history["test_accuracy"].append(accuracy(model, x_test, y_test))
        log(
            f"epoch {epoch:3d}  loss {history['loss'][-1]:.4f}  "
            f"train accuracy {history['train_accuracy'][-1]:.4f}  "
            f"test accuracy {history['test_accuracy'][-1]:.4f}"
        )
    history["seconds"] = time.perf_counter() - started
    history["final_test_accuracy"] = history["test_accuracy"][-1] if config.epochs else None
    _save(model, x_test[:1], history, config, log)
    return history


def _save(model, example, history: dict, config: Config, log) -> None:
    out = Path(config.out)
    model.save_weights(out / "model.npz")
    # The whole model (architecture and weights) as a graph: pb.load needs none of this code.
    pb.save(out / "model.pullback", model.eval(), example)
    (out / "history.json").write_text(json.dumps({**history, "config": config.__dict__}, indent=2))
    saved = [str(out / p) for p in ("model.npz", "model.pullback", "history.json")]
    if _plot(history, out / "curves.png"):
        saved.append(str(out / "curves.png"))
    else:
        log("(matplotlib is not installed: no curves.png; pip install pullback[plot])")
    log(f"final test accuracy {history['final_test_accuracy']:.4f} in {history['seconds']:.1f} s")
    log("saved " + ", ".join(saved))


def _plot(history: dict, path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    epochs = np.arange(1, len(history["loss"]) + 1)
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
    left.plot(epochs, history["loss"], marker="o")
    left.set(xlabel="epoch", ylabel="training loss", title="loss")
    right.plot(epochs, history["train_accuracy"], marker="o", label="train")
    right.plot(epochs, history["test_accuracy"], marker="o", label="test")
    right.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


del pnp
