"""The engine's core: Tensor, Primitive and bind, the level stack, pytrees."""

from . import tensor as tensor  # noqa: E402  (first: the Tensor class must exist before ops)
