import numpy as np
import pytest

import pullback as pb
import pullback.numpy as pnp
from pullback.ops import nn as ops

from .harness import OpCase, case_ids, run_case

# --- samplers ----------------------------------------------------------------------------


def distinct(rng, shape):
    """Entries at least 0.06 apart (a shuffled grid, jittered): no ties in any window, so
    finite differences never cross the switch of a max."""
    size = int(np.prod(shape))
    return (rng.permutation(size) * 0.1 + rng.uniform(-0.02, 0.02, size)).reshape(shape)


def _conv(strides, padding, dilation):
    def conv(x, w):
        return ops.conv2d(x, w, strides=strides, padding=padding, dilation=dilation)

    conv.__name__ = f"conv2d_s{strides}_p{padding}_d{dilation}"
    return conv


def _input_grad(x_shape, strides, padding, dilation):
    def input_grad(g, w):
        return ops.conv2d_input_grad(
            g, w, x_shape=x_shape, strides=strides, padding=padding, dilation=dilation
        )

    input_grad.__name__ = f"conv2d_input_grad_s{strides}_p{padding}_d{dilation}"
    return input_grad


def _filter_grad(w_shape, strides, padding, dilation):
    def filter_grad(x, g):
        return ops.conv2d_filter_grad(
            x, g, w_shape=w_shape, strides=strides, padding=padding, dilation=dilation
        )

    filter_grad.__name__ = f"conv2d_filter_grad_s{strides}_p{padding}_d{dilation}"
    return filter_grad


NO_PAD = ((0, 0), (0, 0))
# (strides, padding, dilation): odd/even image sizes are in CONV_SHAPES.
GEOMETRIES = [
    ((1, 1), NO_PAD, (1, 1)),
    ((2, 2), NO_PAD, (1, 1)),
    ((1, 1), ((1, 1), (1, 0)), (1, 1)),
    ((2, 2), ((0, 1), (1, 1)), (1, 1)),
    ((1, 1), NO_PAD, (2, 2)),
    ((2, 1), ((2, 2), (1, 2)), (1, 2)),
]
# x (n, h, w, cin) and w (kh, kw, cin, cout): odd and even sizes, a 1x1 kernel, one channel.
CONV_SHAPES = [
    ((2, 6, 7, 2), (3, 2, 2, 3)),
    ((1, 7, 6, 1), (2, 3, 1, 2)),
    ((1, 5, 5, 3), (1, 1, 3, 2)),
]


def _out_shape(x_shape, w_shape, strides, padding, dilation):
    sizes = [
        ops.output_size(n, k, s, d, p)
        for n, k, s, d, p in zip(x_shape[1:3], w_shape[:2], strides, dilation, padding)
    ]
    return (x_shape[0], *sizes, w_shape[3])


CONV_CASES = [OpCase(_conv(*geo), 2, shapes=CONV_SHAPES) for geo in GEOMETRIES]
ADJOINT_CASES = [
    OpCase(
        _input_grad(x_shape, *geo),
        2,
        shapes=[(_out_shape(x_shape, w_shape, *geo), w_shape)],
    )
    for geo in GEOMETRIES[::2]
    for x_shape, w_shape in CONV_SHAPES[:1]
] + [
    OpCase(
        _filter_grad(w_shape, *geo),
        2,
        shapes=[(x_shape, _out_shape(x_shape, w_shape, *geo))],
    )
    for geo in GEOMETRIES[1::2]
    for x_shape, w_shape in CONV_SHAPES[:1]
]


@pytest.mark.parametrize("case", CONV_CASES, ids=case_ids(CONV_CASES))
def test_conv2d_grads(case):
    run_case(case)


@pytest.mark.parametrize("case", ADJOINT_CASES, ids=case_ids(ADJOINT_CASES))
def test_conv2d_adjoint_grads(case):
    run_case(case)


def _direct_conv(x, w, strides, padding, dilation):
    """The textbook sum over output pixels and taps, for reference."""
    (top, bottom), (left, right) = padding
    xp = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    n, oh, ow, cout = _out_shape(x.shape, w.shape, strides, padding, dilation)
    out = np.zeros((n, oh, ow, cout))
    for p in range(oh):
        for q in range(ow):
            for i in range(w.shape[0]):
                for j in range(w.shape[1]):
                    pixel = xp[
                        :, p * strides[0] + i * dilation[0], q * strides[1] + j * dilation[1]
                    ]
                    out[:, p, q] += pixel @ w[i, j]
    return out


@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_conv2d_matches_the_direct_sum(geometry):
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 7, 6, 2)), rng.standard_normal((3, 2, 2, 3))
    np.testing.assert_allclose(
        ops.conv2d(x, w, strides=geometry[0], padding=geometry[1], dilation=geometry[2]),
        _direct_conv(x, w, *geometry),
        rtol=1e-12,
        atol=1e-12,
    )


