"""The optional peers, each imported once with one thread; a missing one is ``None``."""

from __future__ import annotations

from importlib import metadata

import bench  # noqa: F401  (pins the thread counts before any peer is imported)


def _torch():
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    return torch


def _autograd():
    try:
        import autograd
        import autograd.numpy
    except ImportError:
        return None
    return autograd


def _jax():
    try:
        import jax
    except ImportError:
        return None
    # NOTE: float64 workloads must stay float64 in JAX too, or its gradients would not match.
    jax.config.update("jax_enable_x64", True)
    return jax


def version(distribution: str) -> str:
    """The installed version of ``distribution`` (``"torch"``, ``"autograd"``, ``"jax"``)."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "?"


def missing(name: str) -> str:
    return f"{name} is not installed: skipped"


torch = _torch()
autograd = _autograd()
jax = _jax()
