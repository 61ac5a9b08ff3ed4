"""Argument handling shared by the transforms: which inputs are differentiated, checks on their
dtypes, and giving results back in the kind of the inputs (float, ndarray or Tensor)."""

from __future__ import annotations

import numbers

import numpy as np

from .._core.errors import describe_function, describe_value
from .._core.primitive import read
from .._core.tensor import Tensor, dtype_of, live, shape_of
from .._core.tree import flatten


def argnums_tuple(argnums, nargs: int, f, transform: str) -> tuple[int, ...]:
    """``argnums`` (an int or a tuple) as a tuple of valid positions."""
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for i in nums:
        if not -nargs <= i < nargs:
            raise TypeError(
                f"{transform}({describe_function(f)}) was asked to differentiate argument {i}, "
                f"but was called with {nargs} positional argument(s)"
            )
    return tuple(i % nargs for i in nums)


def is_differentiable_leaf(x) -> bool:
    """Arrays, Tensors and Python floats are differentiated; other leaves are static."""
    if type(x) is float:
        return True
    if isinstance(x, (Tensor, np.ndarray, np.generic)):
        return True
    return isinstance(x, numbers.Real) and not isinstance(x, (bool, numbers.Integral))


def check_input(x, f, transform: str, position) -> None:
    """Raise ``TypeError`` unless ``x`` is a real floating-point value."""
    if type(x) is float:
        return
    if isinstance(x, (np.ndarray, Tensor)) and x.dtype.kind == "f":
        return  # the common case, without the checks for Python numbers below
    if isinstance(x, (bool, numbers.Integral)) and not isinstance(x, (Tensor, np.ndarray)):
        raise TypeError(
            f"{transform}({describe_function(f)}) needs floating-point inputs, but argument "
            f"{position} is the Python {type(x).__name__} {x!r}. Pass {float(x)!r} instead."
        )
    kind = dtype_of(x).kind
    if kind == "c":
        raise TypeError(
            f"{transform}({describe_function(f)}): complex inputs are not supported "
            f"(argument {position} has {describe_value(x)}); split real and imaginary parts."
        )
    if kind != "f":
        raise TypeError(
            f"{transform}({describe_function(f)}) needs floating-point inputs, but argument "
            f"{position} has {describe_value(x)}. Pass x.astype(np.float64)."
        )


def as_primal(x):
    """The value a transform wraps: a live outer Tensor stays, a Python float stays (so that
    primitives with a ``scalar`` implementation run it), anything else becomes an array."""
    if isinstance(x, Tensor):
        return read(x)
    if isinstance(x, np.ndarray) or type(x) is float:
        return x
    return np.asarray(x, dtype=np.float64 if isinstance(x, float) else None)


def output_kind(leaves) -> str:
    """``"tensor"`` if any input is a Tensor, ``"float"`` if all are floats, else ``"array"``."""
    if any(isinstance(x, Tensor) for x in leaves):
        return "tensor"
    if leaves and all(isinstance(x, float) for x in leaves):
        return "float"
    return "array"


def restore(value, kind: str):
    """``value`` (raw, or a Tensor possibly of a finished level) in the kind of the inputs."""
    if isinstance(value, Tensor):
        value = live(value)
        if isinstance(value, Tensor):
            return value  # tracked by an outer transform: keep it differentiable
    if value is None:
        return None
    if kind == "tensor":
        return Tensor(value)
    if kind == "float" and shape_of(value) == ():
        return float(value)
    return np.asarray(value)


def position_name(argnum: int, path: str = "") -> str:
    return f"{argnum}{path}"


def diff_leaves(args, nums, f, transform: str):
    """The differentiated leaves of ``args[nums]``: ``(per-arg (leaves, treedef), flags)``."""
    trees = []
    for i in nums:
        leaves, treedef = flatten(args[i])
        flags = [is_differentiable_leaf(x) for x in leaves]
        for x, flag in zip(leaves, flags):
            if flag:
                check_input(x, f, transform, i)
        if type(args[i]) is not float and isinstance(args[i], (bool, numbers.Integral)):
            check_input(args[i], f, transform, i)
        trees.append((leaves, treedef, flags))
    return trees
