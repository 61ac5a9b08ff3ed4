"""ByArray: values kept for as long as their key array lives."""

from __future__ import annotations

import numpy as np

from pullback._core.residuals import ByArray


def test_a_value_is_found_by_its_array_and_by_no_other():
    kept, x = ByArray(), np.ones(3)
    kept.keep(x, "v")
    assert kept.get(x) == "v" and kept.get(x.copy()) is None and kept.get(x[:]) is None
    assert kept.take(x) == "v" and kept.take(x) is None and len(kept) == 0


def test_a_value_goes_with_its_array():
    kept, x = ByArray(), np.ones(3)
    kept.keep(x, "v")
    del x
    assert len(kept) == 0


def test_a_limit_keeps_the_latest():
    kept = ByArray(limit=2)
    arrays = [np.ones(1) for _ in range(3)]
    for i, a in enumerate(arrays):
        kept.keep(a, i)
    assert len(kept) == 2
    assert [kept.get(a) for a in arrays] == [None, 1, 2]
