"""jit: ``pb.jit`` of gradients, steady state and first call.

- **jit-chain**: the 1,000-op chain of ``overhead.py`` under ``pb.jit(pb.grad(chain))``,
  reported per op, beside eager ``pb.grad`` and ``jax.jit(jax.grad(chain))``. The chain is
  linear in ``x``, so its gradient is a constant: tracing folds it and the jitted graph is
  empty (JAX folds it too). ``chain_c``, the same chain with ``c`` an argument, keeps the
  1,000-op backward pass in the graph, and is the row that measures replay.
- **jit-scalar**: the seed-004 gradient of ``scalar.py`` under
  ``pb.jit(pb.grad(f, argnums=(0, 1, 2)))`` on Python floats, beside ``jax.jit(jax.grad)``.
- **first-call-***: the first call of a fresh jitted function (trace + optimise + one replay
  for pullback; trace + lower + XLA compile + one run for JAX), for the chain, the scalar
  function and the digits training step of ``training.py``. Each timed call builds a new
  jitted function (JAX: of a new Python function, so no cache is hit).
"""

from __future__ import annotations

import numpy as np

import pullback as pb
import pullback.numpy as pnp
from bench import _peers, overhead, scalar, training
from bench._runner import Case, Workload

CHAIN_X = np.linspace(0.1, 1.0, 10)


def _equations(jitted, *args) -> str:
    """Equations of ``jitted``'s optimised graph, beside those ``pb.trace`` records."""
    jitted(*args)
    graph = next(iter(jitted.cache.values())).graph
    traced = pb.trace(jitted.__wrapped__, *args)
    return f"{len(graph.equations)} equations after optimise ({len(traced.equations)} traced)"


def _jax_version() -> str:
    return _peers.version("jax")


# --- (a) the chain -----------------------------------------------------------------------


def chain_c(x, c):
    """``overhead.chain`` with the multiplier ``c`` an argument: the gradient w.r.t. ``x``
    depends on ``c``, so it cannot be folded into a constant."""
    y = x
    for _ in range(overhead.STEPS):
        y = y * c + x
    return y.sum()


def _jax_chain():
    """``jax.jit(jax.grad(chain))`` of a new Python function (a fresh trace and compile)."""
    jax = _peers.jax

    def chain(x):
        return overhead.chain(x)

    return jax.jit(jax.grad(chain))


def _jax_chain_c():
    jax = _peers.jax

    def chain(x, c):
        return chain_c(x, c)

    return jax.jit(jax.grad(chain))


JIT_CHAIN = "pullback pb.jit(pb.grad(chain))"
JIT_CHAIN_C = "pullback pb.jit(pb.grad(chain_c)), c an argument"


def build_chain() -> Workload:
    x, c = CHAIN_X, overhead.C
    jitted = pb.jit(pb.grad(overhead.chain))
    jitted_c = pb.jit(pb.grad(chain_c))
    eager = pb.grad(overhead.chain)
    jax = f"JAX {_jax_version()} jax.jit(jax.grad"
    cases = [
        Case(JIT_CHAIN, lambda: jitted(x), lambda: (jitted(x),)),
        Case(JIT_CHAIN_C, lambda: jitted_c(x, c), lambda: (jitted_c(x, c),)),
        Case("NumPy (forward only)", lambda: overhead.chain(x), numpy_baseline=True),
        Case("pullback eager pb.grad(chain)", lambda: eager(x), lambda: (eager(x),)),
        _jax_case(f"{jax}(chain))", _jax_chain, (x,)),
        _jax_case(f"{jax}(chain_c)), c an argument", _jax_chain_c, (x, c)),
    ]
    return Workload(
        name="jit-chain",
        title=f"overhead's {overhead.OPS}-op chain on float64[10] under pb.jit(pb.grad(chain))",
        cases=cases,
        dtype=np.float64,
        per_call=overhead.OPS,
        unit="op",
        target="both pb.jit(pb.grad) rows <= 1.5 us/op (NumPy forward alone 0.75)",
        target_check=lambda t: max(t[JIT_CHAIN], t[JIT_CHAIN_C]) <= 1.5e-6,
        notes=[
            f"pullback graph of chain: {_equations(pb.jit(pb.grad(overhead.chain)), x)}: "
            "the gradient of a linear function is a constant, folded while tracing",
            f"pullback graph of chain_c: {_equations(pb.jit(pb.grad(chain_c)), x, c)}",
        ],
    )


