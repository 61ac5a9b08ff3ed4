"""Layers (NHWC images, features on the last axis): Dense, Flatten, Sequential, Dropout,
BatchNorm, LayerNorm, Embedding. Parameters default to float32, as in Keras and PyTorch; pass
``dtype=np.float64`` for gradient checks.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import pullback as pb
import pullback.numpy as pnp

from . import activations, functional
from .module import Module


def _activation(activation: str | Callable | None) -> Callable | None:
    """``activation`` as a function: a name from ``pb.nn.activations``, a callable, or None."""
    if activation is None or callable(activation):
        return activation
    function = getattr(activations, activation, None)
    if not callable(function):
        raise ValueError(f"unknown activation {activation!r}; pass a function or e.g. 'relu'")
    return function


def _numpy(x) -> np.ndarray:
    """The value of ``x`` as an ndarray, detached from any transform."""
    return x.numpy() if isinstance(x, pb.Tensor) else np.asarray(x)


def _check_features(layer: Module, x, axis: int) -> None:
    """Raise, naming ``layer``, unless ``x`` has ``layer.scale``'s number of features on
    ``axis`` (NumPy would raise a broadcast error, or broadcast a single feature silently)."""
    features = layer.scale.shape[0]
    shape = tuple(pnp.shape(x))
    if not shape or not -len(shape) <= axis < len(shape) or shape[axis] != features:
        raise ValueError(
            f"{type(layer).__name__}({features}) normalises {features} features on axis "
            f"{axis}, got an input of shape {shape}"
        )


class Dense(Module):
    """Fully connected layer ``activation(x @ kernel + bias)``.

    Args:
        input_size, output_size: ``x`` has shape ``(batch, input_size)``; the result
            ``(batch, output_size)``. ``kernel`` has shape ``(input_size, output_size)``.
        activation: a function or a name (``"relu"``), or None for the identity.

    >>> import numpy as np, pullback as pb
    >>> pb.nn.Dense(3, 2, activation="relu", seed=0)(np.ones((4, 3))).shape
    (4, 2)
    """

    def __init__(
        self,
        input_size: int,
        output_size: int,
        activation: str | Callable | None = None,
        use_bias: bool = True,
        kernel_initializer: str | Callable = "glorot_uniform",
        dtype=np.float32,
        seed=None,
    ) -> None:
        super().__init__()
        shape = (input_size, output_size)
        self.add_weight("kernel", shape, kernel_initializer, dtype=dtype, seed=seed)
        self.bias = None
        if use_bias:
            self.add_weight("bias", (output_size,), "zeros", dtype=dtype)
        self.activation = _activation(activation)

    def __call__(self, x):
        try:
            # NOTE: pnp.matmul, not x @ kernel: an input array on the left would go through
            # NumPy's ufunc dispatch back to pullback first (bench/training.py, digits step)
            y = pnp.matmul(x, self.kernel)
        except ValueError as error:
            clearer = self._input_error(x)
            if clearer is None:
                raise
            raise clearer from error
        if self.bias is not None:
            y = y + self.bias
        return y if self.activation is None else self.activation(y)

    def _input_error(self, x) -> ValueError | None:
        """A ValueError naming the layer, if ``x`` does not have its input features."""
        inputs, outputs = self.kernel.shape
        shape = tuple(pnp.shape(x))
        if shape and shape[-1] == inputs:
            return None
        return ValueError(
            f"Dense({inputs}, {outputs}) needs inputs with {inputs} features on their last "
            f"axis, got shape {shape}"
        )


class Flatten(Module):
    """Flatten every axis but the first: ``(batch, ...) -> (batch, prod(...))``.

    >>> import numpy as np, pullback as pb
    >>> pb.nn.Flatten()(np.ones((2, 3, 4))).shape
    (2, 12)
    """

    def __call__(self, x):
        return pnp.reshape(x, (x.shape[0], -1))


class Sequential(Module):
    """Layers applied one after the other.

    >>> import numpy as np, pullback as pb
    >>> model = pb.nn.Sequential(pb.nn.Dense(3, 4, "relu"), pb.nn.Dense(4, 2))
    >>> model(np.ones((5, 3))).shape
    (5, 2)
    """

    def __init__(self, *layers: Callable) -> None:
        super().__init__()
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])  # Sequential([a, b]) as in Keras
        self.layers = list(layers)

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


class Dropout(Module):
    """Drop each input with probability ``rate`` in training mode; the identity in eval mode.

    Masks come from NumPy's global random state (``np.random.seed`` makes them reproducible,
    and ``pb.checkpoint`` replays them exactly).

    >>> import numpy as np, pullback as pb
    >>> layer = pb.nn.Dropout(0.5).eval()
    >>> layer(np.ones(3))
    array([1., 1., 1.])
    """

    def __init__(self, rate: float) -> None:
        super().__init__()
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"Dropout rate must be in [0, 1), got {rate}")
        self.rate = rate

    def __call__(self, x):
        if not self.training:
            return x
        return functional.dropout(x, self.rate)


class BatchNorm(Module):
    """Batch normalisation over every axis but ``axis`` (Ioffe and Szegedy 2015).

    Training mode normalises with the batch's moments and updates the running ones:
    ``running = momentum * running + (1 - momentum) * batch`` (Keras' convention, biased
    variance). Eval mode normalises with the running moments. ``running_mean`` and
    ``running_var`` are non-trainable Variables: static in the pytree, so they are shared by
    the copies ``pb.grad`` makes and updated in place. Under ``pb.checkpoint`` the recomputation
    updates them a second time.

    >>> import numpy as np, pullback as pb
    >>> bn = pb.nn.BatchNorm(2, dtype=np.float64)
    >>> bn(np.array([[0.0, 1.0], [2.0, 3.0]])).numpy().round(3)
    array([[-1., -1.],
           [ 1.,  1.]])
    """

    def __init__(
        self,
        features: int,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        axis: int = -1,
        dtype=np.float32,
    ) -> None:
        super().__init__()
        self.add_weight("scale", (features,), "ones", dtype=dtype)
        self.add_weight("offset", (features,), "zeros", dtype=dtype)
        self.add_weight("running_mean", (features,), "zeros", trainable=False, dtype=dtype)
        self.add_weight("running_var", (features,), "ones", trainable=False, dtype=dtype)
        self.momentum, self.epsilon, self.axis = momentum, epsilon, axis

    def __call__(self, x):
        _check_features(self, x, self.axis)
        axis = self.axis % x.ndim
        shape = [1] * x.ndim
        shape[axis] = -1
        if not self.training:
            # NOTE: read through ops, not .numpy(): pb.jit then notes the statistics it captured
            # and traces again once they change
            mean = pnp.reshape(self.running_mean, shape)
            var = pnp.reshape(self.running_var, shape)
            y = (x - mean) / pnp.sqrt(var + self.epsilon)
        else:
            axes = tuple(i for i in range(x.ndim) if i != axis)
            y, mean, var = functional.normalize(x, axes, self.epsilon)
            self._update(*self._moments(mean, var))
        return y * pnp.reshape(self.scale, shape) + pnp.reshape(self.offset, shape)

    def _moments(self, mean, var) -> tuple[np.ndarray, np.ndarray]:
        """The batch's moments as vectors of values, for the running statistics."""
        try:
            return _numpy(mean).reshape(-1), _numpy(var).reshape(-1)
        except TypeError as error:  # a trace: the moments are values of later calls too
            raise TypeError(
                "BatchNorm in training mode updates its running statistics at every call, "
                "which a traced graph (pb.jit, pb.trace, pb.save) cannot do: it would keep the "
                "first batch's. Train it without jit (pb.value_and_grad, pb.GradientTape), "
                "and jit or save the model in eval mode (model.eval())."
            ) from error

    def _update(self, mean: np.ndarray, var: np.ndarray) -> None:
        m = self.momentum
        self.running_mean.assign(m * self.running_mean.numpy() + (1 - m) * mean)
        self.running_var.assign(m * self.running_var.numpy() + (1 - m) * var)


