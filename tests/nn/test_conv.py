import numpy as np
import pytest

import pullback as pb
import pullback.numpy as pnp
from pullback.nn.conv import AvgPool2D, Conv2D, MaxPool2D, avg_pool2d, conv2d, max_pool2d


def distinct(rng, shape):
    """Entries at least 0.06 apart: no ties in any pooling window."""
    size = int(np.prod(shape))
    return (rng.permutation(size) * 0.1 + rng.uniform(-0.02, 0.02, size)).reshape(shape)


# --- functional forms: gradients ---------------------------------------------------------

# (x shape, kernel shape, strides, padding, dilation): odd and even sizes.
CONVS = [
    ((2, 6, 7, 2), (3, 2, 2, 3), (1, 1), "valid", (1, 1)),
    ((2, 6, 7, 2), (3, 2, 2, 3), (2, 2), "valid", (1, 1)),
    ((2, 6, 7, 2), (3, 2, 2, 3), (1, 1), "same", (1, 1)),
    ((1, 7, 6, 2), (2, 3, 2, 2), (2, 2), "same", (1, 1)),
    ((1, 7, 8, 1), (3, 3, 1, 2), (1, 1), "valid", (2, 2)),
    ((1, 7, 8, 1), (2, 3, 1, 2), (2, 1), "same", (2, 2)),
]


@pytest.mark.parametrize("x_shape, w_shape, strides, padding, dilation", CONVS)
def test_conv2d_grads(x_shape, w_shape, strides, padding, dilation):
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    pb.check_grads(lambda x, w: conv2d(x, w, strides, padding, dilation), (x, w), order=2)


POOLS = [((2, 2), None, "valid"), ((3, 2), (1, 2), "valid"), ((2, 2), 2, "same"), (3, 1, "same")]


@pytest.mark.parametrize("pool_size, strides, padding", POOLS)
@pytest.mark.parametrize("pool", [max_pool2d, avg_pool2d])
def test_pool_grads(pool, pool_size, strides, padding):
    x = distinct(np.random.default_rng(1), (2, 5, 6, 2))
    pb.check_grads(lambda x: pool(x, pool_size, strides, padding), (x,), order=2)


def test_max_pool2d_splits_a_tie_evenly():
    x = np.array([[2.0, 2.0], [1.0, 2.0]]).reshape(1, 2, 2, 1)
    grad = pb.grad(lambda x: pnp.sum(max_pool2d(x, 2)))(x)
    np.testing.assert_array_equal(grad.ravel(), np.array([1.0, 1.0, 0.0, 1.0]) / 3)


# --- functional forms: values and gradients against PyTorch -------------------------------

torch = pytest.importorskip("torch")
F = torch.nn.functional


def _nchw(x):
    return torch.tensor(np.ascontiguousarray(x.transpose(0, 3, 1, 2)), requires_grad=True)


def _nhwc(t):
    return t.detach().numpy().transpose(0, 2, 3, 1)


