"""jacobians: full Jacobians, a Hessian and per-example gradients, against JAX, PyTorch, autograd.

Four workloads, float64, each peer's result checked against pullback's before it is timed:

- ``hessian``: seed 002's Hessian of ``mean(relu(relu(x @ w1 + b1) @ w2 + b2) ** 2)`` w.r.t.
  the ``(5, 8)`` kernel ``w1`` (``x``: ``(7, 5)``), shape ``(5, 8, 5, 8)``.
- ``full_jacobian``: seed 002's two-layer network ``(7, 5) -> (7, 6)`` (tanh in place of ELU,
  so that one definition runs on every library), Jacobian w.r.t. ``x``, shape ``(7, 6, 7, 5)``.
- ``mlp_jacobian``: a 100-100-100 tanh MLP, Jacobian of its output w.r.t. its input.
- ``per_example``: per-example gradients of the softmax cross-entropy of a 64-128-10 tanh MLP
  over a batch of 256 (``vmap`` of ``grad``; HIPS autograd, which has no ``vmap``, loops).

Beside pullback's transforms, "pullback, one pullback per row" is the loop that
``GradientTape.jacobian`` used to run (one backward pass per output entry), for scale.
Run with ``python -m bench.jacobians [--quick]``; ``build_all`` gives the four workloads.
"""

from __future__ import annotations

import bench  # noqa: F401  (pins thread counts before NumPy is imported)

# isort: split
import sys

import numpy as np

import pullback as pb
import pullback.numpy as pnp
from bench import _peers
from bench._runner import Case, Workload
from pullback.transforms.jacobians import hessian, jacfwd, jacobian, jacrev

RNG_SEED = 2


def relu(m):
    """ReLU on any NumPy-like namespace ``m`` (``|z|`` is everywhere; ``maximum`` is not)."""
    return lambda z: (z + m.abs(z)) * 0.5


# --- the functions, on any NumPy-like namespace --------------------------------------------


def seed002_loss(m, x, w1_rest):
    """``loss(w1)`` of seed 002's Hessian example; ``w1_rest``: ``(b1, w2, b2)``."""
    b1, w2, b2 = w1_rest
    act = relu(m)
    return lambda w1: m.mean(act(act(x @ w1 + b1) @ w2 + b2) ** 2)


def two_layer(m, w1, b1, w2, b2):
    """``x (batch, in) -> tanh(tanh(x @ w1 + b1) @ w2 + b2)``."""
    return lambda x: m.tanh(m.tanh(x @ w1 + b1) @ w2 + b2)


def example_loss(m):
    """Softmax cross-entropy of one example: ``(params, x (64,), y one-hot (10,)) -> scalar``."""

    def loss(params, x, y):
        w1, b1, w2, b2 = params
        z = m.tanh(x @ w1 + b1) @ w2 + b2
        top = m.max(z)
        return m.log(m.sum(m.exp(z - top))) + top - m.sum(y * z)

    return loss


def _layer(rng, n_in, n_out):
    return rng.standard_normal((n_in, n_out)) / np.sqrt(n_in), 0.1 * rng.standard_normal(n_out)


# --- workloads -----------------------------------------------------------------------------


def build_hessian(quick: bool) -> Workload:
    del quick
    rng = np.random.default_rng(RNG_SEED)
    x = rng.standard_normal((7, 5))
    w1, b1 = _layer(rng, 5, 8)
    w2, b2 = _layer(rng, 8, 6)
    rest = (b1, w2, b2)
    loss = seed002_loss(pnp, x, rest)
    hess = hessian(loss)
    jitted = pb.jit(hess)
    grad_loss = pb.grad(loss)
    cases = [
        Case("pullback hessian (jacfwd of jacrev)", lambda: hess(w1), lambda: (hess(w1),)),
        Case("pullback pb.jit(hessian)", lambda: jitted(w1), lambda: (jitted(w1),)),
        Case("pullback jacrev of grad", _run(jacrev(grad_loss), w1), _grads(jacrev(grad_loss), w1)),
        Case(
            "pullback nested GradientTape",
            _run(_tape_hessian, loss, w1),
            _grads(_tape_hessian, loss, w1),
        ),
        Case(
            "pullback, one pullback per row",
            _run(_row_loop, grad_loss, w1),
            _grads(_row_loop, grad_loss, w1),
        ),
        *_jax_cases(lambda jnp: seed002_loss(jnp, x, rest), w1, "hessian"),
        _torch_case(lambda t: seed002_loss(t, t.tensor(x), _tensors(t, *rest)), w1, "hessian"),
        _autograd_case(lambda anp: seed002_loss(anp, x, rest), w1, "hessian"),
    ]
    return Workload(
        "hessian", "seed 002 Hessian w.r.t. a (5, 8) kernel: (5, 8, 5, 8)", cases, np.float64
    )