def test_conv2d_adjoints_satisfy_the_transpose_identity():
    # <g, conv(x, w)> = <input_grad(g, w), x> = <filter_grad(x, g), w>, exactly.
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((2, 7, 6, 2)), rng.standard_normal((3, 2, 2, 3))
    geo = {"strides": (2, 1), "padding": ((2, 2), (1, 2)), "dilation": (1, 2)}
    y = ops.conv2d(x, w, **geo)
    g = rng.standard_normal(y.shape)
    gx = ops.conv2d_input_grad(g, w, x_shape=x.shape, **geo)
    gw = ops.conv2d_filter_grad(x, g, w_shape=w.shape, **geo)
    assert np.vdot(g, y) == pytest.approx(np.vdot(gx, x), rel=1e-12)
    assert np.vdot(g, y) == pytest.approx(np.vdot(gw, w), rel=1e-12)


def test_conv2d_filter_gradient_reuses_the_forward_patches_exactly():
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((2, 7, 6, 2)), rng.standard_normal((3, 2, 2, 3))
    geo = {"strides": (2, 1), "padding": ((2, 2), (1, 2)), "dilation": (1, 2)}
    g = rng.standard_normal(ops.conv2d(x, w, **geo).shape)
    saved = pb.grad(lambda w: pnp.vdot(g, ops.conv2d(x, w, **geo)))(w)
    recomputed = ops.conv2d_filter_grad(x, g, w_shape=w.shape, **geo)
    np.testing.assert_array_equal(saved, recomputed)


def test_conv2d_patches_are_those_of_the_forward_input_and_die_with_the_output():
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((2, 5, 5, 2)), rng.standard_normal((3, 3, 2, 2))
    geo = {"strides": (1, 1), "padding": NO_PAD, "dilation": (1, 1)}
    expected = pb.grad(lambda w: ops.conv2d(x, w, **geo).sum())(w)
    before = len(ops._patches)

    def loss(w):
        y = ops.conv2d(x, w, **geo)
        x[...] = 0.0  # an in-place change after the forward pass cannot reach the gradient
        return y.sum()

    np.testing.assert_array_equal(pb.grad(loss)(w), expected)
    assert len(ops._patches) == before


def test_conv2d_outside_any_transform_keeps_no_patches():
    x, w = np.ones((4, 6, 6, 2)), np.ones((3, 3, 2, 2))
    before = len(ops._patches)
    features = ops.conv2d(x, w, strides=(1, 1), padding=NO_PAD, dilation=(1, 1))
    assert features.shape == (4, 4, 4, 2) and len(ops._patches) == before


def test_conv2d_keeps_float32():
    x = np.ones((1, 4, 4, 2), np.float32)
    w = np.ones((2, 2, 2, 3), np.float32)
    geo = {"strides": (1, 1), "padding": NO_PAD, "dilation": (1, 1)}
    gx, gw = pb.grad(lambda x, w: ops.conv2d(x, w, **geo).sum(), argnums=(0, 1))(x, w)
    assert ops.conv2d(x, w, **geo).dtype == gx.dtype == gw.dtype == np.float32


def test_conv2d_of_an_empty_batch():
    geo = {"strides": (1, 1), "padding": NO_PAD, "dilation": (1, 1)}
    w = np.ones((2, 2, 1, 3))
    gw = pb.grad(lambda w: ops.conv2d(np.ones((0, 3, 3, 1)), w, **geo).sum())(w)
    np.testing.assert_array_equal(gw, np.zeros_like(w))


# --- patches and pooling -----------------------------------------------------------------

# (size, strides, padding): tiles (the reshape path), overlapping, padded, ragged.
POOLS = [
    ((2, 2), (2, 2), NO_PAD),
    ((3, 2), (1, 2), NO_PAD),
    ((2, 2), (2, 2), ((0, 1), (0, 1))),
    ((3, 3), (2, 1), ((1, 1), (1, 1))),
    ((2, 3), (2, 3), NO_PAD),
]
POOL_SHAPES = [((2, 6, 6, 2),), ((1, 5, 7, 3),)]


def _pool(op, size, strides, padding):
    def pool(x):
        return op(x, size=size, strides=strides, padding=padding)

    pool.__name__ = f"{op.__name__}_k{size}_s{strides}_p{padding}"
    return pool


POOL_CASES = [
    OpCase(_pool(op, *pool), domain=distinct, shapes=POOL_SHAPES)
    for op in (ops.max_pool, ops.avg_pool)
    for pool in POOLS
]


@pytest.mark.parametrize("case", POOL_CASES, ids=case_ids(POOL_CASES))
def test_pool_grads(case):
    run_case(case)


