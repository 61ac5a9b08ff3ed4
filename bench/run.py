"""Run pullback's benchmarks: ``python bench/run.py [workload ...] [--quick]``.

Workloads: overhead, scalar, mlp, training (digits step, conv step) and jit.

Each workload first checks every peer's gradients against pullback's, then times them all in
this one process, one thread each, and prints a table (median of ``--repeat`` timed loops).
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bench  # noqa: E402, F401  (pins thread counts before NumPy is imported)

# isort: split
import argparse  # noqa: E402
import cProfile  # noqa: E402
import importlib  # noqa: E402
import platform  # noqa: E402
import pstats  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from bench._report import table  # noqa: E402
from bench._runner import Workload, run_workload  # noqa: E402

WORKLOADS = ("overhead", "scalar", "mlp", "training", "jit")


def parse(argv):
    parser = argparse.ArgumentParser(prog="python bench/run.py", description=__doc__)
    parser.add_argument("workloads", nargs="*", metavar="workload", help=f"any of {WORKLOADS}")
    parser.add_argument(
        "--quick", action="store_true", help="short smoke run (3 repeats, small mlp)"
    )
    parser.add_argument("--repeat", type=int, default=None, help="timed loops per case (default 7)")
    parser.add_argument("--profile", action="store_true", help="cProfile pullback's case instead")
    args = parser.parse_args(argv)
    unknown = [w for w in args.workloads if w not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload {unknown[0]!r}: choose from {', '.join(WORKLOADS)}")
    return args


def main(argv=None) -> int:
    """Run the chosen workloads (all by default); exit status 1 if a gradient check failed."""
    args = parse(sys.argv[1:] if argv is None else argv)
    names = args.workloads or list(WORKLOADS)
    repeat = args.repeat or (3 if args.quick else 7)
    min_time = 0.02 if args.quick else 0.2
    print(_header(repeat, min_time))
    failed = False
    for name in names:
        for work in _built(name, args.quick):
            if args.profile:
                _profile(work)
                continue
            results = run_workload(work, repeat, min_time)
            print()
            print(table(work, results), flush=True)
            failed = failed or any("MISMATCH" in r.check for r in results)
    return 1 if failed else 0


def _built(name: str, quick: bool) -> list[Workload]:
    """The workloads of module ``bench.<name>``: its ``build`` returns one or a list."""
    built = importlib.import_module(f"bench.{name}").build(quick)
    return [built] if isinstance(built, Workload) else list(built)


def _header(repeat: int, min_time: float) -> str:
    return (
        f"pullback benchmarks: Python {platform.python_version()}, NumPy {np.__version__}, "
        f"{platform.machine()}, one thread per library; median of {repeat} loops of >= {min_time} s"
    )


def _profile(work) -> None:
    """The top 15 functions by own time over ~1 s of pullback's case."""
    run = work.cases[0].run
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(_calls_per_second(run)):
        run()
    profiler.disable()
    print(f"\n== {work.name}: pullback under cProfile")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


def _calls_per_second(run) -> int:
    start = time.perf_counter()
    run()
    return max(1, int(1.0 / (time.perf_counter() - start)))


if __name__ == "__main__":
    sys.exit(main())
