"""Weight initialisers: ``(shape, rng=None, dtype=float32) -> np.ndarray``.

``rng`` is an ``np.random.Generator`` or an int seed; ``None`` seeds a fresh Generator from
NumPy's global random state, so ``np.random.seed(0)`` makes a whole model reproducible.
Fans follow Keras: a kernel ``(..., fan_in, fan_out)`` (Dense ``(in, out)``, Conv2D HWIO) has
``fan_in = shape[-2] * receptive field`` and ``fan_out = shape[-1] * receptive field``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def generator(rng=None) -> np.random.Generator:
    """``rng`` as a Generator: itself, ``default_rng(seed)``, or one seeded from ``np.random``.

    >>> int(generator(0).integers(10)) == int(generator(0).integers(10))
    True
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        rng = np.random.randint(0, 2**31 - 1)
    return np.random.default_rng(rng)


def _fans(shape: tuple) -> tuple[int, int]:
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = int(np.prod(shape[:-2]))
    return shape[-2] * receptive, shape[-1] * receptive


def he_normal(shape, rng=None, dtype=np.float32) -> np.ndarray:
    """Kaiming normal: ``N(0, 2 / fan_in)`` (He et al. 2015, arXiv:1502.01852).

    >>> he_normal((300, 200), rng=0).std().round(2)
    np.float32(0.08)
    """
    fan_in, _ = _fans(tuple(shape))
    std = np.sqrt(2.0 / fan_in)
    return (generator(rng).standard_normal(shape) * std).astype(dtype)


def glorot_uniform(shape, rng=None, dtype=np.float32) -> np.ndarray:
    """Glorot/Xavier uniform: ``U(-l, l)``, ``l = sqrt(6 / (fan_in + fan_out))``.

    (Glorot and Bengio 2010, "Understanding the difficulty of training deep feedforward nets".)

    >>> bool(abs(glorot_uniform((6, 6), rng=0)).max() <= 1.0)
    True
    """
    fan_in, fan_out = _fans(tuple(shape))
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return generator(rng).uniform(-limit, limit, size=shape).astype(dtype)


def zeros(shape, rng=None, dtype=np.float32) -> np.ndarray:
    """All zeros (``rng`` is unused).

    >>> zeros((2,))
    array([0., 0.], dtype=float32)
    """
    del rng
    return np.zeros(shape, dtype)


def ones(shape, rng=None, dtype=np.float32) -> np.ndarray:
    """All ones (``rng`` is unused).

    >>> ones((2,))
    array([1., 1.], dtype=float32)
    """
    del rng
    return np.ones(shape, dtype)


_BY_NAME = {f.__name__: f for f in (he_normal, glorot_uniform, zeros, ones)}


def get(initializer: str | Callable) -> Callable:
    """The initialiser named ``initializer``, or ``initializer`` itself if it is callable.

    Raises:
        ValueError: an unknown name.

    >>> get("zeros") is zeros
    True
    """
    if callable(initializer):
        return initializer
    if initializer not in _BY_NAME:
        raise ValueError(
            f"unknown initializer {initializer!r}; use one of {sorted(_BY_NAME)} or a function "
            f"(shape, rng, dtype) -> array"
        )
    return _BY_NAME[initializer]