def _torch_same_pads(x_shape, w_shape, strides, dilation):
    """F.pad's (left, right, top, bottom) for TensorFlow's "same", any stride."""
    from pullback.ops.nn import same_padding

    top, bottom = same_padding(x_shape[1], w_shape[0], strides[0], dilation[0])
    left, right = same_padding(x_shape[2], w_shape[1], strides[1], dilation[1])
    return left, right, top, bottom


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("x_shape, w_shape, strides, padding, dilation", CONVS)
def test_conv2d_matches_torch(x_shape, w_shape, strides, padding, dilation):
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    y, back = pb.vjp(lambda x, w: conv2d(x, w, strides, padding, dilation), x, w)
    g = rng.standard_normal(y.shape)
    gx, gw = back(g)

    xt, wt = (
        _nchw(x),
        torch.tensor(np.ascontiguousarray(w.transpose(3, 2, 0, 1)), requires_grad=True),
    )
    if padding == "same" and strides == (1, 1):
        yt = F.conv2d(xt, wt, stride=strides, padding="same", dilation=dilation)
    elif padding == "same":
        padded = F.pad(xt, _torch_same_pads(x_shape, w_shape, strides, dilation))
        yt = F.conv2d(padded, wt, stride=strides, dilation=dilation)
    else:
        yt = F.conv2d(xt, wt, stride=strides, dilation=dilation)
    yt.backward(_nchw(g).detach())

    np.testing.assert_allclose(y, _nhwc(yt), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(gx, _nhwc(xt.grad), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(gw, wt.grad.numpy().transpose(2, 3, 1, 0), rtol=1e-10, atol=1e-10)


# (pool_size, strides, padding, torch's symmetric padding): "same" only where it is symmetric.
TORCH_POOLS = [
    ((2, 2), (2, 2), "valid", 0),
    ((3, 2), (1, 2), "valid", 0),
    ((3, 3), (1, 1), "same", 1),
]


@pytest.mark.parametrize("pool_size, strides, padding, torch_padding", TORCH_POOLS)
@pytest.mark.parametrize("name", ["max", "avg"])
def test_pools_match_torch(name, pool_size, strides, padding, torch_padding):
    rng = np.random.default_rng(3)
    x = distinct(rng, (2, 7, 6, 3))
    ours = {"max": max_pool2d, "avg": avg_pool2d}[name]
    y, back = pb.vjp(lambda x: ours(x, pool_size, strides, padding), x)
    g = rng.standard_normal(y.shape)

    xt = _nchw(x)
    if name == "max":
        yt = F.max_pool2d(xt, pool_size, strides, torch_padding)
    else:
        yt = F.avg_pool2d(xt, pool_size, strides, torch_padding, count_include_pad=False)
    yt.backward(_nchw(g).detach())

    np.testing.assert_allclose(y, _nhwc(yt), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(back(g)[0], _nhwc(xt.grad), rtol=1e-10, atol=1e-10)


# --- argument handling ---------------------------------------------------------------------


def test_conv2d_same_keeps_the_size_and_strides_divide_it_rounding_up():
    x, w = np.ones((1, 7, 8, 2)), np.ones((3, 4, 2, 5))
    assert conv2d(x, w, padding="same").shape == (1, 7, 8, 5)
    assert conv2d(x, w, strides=2, padding="SAME").shape == (1, 4, 4, 5)
    assert conv2d(x, w, strides=(2, 3)).shape == (1, 3, 2, 5)


def test_pool_strides_default_to_the_pool_size():
    assert max_pool2d(np.ones((1, 7, 8, 2)), 2).shape == (1, 3, 4, 2)
    assert avg_pool2d(np.ones((1, 7, 8, 2)), (3, 2), padding="same").shape == (1, 3, 4, 2)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: conv2d(np.ones((4, 4, 1)), np.ones((2, 2, 1, 1))), "NHWC"),
        (lambda: conv2d(np.ones((1, 4, 4, 2)), np.ones((2, 2, 3, 1))), "cin = 2"),
        (lambda: conv2d(np.ones((1, 4, 4, 1)), np.ones((5, 2, 1, 1))), "does not fit"),
        (lambda: conv2d(np.ones((1, 4, 4, 1)), np.ones((2, 2, 1, 1)), padding="full"), "valid"),
        (lambda: conv2d(np.ones((1, 4, 4, 1)), np.ones((2, 2, 1, 1)), strides=0), "strides"),
        (lambda: max_pool2d(np.ones((1, 4, 4, 1)), (1, 2, 3)), "pool_size"),
        (lambda: avg_pool2d(np.ones((1, 4, 4, 1)), 2.0), "pool_size"),
    ],
)
def test_bad_arguments_raise_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_settings_looked_up_again_are_checked_like_new_ones():
    x, w = np.ones((1, 4, 4, 1)), np.ones((2, 2, 1, 1))
    expected = conv2d(x, w, strides=2)
    np.testing.assert_array_equal(conv2d(x, w, strides=[2, 2]), expected)  # unhashable
    np.testing.assert_array_equal(conv2d(x, w, strides=2), expected)  # remembered
    for _ in range(2):  # an error is not remembered as a result
        with pytest.raises(ValueError, match="strides"):
            conv2d(x, w, strides=2.0)
        with pytest.raises(ValueError, match="pool_size"):
            max_pool2d(x, 2.0)
    assert max_pool2d(x, 2).shape == max_pool2d(x, [2, 2]).shape == (1, 2, 2, 1)


def test_conv2d_takes_nested_lists():
    out = conv2d([[[[1.0], [2.0]], [[3.0], [4.0]]]], [[[[1.0]], [[1.0]]]])
    np.testing.assert_array_equal(out.ravel(), [3.0, 7.0])