def build_full_jacobian(quick: bool) -> Workload:
    del quick
    rng = np.random.default_rng(RNG_SEED)
    x = rng.standard_normal((7, 5))
    weights = (*_layer(rng, 5, 8), *_layer(rng, 8, 6))
    return _jacobian_workload(
        "full_jacobian", "seed 002 network (7, 5) -> (7, 6), Jacobian (7, 6, 7, 5)", weights, x
    )


def build_mlp_jacobian(quick: bool) -> Workload:
    del quick
    rng = np.random.default_rng(RNG_SEED)
    x = rng.standard_normal(100)
    weights = (*_layer(rng, 100, 100), *_layer(rng, 100, 100))
    return _jacobian_workload(
        "mlp_jacobian", "100-100-100 tanh MLP, Jacobian (100, 100)", weights, x
    )


def _jacobian_workload(name: str, title: str, weights, x) -> Workload:
    f = two_layer(pnp, *weights)
    cases = [
        Case("pullback jacrev", _run(jacrev(f), x), _grads(jacrev(f), x)),
        Case("pullback jacfwd", _run(jacfwd(f), x), _grads(jacfwd(f), x)),
        Case("pullback pb.jit(jacrev)", _run(pb.jit(jacrev(f)), x), _grads(pb.jit(jacrev(f)), x)),
        Case("pullback jacobian (picks a mode)", _run(jacobian(f), x), _grads(jacobian(f), x)),
        Case(
            "pullback GradientTape.jacobian",
            _run(_tape_jacobian, f, x),
            _grads(_tape_jacobian, f, x),
        ),
        Case("pullback, one pullback per row", _run(_row_loop, f, x), _grads(_row_loop, f, x)),
        *_jax_cases(lambda jnp: two_layer(jnp, *weights), x, "jacrev"),
        _torch_case(lambda t: two_layer(t, *_tensors(t, *weights)), x, "jacrev"),
        _autograd_case(lambda anp: two_layer(anp, *weights), x, "jacobian"),
    ]
    return Workload(name, title, cases, np.float64)


def build_per_example(quick: bool) -> Workload:
    rng = np.random.default_rng(RNG_SEED)
    batch = 64 if quick else 256
    params = (*_layer(rng, 64, 128), *_layer(rng, 128, 10))
    x = rng.standard_normal((batch, 64))
    y = np.eye(10)[rng.integers(0, 10, batch)]
    per_example = pb.vmap(pb.grad(example_loss(pnp)), in_axes=(None, 0, 0))
    jitted = pb.jit(per_example)
    cases = [
        Case(
            "pullback vmap(grad)",
            lambda: per_example(params, x, y),
            lambda: per_example(params, x, y),
        ),
        Case(
            "pullback pb.jit(vmap(grad))",
            lambda: jitted(params, x, y),
            lambda: jitted(params, x, y),
        ),
        _pb_loop_case(params, x, y),
        *_jax_per_example_cases(params, x, y),
        _torch_per_example_case(params, x, y),
        _autograd_per_example_case(params, x, y),
    ]
    title = f"per-example gradients, 64-128-10 MLP, batch {batch}"
    return Workload("per_example", title, cases, np.float64)


def build_all(quick: bool) -> list[Workload]:
    builders = (build_hessian, build_full_jacobian, build_mlp_jacobian, build_per_example)
    return [b(quick) for b in builders]


# --- pullback baselines --------------------------------------------------------------------


def _run(fn, *args):
    return lambda: fn(*args)


def _grads(fn, *args):
    return lambda: (np.asarray(fn(*args)),)


def _row_loop(f, x):
    """The Jacobian with one pullback per output entry (the old ``GradientTape.jacobian``)."""
    out, back = pb.vjp(f, x)
    rows = [back(e.reshape(out.shape))[0] for e in np.eye(out.size)]
    return np.stack(rows).reshape(out.shape + x.shape)


def _tape_jacobian(f, x):
    x = pb.tensor(x)
    with pb.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(x)
        y = f(x)
    return tape.jacobian(y, x).numpy()


def _tape_hessian(loss, w1):
    """Seed 002's way: the ``jacobian`` of a gradient taken inside an outer tape."""
    w = pb.tensor(w1)
    with pb.GradientTape() as outer:
        outer.watch(w)
        with pb.GradientTape() as inner:
            inner.watch(w)
            value = loss(w)
        g = inner.gradient(value, w)
    return outer.jacobian(g, w).numpy()


