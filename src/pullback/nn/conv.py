"""Convolution and pooling on NHWC images: functional forms and layers.

Images are ``(batch, height, width, channels)`` and kernels ``(kh, kw, cin, cout)`` (HWIO), as
in TensorFlow. ``padding`` is ``"valid"`` (no padding) or ``"same"`` (``ceil(size / stride)``
outputs, the odd pad at the bottom/right, as TensorFlow and PyTorch's ``padding="same"``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from .._core.tensor import Tensor, shape_of
from .._core.typing import ArrayLike
from ..ops import nn as _ops
from .layers import _activation
from .module import Module

IntPair = int | tuple[int, int]

# --- argument normalisation ----------------------------------------------------------------


def _pair(value, name: str) -> tuple[int, int]:
    """An int or a pair of positive ints as ``(rows, cols)``."""
    pair = (value, value) if isinstance(value, (int, np.integer)) else value
    if (
        not isinstance(pair, (tuple, list))
        or len(pair) != 2
        or not all(isinstance(v, (int, np.integer)) and v >= 1 for v in pair)
    ):
        raise ValueError(f"{name} must be a positive int or a pair of them, got {value!r}")
    return int(pair[0]), int(pair[1])


def _pads(padding, image, window, strides, dilation) -> tuple:
    """``"valid"``/``"same"`` as explicit ``((top, bottom), (left, right))`` pairs."""
    mode = padding.lower() if isinstance(padding, str) else padding
    if mode == "valid":
        return (0, 0), (0, 0)
    if mode == "same":
        return tuple(_ops.same_padding(*axis) for axis in zip(image, window, strides, dilation))
    raise ValueError(f'padding must be "valid" or "same", got {padding!r}')


def _array(x):
    """``x`` as an array or Tensor (nested lists become float arrays)."""
    return x if isinstance(x, (Tensor, np.ndarray)) else np.asarray(x, dtype=float)


def _image(x, op: str):
    """``x`` as an array or Tensor, checked to be NHWC."""
    x = _array(x)
    if len(shape_of(x)) != 4:
        raise ValueError(
            f"{op} needs an NHWC image batch (batch, height, width, channels), got shape "
            f"{shape_of(x)}; add a batch axis with x[None] or a channel axis with x[..., None]"
        )
    return x


def _check_fits(op: str, x_shape, window, strides, padding, dilation) -> None:
    out = [
        _ops.output_size(n, k, s, d, p)
        for n, k, s, d, p in zip(x_shape[1:3], window, strides, dilation, padding)
    ]
    if min(out) < 1:
        raise ValueError(
            f"{op}: a window of {window} (dilation {dilation}) does not fit the image "
            f"{x_shape[1:3]} of input shape {x_shape}; use padding='same' or a smaller window"
        )


# --- functional forms ----------------------------------------------------------------------


def conv2d(
    x: ArrayLike,
    kernel: ArrayLike,
    strides: IntPair = (1, 1),
    padding: str = "valid",
    dilation: IntPair = (1, 1),
) -> ArrayLike:
    """2-d convolution (cross-correlation) of an image batch with a kernel.

    Args:
        x: array of shape ``(batch, height, width, cin)``.
        kernel: array of shape ``(kh, kw, cin, cout)``.
        strides: an int or ``(sh, sw)``.
        padding: ``"valid"`` or ``"same"``.
        dilation: an int or ``(dh, dw)``: the spacing between kernel taps.

    Returns:
        Array of shape ``(batch, out_height, out_width, cout)``.

    Raises:
        ValueError: on a non-4-d input or kernel, mismatched channels, or a kernel that does
            not fit the image.

    >>> import numpy as np, pullback as pb
    >>> x = np.arange(16.0).reshape(1, 4, 4, 1)
    >>> conv2d(x, np.ones((2, 2, 1, 1)), strides=2)[0, :, :, 0].tolist()
    [[10.0, 18.0], [42.0, 50.0]]
    >>> pb.grad(lambda k: conv2d(x, k, padding="same").sum())(np.ones((2, 2, 1, 1)))[..., 0, 0]
    array([[120.,  96.],
           [114.,  90.]])
    """
    x = _image(x, "conv2d")
    kernel = _array(kernel)
    geometry = _cached(_conv_geometry, shape_of(x), shape_of(kernel), strides, padding, dilation)
    return _ops.conv2d(x, kernel, **geometry)


def _conv_geometry(x_shape, kernel_shape, strides, padding, dilation) -> dict:
    """``conv2d``'s checked settings for these shapes, as ``ops.nn.conv2d`` takes them."""
    if len(kernel_shape) != 4 or kernel_shape[2] != x_shape[3]:
        raise ValueError(
            f"conv2d needs a kernel of shape (kh, kw, cin, cout) with cin = {x_shape[3]} "
            f"(the input's channels, input shape {x_shape}), got kernel shape {kernel_shape}"
        )
    strides = _pair(strides, "strides")
    dilation = _pair(dilation, "dilation")
    pads = _pads(padding, x_shape[1:3], kernel_shape[:2], strides, dilation)
    _check_fits("conv2d", x_shape, kernel_shape[:2], strides, pads, dilation)
    return {"strides": strides, "padding": pads, "dilation": dilation}