def test_conv2d_takes_tensors_and_variables():
    x = pb.tensor(np.ones((1, 3, 3, 1)))
    w = pb.Variable(np.ones((2, 2, 1, 1)))
    out = conv2d(x, w)
    assert isinstance(out, pb.Tensor)
    np.testing.assert_array_equal(out.numpy().ravel(), [4.0, 4.0, 4.0, 4.0])


# --- layers --------------------------------------------------------------------------------


def test_conv2d_layer_he_normal_init_and_shapes():
    layer = Conv2D((5, 5, 3, 64), seed=0)
    assert layer.filter.shape == (5, 5, 3, 64) and layer.filter.dtype == np.float32
    np.testing.assert_array_equal(layer.bias.numpy(), np.zeros(64, np.float32))
    assert layer.filter.numpy().std() == pytest.approx(np.sqrt(2 / 75), rel=0.05)
    assert [v.name for v in layer.trainable_variables] == ["filter", "bias"]
    assert layer(np.ones((2, 16, 16, 3), np.float32)).shape == (2, 12, 12, 64)


def test_conv2d_layer_options():
    layer = Conv2D((3, 3, 2, 4), strides=2, padding="same", activation="relu", use_bias=False)
    assert layer.bias is None and [v.name for v in layer.trainable_variables] == ["filter"]
    out = layer(np.random.default_rng(0).standard_normal((1, 7, 7, 2)))
    assert out.shape == (1, 4, 4, 4) and float(out.min()) >= 0.0


def test_conv2d_layer_gradient_is_a_conv2d():
    layer = Conv2D((3, 3, 2, 4), padding="same", dtype=np.float64, seed=0)
    x = np.random.default_rng(1).standard_normal((2, 5, 5, 2))
    grads = pb.grad(lambda m: pnp.sum(m(x) ** 2))(layer)
    assert type(grads) is Conv2D
    f = lambda w, b: pnp.sum((conv2d(x, w, padding="same") + b) ** 2)
    gw, gb = pb.grad(f, argnums=(0, 1))(layer.filter.numpy(), layer.bias.numpy())
    np.testing.assert_allclose(grads.filter, gw, rtol=1e-12)
    np.testing.assert_allclose(grads.bias, gb, rtol=1e-12)


def test_pool_layers():
    x = np.arange(32.0).reshape(1, 4, 4, 2)
    np.testing.assert_array_equal(MaxPool2D()(x), max_pool2d(x, 2))
    np.testing.assert_array_equal(
        AvgPool2D(3, strides=1, padding="same")(x), avg_pool2d(x, 3, 1, "same")
    )
    assert pb.tree.leaves(MaxPool2D()) == []


def test_seed000_model_trains():
    # Swift for TensorFlow's model of seed 000: conv 5x5x3x6, 2x2 max-pool, dense 216-10.
    np.random.seed(0)
    conv, pool = Conv2D((5, 5, 3, 6)), MaxPool2D((2, 2), strides=(2, 2))
    model = pb.nn.Sequential(conv, pool, pb.nn.Flatten(), pb.nn.Dense(36 * 6, 10))
    x = np.random.standard_normal((10, 16, 16, 3)).astype(np.float32)
    y = np.arange(10)
    loss = lambda m: pb.nn.softmax_cross_entropy(m(x), y)
    losses = []
    for _ in range(5):
        value, grads = pb.value_and_grad(loss)(model)
        for v, g in zip(pb.tree.leaves(model), pb.tree.leaves(grads)):
            v.assign_sub(0.1 * np.asarray(g))
        losses.append(float(value))
    assert losses[-1] < losses[0]


def test_conv2d_layer_discarding_activations_gives_the_same_gradient():
    layer = Conv2D((3, 3, 2, 4), dtype=np.float64, seed=0)
    x = np.random.default_rng(4).standard_normal((2, 6, 6, 2))
    loss = lambda m: pnp.sum(max_pool2d(m(x), 2) ** 2)
    plain = pb.grad(loss)(layer)
    recomputed = pb.grad(loss)(layer.discarding_activations()).module
    np.testing.assert_allclose(recomputed.filter, plain.filter, rtol=1e-12)
    np.testing.assert_allclose(recomputed.bias, plain.bias, rtol=1e-12)
