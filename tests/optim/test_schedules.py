"""Learning-rate schedules."""

from __future__ import annotations

import pytest

import pullback as pb
import pullback.optim


def test_exponential_decay_staircase():
    schedule = pb.optim.exponential_decay(2.0, decay_steps=10, decay_rate=0.5, staircase=True)
    assert [schedule(s) for s in (0, 9, 10, 25)] == [2.0, 2.0, 1.0, 0.5]


def test_cosine_decay_ends_at_alpha_and_stays():
    schedule = pb.optim.cosine_decay(1.0, decay_steps=100, alpha=0.1)
    assert schedule(0) == 1.0
    assert schedule(100) == pytest.approx(0.1)
    assert schedule(500) == pytest.approx(0.1)


def test_constant_and_bad_decay_steps():
    assert pb.optim.constant(0.3)(7) == 0.3
    with pytest.raises(ValueError, match="decay_steps"):
        pb.optim.cosine_decay(1.0, decay_steps=0)
