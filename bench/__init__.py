"""pullback's benchmarks: pullback beside NumPy, PyTorch, HIPS autograd and JAX (see README.md).

Importing this package pins every library to one thread, so it must happen before NumPy,
PyTorch or JAX is imported: ``python -m bench`` and ``python bench/run.py`` both do that.
"""

from __future__ import annotations

import os

# One thread each, set before NumPy's BLAS, PyTorch or XLA read them.
os.environ["OMP_NUM_THREADS"] = "1"
os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["MKL_NUM_THREADS"] = "1"
os.environ["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
