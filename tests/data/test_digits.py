"""The bundled digits."""

from __future__ import annotations

import builtins

import numpy as np
import pytest

import pullback as pb
import pullback.data


def test_load_digits_shapes_range_and_fixed_split():
    pytest.importorskip("sklearn")
    (x_train, y_train), (x_test, y_test) = pb.data.load_digits()
    assert x_train.shape == (1437, 8, 8, 1) and x_test.shape == (360, 8, 8, 1)
    assert x_train.dtype == np.float32 and 0.0 <= x_train.min() and x_train.max() == 1.0
    assert y_train.dtype == np.int64 and set(np.unique(y_test)) == set(range(10))
    (x_again, _), _ = pb.data.load_digits()
    np.testing.assert_array_equal(x_again, x_train)


def test_load_digits_without_sklearn_names_the_extra(monkeypatch):
    real_import = builtins.__import__

    def no_sklearn(name, *args, **kwargs):
        if name.startswith("sklearn"):
            raise ImportError("no sklearn")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_sklearn)
    with pytest.raises(ImportError, match=r"pip install pullback\[nn\]"):
        pb.data.load_digits()