def _pool_geometry(op: str, x_shape, pool_size, strides, padding) -> dict:
    """A pooling op's checked settings for ``x_shape``, as ``ops.nn``'s pools take them."""
    size = _pair(pool_size, "pool_size")
    strides = size if strides is None else _pair(strides, "strides")
    pads = _pads(padding, x_shape[1:3], size, strides, (1, 1))
    _check_fits(op, x_shape, size, strides, pads, (1, 1))
    return {"size": size, "strides": strides, "padding": pads}


# NOTE: a layer calls its op with the same shapes and settings at every step, so their
# normalised form is looked up, not worked out again: 7-11 us of a conv2d call and 4-6 us of a
# max_pool2d call (on bench seed 000's small images, interleaved timings). Errors are not
# cached: bad settings raise at every call. Unhashable settings (a list) are worked out; typed,
# so that strides=2.0 is not taken for a cached strides=2.
@functools.lru_cache(maxsize=512, typed=True)
def _cached_geometry(geometry: Callable, *key) -> dict:
    return geometry(*key)


def _cached(geometry: Callable, *key) -> dict:
    """``geometry(*key)``, remembered for hashable keys; the caller must not mutate it."""
    try:
        return _cached_geometry(geometry, *key)
    except TypeError as error:
        if "unhashable" not in str(error):
            raise
        return geometry(*key)


def max_pool2d(
    x: ArrayLike,
    pool_size: IntPair = (2, 2),
    strides: IntPair | None = None,
    padding: str = "valid",
) -> ArrayLike:
    """Largest entry of each ``pool_size`` window, per channel.

    Tied maxima share the gradient evenly, as with ``pnp.max``; with ``"same"`` the padding
    never wins.

    Args:
        x: array of shape ``(batch, height, width, channels)``.
        pool_size: an int or ``(ph, pw)``.
        strides: an int or ``(sh, sw)``; defaults to ``pool_size``.
        padding: ``"valid"`` or ``"same"``.

    Returns:
        Array of shape ``(batch, out_height, out_width, channels)``.

    >>> import numpy as np
    >>> max_pool2d(np.arange(16.0).reshape(1, 4, 4, 1))[0, :, :, 0].tolist()
    [[5.0, 7.0], [13.0, 15.0]]
    """
    x = _image(x, "max_pool2d")
    geometry = _cached(_pool_geometry, "max_pool2d", shape_of(x), pool_size, strides, padding)
    return _ops.max_pool(x, **geometry)


