"""Shared checks of the matrix op tests (``test_products.py`` and ``test_linalg.py``)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import pullback as pb


def well_conditioned(rng, shape):
    """Gaussian plus 3 I: invertible with singular values well away from 0."""
    return rng.standard_normal(shape) + 3 * np.eye(shape[-2], shape[-1])


def assert_values_match_numpy(ours: Callable, theirs: Callable, shapes: list) -> None:
    """``ours`` equals NumPy's ``theirs`` on well-conditioned matrices (vectors: Gaussian)."""
    rng = np.random.default_rng(0)
    args = [well_conditioned(rng, s) if len(s) > 1 else rng.standard_normal(s) for s in shapes]
    np.testing.assert_allclose(ours(*args), theirs(*args), rtol=1e-12, atol=1e-13)


def _weighted_sum(f, w):
    return lambda *xs: (f(*xs) * w).sum()


def assert_pairs_agree_with_jax(pairs: list, jax) -> None:
    """Each ``(name, ours, theirs, samplers, shapes)`` agrees with JAX in value and gradient
    (of a random weighting of the outputs)."""
    rng = np.random.default_rng(0)
    for name, ours, theirs, samplers, shapes in pairs:
        args = [s(rng, shape) for s, shape in zip(samplers, shapes)]
        w = rng.standard_normal(np.shape(ours(*args)))
        nums = tuple(range(len(args)))
        value, grads = pb.value_and_grad(_weighted_sum(ours, w), argnums=nums)(*args)
        want, want_grads = jax.value_and_grad(_weighted_sum(theirs, w), argnums=nums)(*args)
        np.testing.assert_allclose(value, want, rtol=1e-10, err_msg=name)
        for g, wg in zip(grads, want_grads):
            np.testing.assert_allclose(g, wg, rtol=1e-10, atol=1e-12, err_msg=name)


def assert_float32_gradient_of_squares(f: Callable, sampler: Callable, shape: tuple) -> None:
    """The gradient of the sum of squares of ``f``'s outputs stays float32 on float32 input."""
    x = sampler(np.random.default_rng(0), shape)

    def loss(a):
        out = f(a)
        return sum((o * o).sum() for o in (out if isinstance(out, tuple) else (out,)))

    g32 = pb.grad(loss)(x.astype(np.float32))
    assert g32.dtype == np.float32
    np.testing.assert_allclose(g32, pb.grad(loss)(x), rtol=1e-4, atol=1e-5)
