"""mlp: one forward + backward of the fastai MLP of seed 003 (784-50-1, ReLU, MSE), float32.

The data are synthetic but shaped and scaled like normalized MNIST: 50,000 rows of
``N(0, 1)`` pixels and integer labels 0..9 as float32 targets. Weights use the seed's Kaiming
init. Every implementation gets the same arrays and returns the gradients of w1, b1, w2, b2.
"""

from __future__ import annotations

import numpy as np

import pullback as pb
import pullback.numpy as pnp
from bench import _peers
from bench._runner import Case, Workload

ROWS, ROWS_QUICK, INPUTS, HIDDEN = 50_000, 5_000, 784, 50


def data(rows: int):
    """``(x, w1, b1, w2, b2, y)``: inputs, the seed's Kaiming-initialised weights, targets."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((rows, INPUTS), dtype=np.float32)
    y = rng.integers(0, 10, rows).astype(np.float32)
    w1 = (rng.standard_normal((INPUTS, HIDDEN)) * np.sqrt(2.0 / INPUTS)).astype(np.float32)
    w2 = (rng.standard_normal((HIDDEN, 1)) / np.sqrt(HIDDEN)).astype(np.float32)
    b1 = np.zeros(HIDDEN, np.float32)
    b2 = np.zeros(1, np.float32)
    return x, w1, b1, w2, b2, y


# --- hand-written NumPy: the seed's lin_grad / relu_grad / mse_grad -----------------------


def numpy_grads(x, w1, b1, w2, b2, y):
    """Forward (loss included, as in the seed's forwardAndBackward), then manual gradients."""
    l1 = x @ w1 + b1
    l2 = np.maximum(l1, 0)
    out = l2 @ w2 + b2
    diff = out[:, 0] - y
    (diff**2).mean()  # the loss: unused by the backward pass, but every peer computes it
    g_out = (2.0 / len(x) * diff)[:, None]
    g_l2 = g_out @ w2.T
    g_l1 = g_l2 * (l1 > 0)
    # NOTE: the Swift seed's w.grad = inp.T @ out.grad, not the Python (inp[..., None] *
    # out.grad[:, None]).sum(0), which would build a 50,000 x 784 x 50 temporary.
    return x.T @ g_l1, g_l1.sum(0), l2.T @ g_out, g_out.sum(0)


# --- pullback ----------------------------------------------------------------------------


def _relu(h):
    if hasattr(pnp, "maximum"):
        return pnp.maximum(h, 0)
    return pnp.where(h > 0, h, 0)  # pnp.maximum does not exist yet


def _squeeze_last(out):
    if hasattr(pnp, "squeeze"):
        return out.squeeze(-1)
    return pnp.reshape(out, out.shape[:-1])  # pnp.squeeze does not exist yet


def _mean(v):
    if hasattr(pnp, "mean"):
        return v.mean()
    return pnp.sum(v) / v.size  # pnp.mean does not exist yet


def pullback_loss(x, w1, b1, w2, b2, y):
    out = _relu(x @ w1 + b1) @ w2 + b2
    return _mean((_squeeze_last(out) - y) ** 2)


def build(quick: bool) -> Workload:
    args = data(ROWS_QUICK if quick else ROWS)
    # NOTE: the check runs on float64 copies: in float32 the w1 gradient sums 50,000 products
    # and BLAS rounding alone (it varies with the kernel and even with alignment) reaches 5e-4
    # of its largest entry, more than the 1e-4 float32 tolerance. The timings are float32.
    args64 = tuple(a.astype(np.float64) for a in args)
    cases = [
        _case("pullback", pb.grad(pullback_loss, argnums=(1, 2, 3, 4)), args, args64),
        _case("NumPy (hand-written grads)", numpy_grads, args, args64, numpy_baseline=True),
        _torch_case(args, args64),
        _autograd_case(args, args64),
    ]
    return Workload(
        name="mlp",
        title=f"784-50-1 MLP, ReLU, MSE, {len(args[0]):,} rows float32: grads of w1, b1, w2, b2",
        cases=cases,
        dtype=np.float64,
        target="pullback <= 1.05x hand-written NumPy",
        target_check=lambda t: t["pullback"] <= 1.05 * t["NumPy (hand-written grads)"],
        notes=[
            "gradients are checked on float64 copies of the inputs (rtol 1e-6), timed in float32",
            f"pullback ops used: {_ops_used()}",
        ],
    )


def _case(name: str, grads, args, args64, numpy_baseline: bool = False) -> Case:
    """Time ``grads(*args)``; check ``grads(*args64)``."""
    return Case(
        name,
        lambda: grads(*args),
        lambda: tuple(np.asarray(g) for g in grads(*args64)),
        numpy_baseline=numpy_baseline,
    )


def _ops_used() -> str:
    relu = "maximum" if hasattr(pnp, "maximum") else "where(h > 0, h, 0)"
    squeeze = "squeeze" if hasattr(pnp, "squeeze") else "reshape"
    mean = "mean" if hasattr(pnp, "mean") else "sum / n"
    return f"matmul, add, {relu}, {squeeze}, subtract, power, {mean}"


def _torch_case(args, args64) -> Case:
    torch = _peers.torch
    if torch is None:
        return Case("PyTorch", skip=_peers.missing("torch"))

    def grads(x, w1, b1, w2, b2, y):
        x, y = torch.from_numpy(x), torch.from_numpy(y)
        w1, b1, w2, b2 = (torch.from_numpy(a).requires_grad_() for a in (w1, b1, w2, b2))
        out = torch.relu(x @ w1 + b1) @ w2 + b2
        ((out.squeeze(-1) - y) ** 2).mean().backward()
        return w1.grad, b1.grad, w2.grad, b2.grad

    return _case(f"PyTorch {_peers.version('torch')}", grads, args, args64)


def _autograd_case(args, args64) -> Case:
    autograd = _peers.autograd
    if autograd is None:
        return Case("HIPS autograd", skip=_peers.missing("autograd"))
    anp = autograd.numpy

    def loss(x, w1, b1, w2, b2, y):
        out = anp.maximum(x @ w1 + b1, 0) @ w2 + b2
        return anp.mean((anp.squeeze(out, -1) - y) ** 2)

    grads = autograd.grad(loss, argnum=(1, 2, 3, 4))
    return _case(f"HIPS autograd {_peers.version('autograd')}", grads, args, args64)
