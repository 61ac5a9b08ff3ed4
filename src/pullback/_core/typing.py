"""Type aliases shared by pullback's signatures."""

from __future__ import annotations

from typing import Any, Union

import numpy as np

ArrayLike = Union[float, int, np.ndarray, "Any"]
PyTree = Any
Shape = tuple[int, ...]
DType = np.dtype
