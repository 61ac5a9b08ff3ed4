"""Fixtures shared by the op tests."""

import pytest


@pytest.fixture(scope="module")
def jax():
    """JAX with float64 enabled; a test that asks for it is skipped where JAX is not installed."""
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return jax