def _jax_case(name: str, make, args) -> Case:
    """A steady-state case of ``make()``'s jitted function (compiled before timing)."""
    jax = _peers.jax
    if jax is None:
        return Case("JAX", skip=_peers.missing("jax"))
    fn = make()

    def grads():
        out = fn(*args)
        return tuple(np.asarray(g) for g in (out if isinstance(out, tuple) else (out,)))

    return Case(name, lambda: jax.block_until_ready(fn(*args)), grads)


# --- (b) the seed-004 scalar function ----------------------------------------------------


def _jax_scalar():
    jax = _peers.jax
    return jax.jit(jax.grad(scalar.seed(jax.numpy), argnums=(0, 1, 2)))


def build_scalar() -> Workload:
    jitted = pb.jit(pb.grad(scalar.seed(pnp), argnums=(0, 1, 2)))
    eager = pb.grad(scalar.seed(pnp), argnums=(0, 1, 2))
    point = scalar.POINT
    cases = [
        Case("pullback pb.jit(pb.grad)", lambda: jitted(*point), lambda: jitted(*point)),
        Case("pullback eager pb.grad", lambda: eager(*point), lambda: eager(*point)),
        _jax_case(f"JAX {_jax_version()} jax.jit(jax.grad)", _jax_scalar, point),
    ]
    return Workload(
        name="jit-scalar",
        title="seed 004: grad of log((sin(a*b) + exp(c - a/b))**2) * c at (43., 3., 2.), "
        "Python floats, under pb.jit",
        cases=cases,
        dtype=np.float64,
        target="pb.jit(pb.grad) <= 15 us (micrograd 19 us, jax.jit 25 us quoted)",
        target_check=lambda t: t["pullback pb.jit(pb.grad)"] <= 15e-6,
        notes=[
            "pullback graph: "
            + _equations(pb.jit(pb.grad(scalar.seed(pnp), argnums=(0, 1, 2))), *point)
        ],
    )


# --- (c) the first call: tracing and optimising ------------------------------------------


def _first_call(name: str, make, args, result) -> Case:
    """Time ``make()(*args)``: a fresh jitted function's first call."""

    def run():
        return make()(*args)

    return Case(name, run, lambda: result(run()))


def _flat(out) -> tuple:
    return tuple(np.asarray(g) for g in (out if isinstance(out, tuple) else (out,)))


def _params(out) -> tuple:
    return tuple(np.asarray(out[k]) for k in training.NAMES)


def _first_call_workload(label: str, title: str, pb_make, jax_make, args, result):
    jax = _peers.jax
    cases = [_first_call("pullback pb.jit: first call", pb_make, args, result)]
    if jax is None:
        cases.append(Case("JAX", skip=_peers.missing("jax")))
    else:
        cases.append(
            _first_call(
                f"JAX {_jax_version()} jax.jit: first call",
                lambda: _blocking(jax, jax_make()),
                args,
                result,
            )
        )
    return Workload(
        name=f"first-call-{label}",
        title=title + ": a fresh jitted function's first call (trace + optimise/compile + run)",
        cases=cases,
        dtype=np.float64 if label != "digits" else np.float32,
        unit="first call",
    )


def _blocking(jax, fn):
    return lambda *args: jax.block_until_ready(fn(*args))


def build_first_calls() -> list[Workload]:
    x, y, init = training.digits_data()
    params = dict(zip(training.NAMES, init, strict=True))
    return [
        _first_call_workload(
            "chain",
            "(a) pb.jit(pb.grad(chain))",
            lambda: pb.jit(pb.grad(overhead.chain)),
            _jax_chain,
            (CHAIN_X,),
            _flat,
        ),
        _first_call_workload(
            "chain_c",
            "(a) pb.jit(pb.grad(chain_c)), c an argument",
            lambda: pb.jit(pb.grad(chain_c)),
            _jax_chain_c,
            (CHAIN_X, overhead.C),
            _flat,
        ),
        _first_call_workload(
            "scalar",
            "(b) pb.jit(pb.grad(f, argnums=(0, 1, 2)))",
            lambda: pb.jit(pb.grad(scalar.seed(pnp), argnums=(0, 1, 2))),
            _jax_scalar,
            scalar.POINT,
            _flat,
        ),
        _first_call_workload(
            "digits",
            "(c) pb.jit(train_step) of the digits step",
            lambda: pb.jit(training.pullback_train_step),
            lambda: training.jax_train_step(_peers.jax),
            (params, x, y),
            _params,
        ),
    ]


def build(quick: bool) -> list[Workload]:
    del quick  # every case is small: --quick only shortens the timing loops
    return [build_chain(), build_scalar(), *build_first_calls()]
