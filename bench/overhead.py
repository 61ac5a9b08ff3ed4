"""overhead: per-op cost of tracing and differentiating 1,000 elementwise ops on 10 floats.

``y = x; for _ in range(500): y = y * c + x``, then ``y.sum()``; the gradient w.r.t. ``x``.
The arrays are tiny, so the time is the library's bookkeeping per op, forward and backward.
"""

from __future__ import annotations

import numpy as np

import pullback as pb
from bench import _peers
from bench._runner import Case, Workload

STEPS = 500
OPS = 2 * STEPS
C = 0.999


def chain(x):
    """The chain on any array type that has ``*``, ``+`` and ``.sum()``."""
    y = x
    for _ in range(STEPS):
        y = y * C + x
    return y.sum()


def build(quick: bool) -> Workload:
    del quick
    x = np.linspace(0.1, 1.0, 10)
    grad_chain = pb.grad(chain)
    cases = [
        Case("pullback", lambda: grad_chain(x), lambda: (grad_chain(x),)),
        Case("NumPy (forward only)", lambda: chain(x), numpy_baseline=True),
        _torch_case(x),
        _autograd_case(x),
        _jax_case(x),
    ]
    return Workload(
        name="overhead",
        title=f"{OPS} elementwise ops on float64[10], forward + backward",
        cases=cases,
        dtype=np.float64,
        per_call=OPS,
        unit="op",
        target="pullback <= 3.5 us/op (PyTorch ~4.4, NumPy 0.75, HIPS ~9.5)",
        target_check=lambda t: t["pullback"] <= 3.5e-6,
    )


def _torch_case(x) -> Case:
    torch = _peers.torch
    if torch is None:
        return Case("PyTorch", skip=_peers.missing("torch"))

    def run():
        xt = torch.tensor(x, requires_grad=True)
        chain(xt).backward()
        return xt.grad

    return Case(f"PyTorch {_peers.version('torch')}", run, lambda: (run().numpy(),))


def _autograd_case(x) -> Case:
    autograd = _peers.autograd
    if autograd is None:
        return Case("HIPS autograd", skip=_peers.missing("autograd"))
    grad_chain = autograd.grad(chain)
    return Case(
        f"HIPS autograd {_peers.version('autograd')}",
        lambda: grad_chain(x),
        lambda: (grad_chain(x),),
    )


def _jax_case(x) -> Case:
    jax = _peers.jax
    if jax is None:
        return Case("JAX eager jax.grad", skip=_peers.missing("jax"))
    grad_chain = jax.grad(chain)
    return Case(
        f"JAX {_peers.version('jax')} eager jax.grad",
        lambda: jax.block_until_ready(grad_chain(x)),
        lambda: (np.asarray(grad_chain(x)),),
    )
