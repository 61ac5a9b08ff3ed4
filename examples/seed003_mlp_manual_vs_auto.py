"""Seed 003 (fastai's Swift notebook "02_fully_connected"), ported: an MLP's gradients three ways.

A 784-50-1 network with ReLU and a mean-squared-error loss, as in the notebook:

1. by hand: the notebook's ``lin_grad``, ``relu_grad`` and ``mse_grad`` written in NumPy;
2. by chaining each layer's pullback by hand: ``pb.vjp`` is the notebook's ``linVWC``,
   ``reluVWC`` and ``mseVWC`` for any function, without writing the chain rules;
3. by ``pb.grad`` of the whole loss with respect to a ``@dataclass`` of parameters (the
   notebook's ``MyModel: Differentiable``): the gradient is a ``MyModel`` too.

MNIST cannot be downloaded here, so the data are MNIST-shaped noise from a fixed seed: 1000 rows
of 784 pixel values in [0, 1) and integer labels 0-9 used as float targets.

Run it with ``python examples/seed003_mlp_manual_vs_auto.py``.
"""

from __future__ import annotations

import dataclasses

import numpy as np

import pullback as pb

N_ROWS = 1000
N_PIXELS = 784
N_HIDDEN = 50


def synthetic_mnist(dtype=np.float32, seed: int = 0):
    """Normalised MNIST-shaped data: ``x`` of shape ``(1000, 784)``, ``y`` of shape ``(1000,)``."""
    rng = np.random.default_rng(seed)
    x = rng.random((N_ROWS, N_PIXELS)).astype(dtype)
    y = rng.integers(0, 10, N_ROWS).astype(dtype)
    x = (x - x.mean()) / x.std()
    return x, y


@dataclasses.dataclass
class MyModel:
    """The parameters of the 784-50-1 network: a pytree, so its gradient is a ``MyModel``."""

    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray

    def forward(self, inp, targ):
        """The loss of the network on ``inp`` (shape ``(n, 784)``) against ``targ`` (``(n,)``)."""
        return mse(lin(relu(lin(inp, self.w1, self.b1)), self.w2, self.b2), targ)


def kaiming_model(dtype=np.float32, seed: int = 1) -> MyModel:
    """Kaiming (He) initialisation for ReLU, as the notebook's second ``w1``."""
    rng = np.random.default_rng(seed)
    w1 = rng.standard_normal((N_PIXELS, N_HIDDEN)) * np.sqrt(2.0 / N_PIXELS)
    w2 = rng.standard_normal((N_HIDDEN, 1)) / np.sqrt(N_HIDDEN)
    return MyModel(
        w1=w1.astype(dtype),
        b1=np.zeros(N_HIDDEN, dtype),
        w2=w2.astype(dtype),
        b2=np.zeros(1, dtype),
    )


# --- the model, written once with NumPy names -----------------------------------------------


def lin(x, w, b):
    return x @ w + b


def relu(x):
    return np.maximum(x, 0)


def mse(out, targ):
    return ((out.squeeze(-1) - targ) ** 2).mean()


# --- 1. by hand (the notebook's forwardAndBackward) -----------------------------------------


def mse_grad(out, targ):
    """Gradient of the loss with respect to the network's output, shape ``(n, 1)``."""
    return 2.0 * (out.squeeze(-1) - targ)[:, None] / out.shape[0]


def relu_grad(inp, out_grad):
    """Gradient of ``relu`` with respect to its input activations."""
    return np.where(inp < 0, 0, out_grad).astype(out_grad.dtype)


def lin_grad(inp, out_grad, w):
    """Gradients of ``lin`` with respect to its input, weights and bias."""
    return out_grad @ w.T, inp.T @ out_grad, out_grad.sum(0)


def manual_gradients(inp, targ, model: MyModel) -> dict:
    """The forward pass, then the backward pass written out by hand."""
    l1 = lin(inp, model.w1, model.b1)
    l2 = relu(l1)
    out = lin(l2, model.w2, model.b2)
    out_grad = mse_grad(out, targ)
    l2_grad, w2_grad, b2_grad = lin_grad(l2, out_grad, model.w2)
    l1_grad = relu_grad(l1, l2_grad)
    inp_grad, w1_grad, b1_grad = lin_grad(inp, l1_grad, model.w1)
    return {"inp": inp_grad, "w1": w1_grad, "b1": b1_grad, "w2": w2_grad, "b2": b2_grad}


# --- 2. each layer's pullback from pb.vjp, chained by hand ----------------------------------


def chained_pullbacks(inp, targ, model: MyModel) -> dict:
    """The notebook's VWC ``forwardAndBackward``, with ``pb.vjp`` writing every chainer."""
    l1, l1_back = pb.vjp(lin, inp, model.w1, model.b1)
    l2, l2_back = pb.vjp(relu, l1)
    out, out_back = pb.vjp(lin, l2, model.w2, model.b2)
    loss, loss_back = pb.vjp(lambda out: mse(out, targ), out)
    (out_grad,) = loss_back(np.ones((), loss.dtype))
    l2_grad, w2_grad, b2_grad = out_back(out_grad)
    (l1_grad,) = l2_back(l2_grad)
    inp_grad, w1_grad, b1_grad = l1_back(l1_grad)
    return {"inp": inp_grad, "w1": w1_grad, "b1": b1_grad, "w2": w2_grad, "b2": b2_grad}


# --- 3. pb.grad of the whole loss ----------------------------------------------------------


def automatic_gradients(inp, targ, model: MyModel) -> tuple[np.ndarray, MyModel]:
    """Gradients with respect to the input and to the model (a ``MyModel``), in one pass."""
    return pb.grad(lambda inp, model: model.forward(inp, targ), argnums=(0, 1))(inp, model)


def max_difference(a: dict, b: dict) -> float:
    """The largest absolute difference between two dicts of gradients."""
    return max(float(np.max(np.abs(a[k] - b[k]))) for k in a)


def compare(dtype) -> dict:
    """All three gradients of the network in ``dtype``; prints how far apart they are."""
    x, y = synthetic_mnist(dtype)
    model = kaiming_model(dtype)
    manual = manual_gradients(x, y, model)
    chained = chained_pullbacks(x, y, model)
    inp_grad, model_grad = automatic_gradients(x, y, model)
    auto = {"inp": inp_grad, **dataclasses.asdict(model_grad)}
    name = np.dtype(dtype).name
    print(f"{name}: loss = {float(model.forward(x, y))!r}")
    print(f"{name}: gradient is a {type(model_grad).__name__}")
    print(f"{name}: max |manual - chained vjp| = {max_difference(manual, chained):.3g}")
    print(f"{name}: max |manual - pb.grad| = {max_difference(manual, auto):.3g}")
    return {"manual": manual, "chained": chained, "auto": auto, "model_grad": model_grad}


def main() -> dict:
    """Compare the gradients in float32 (the notebook's ``Float``) and in float64."""
    return {"float32": compare(np.float32), "float64": compare(np.float64)}


if __name__ == "__main__":
    main()
