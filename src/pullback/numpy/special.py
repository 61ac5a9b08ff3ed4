"""``pnp.special`` (also ``pb.special``): special functions, differentiable."""

from __future__ import annotations

__all__: list[str] = []
