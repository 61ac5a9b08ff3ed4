"""Learning-rate schedules: functions of the step (the number of updates already made)."""

from __future__ import annotations

import math
from collections.abc import Callable


def constant(value: float) -> Callable[[int], float]:
    """The same learning rate at every step.

    >>> constant(0.1)(1000)
    0.1
    """
    return lambda step: value


def exponential_decay(
    initial_value: float, decay_steps: int, decay_rate: float, staircase: bool = False
) -> Callable[[int], float]:
    """``initial_value * decay_rate ** (step / decay_steps)`` (Keras' ``ExponentialDecay``).

    Args:
        staircase: decay in whole steps, ``decay_rate ** floor(step / decay_steps)``.

    >>> exponential_decay(1.0, decay_steps=10, decay_rate=0.5)(20)
    0.25
    """
    if decay_steps <= 0:
        raise ValueError(f"decay_steps must be positive, got {decay_steps}")

    def schedule(step: int) -> float:
        exponent = step / decay_steps
        if staircase:
            exponent = math.floor(exponent)
        return initial_value * decay_rate**exponent

    return schedule


def cosine_decay(
    initial_value: float, decay_steps: int, alpha: float = 0.0
) -> Callable[[int], float]:
    """Cosine decay from ``initial_value`` to ``alpha * initial_value`` over ``decay_steps``.

    (Loshchilov and Hutter 2016, "SGDR"; constant after ``decay_steps``.)

    >>> cosine_decay(1.0, decay_steps=10)(5)
    0.5
    """
    if decay_steps <= 0:
        raise ValueError(f"decay_steps must be positive, got {decay_steps}")

    def schedule(step: int) -> float:
        progress = min(step, decay_steps) / decay_steps
        cosine = 0.5 * (1 + math.cos(math.pi * progress))
        return initial_value * ((1 - alpha) * cosine + alpha)

    return schedule
