"""scalar: the gradient of the seed function w.r.t. all three of its Python-float arguments.

``f(a, b, c) = log((sin(a * b) + exp(c - a / b)) ** 2) * c`` at ``(43., 3., 2.)``: ten scalar
ops, so the time is almost all per-call overhead of the gradient transform.
"""

from __future__ import annotations

import numpy as np

import pullback as pb
import pullback.numpy as pnp
from bench import _peers
from bench._runner import Case, Workload

POINT = (43.0, 3.0, 2.0)


def seed(m):
    """The seed function written against the NumPy-like namespace ``m``."""

    def f(a, b, c):
        return m.log((m.sin(a * b) + m.exp(c - a / b)) ** 2) * c

    return f


def build(quick: bool) -> Workload:
    del quick
    grad_f = pb.grad(seed(pnp), argnums=(0, 1, 2))
    cases = [
        Case("pullback", lambda: grad_f(*POINT), lambda: grad_f(*POINT)),
        _torch_case(),
        _autograd_case(),
        *_jax_cases(),
    ]
    return Workload(
        name="scalar",
        title="grad of log((sin(a*b) + exp(c - a/b))**2) * c at (43., 3., 2.) w.r.t. a, b, c",
        cases=cases,
        dtype=np.float64,
        target="pullback <= 60 us (PyTorch ~74, HIPS ~181)",
        target_check=lambda t: t["pullback"] <= 60e-6,
    )


def _torch_case() -> Case:
    torch = _peers.torch
    if torch is None:
        return Case("PyTorch", skip=_peers.missing("torch"))
    f = seed(torch)

    def run():
        args = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in POINT]
        f(*args).backward()
        return tuple(a.grad.item() for a in args)

    return Case(f"PyTorch {_peers.version('torch')} (0-d tensors)", run, run)


def _autograd_case() -> Case:
    autograd = _peers.autograd
    if autograd is None:
        return Case("HIPS autograd", skip=_peers.missing("autograd"))
    grad_f = autograd.grad(seed(autograd.numpy), argnum=(0, 1, 2))
    return Case(
        f"HIPS autograd {_peers.version('autograd')}",
        lambda: grad_f(*POINT),
        lambda: grad_f(*POINT),
    )


def _jax_cases() -> list[Case]:
    jax = _peers.jax
    if jax is None:
        return [Case("JAX", skip=_peers.missing("jax"))]
    version = _peers.version("jax")
    eager = jax.grad(seed(jax.numpy), argnums=(0, 1, 2))
    jitted = jax.jit(eager)
    return [
        _jax_case(f"JAX {version} eager jax.grad", eager),
        _jax_case(f"JAX {version} jit(grad)", jitted),
    ]


def _jax_case(name: str, grad_f) -> Case:
    jax = _peers.jax
    return Case(
        name,
        lambda: jax.block_until_ready(grad_f(*POINT)),
        lambda: tuple(float(g) for g in grad_f(*POINT)),
    )