def _pb_loop_case(params, x, y) -> Case:
    grad_loss = pb.grad(example_loss(pnp))

    def run():
        grads = [grad_loss(params, xi, yi) for xi, yi in zip(x, y)]
        return tuple(np.stack(parts) for parts in zip(*grads))

    return Case("pullback grad, loop over examples", run, run)


# --- peers ---------------------------------------------------------------------------------


def _tensors(torch, *arrays):
    return [torch.tensor(a) for a in arrays]


def _jax_cases(make, x, transform: str) -> list[Case]:
    jax = _peers.jax
    if jax is None:
        return [Case("JAX", skip=_peers.missing("jax"))]
    f = getattr(jax, transform)(make(jax.numpy))
    jitted = jax.jit(f)
    version = _peers.version("jax")
    return [
        Case(f"JAX {version} eager jax.{transform}", _jax_run(jax, f, x), _jax_grads(f, x)),
        Case(
            f"JAX {version} jit(jax.{transform})", _jax_run(jax, jitted, x), _jax_grads(jitted, x)
        ),
    ]


def _jax_run(jax, f, *args):
    return lambda: jax.block_until_ready(f(*args))


def _jax_grads(f, *args):
    return lambda: tuple(np.asarray(g) for g in _as_tuple(f(*args)))


def _as_tuple(value) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _torch_case(make, x, transform: str) -> Case:
    torch = _peers.torch
    if torch is None:
        return Case("PyTorch torch.func", skip=_peers.missing("torch"))
    f = getattr(torch.func, transform)(make(torch))
    xt = torch.tensor(x)
    name = f"PyTorch {_peers.version('torch')} torch.func.{transform}"
    return Case(name, lambda: f(xt), lambda: (f(xt).numpy(),))


def _autograd_case(make, x, transform: str) -> Case:
    autograd = _peers.autograd
    if autograd is None:
        return Case("HIPS autograd", skip=_peers.missing("autograd"))
    f = getattr(autograd, transform)(make(autograd.numpy))
    name = f"HIPS autograd {_peers.version('autograd')} {transform}"
    return Case(name, lambda: f(x), lambda: (f(x),))


def _jax_per_example_cases(params, x, y) -> list[Case]:
    jax = _peers.jax
    if jax is None:
        return [Case("JAX vmap(grad)", skip=_peers.missing("jax"))]
    f = jax.vmap(jax.grad(example_loss(jax.numpy)), in_axes=(None, 0, 0))
    jitted = jax.jit(f)
    version = _peers.version("jax")
    return [
        Case(
            f"JAX {version} eager vmap(grad)",
            _jax_run(jax, f, params, x, y),
            _jax_grads(f, params, x, y),
        ),
        Case(
            f"JAX {version} jit(vmap(grad))",
            _jax_run(jax, jitted, params, x, y),
            _jax_grads(jitted, params, x, y),
        ),
    ]


def _torch_per_example_case(params, x, y) -> Case:
    torch = _peers.torch
    if torch is None:
        return Case("PyTorch torch.func", skip=_peers.missing("torch"))
    f = torch.func.vmap(torch.func.grad(example_loss(torch)), in_dims=(None, 0, 0))
    args = (tuple(_tensors(torch, *params)), torch.tensor(x), torch.tensor(y))
    name = f"PyTorch {_peers.version('torch')} torch.func.vmap(grad)"
    return Case(name, lambda: f(*args), lambda: tuple(g.numpy() for g in f(*args)))


def _autograd_per_example_case(params, x, y) -> Case:
    autograd = _peers.autograd
    if autograd is None:
        return Case("HIPS autograd", skip=_peers.missing("autograd"))
    grad_loss = autograd.grad(example_loss(autograd.numpy))

    def run():
        grads = [grad_loss(params, xi, yi) for xi, yi in zip(x, y)]
        return tuple(np.stack(parts) for parts in zip(*grads))

    return Case(f"HIPS autograd {_peers.version('autograd')} grad, loop over examples", run, run)


def main(argv: list[str]) -> int:
    """Check and time the four workloads; exit status 1 if a peer's result did not match."""
    from bench._report import table
    from bench._runner import run_workload

    quick = "--quick" in argv
    failed = False
    for work in build_all(quick):
        results = run_workload(work, 3 if quick else 7, 0.02 if quick else 0.2)
        print(table(work, results), "\n", flush=True)
        failed = failed or any("MISMATCH" in r.check for r in results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
