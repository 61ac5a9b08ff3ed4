"""The readable table of one workload's results."""

from __future__ import annotations

from bench._runner import Result, Workload

_HEADER = ("implementation", "median", "spread", "vs pullback", "vs NumPy", "gradient check")


def format_time(seconds: float) -> str:
    for scale, unit in ((1.0, "s"), (1e-3, "ms"), (1e-6, "us")):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def per_unit(work: Workload, results: list[Result]) -> dict[str, float]:
    """Median seconds per op (or per call) of every timed case, by case name."""
    return {r.case.name: r.seconds / work.per_call for r in results if r.seconds is not None}


def table(work: Workload, results: list[Result]) -> str:
    """The workload's title, one row per case, its target and its notes."""
    times = per_unit(work, results)
    reference = times.get(work.cases[0].name)
    baseline = next((times.get(r.case.name) for r in results if r.case.numpy_baseline), None)
    rows = [_HEADER]
    for r in results:
        rows.append(_row(work, r, times, reference, baseline))
    widths = [max(len(row[i]) for row in rows) for i in range(len(_HEADER))]
    lines = [f"== {work.name}: {work.title}", f"   (median time per {work.unit})"]
    for row in rows:
        lines.append(
            "   " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        )
    if work.target:
        met = work.target_check(times) if work.target_check and times else None
        verdict = "" if met is None else ("  -> met" if met else "  -> MISSED")
        lines.append(f"   target: {work.target}{verdict}")
    lines.extend(f"   note: {n}" for n in work.notes)
    return "\n".join(lines)


def _row(work, r: Result, times, reference, baseline) -> tuple[str, ...]:
    if r.case.skip:
        return (r.case.name, "-", "-", "-", "-", r.case.skip)
    t = times.get(r.case.name)
    if t is None:
        return (r.case.name, "-", "-", "-", "-", r.check + "; not timed")
    vs_pb = f"{t / reference:.2f}x" if reference else "-"
    vs_np = f"{t / baseline:.2f}x" if baseline else "-"
    spread = f"±{100 * r.spread / 2:.0f}%"
    return (r.case.name, f"{format_time(t)}/{work.unit}", spread, vs_pb, vs_np, r.check)