class LayerNorm(Module):
    """Layer normalisation over the last axis, then a learned scale and offset (Ba et al. 2016).

    >>> import numpy as np, pullback as pb
    >>> pb.nn.LayerNorm(2, epsilon=0.0, dtype=np.float64)(np.array([[1.0, 3.0]])).numpy()
    array([[-1.,  1.]])
    """

    def __init__(self, features: int, epsilon: float = 1e-3, dtype=np.float32) -> None:
        super().__init__()
        self.add_weight("scale", (features,), "ones", dtype=dtype)
        self.add_weight("offset", (features,), "zeros", dtype=dtype)
        self.epsilon = epsilon

    def __call__(self, x):
        _check_features(self, x, -1)
        return functional.layer_norm(x, self.scale, self.offset, axis=-1, epsilon=self.epsilon)


class Embedding(Module):
    """A lookup table: int ids of shape ``(...)`` give vectors of shape ``(..., dim)``.

    The gradient of ``embeddings`` scatter-adds the output cotangent into the rows looked up.

    >>> import numpy as np, pullback as pb
    >>> pb.nn.Embedding(10, 4)(np.array([[1, 2, 3]])).shape
    (1, 3, 4)
    """

    def __init__(
        self,
        vocab_size: int,
        dim: int,
        initializer: str | Callable = "glorot_uniform",
        dtype=np.float32,
        seed=None,
    ) -> None:
        super().__init__()
        self.add_weight("embeddings", (vocab_size, dim), initializer, dtype=dtype, seed=seed)

    def __call__(self, ids):
        return functional.embedding_lookup(self.embeddings, ids)
