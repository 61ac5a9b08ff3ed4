"""Optimisers as pure functions over pytrees (optax style).

Each factory returns a ``GradientTransformation``: ``init(params) -> state`` and
``update(grads, state, params=None) -> (updates, state)``; ``apply_updates(params, updates)``
adds the updates. The math uses operators and ``pnp``, so it works on ndarrays and Tensors
alike (and is differentiable). Non-float leaves of ``params`` get ``None`` state and need
``None`` gradients, as ``pb.grad`` gives them. The formulas are PyTorch's, so steps match
``torch.optim.SGD``, ``Adam`` and ``AdamW``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

import pullback as pb
import pullback.numpy as pnp

from .._core.tree import is_none

Schedule = Callable[[int], float]


class GradientTransformation(NamedTuple):
    """An optimiser: the pair of pure functions ``init`` and ``update``."""

    init: Callable[[Any], Any]
    update: Callable[..., tuple[Any, Any]]


class SGDState(NamedTuple):
    """The step count and the momentum buffers (``None`` without momentum)."""

    count: int
    momentum: Any


class AdamState(NamedTuple):
    """The step count and the first and second moment estimates."""

    count: int
    mu: Any
    nu: Any


def _rate(learning_rate: float | Schedule, step: int) -> float:
    return learning_rate(step) if callable(learning_rate) else learning_rate


def _zeros(x):
    """Zeros shaped like a float leaf, ``None`` for a non-float one."""
    value = x.numpy() if isinstance(x, pb.Tensor) else np.asarray(x)
    return np.zeros_like(value) if value.dtype.kind == "f" else None


def apply_updates(params, updates):
    """``params + updates``, leaf by leaf; a ``None`` update (a non-float leaf, which the
    optimisers give none) leaves its parameter as it is.

    >>> apply_updates({"w": 1.0, "n": 3}, {"w": -0.5, "n": None})
    {'w': 0.5, 'n': 3}
    """
    return pb.tree.map(lambda p, u: p if u is None else p + u, params, updates, is_leaf=is_none)


def sgd(
    learning_rate: float | Schedule, momentum: float = 0.0, nesterov: bool = False
) -> GradientTransformation:
    """Stochastic gradient descent, with optional (Nesterov) momentum.

    ``buf = momentum * buf + g``; the step is ``-lr * buf`` (or ``-lr * (g + momentum * buf)``
    with ``nesterov=True``), as ``torch.optim.SGD``.

    >>> opt = sgd(0.1)
    >>> updates, state = opt.update({"w": 2.0}, opt.init({"w": 1.0}))
    >>> updates
    {'w': -0.2}
    """
    if nesterov and momentum <= 0:
        raise ValueError("nesterov=True needs a positive momentum")

    def init(params) -> SGDState:
        return SGDState(0, pb.tree.map(_zeros, params) if momentum else None)

    def update(grads, state: SGDState, params=None):
        del params
        lr = _rate(learning_rate, state.count)
        if not momentum:
            return pb.tree.map(lambda g: -lr * g, grads), SGDState(state.count + 1, None)
        buf = pb.tree.map(lambda b, g: momentum * b + g, state.momentum, grads)
        if nesterov:
            step = pb.tree.map(lambda g, b: g + momentum * b, grads, buf)
        else:
            step = buf
        return pb.tree.map(lambda s: -lr * s, step), SGDState(state.count + 1, buf)

    return GradientTransformation(init, update)


def _adam_direction(grads, state: AdamState, b1: float, b2: float, eps: float):
    """The bias-corrected Adam direction ``m_hat / (sqrt(v_hat) + eps)`` and the new state."""
    mu = pb.tree.map(lambda m, g: b1 * m + (1 - b1) * g, state.mu, grads)
    nu = pb.tree.map(lambda v, g: b2 * v + (1 - b2) * g * g, state.nu, grads)
    t = state.count + 1
    c1, c2 = 1 - b1**t, 1 - b2**t
    direction = pb.tree.map(lambda m, v: (m / c1) / (pnp.sqrt(v / c2) + eps), mu, nu)
    return direction, AdamState(t, mu, nu)


def adam(
    learning_rate: float | Schedule = 1e-3, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8
) -> GradientTransformation:
    """Adam (Kingma and Ba 2014, arXiv:1412.6980).

    >>> opt = adam(0.1)
    >>> updates, state = opt.update({"w": 2.0}, opt.init({"w": 1.0}))
    >>> round(float(updates["w"]), 6)
    -0.1
    """

    def init(params) -> AdamState:
        return AdamState(0, pb.tree.map(_zeros, params), pb.tree.map(_zeros, params))

    def update(grads, state: AdamState, params=None):
        del params
        lr = _rate(learning_rate, state.count)
        direction, state = _adam_direction(grads, state, b1, b2, eps)
        return pb.tree.map(lambda d: -lr * d, direction), state

    return GradientTransformation(init, update)


def adamw(
    learning_rate: float | Schedule = 1e-3,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 1e-2,
) -> GradientTransformation:
    """Adam with decoupled weight decay (Loshchilov and Hutter 2017, arXiv:1711.05101).

    The step is ``-lr * (adam_direction + weight_decay * params)``, as ``torch.optim.AdamW``.

    >>> opt = adamw(0.1, weight_decay=0.5)
    >>> updates, _ = opt.update({"w": 2.0}, opt.init({"w": 1.0}), {"w": 1.0})
    >>> round(float(updates["w"]), 6)
    -0.15
    """

    def init(params) -> AdamState:
        return AdamState(0, pb.tree.map(_zeros, params), pb.tree.map(_zeros, params))

    def update(grads, state: AdamState, params=None):
        if params is None:
            raise ValueError("adamw's update needs params, for the weight decay")
        lr = _rate(learning_rate, state.count)
        direction, state = _adam_direction(grads, state, b1, b2, eps)
        updates = pb.tree.map(lambda d, p: -lr * (d + weight_decay * p), direction, params)
        return updates, state

    return GradientTransformation(init, update)