@pytest.mark.parametrize("pool", POOLS[1:4], ids=[str(p) for p in POOLS[1:4]])
def test_pool_derivative_ops_grads(pool):
    # The ops that only appear inside pooling's rules, differentiated in their linear argument.
    size, strides, padding = pool
    geo = {"size": size, "strides": strides, "padding": padding}
    rng = np.random.default_rng(2)
    x = distinct(rng, (2, 5, 6, 2))
    ans = ops.max_pool(x, **geo)
    u = rng.standard_normal(ans.shape)
    pb.check_grads(lambda g: ops.sum_pool_transpose(g, x_shape=x.shape, **geo), (u,))
    pb.check_grads(lambda g: ops.max_pool_scatter(g, x, ans, **geo), (u,))
    pb.check_grads(lambda t: ops.max_pool_gather(t, x, ans, **geo), (rng.standard_normal(x.shape),))


@pytest.mark.parametrize("pool", POOLS, ids=[str(p) for p in POOLS])
def test_max_pool_splits_tied_maxima_evenly(pool):
    # NOTE: on a constant image every window is one tie among its real (unpadded) entries, so
    # each entry receives 1 / (that window's count) from every window that covers it.
    x = np.ones((1, 6, 6, 1))
    size, strides, padding = pool
    grad = pb.grad(lambda x: ops.max_pool(x, size=size, strides=strides, padding=padding).sum())(x)
    counts = ops._window_counts(x.shape, size, strides, padding)
    expected = ops.sum_pool_transpose(
        1.0 / counts, x_shape=x.shape, size=size, strides=strides, padding=padding
    )
    np.testing.assert_allclose(grad, expected, rtol=1e-15)


@pytest.mark.parametrize("pool", [((2, 2), (2, 2), NO_PAD), ((2, 2), (1, 1), ((0, 1), (0, 1)))])
def test_max_pool_tie_in_one_window_is_split_like_max(pool):
    x = np.array([[1.0, 3.0], [3.0, 2.0]]).reshape(1, 2, 2, 1)
    size, strides, padding = pool
    first = lambda x: ops.max_pool(x, size=size, strides=strides, padding=padding)[0, 0, 0, 0]
    np.testing.assert_array_equal(pb.grad(first)(x).ravel(), [0.0, 0.5, 0.5, 0.0])


def test_max_pool_gradient_equals_max_over_tiles_with_many_ties():
    x = np.random.default_rng(7).integers(0, 3, (2, 6, 6, 2)).astype(float)
    pooled = lambda x: ops.max_pool(x, size=(2, 2), strides=(2, 2), padding=NO_PAD)
    tiles = lambda x: pnp.max(pnp.reshape(x, (2, 3, 2, 3, 2, 2)), axis=(2, 4))
    u = np.random.default_rng(8).standard_normal((2, 3, 3, 2))
    np.testing.assert_array_equal(pooled(x), tiles(x))
    np.testing.assert_allclose(pb.vjp(pooled, x)[1](u)[0], pb.vjp(tiles, x)[1](u)[0], rtol=1e-15)


