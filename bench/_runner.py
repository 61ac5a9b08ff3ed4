"""Check each peer's gradients against pullback's, then time every implementation.

A workload module exposes ``build(quick) -> Workload``. Its first case is pullback, the
reference: every other case that returns gradients must match them (``np.allclose``) before
it is timed. A case whose library is missing carries ``skip`` and is only listed.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Case:
    """One implementation of a workload.

    ``run`` is the zero-argument call that is timed. ``grads`` returns its gradients as
    NumPy arrays (a tuple) for the check, or is ``None`` for a forward-only baseline.
    """

    name: str
    run: Callable[[], object] | None = None
    grads: Callable[[], tuple] | None = None
    skip: str = ""
    numpy_baseline: bool = False


@dataclass
class Workload:
    """Cases on identical inputs; times are divided by ``per_call`` (ops per call) if > 1."""

    name: str
    title: str
    cases: list[Case]
    dtype: np.dtype
    per_call: int = 1
    unit: str = "call"
    target: str = ""
    target_check: Callable[[dict], bool] | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Result:
    case: Case
    seconds: float | None = None
    spread: float | None = None
    check: str = ""


def tolerance(dtype) -> float:
    """The relative tolerance of the gradient check: 1e-6 in float64, 1e-4 in float32."""
    return 1e-6 if np.dtype(dtype) == np.float64 else 1e-4


def compare(got: tuple, want: tuple, rtol: float) -> tuple[bool, float]:
    """Whether ``got`` matches ``want`` leaf by leaf, and the largest relative error.

    ``atol`` is ``rtol`` times the largest magnitude of each reference gradient, so entries
    that are zero up to rounding (sums of 50,000 float32 terms) do not fail the check.
    """
    if len(got) != len(want):
        return False, float("inf")
    ok = True
    worst = 0.0
    for g, w in zip(got, want, strict=True):
        g = np.asarray(g, dtype=np.float64)
        w = np.asarray(w, dtype=np.float64)
        if g.shape != w.shape:
            return False, float("inf")
        scale = float(np.max(np.abs(w))) if w.size else 0.0
        ok = ok and np.allclose(g, w, rtol=rtol, atol=rtol * scale)
        worst = max(worst, float(np.max(np.abs(g - w))) / (scale or 1.0))
    return ok, worst


def measure(fns: list[Callable[[], object]], repeat: int, min_time: float) -> list[tuple]:
    """Median and relative spread ((max - min) / median) of seconds per call, for each of
    ``fns``.

    Like ``timeit``: each loop count is raised (1, 2, 5, 10, 20, ...) until one loop takes
    ``min_time``; then ``repeat`` rounds each time one loop of every function in turn, so that
    a machine whose speed drifts (another tenant, the clock) slows all of them alike and the
    ratios between them stay fair.
    """
    numbers = []
    for fn in fns:
        fn()
        numbers.append(_autorange(fn, min_time))
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for fn, number, own in zip(fns, numbers, times):
            own.append(_time_loop(fn, number) / number)
    out = []
    for own in times:
        median = statistics.median(own)
        out.append((median, (max(own) - min(own)) / median))
    return out


def _autorange(fn, min_time: float) -> int:
    i = 1
    while True:
        for number in (i, 2 * i, 5 * i):
            if _time_loop(fn, number) >= min_time:
                return number
        i *= 10


def _time_loop(fn, number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return time.perf_counter() - start


def run_workload(work: Workload, repeat: int, min_time: float) -> list[Result]:
    """Check every case against the reference (the first case), then time the ones that pass."""
    reference = work.cases[0].grads()
    rtol = tolerance(work.dtype)
    results = []
    timed = []  # the results of the cases that are timed, all together (see measure)
    for case in work.cases:
        result = Result(case)
        results.append(result)
        if case.skip:
            continue
        if case.grads is None:
            result.check = "forward only"
        elif case is work.cases[0]:
            result.check = "reference"
        else:
            ok, err = compare(case.grads(), reference, rtol)
            result.check = f"ok (max rel err {err:.1e})" if ok else f"MISMATCH (rel err {err:.1e})"
            if not ok:
                continue
        timed.append(result)
    measured = measure([r.case.run for r in timed], repeat, min_time)
    for result, (seconds, spread) in zip(timed, measured):
        result.seconds, result.spread = seconds, spread
    return results
