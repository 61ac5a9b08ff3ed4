"""Products with NumPy's names: matmul, dot, ..."""

from __future__ import annotations

from ..ops.linalg import matmul

__all__ = ["matmul"]
