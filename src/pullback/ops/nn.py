"""Convolution and pooling on NHWC images: conv2d with its two adjoints, max and sum pooling.

Shapes: images ``x`` are ``(batch, height, width, channels)``, kernels ``w`` are
``(kh, kw, cin, cout)`` (HWIO). Every op takes its geometry normalised: ``strides`` and
``dilation`` as ``(sh, sw)``, ``padding`` as explicit pairs ``((top, bottom), (left, right))``;
``pullback.nn`` turns ``"valid"``/``"same"`` into those pairs.

``conv2d`` is a trilinear form ``<g, conv2d(x, w)>`` differentiated three ways, so its VJP rules
are ``conv2d_input_grad`` (the transposed convolution) and ``conv2d_filter_grad`` (the
correlation of ``x`` with ``g``), and the rules of those two are the other two again: the
family is closed, and every derivative of every order is one BLAS matrix product over an
im2col matrix. Pooling loops over the taps of its window; max-pooling's derivatives are the
pair ``max_pool_gather``/``max_pool_scatter``, which split tied maxima evenly, as ``max`` does.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .._core.levels import _state
from .._core.primitive import ReplayShare, bind, defbatch, defjvp, defvjp, primitive
from .._core.residuals import ByArray
from .._core.tensor import dtype_of, shape_of
from ._batch import move_axis, move_to_front
from .elementwise import divide, multiply
from .products import diagonal
from .shape import reshape

# --- window geometry (NumPy on raw arrays) -----------------------------------------------


def output_size(size: int, kernel: int, stride: int, dilation: int, pads: tuple[int, int]) -> int:
    """How many windows fit along one axis of length ``size`` after padding by ``pads``."""
    extent = (kernel - 1) * dilation + 1
    return (size + pads[0] + pads[1] - extent) // stride + 1


def same_padding(size: int, kernel: int, stride: int, dilation: int) -> tuple[int, int]:
    """TensorFlow's ``"same"`` pads along one axis: ``ceil(size / stride)`` outputs, with the
    odd pad at the end (PyTorch's ``padding="same"`` for stride 1 agrees).

    >>> same_padding(16, 5, 1, 1), same_padding(7, 2, 2, 1)
    ((2, 2), (0, 1))
    """
    extent = (kernel - 1) * dilation + 1
    total = max((-(-size // stride) - 1) * stride + extent - size, 0)
    return total // 2, total - total // 2


def _pad_raw(x: np.ndarray, padding, fill: float) -> np.ndarray:
    (top, bottom), (left, right) = padding
    if top == bottom == left == right == 0:
        return x
    widths = ((0, 0), (top, bottom), (left, right), (0, 0))
    return np.pad(x, widths, mode="constant", constant_values=fill)


def _windows(xp: np.ndarray, size, strides, dilation) -> np.ndarray:
    """A read-only view ``(n, oh, ow, kh, kw, c)`` of the windows of the padded ``xp``."""
    n, hp, wp, c = xp.shape
    (kh, kw), (sh, sw), (dh, dw) = size, strides, dilation
    oh = output_size(hp, kh, sh, dh, (0, 0))
    ow = output_size(wp, kw, sw, dw, (0, 0))
    s0, s1, s2, s3 = xp.strides
    shape = (n, oh, ow, kh, kw, c)
    return as_strided(xp, shape, (s0, s1 * sh, s2 * sw, s1 * dh, s2 * dw, s3), writeable=False)


def _im2col(x: np.ndarray, size, strides, padding, dilation) -> np.ndarray:
    """The windows of ``x`` as a matrix ``(n * oh * ow, kh * kw * c)`` (one copy)."""
    win = _windows(_pad_raw(x, padding, 0.0), size, strides, dilation)
    return win.reshape(math.prod(win.shape[:3]), math.prod(win.shape[3:]))


# --- batching (vmap): the vmap axis is folded into an axis of the op ------------------------


def _batch_size(args, dims) -> int:
    return next(shape_of(a)[d] for a, d in zip(args, dims) if d is not None)


def _merge(a, bdim, axis: int, size: int | None = None):
    """``a`` with its batch axis ``bdim`` merged into its axis ``axis`` (batch-major); an
    unbatched ``a`` is broadcast to ``size`` first."""
    a = move_axis(move_to_front(a, bdim, size), 0, axis)
    s = shape_of(a)
    return reshape(a, s[:axis] + (s[axis] * s[axis + 1],) + s[axis + 2 :])


def _split(a, axis: int, size: int):
    """The inverse of ``_merge``: axis ``axis`` of ``a`` split into ``(size, rest)``."""
    s = shape_of(a)
    return reshape(a, s[:axis] + (size, s[axis] // size) + s[axis + 1 :])


def _batched_shape(shape, axis: int, size: int) -> tuple:
    return tuple(size * n if i == axis else n for i, n in enumerate(shape))


def _block_diagonal(w, bdim, size: int):
    """A batch of kernels ``(kh, kw, cin, cout)`` as one ``(kh, kw, B cin, B cout)`` kernel that
    maps each batch member's channels to its own outputs (a grouped convolution)."""
    w = move_axis(move_to_front(w, bdim), 0, 2)
    kh, kw, _, cin, cout = shape_of(w)
    eye = np.eye(size, dtype=dtype_of(w)).reshape(1, 1, size, 1, size, 1)
    blocks = multiply(reshape(w, (kh, kw, size, cin, 1, cout)), eye)
    return reshape(blocks, (kh, kw, size * cin, size * cout))


# --- convolution -------------------------------------------------------------------------


@primitive
def conv2d(x, w, *, strides, padding, dilation):
    """Cross-correlation of NHWC ``x`` with the HWIO kernel ``w`` (no flip, as in every deep
    learning library); returns ``(n, oh, ow, cout)``.

    >>> import numpy as np
    >>> conv2d(np.ones((1, 3, 3, 1)), np.ones((2, 2, 1, 1)), strides=(1, 1),
    ...        padding=((0, 0), (0, 0)), dilation=(1, 1))[0, :, :, 0].tolist()
    [[4.0, 4.0], [4.0, 4.0]]
    """
    out, cols = _conv2d_with_patches(x, w, strides=strides, padding=padding, dilation=dilation)
    if _state.stack:  # a transform may differentiate this call
        _patches.keep(out, cols)
    return out


# NOTE: conv2d keeps its im2col matrix for as long as its output lives, keyed by that output:
# the VJP rule of the kernel receives the output (``ans``), so at first order the filter
# gradient is one matrix product, as in hand-written im2col code, not a second im2col (bench
# seed-000 conv step: 42 us of 500). The matrix is the one the forward pass computed from the
# input's values then, so an in-place change of the input afterwards cannot reach it. Memory:
# one (n*oh*ow, kh*kw*cin) matrix per live conv output, kept only while a transform is active
# (a plain forward pass, e.g. features of a whole data set, keeps nothing).
_patches = ByArray()


def _conv2d_filter_vjp(g, ans, x, w, **geometry):
    cols = _patches.get(ans) if type(g) is np.ndarray and type(x) is np.ndarray else None
    if cols is None:
        return conv2d_filter_grad(x, g, w_shape=shape_of(w), **geometry)
    return _filter_grad_of_patches(cols, g, w_shape=w.shape, **geometry)


@primitive
def conv2d_input_grad(g, w, *, x_shape, strides, padding, dilation):
    """The transposed convolution: the cotangent ``(n, h, w, cin)`` of ``conv2d``'s input for
    the output cotangent ``g``, i.e. ``d<g, conv2d(x, w)>/dx``.

    NOTE: along the width it is a correlation of ``g`` (spread out by the stride) with the
    flipped kernel, one matrix product over width windows; along the height each kernel row's
    result is added in place, channels first so that every add runs over whole rows. 3x faster
    than one im2col scatter per kernel tap (the input gradient of bench seed 000's conv).
    """
    kh, kw, cin, cout = w.shape
    n, oh, ow, _ = g.shape
    (top, bottom), (left, right) = padding
    (sh, sw), (dh, dw) = strides, dilation
    hp, wp = x_shape[1] + top + bottom, x_shape[2] + left + right
    reach = (kw - 1) * dw
    spread = np.zeros((n, oh, wp + reach, cout), g.dtype)
    spread[:, :, reach : reach + (ow - 1) * sw + 1 : sw] = g
    s0, s1, s2, s3 = spread.strides
    win = as_strided(spread, (n, oh, wp, kw, cout), (s0, s1, s2, s2 * dw, s3), writeable=False)
    flipped = w[:, ::-1].transpose(1, 3, 0, 2).reshape(kw * cout, kh * cin)
    rows = (flipped.T @ win.reshape(n * oh * wp, kw * cout).T).reshape(kh, cin, n, oh, wp)
    out = np.zeros((cin, n, hp, wp), rows.dtype)
    for i in range(kh):
        out[:, :, i * dh : i * dh + (oh - 1) * sh + 1 : sh] += rows[i]
    out = out[:, :, top : top + x_shape[1], left : left + x_shape[2]]
    return np.ascontiguousarray(out.transpose(1, 2, 3, 0))


@primitive
def conv2d_filter_grad(x, g, *, w_shape, strides, padding, dilation):
    """The cotangent ``(kh, kw, cin, cout)`` of ``conv2d``'s kernel for the output cotangent
    ``g``, i.e. ``d<g, conv2d(x, w)>/dw``: each window of ``x`` correlated with ``g``."""
    cols = _im2col(x, w_shape[:2], strides, padding, dilation)
    return _filter_grad_of_patches(
        cols, g, w_shape=w_shape, strides=strides, padding=padding, dilation=dilation
    )


def _conv2d_with_patches(x, w, *, strides, padding, dilation):
    """``conv2d`` and the im2col matrix it multiplied: jit's replay keeps the matrix for the
    filter gradient (``ReplayShare``)."""
    kh, kw, _, cout = w.shape
    n, h, wd, _ = x.shape
    oh = output_size(h, kh, strides[0], dilation[0], padding[0])
    ow = output_size(wd, kw, strides[1], dilation[1], padding[1])
    cols = _im2col(x, (kh, kw), strides, padding, dilation)
    return (cols @ w.reshape(-1, cout)).reshape(n, oh, ow, cout), cols


def _filter_grad_of_patches(cols, g, *, w_shape, strides, padding, dilation):
    return (cols.T @ g.reshape(-1, w_shape[3])).reshape(w_shape)


# NOTE: under pb.jit the graph of a gradient holds conv2d(x, w) and conv2d_filter_grad(x, g):
# the replay computes x's patches once instead of twice (bench seed-000 conv step, jit: 84 us of
# about 900); eager mode gets the same from _patches.
conv2d_filter_grad.replay_share = ReplayShare(
    producer=conv2d,
    producer_key=lambda shapes, p: (shapes[1][:2], p["strides"], p["padding"], p["dilation"]),
    consumer_key=lambda shapes, p: (p["w_shape"][:2], p["strides"], p["padding"], p["dilation"]),
    produce=_conv2d_with_patches,
    consume=_filter_grad_of_patches,
)


# NOTE: all three ops are partial derivatives of T(x, w, g) = <g, conv2d(x, w)>, which is
# linear in each argument, so each one's rules are the other two (and itself for tangents).
defvjp(
    conv2d,
    lambda g, ans, x, w, **geometry: conv2d_input_grad(g, w, x_shape=shape_of(x), **geometry),
    _conv2d_filter_vjp,
)
defjvp(
    conv2d,
    lambda t, ans, x, w, **geometry: conv2d(t, w, **geometry),
    lambda t, ans, x, w, **geometry: conv2d(x, t, **geometry),
)
defvjp(
    conv2d_input_grad,
    lambda u, ans, g, w, x_shape, **geometry: conv2d(u, w, **geometry),
    lambda u, ans, g, w, x_shape, **geometry: conv2d_filter_grad(
        u, g, w_shape=shape_of(w), **geometry
    ),
)
defjvp(
    conv2d_input_grad,
    lambda t, ans, g, w, **params: conv2d_input_grad(t, w, **params),
    lambda t, ans, g, w, **params: conv2d_input_grad(g, t, **params),
)
defvjp(
    conv2d_filter_grad,
    lambda v, ans, x, g, w_shape, **geometry: conv2d_input_grad(
        g, v, x_shape=shape_of(x), **geometry
    ),
    lambda v, ans, x, g, w_shape, **geometry: conv2d(x, v, **geometry),
)
defjvp(
    conv2d_filter_grad,
    lambda t, ans, x, g, **params: conv2d_filter_grad(t, g, **params),
    lambda t, ans, x, g, **params: conv2d_filter_grad(x, t, **params),
)


# NOTE: with a batched kernel the vmap axis joins the channels: free when only one argument is
# batched, a block-diagonal (B times larger) kernel when both are.
def _conv2d_batch(args, dims, **geometry):
    (x, w), (dx, dw) = args, dims
    size = _batch_size(args, dims)
    if dw is None:
        return _split(conv2d(_merge(x, dx, 0), w, **geometry), 0, size), 0
    if dx is None:
        return _split(conv2d(x, _merge(w, dw, 3), **geometry), 3, size), 3
    out = conv2d(_merge(x, dx, 3), _block_diagonal(w, dw, size), **geometry)
    return _split(out, 3, size), 3


def _conv2d_input_grad_batch(args, dims, *, x_shape, **geometry):
    (g, w), (dg, dw) = args, dims
    size = _batch_size(args, dims)
    if dw is None:
        out = conv2d_input_grad(
            _merge(g, dg, 0), w, x_shape=_batched_shape(x_shape, 0, size), **geometry
        )
        return _split(out, 0, size), 0
    channels = _batched_shape(x_shape, 3, size)
    if dg is None:
        out = conv2d_input_grad(g, _merge(w, dw, 2), x_shape=channels, **geometry)
    else:
        w = _block_diagonal(w, dw, size)
        out = conv2d_input_grad(_merge(g, dg, 3), w, x_shape=channels, **geometry)
    return _split(out, 3, size), 3


def _conv2d_filter_grad_batch(args, dims, *, w_shape, **geometry):
    (x, g), (dx, dg) = args, dims
    size = _batch_size(args, dims)
    if dg is None:
        shape = _batched_shape(w_shape, 2, size)
        return _split(
            conv2d_filter_grad(_merge(x, dx, 3), g, w_shape=shape, **geometry), 2, size
        ), 2
    if dx is None:
        shape = _batched_shape(w_shape, 3, size)
        return _split(
            conv2d_filter_grad(x, _merge(g, dg, 3), w_shape=shape, **geometry), 3, size
        ), 3
    kh, kw, cin, cout = w_shape
    shape = (kh, kw, size * cin, size * cout)
    full = conv2d_filter_grad(_merge(x, dx, 3), _merge(g, dg, 3), w_shape=shape, **geometry)
    blocks = reshape(full, (kh, kw, size, cin, size, cout))
    return diagonal(blocks, offset=0, axis1=2, axis2=4), 4


defbatch(conv2d, _conv2d_batch)
defbatch(conv2d_input_grad, _conv2d_input_grad_batch)
defbatch(conv2d_filter_grad, _conv2d_filter_grad_batch)

# --- pooling -----------------------------------------------------------------------------
#
# NOTE: each pooling op loops over the window's taps (ph * pw strided views of the image), never
# over pixels: 5x faster than reducing a (n, oh, ph, ow, pw, c) view over axes (2, 4), which
# NumPy runs along c only (2x2 max-pool of bench seed 000's conv).


def _taps(size, strides, out_hw) -> list[tuple[slice, slice]]:
    """For each window tap, the rows and columns of the padded image it reads."""
    (kh, kw), (sh, sw), (oh, ow) = size, strides, out_hw
    return [
        (slice(i, i + (oh - 1) * sh + 1, sh), slice(j, j + (ow - 1) * sw + 1, sw))
        for i in range(kh)
        for j in range(kw)
    ]


def _pool_out_hw(x_shape, size, strides, padding) -> tuple[int, int]:
    return tuple(
        output_size(n, k, s, 1, p) for n, k, s, p in zip(x_shape[1:3], size, strides, padding)
    )


def _unpadded(xp: np.ndarray, x_shape, padding) -> np.ndarray:
    (top, _), (left, _) = padding
    return xp[:, top : top + x_shape[1], left : left + x_shape[2], :]


def _spread(parts, x_shape, size, strides, padding, dtype) -> np.ndarray:
    """Each tap's ``(n, oh, ow, c)`` part added back where that tap reads: the transpose of
    reading the taps. ``parts`` is one array (the same for every tap) or one per tap."""
    (top, bottom), (left, right) = padding
    n, h, w, c = x_shape
    out = np.zeros((n, h + top + bottom, w + left + right, c), dtype)
    taps = _taps(size, strides, _pool_out_hw(x_shape, size, strides, padding))
    # NOTE: windows that do not overlap write disjoint entries: assigning is 2.5x faster than
    # adding (bench seed 000's 2x2 max-pool).
    disjoint = strides[0] >= size[0] and strides[1] >= size[1]
    for k, (rows, cols) in enumerate(taps):
        part = parts if isinstance(parts, np.ndarray) else parts[k]
        if disjoint:
            out[:, rows, cols] = part
        else:
            out[:, rows, cols] += part
    return _unpadded(out, x_shape, padding)


@primitive
def sum_pool(x, *, size, strides, padding):
    """Sum of each ``size`` window of NHWC ``x``; padding adds nothing.

    >>> import numpy as np
    >>> sum_pool(np.arange(4.0).reshape(1, 2, 2, 1), size=(2, 2), strides=(1, 1),
    ...          padding=((0, 0), (0, 0))).ravel().tolist()
    [6.0]
    """
    xp = _pad_raw(x, padding, 0.0)
    taps = _taps(size, strides, _pool_out_hw(x.shape, size, strides, padding))
    out = xp[:, taps[0][0], taps[0][1]].copy()
    for rows, cols in taps[1:]:
        out += xp[:, rows, cols]
    return out


@primitive
def sum_pool_transpose(g, *, x_shape, size, strides, padding):
    """The transpose of ``sum_pool``: each window's ``g`` added to every entry of the window."""
    return _spread(g, x_shape, size, strides, padding, g.dtype)


defvjp(
    sum_pool,
    lambda g, ans, x, **geometry: sum_pool_transpose(g, x_shape=shape_of(x), **geometry),
)
defjvp(sum_pool, lambda t, ans, x, **geometry: sum_pool(t, **geometry))
defvjp(sum_pool_transpose, lambda u, ans, g, x_shape, **geometry: sum_pool(u, **geometry))
defjvp(sum_pool_transpose, lambda t, ans, g, **params: sum_pool_transpose(t, **params))


@primitive
def max_pool(x, *, size, strides, padding):
    """Largest entry of each ``size`` window of NHWC ``x``; padding never wins.

    >>> import numpy as np
    >>> max_pool(np.arange(4.0).reshape(1, 2, 2, 1), size=(2, 2), strides=(1, 1),
    ...          padding=((0, 0), (0, 0))).ravel().tolist()
    [3.0]
    """
    blocks = _tiles(x, size, strides, padding)
    if blocks is not None:
        out = _over_windows(np.maximum, blocks)
        return out.copy() if np.may_share_memory(out, x) else out  # 1x1 windows: a view
    xp = _pad_raw(x, padding, -np.inf)
    taps = _taps(size, strides, _pool_out_hw(x.shape, size, strides, padding))
    out = xp[:, taps[0][0], taps[0][1]].copy()
    for rows, cols in taps[1:]:
        np.maximum(out, xp[:, rows, cols], out=out)
    return out


def _ties(x, ans, size, strides, padding) -> tuple[list[np.ndarray], np.ndarray]:
    """For each tap, where it reads its window's maximum; and each window's number of maxima."""
    xp = _pad_raw(x, padding, -np.inf)
    hits = [xp[:, rows, cols] == ans for rows, cols in _taps(size, strides, ans.shape[1:3])]
    counts = hits[0].astype(ans.dtype)
    for hit in hits[1:]:
        counts += hit
    return hits, counts


def _tiles(x: np.ndarray, size, strides, padding) -> np.ndarray | None:
    """The windows of ``x`` as a ``(n, oh, ph, ow, pw, c)`` view when they tile it exactly
    (stride = size, no padding, no rows or columns left over), else ``None``."""
    (ph, pw), (n, h, w, c) = size, x.shape
    exact = h % ph == 0 and w % pw == 0 and padding == ((0, 0), (0, 0))
    if tuple(strides) != tuple(size) or not exact:
        return None
    return x.reshape(n, h // ph, ph, w // pw, pw, c)


def _tiled_scatter(g, blocks: np.ndarray, ans, size) -> np.ndarray:
    """``max_pool_scatter`` on the windows ``blocks`` of ``_tiles``: one comparison and one
    product over the whole image instead of a strided one per tap.

    NOTE: 2x faster than the per-tap version on bench seed 000's 2x2 max-pool (55 against
    105 us). The ties are counted on uint8 views (int32 for windows of 256 entries or more),
    since NumPy's sum over axes (2, 4) of the 6-d view is as slow as the per-tap version.
    """
    hits = blocks == ans[:, :, None, :, None, :]
    flags = hits.view(np.uint8) if math.prod(size) < 256 else hits.astype(np.int32)
    share = g / _over_windows(np.add, flags)
    return hits * share[:, :, None, :, None, :]


def _over_windows(ufunc: np.ufunc, blocks: np.ndarray) -> np.ndarray:
    """``ufunc`` folded over each window of the ``(n, oh, ph, ow, pw, c)`` view ``blocks``:
    over window rows (whole image rows at a time), then window columns. With 1x1 windows the
    result is a view of ``blocks``.

    NOTE: two passes of ph - 1 and pw - 1 calls on long runs: 2x faster than one strided call
    per tap on bench seed 000's 2x2 max-pool (19 against 27 us).
    """
    rows = blocks[:, :, 0]
    for i in range(1, blocks.shape[2]):
        rows = ufunc(rows, blocks[:, :, i])
    out = rows[:, :, :, 0]
    for j in range(1, blocks.shape[4]):
        out = ufunc(out, rows[:, :, :, j])
    return out


@primitive
def max_pool_gather(t, x, ans, *, size, strides, padding):
    """The derivative of ``max_pool`` at ``x`` (with ``ans = max_pool(x)``) applied to ``t``:
    each window's mean of ``t`` over the window's tied maxima."""
    tp = _pad_raw(t, padding, 0.0)
    hits, counts = _ties(x, ans, size, strides, padding)
    out = np.zeros(ans.shape, np.result_type(t, ans))
    for hit, (rows, cols) in zip(hits, _taps(size, strides, ans.shape[1:3])):
        out += hit * tp[:, rows, cols]
    return out / counts


@primitive
def max_pool_scatter(g, x, ans, *, size, strides, padding):
    """The transpose of ``max_pool_gather``: each window's ``g`` routed to its maxima, split
    evenly between ties."""
    blocks = _tiles(x, size, strides, padding)
    if blocks is not None:
        return _tiled_scatter(g, blocks, ans, size).reshape(x.shape)
    hits, counts = _ties(x, ans, size, strides, padding)
    share = g / counts
    return _spread([hit * share for hit in hits], x.shape, size, strides, padding, share.dtype)


# NOTE: ties share the derivative evenly, as with `max` (RELIABILITY H3); the weights are
# locally constant in x, so x and ans get no derivative (None) and second derivatives are 0.
defvjp(
    max_pool,
    lambda g, ans, x, **geometry: max_pool_scatter(g, x, ans, **geometry),
)
defjvp(max_pool, lambda t, ans, x, **geometry: max_pool_gather(t, x, ans, **geometry))
defvjp(
    max_pool_gather,
    lambda u, out, t, x, ans, **geometry: max_pool_scatter(u, x, ans, **geometry),
    None,
    None,
)
defjvp(
    max_pool_gather,
    lambda s, out, t, x, ans, **geometry: max_pool_gather(s, x, ans, **geometry),
    None,
    None,
)
defvjp(
    max_pool_scatter,
    lambda u, out, g, x, ans, **geometry: max_pool_gather(u, x, ans, **geometry),
    None,
    None,
)
defjvp(
    max_pool_scatter,
    lambda s, out, g, x, ans, **geometry: max_pool_scatter(s, x, ans, **geometry),
    None,
    None,
)


def _image_batch(prim):
    """The batching rule of an op whose every argument leads with the image batch axis: the vmap
    axis is folded into it (unbatched arguments are broadcast)."""

    def rule(args, dims, **params):
        size = _batch_size(args, dims)
        folded = [_merge(a, d, 0, size) for a, d in zip(args, dims)]
        if "x_shape" in params:
            params = {**params, "x_shape": _batched_shape(params["x_shape"], 0, size)}
        return _split(bind(prim, *folded, **params), 0, size), 0

    return rule


for _pool_op in (sum_pool, sum_pool_transpose, max_pool, max_pool_gather, max_pool_scatter):
    defbatch(_pool_op, _image_batch(_pool_op))


def _window_counts(x_shape, size, strides, padding) -> np.ndarray:
    """How many entries of the unpadded image each window covers, shape ``(1, oh, ow, 1)``."""
    ones = np.ones((1, x_shape[1], x_shape[2], 1))
    return sum_pool.impl(ones, size=size, strides=strides, padding=padding)


def avg_pool(x, *, size, strides, padding):
    """Mean of each window of NHWC ``x`` over the entries inside the image: padding is not
    counted (TensorFlow's ``"same"``), so every output is an average of real pixels."""
    sums = sum_pool(x, size=size, strides=strides, padding=padding)
    counts = _window_counts(shape_of(x), size, strides, padding)
    return divide(sums, counts.astype(dtype_of(sums)))
