"""Mini-batches of a data set."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


def batches(
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    shuffle: bool = True,
    seed=None,
    drop_last: bool = False,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``(x[idx], y[idx])`` mini-batches covering the data once (one epoch).

    Args:
        x, y: arrays with the same first axis.
        shuffle: visit the samples in a random order.
        seed: an int or ``np.random.Generator`` for the order; ``None`` uses ``np.random``.
        drop_last: skip the final batch when it is smaller than ``batch_size``.

    Raises:
        ValueError: a non-positive ``batch_size`` or ``x`` and ``y`` of different lengths.

    >>> [yb.tolist() for _, yb in batches(np.arange(5), np.arange(5), 2, shuffle=False)]
    [[0, 1], [2, 3], [4]]
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
    n = len(x)
    if not shuffle:
        order = np.arange(n)
    elif seed is None:
        order = np.random.permutation(n)
    else:
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        order = rng.permutation(n)
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        idx = order[start : start + batch_size]
        yield x[idx], y[idx]
