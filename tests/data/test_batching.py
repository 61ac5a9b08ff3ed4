"""Mini-batching."""

from __future__ import annotations

import numpy as np
import pytest

import pullback as pb
import pullback.data


def test_batches_cover_every_sample_once_in_seeded_order():
    x, y = np.arange(10), np.arange(10) * 2
    first = list(pb.data.batches(x, y, 3, seed=1))
    again = list(pb.data.batches(x, y, 3, seed=1))
    assert [len(b) for b, _ in first] == [3, 3, 3, 1]
    assert sorted(np.concatenate([b for b, _ in first]).tolist()) == list(range(10))
    for (xb, yb), (xa, _) in zip(first, again):
        np.testing.assert_array_equal(yb, 2 * xb)
        np.testing.assert_array_equal(xa, xb)


def test_drop_last_skips_partial_batch():
    sizes = [len(b) for b, _ in pb.data.batches(np.zeros(10), np.zeros(10), 4, drop_last=True)]
    assert sizes == [4, 4]


def test_batches_reject_mismatched_lengths_and_bad_size():
    with pytest.raises(ValueError, match="same length"):
        list(pb.data.batches(np.zeros(3), np.zeros(4), 2))
    with pytest.raises(ValueError, match="batch_size"):
        list(pb.data.batches(np.zeros(3), np.zeros(3), 0))
