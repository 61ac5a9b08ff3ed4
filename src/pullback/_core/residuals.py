"""Values a forward pass keeps for its backward pass, keyed by an array it was computed from.

A rule on plain arrays receives the same array objects the implementation saw (the node's
saved arguments and answer), so a value computed on the way to the answer can be found again by
the identity of one of them: conv2d's im2col matrix by its output, the int-label
cross-entropy's softmax by its logits. An entry lives as long as its key array (a weakref
callback drops it), and, with ``limit``, only the latest ``limit`` entries are kept.

>>> import numpy as np
>>> kept, x = ByArray(), np.ones(2)
>>> kept.keep(x, "patches"); kept.get(x), kept.get(np.ones(2))
('patches', None)
"""

from __future__ import annotations

import weakref

import numpy as np


class ByArray:
    """Values keyed by the identity of live ndarrays."""

    __slots__ = ("_entries", "_limit")

    def __init__(self, limit: int | None = None) -> None:
        self._entries: dict[int, tuple[weakref.ref, object]] = {}
        self._limit = limit

    def __len__(self) -> int:
        return len(self._entries)

    def keep(self, array: np.ndarray, value) -> None:
        """Keep ``value`` for as long as ``array`` lives (the oldest entry goes at the limit)."""
        entries = self._entries
        if self._limit is not None and len(entries) >= self._limit:
            entries.pop(next(iter(entries)), None)
        key = id(array)
        entries[key] = (weakref.ref(array, lambda _, key=key: entries.pop(key, None)), value)

    def get(self, array):
        """The value kept for ``array``, or ``None``."""
        entry = self._entries.get(id(array))
        return None if entry is None or entry[0]() is not array else entry[1]

    def take(self, array):
        """The value kept for ``array``, or ``None``, no longer kept."""
        entry = self._entries.pop(id(array), None)
        return None if entry is None or entry[0]() is not array else entry[1]