@pytest.mark.parametrize("size", [(2, 2), (3, 2), (1, 3)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_pool_scatter_on_exact_tiles_equals_the_per_tap_spread(size, dtype):
    rng = np.random.default_rng(9)
    x = rng.integers(0, 3, (2, 6, 6, 3)).astype(dtype)  # many tied maxima
    geo = dict(size=size, strides=size, padding=NO_PAD)
    ans = ops.max_pool(x, **geo)
    g = rng.standard_normal(ans.shape).astype(dtype)
    hits, counts = ops._ties(x, ans, **geo)
    spread = ops._spread([h * (g / counts) for h in hits], x.shape, **geo, dtype=dtype)
    got = ops.max_pool_scatter(g, x, ans, **geo)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, spread)


@pytest.mark.parametrize("size", [(2, 2), (3, 2), (1, 3), (1, 1)])
def test_max_pool_on_exact_tiles_equals_the_per_tap_maximum(size):
    x = np.random.default_rng(10).integers(-2, 3, (2, 6, 6, 3)).astype(np.float32)
    x[0, 0, 0, 0] = np.nan
    geo = dict(size=size, strides=size, padding=NO_PAD)
    taps = ops._taps(size, size, ops._pool_out_hw(x.shape, size, size, NO_PAD))
    expected = x[:, taps[0][0], taps[0][1]].copy()
    for rows, cols in taps[1:]:
        np.maximum(expected, x[:, rows, cols], out=expected)
    got = ops.max_pool(x, **geo)
    np.testing.assert_array_equal(got, expected)
    assert got.flags.c_contiguous and not np.shares_memory(got, x)


def test_max_pool_on_tiles_of_256_entries_splits_ties_without_overflow():
    x = np.ones((1, 32, 16, 1))
    geo = dict(size=(16, 16), strides=(16, 16), padding=NO_PAD)
    grad = pb.grad(lambda x: ops.max_pool(x, **geo).sum())(x)
    np.testing.assert_array_equal(grad, np.full(x.shape, 1 / 256))


def test_max_pool_padding_never_wins():
    x = -np.arange(1.0, 10.0).reshape(1, 3, 3, 1)
    out = ops.max_pool(x, size=(2, 2), strides=(2, 2), padding=((0, 1), (0, 1)))
    np.testing.assert_array_equal(out.ravel(), [-1.0, -3.0, -7.0, -9.0])


def test_avg_pool_does_not_count_padding():
    x = np.arange(1.0, 10.0).reshape(1, 3, 3, 1)
    out = ops.avg_pool(x, size=(2, 2), strides=(2, 2), padding=((0, 1), (0, 1)))
    np.testing.assert_array_equal(out.ravel(), [3.0, 4.5, 7.5, 9.0])


# --- batching ----------------------------------------------------------------------------

GEO = {"strides": (2, 1), "padding": ((1, 1), (0, 1)), "dilation": (1, 2)}
POOL_GEO = {"size": (3, 2), "strides": (2, 1), "padding": ((1, 1), (0, 1))}
X_SHAPE, W_SHAPE = (2, 6, 5, 2), (3, 2, 2, 3)
Y_SHAPE = _out_shape(X_SHAPE, W_SHAPE, GEO["strides"], GEO["padding"], GEO["dilation"])
POOLED = ops.max_pool(np.zeros(X_SHAPE), **POOL_GEO).shape

# (name, op of the unbatched arguments, their shapes); every op of this module.
BATCHED_OPS = [
    ("conv2d", lambda x, w: ops.conv2d(x, w, **GEO), [X_SHAPE, W_SHAPE]),
    (
        "conv2d_input_grad",
        lambda g, w: ops.conv2d_input_grad(g, w, x_shape=X_SHAPE, **GEO),
        [Y_SHAPE, W_SHAPE],
    ),
    (
        "conv2d_filter_grad",
        lambda x, g: ops.conv2d_filter_grad(x, g, w_shape=W_SHAPE, **GEO),
        [X_SHAPE, Y_SHAPE],
    ),
    ("sum_pool", lambda x: ops.sum_pool(x, **POOL_GEO), [X_SHAPE]),
    (
        "sum_pool_transpose",
        lambda g: ops.sum_pool_transpose(g, x_shape=X_SHAPE, **POOL_GEO),
        [POOLED],
    ),
    ("max_pool", lambda x: ops.max_pool(x, **POOL_GEO), [X_SHAPE]),
    (
        "max_pool_gather",
        lambda t, x: ops.max_pool_gather(t, x, ops.max_pool(x, **POOL_GEO), **POOL_GEO),
        [X_SHAPE, X_SHAPE],
    ),
    (
        "max_pool_scatter",
        lambda g, x: ops.max_pool_scatter(g, x, ops.max_pool(x, **POOL_GEO), **POOL_GEO),
        [POOLED, X_SHAPE],
    ),
]
BATCHED_CASES = [
    (name, op, shapes, axes)
    for name, op, shapes in BATCHED_OPS
    for axes in ([(0,), (2,)] if len(shapes) == 1 else [(0, None), (None, 3), (1, 0)])
]


@pytest.mark.filterwarnings("error:vmap")
@pytest.mark.parametrize(
    "name, op, shapes, in_axes", BATCHED_CASES, ids=[f"{c[0]}-{c[3]}" for c in BATCHED_CASES]
)
def test_vmap_matches_a_loop(name, op, shapes, in_axes):
    rng = np.random.default_rng(5)
    size = 3
    args = [
        distinct(rng, s) if a is None else np.moveaxis(distinct(rng, (size,) + s), 0, a)
        for s, a in zip(shapes, in_axes)
    ]
    expected = np.stack(
        [
            op(*[x if a is None else np.take(x, b, axis=a) for x, a in zip(args, in_axes)])
            for b in range(size)
        ]
    )
    np.testing.assert_allclose(pb.vmap(op, in_axes=in_axes)(*args), expected, rtol=1e-12)


def test_vmap_of_grad_of_conv_and_pool():
    rng = np.random.default_rng(6)
    w = rng.standard_normal(W_SHAPE)
    xs = distinct(rng, (3,) + X_SHAPE)
    f = lambda x, w: ops.max_pool(ops.conv2d(x, w, **GEO), **POOL_GEO).sum()
    per_example = pb.vmap(pb.grad(f, argnums=(0, 1)), in_axes=(0, None))(xs, w)
    loop = [pb.grad(f, argnums=(0, 1))(x, w) for x in xs]
    np.testing.assert_allclose(per_example[0], np.stack([g[0] for g in loop]), rtol=1e-12)
    np.testing.assert_allclose(per_example[1], np.stack([g[1] for g in loop]), rtol=1e-12)
