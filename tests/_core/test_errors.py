"""Error-message helpers: a user's function is named by its own name and line."""

import re

import numpy as np
import pytest

import pullback as pb
from pullback._core.errors import describe_function, describe_value


def _cube(x):
    return x**3


LINE = _cube.__code__.co_firstlineno


def test_a_function_is_named_with_its_file_and_line():
    assert describe_function(_cube) == f"_cube (test_errors.py:{LINE})"


def test_a_transform_of_a_function_is_named_by_the_function_it_wraps():
    # it used to be named by the transform's own wrapper in pullback's source
    assert describe_function(pb.grad(_cube)) == f"_cube (test_errors.py:{LINE})"
    assert describe_function(pb.jit(pb.grad(_cube))) == f"_cube (test_errors.py:{LINE})"
    message = re.escape(f"jvp(_cube (test_errors.py:{LINE})): tangent 0 has shape (2,)")
    with pytest.raises(ValueError, match=message):  # the tangent is checked before any call
        pb.jvp(pb.grad(_cube), (np.ones(3),), (np.ones(2),))


def test_values_are_described_by_shape_and_dtype():
    assert describe_value(np.ones((2, 3), np.float32)) == "shape (2, 3) float32"
    assert describe_value(1.0) == "shape () float64"
