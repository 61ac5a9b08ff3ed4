"""Stateful optimisers (Swift and Keras style): thin shells around ``pb.optim``'s pure ones.

``opt.update(model, grads)`` steps a model's trainable Variables in place, with ``grads`` the
gradient ``pb.grad`` returns (an instance of the model's class);
``opt.apply_gradients(zip(grads, variables))`` does the same for a list of Variables.
``opt.learning_rate`` may be changed between steps, or be a schedule of the step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

import pullback as pb

from .._core.errors import describe_value
from .._core.tree import is_none
from . import transforms

Tensor, Variable = pb.Tensor, pb.Variable


def _numpy(x) -> np.ndarray:
    return x.numpy() if isinstance(x, Tensor) else np.asarray(x)


def _summed_by_variable(grads: list, leaves: list) -> list[tuple]:
    """``(gradient, leaf)`` pairs with one pair per Variable: a Variable at two places of a
    model (tied weights) gets the sum of its two gradients, each its share of the total."""
    pairs: dict[int, list] = {}
    for g, leaf in zip(grads, leaves):
        pair = pairs.get(id(leaf))
        if pair is None:
            pairs[id(leaf)] = [g, leaf]
        elif g is not None:
            pair[0] = g if pair[0] is None else _numpy(pair[0]) + _numpy(g)
    return [tuple(pair) for pair in pairs.values()]


def _steppable_array(x) -> bool:
    return type(x) is np.ndarray and x.dtype.kind == "f" and x.flags.writeable


def _check_steppable(optimizer: str, leaf) -> None:
    """Raise unless ``leaf``, a model's leaf with a gradient, can be stepped in place."""
    if not _steppable_array(leaf):
        raise TypeError(
            f"{optimizer}.update: a model parameter of type {type(leaf).__name__} "
            f"({describe_value(leaf)}) has a gradient but cannot be stepped in place "
            f"(a read-only array, or a Tensor): make it a pb.Variable (self.w = "
            f"pb.Variable(...), or self.add_weight), trainable=False to keep it constant"
        )


def _describe(v) -> str:
    if not isinstance(v, Variable):
        return "an array"
    return f"Variable {v.name!r}" if v.name else "a Variable"


class Optimizer:
    """Base of ``SGD``, ``Adam`` and ``AdamW``: keeps one optimiser state per set of Variables."""

    def __init__(self, learning_rate, make: Callable[..., transforms.GradientTransformation]):
        self.learning_rate = learning_rate
        self._transform = make(self._rate)
        self._states: dict[tuple[int, ...], tuple[list, object]] = {}

    def _rate(self, step: int) -> float:
        rate = self.learning_rate
        return rate(step) if callable(rate) else rate

    def update(self, model, grads) -> None:
        """Step the parameters of ``model`` by ``grads`` (a pytree of its structure): its
        trainable Variables, and its float arrays, which are pytree leaves too and are stepped
        in place.

        Raises:
            ValueError: ``grads`` does not have the structure of ``model``, or a gradient has
                another shape than its Variable.
            TypeError: a leaf with a gradient cannot be stepped in place (a read-only array,
                a Tensor that is not a Variable).
        """
        leaves, treedef = pb.tree.flatten(model)
        grad_leaves, grad_def = pb.tree.flatten(grads)
        if grad_def != treedef:
            # None gradients (leaves pb.grad does not differentiate) are leaves of their own
            leaves, treedef = pb.tree.flatten(model, is_leaf=is_none)
            grad_leaves, grad_def = pb.tree.flatten(grads, is_leaf=is_none)
        if grad_def != treedef:
            raise ValueError(
                f"{type(self).__name__}.update: grads have structure {grad_def!r}, but the "
                f"model has {treedef!r}; pass the gradient pb.grad returns for this model"
            )
        pairs = _summed_by_variable(grad_leaves, leaves)
        for g, leaf in pairs:
            if g is not None and not isinstance(leaf, Variable):
                _check_steppable(type(self).__name__, leaf)
        self.apply_gradients(pairs)

    def apply_gradients(self, grads_and_vars: Iterable) -> None:
        """Step each trainable Variable (or float array, in place) by its gradient; pairs with
        a ``None`` gradient are skipped, as are other values.

        Raises:
            ValueError: a gradient's shape is not its Variable's.
        """
        grads, variables, params = [], [], []
        for g, v in grads_and_vars:
            if g is not None and (_steppable_array(v) or isinstance(v, Variable) and v.trainable):
                g = _numpy(g)
                if g.shape != v.shape:  # NumPy would broadcast some into a wrong step
                    raise ValueError(
                        f"{type(self).__name__}.apply_gradients: a gradient of shape {g.shape} "
                        f"for {_describe(v)} of shape {v.shape}; pass each Variable's gradient"
                    )
                grads.append(g)
                variables.append(v)
                params.append(_numpy(v))
        if len(set(map(id, variables))) != len(variables):
            raise ValueError(
                f"{type(self).__name__}.apply_gradients: a Variable appears more than once "
                f"(tied weights?): pass it once, with its whole gradient "
                f"(model.trainable_variables lists each once)"
            )
        if not variables:
            return
        key = tuple(map(id, variables))
        entry = self._states.get(key)
        state = self._transform.init(params) if entry is None else entry[1]
        updates, state = self._transform.update(grads, state, params)
        self._states[key] = (variables, state)
        for variable, update in zip(variables, updates):
            if isinstance(variable, Variable):
                variable.assign_add(update)
            else:  # a float array of the model: stepped where it is
                np.add(variable, update, out=variable)


class SGD(Optimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum, updating in place.

    >>> import numpy as np, pullback as pb
    >>> v = pb.Variable(np.array([1.0]))
    >>> pb.optim.SGD(0.1).apply_gradients([(np.array([2.0]), v)])
    >>> v.numpy()
    array([0.8])
    """

    def __init__(self, learning_rate=0.01, momentum: float = 0.0, nesterov: bool = False):
        super().__init__(learning_rate, lambda lr: transforms.sgd(lr, momentum, nesterov))


class Adam(Optimizer):
    """Adam, updating in place (``torch.optim.Adam``'s formula).

    >>> import numpy as np, pullback as pb
    >>> v = pb.Variable(np.array([1.0]))
    >>> pb.optim.Adam(0.1).apply_gradients([(np.array([2.0]), v)])
    >>> v.numpy().round(6)
    array([0.9])
    """

    def __init__(self, learning_rate=1e-3, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8):
        super().__init__(learning_rate, lambda lr: transforms.adam(lr, b1, b2, eps))


class AdamW(Optimizer):
    """Adam with decoupled weight decay, updating in place (``torch.optim.AdamW``'s formula).

    >>> import numpy as np, pullback as pb
    >>> v = pb.Variable(np.array([1.0]))
    >>> pb.optim.AdamW(0.1, weight_decay=0.5).apply_gradients([(np.array([2.0]), v)])
    >>> v.numpy().round(6)
    array([0.85])
    """

    def __init__(
        self,
        learning_rate=1e-3,
        b1: float = 0.9,
        b2: float = 0.999,
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ):
        super().__init__(learning_rate, lambda lr: transforms.adamw(lr, b1, b2, eps, weight_decay))
