"""Initialisers: statistics, seeding, fans."""

from __future__ import annotations

import numpy as np

import pullback as pb
import pullback.nn


def test_he_normal_has_kaiming_std_for_conv_kernels():
    w = pb.nn.he_normal((3, 3, 16, 32), rng=0)
    np.testing.assert_allclose(w.std(), np.sqrt(2 / (3 * 3 * 16)), rtol=0.05)
    assert w.dtype == np.float32


def test_glorot_uniform_bound_and_seeding():
    w = pb.nn.glorot_uniform((100, 50), rng=np.random.default_rng(1), dtype=np.float64)
    limit = np.sqrt(6 / 150)
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.9 * limit
    np.testing.assert_array_equal(w, pb.nn.glorot_uniform((100, 50), rng=1, dtype=np.float64))


def test_unseeded_initialisers_follow_numpy_global_seed():
    np.random.seed(42)
    a = pb.nn.Dense(4, 4).kernel.numpy()
    np.random.seed(42)
    np.testing.assert_array_equal(a, pb.nn.Dense(4, 4).kernel.numpy())


def test_zeros_and_ones():
    assert pb.nn.zeros((2, 3)).sum() == 0 and pb.nn.ones((2, 3)).sum() == 6
