"""``pnp.linalg``: NumPy's linear-algebra names, differentiable."""

from __future__ import annotations

__all__: list[str] = []
