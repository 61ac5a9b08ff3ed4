"""Array creation and non-differentiable helpers (zeros_like, shape, isnan, ...)."""

from __future__ import annotations

__all__: list[str] = []