def avg_pool2d(
    x: ArrayLike,
    pool_size: IntPair = (2, 2),
    strides: IntPair | None = None,
    padding: str = "valid",
) -> ArrayLike:
    """Mean of each ``pool_size`` window, per channel; with ``"same"`` the padding is not
    counted (TensorFlow's convention), so each output averages real pixels only.

    Args:
        x: array of shape ``(batch, height, width, channels)``.
        pool_size: an int or ``(ph, pw)``.
        strides: an int or ``(sh, sw)``; defaults to ``pool_size``.
        padding: ``"valid"`` or ``"same"``.

    Returns:
        Array of shape ``(batch, out_height, out_width, channels)``.

    >>> import numpy as np
    >>> avg_pool2d(np.arange(16.0).reshape(1, 4, 4, 1))[0, :, :, 0].tolist()
    [[2.5, 4.5], [10.5, 12.5]]
    """
    x = _image(x, "avg_pool2d")
    geometry = _cached(_pool_geometry, "avg_pool2d", shape_of(x), pool_size, strides, padding)
    return _ops.avg_pool(x, **geometry)


# --- layers --------------------------------------------------------------------------------


class Conv2D(Module):
    """2-d convolution layer ``activation(conv2d(x, filter) + bias)`` on NHWC images.

    Args:
        filter_shape: ``(kh, kw, cin, cout)``; ``x`` has shape ``(batch, h, w, cin)`` and the
            result ``(batch, out_h, out_w, cout)``.
        strides, padding, dilation: as in ``conv2d``.
        activation: a function or a name (``"relu"``), or None for the identity.
        filter_initializer: He normal by default (``N(0, 2 / (kh * kw * cin))``).

    >>> import numpy as np, pullback as pb
    >>> layer = Conv2D((5, 5, 3, 6), seed=0)
    >>> layer.filter.shape, layer.bias.shape, layer(np.ones((10, 16, 16, 3))).shape
    ((5, 5, 3, 6), (6,), (10, 12, 12, 6))
    """

    def __init__(
        self,
        filter_shape: tuple[int, int, int, int],
        strides: IntPair = (1, 1),
        padding: str = "valid",
        dilation: IntPair = (1, 1),
        activation: str | Callable | None = None,
        use_bias: bool = True,
        filter_initializer: str | Callable = "he_normal",
        dtype=np.float32,
        seed=None,
    ) -> None:
        super().__init__()
        if len(filter_shape) != 4:
            raise ValueError(f"filter_shape must be (kh, kw, cin, cout), got {filter_shape!r}")
        self.add_weight("filter", filter_shape, filter_initializer, dtype=dtype, seed=seed)
        self.bias = None
        if use_bias:
            self.add_weight("bias", (filter_shape[3],), "zeros", dtype=dtype)
        self.strides, self.padding, self.dilation = strides, padding, dilation
        self.activation = _activation(activation)

    def __call__(self, x: ArrayLike) -> ArrayLike:
        y = conv2d(x, self.filter, self.strides, self.padding, self.dilation)
        if self.bias is not None:
            y = y + self.bias
        return y if self.activation is None else self.activation(y)


class MaxPool2D(Module):
    """Max pooling layer: ``max_pool2d(x, pool_size, strides, padding)``.

    >>> import numpy as np, pullback as pb
    >>> MaxPool2D((2, 2), strides=(2, 2))(np.ones((10, 12, 12, 6))).shape
    (10, 6, 6, 6)
    """

    def __init__(
        self, pool_size: IntPair = (2, 2), strides: IntPair | None = None, padding: str = "valid"
    ) -> None:
        super().__init__()
        self.pool_size, self.strides, self.padding = pool_size, strides, padding

    def __call__(self, x: ArrayLike) -> ArrayLike:
        return max_pool2d(x, self.pool_size, self.strides, self.padding)


class AvgPool2D(Module):
    """Average pooling layer: ``avg_pool2d(x, pool_size, strides, padding)``.

    >>> import numpy as np, pullback as pb
    >>> AvgPool2D(2)(np.ones((1, 4, 4, 1))).shape
    (1, 2, 2, 1)
    """

    def __init__(
        self, pool_size: IntPair = (2, 2), strides: IntPair | None = None, padding: str = "valid"
    ) -> None:
        super().__init__()
        self.pool_size, self.strides, self.padding = pool_size, strides, padding

    def __call__(self, x: ArrayLike) -> ArrayLike:
        return avg_pool2d(x, self.pool_size, self.strides, self.padding)
