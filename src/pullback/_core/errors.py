"""Error helpers: how pullback names a user's function and a value in its messages."""

from __future__ import annotations

import inspect
import os
import sys

import numpy as np


class MissingRuleError(LookupError, NotImplementedError):
    """A primitive has no rule for the mode being asked (a ``LookupError``)."""


def describe_function(f) -> str:
    """``name (file.py:12)`` for a user's function, as error messages quote it."""
    name = getattr(f, "__qualname__", None) or getattr(f, "__name__", None) or repr(f)
    name = name.rpartition("<locals>.")[2]
    try:
        f = inspect.unwrap(f)  # a transform of the user's function: the user's own place
    except ValueError:  # a cycle of __wrapped__
        pass
    code = getattr(f, "__code__", None)
    if code is None:
        return name
    return f"{name} ({os.path.basename(code.co_filename)}:{code.co_firstlineno})"


def describe_value(x) -> str:
    """``shape (3,) float64`` for any array-like value."""
    shape = getattr(x, "shape", None)
    dtype = getattr(x, "dtype", None)
    if shape is None or dtype is None:
        arr = np.asarray(x)
        shape, dtype = arr.shape, arr.dtype
    return f"shape {tuple(shape)} {dtype}"


_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def user_call_site() -> str:
    """``file.py:41`` of the innermost stack frame outside the pullback package."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not os.path.abspath(filename).startswith(_PACKAGE_DIR):
            return f"{os.path.basename(filename)}:{frame.f_lineno}"
        frame = frame.f_back
    return "<unknown>"
