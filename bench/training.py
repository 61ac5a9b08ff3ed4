"""training: one SGD step of a digits MLP, and one forward + backward of the seed-000 conv net.

**digits** (float32): a 64-128-10 MLP, ReLU, softmax cross-entropy, SGD with learning rate
0.1, on one fixed batch of 32 flattened 8x8 images of ``pb.data.load_digits()``. One step is
forward + backward + update. Every implementation starts from the same Glorot-uniform weights;
before it is timed, its parameter update after one step (new - initial) is checked against
pullback's. The timed loop keeps stepping, so the weights move on as in training.

**conv** (seed 000, float32): ``x`` of shape 10x16x16x3 (NHWC), a valid 5x5x3x6 convolution with
bias, ReLU, 2x2 max-pool, flatten to 216, dense 216-10, softmax cross-entropy against int labels;
forward + backward giving the gradients of the four parameters (not of ``x``).
"""

from __future__ import annotations

import numpy as np

import pullback as pb
from bench import _peers
from bench._runner import Case, Workload

LR = 0.1
BATCH, INPUTS, HIDDEN, CLASSES = 32, 64, 128, 10
NAMES = ("w1", "b1", "w2", "b2")


def glorot(rng, fan_in: int, fan_out: int) -> np.ndarray:
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32)


def digits_data():
    """``(x, y, init)``: the first 32 training digits flattened to ``(32, 64)`` float32, their
    int64 labels, and the initial ``(w1, b1, w2, b2)``."""
    (images, labels), _ = pb.data.load_digits()
    x = np.ascontiguousarray(images[:BATCH].reshape(BATCH, -1))
    rng = np.random.default_rng(0)
    init = (
        glorot(rng, INPUTS, HIDDEN),
        np.zeros(HIDDEN, np.float32),
        glorot(rng, HIDDEN, CLASSES),
        np.zeros(CLASSES, np.float32),
    )
    return x, labels[:BATCH], init


# --- the digits step: every implementation is make(init, x, y) -> (step, current) ------------
# ``step()`` takes one SGD step; ``current()`` returns (w1, b1, w2, b2) as NumPy arrays.


def _mlp_model(init):
    model = pb.nn.Sequential(
        pb.nn.Dense(INPUTS, HIDDEN, activation=pb.nn.relu), pb.nn.Dense(HIDDEN, CLASSES)
    )
    for variable, value in zip(pb.tree.leaves(model), init, strict=True):
        variable.assign(value)
    return model


def _model_loss(model, x, y):
    return pb.nn.softmax_cross_entropy(model(x), y)


def make_pullback_module(init, x, y):
    """``pb.value_and_grad`` of a ``pb.nn`` model, then ``opt.update(model, grads)``."""
    model = _mlp_model(init)
    opt = pb.optim.SGD(LR)
    value_and_grad = pb.value_and_grad(_model_loss)

    def step():
        _, grads = value_and_grad(model, x, y)
        opt.update(model, grads)

    return step, lambda: tuple(v.numpy() for v in pb.tree.leaves(model))


def _dict_loss(p, x, y):
    h = pb.nn.relu(x @ p["w1"] + p["b1"])
    return pb.nn.softmax_cross_entropy(h @ p["w2"] + p["b2"], y)


def make_pullback_dict(init, x, y):
    """``pb.value_and_grad`` of a loss of a dict of arrays, then ``p - lr * g`` by hand."""
    state = {"p": dict(zip(NAMES, init, strict=True))}
    value_and_grad = pb.value_and_grad(_dict_loss)

    def step():
        p = state["p"]
        _, g = value_and_grad(p, x, y)
        state["p"] = {k: p[k] - LR * g[k] for k in NAMES}

    return step, lambda: tuple(state["p"][k] for k in NAMES)


def make_pullback_tape(init, x, y):
    """``GradientTape`` over the same ``pb.nn`` model, ``tape.gradient``, ``apply_gradients``."""
    model = _mlp_model(init)
    variables = model.trainable_variables
    opt = pb.optim.SGD(LR)

    def step():
        with pb.GradientTape() as tape:
            loss = pb.nn.softmax_cross_entropy(model(x), y)
        grads = tape.gradient(loss, variables)
        opt.apply_gradients(zip(grads, variables))

    return step, lambda: tuple(v.numpy() for v in variables)


def pullback_train_step(p, x, y):
    """The whole step as a function ``(params, x, y) -> new params``, for ``pb.jit``."""
    g = pb.grad(_dict_loss)(p, x, y)
    return {k: p[k] - LR * g[k] for k in NAMES}


def make_pullback_jit(init, x, y):
    """``pb.jit`` of ``pullback_train_step``."""
    state = {"p": dict(zip(NAMES, init, strict=True))}
    train_step = pb.jit(pullback_train_step)

    def step():
        state["p"] = train_step(state["p"], x, y)

    return step, lambda: tuple(np.asarray(state["p"][k]) for k in NAMES)


def make_numpy(init, x, y):
    """Hand-written forward, softmax cross-entropy and backward; in-place update."""
    params = tuple(a.copy() for a in init)
    rows = np.arange(len(y))

    def step():
        w1, b1, w2, b2 = params
        pre = x @ w1 + b1
        h = np.maximum(pre, 0)
        logits = h @ w2 + b2
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        p = e / e.sum(axis=1, keepdims=True)
        -np.log(p[rows, y]).mean()  # the loss: unused by the backward pass, as in every peer
        p[rows, y] -= 1
        g_logits = p / len(y)
        g_h = g_logits @ w2.T
        g_pre = g_h * (pre > 0)
        w2 -= LR * (h.T @ g_logits)  # in place: params holds the same arrays
        b2 -= LR * g_logits.sum(0)
        w1 -= LR * (x.T @ g_pre)
        b1 -= LR * g_pre.sum(0)

    return step, lambda: params


def _torch_mlp(init):
    torch = _peers.torch
    model = torch.nn.Sequential(
        torch.nn.Linear(INPUTS, HIDDEN), torch.nn.ReLU(), torch.nn.Linear(HIDDEN, CLASSES)
    )
    w1, b1, w2, b2 = init
    with torch.no_grad():
        for param, value in zip(model.parameters(), (w1.T, b1, w2.T, b2), strict=True):
            param.copy_(torch.from_numpy(np.ascontiguousarray(value)))
    return model


def _torch_current(model):
    w1, b1, w2, b2 = (p.detach().numpy().copy() for p in model.parameters())
    return w1.T, b1, w2.T, b2


def make_torch_optim(init, x, y):
    """``nn.Linear`` layers, ``F.cross_entropy``, ``torch.optim.SGD``."""
    torch = _peers.torch
    model = _torch_mlp(init)
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def step():
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(xt), yt).backward()
        opt.step()

    return step, lambda: _torch_current(model)


def make_torch_manual(init, x, y):
    """The same model, updated by hand under ``torch.no_grad()``."""
    torch = _peers.torch
    model = _torch_mlp(init)
    params = list(model.parameters())
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def step():
        torch.nn.functional.cross_entropy(model(xt), yt).backward()
        with torch.no_grad():
            for param in params:
                param -= LR * param.grad
                param.grad = None

    return step, lambda: _torch_current(model)


def _jax_cross_entropy(jax, logits, y):
    logp = jax.nn.log_softmax(logits, axis=-1)
    return -jax.numpy.mean(jax.numpy.take_along_axis(logp, y[:, None], axis=-1))


def _jax_train_step(jax):
    """The step ``(params, x, y) -> new params`` in JAX, not jitted."""

    def loss(p, x, y):
        logits = jax.nn.relu(x @ p["w1"] + p["b1"]) @ p["w2"] + p["b2"]
        return _jax_cross_entropy(jax, logits, y)

    def train_step(p, x, y):
        g = jax.grad(loss)(p, x, y)
        return {k: p[k] - LR * g[k] for k in NAMES}

    return train_step


def jax_train_step(jax):
    """``jax.jit`` of the step ``(params, x, y) -> new params``; each call builds a new one."""
    return jax.jit(_jax_train_step(jax))


def make_jax(init, x, y):
    """``jax.jit`` of the step; the batch is put on the device once, outside the loop."""
    return _make_jax_step(jax_train_step(_peers.jax), init, x, y)


def make_jax_eager(init, x, y):
    """The same step without ``jit``: JAX dispatches every op of it one by one."""
    return _make_jax_step(_jax_train_step(_peers.jax), init, x, y)


def _make_jax_step(train_step, init, x, y):
    jax = _peers.jax
    state = {"p": {k: jax.numpy.asarray(v) for k, v in zip(NAMES, init, strict=True)}}
    xj, yj = jax.numpy.asarray(x), jax.numpy.asarray(y)

    def step():
        state["p"] = jax.block_until_ready(train_step(state["p"], xj, yj))

    return step, lambda: tuple(np.asarray(state["p"][k]) for k in NAMES)


def make_autograd(init, x, y):
    """``autograd.grad`` of the loss of a list of arrays; update by hand."""
    autograd = _peers.autograd
    anp = autograd.numpy
    from autograd.scipy.special import logsumexp

    rows = np.arange(len(y))

    def loss(p):
        w1, b1, w2, b2 = p
        logits = anp.maximum(x @ w1 + b1, 0) @ w2 + b2
        logp = logits - logsumexp(logits, axis=1, keepdims=True)
        return -anp.mean(logp[rows, y])

    grad = autograd.grad(loss)
    state = {"p": [a.copy() for a in init]}

    def step():
        p = state["p"]
        state["p"] = [a - LR * g for a, g in zip(p, grad(p), strict=True)]

    return step, lambda: tuple(state["p"])


def _step_case(name: str, make, init, x, y, numpy_baseline: bool = False) -> Case:
    """Time ``make``'s step; check the update of one step from ``init`` against pullback's."""
    step, _ = make(init, x, y)

    def update():
        first, current = make(init, x, y)
        first()
        return tuple(np.asarray(c, np.float64) - i for c, i in zip(current(), init, strict=True))

    return Case(name, step, update, numpy_baseline=numpy_baseline)


def _peer_case(name: str, module, make, init, x, y) -> Case:
    if module is None:
        return Case(name, skip=_peers.missing(name.split()[0]))
    return _step_case(name, make, init, x, y)


EAGER = ("pullback value_and_grad (pb.nn model)", "pullback value_and_grad (dict of arrays)")
TAPE = "pullback GradientTape"
JIT = "pullback pb.jit(step)"
TORCH = ("PyTorch eager, torch.optim.SGD", "PyTorch eager, manual SGD")
JAX = "JAX jax.jit(step)"
JAX_EAGER = "JAX eager jax.grad (no jit)"


def _digits_targets(t: dict) -> bool:
    torch_best = min((t[name] for name in TORCH if name in t), default=float("inf"))
    eager_ok = all(t[name] <= torch_best for name in EAGER)
    tape_ok = t[TAPE] <= 1.10 * t[EAGER[0]]
    jit_ok = t[JIT] <= t.get(JAX, float("inf"))
    return eager_ok and tape_ok and jit_ok


def build_digits() -> Workload:
    x, y, init = digits_data()
    cases = [
        _step_case(EAGER[0], make_pullback_module, init, x, y),
        _step_case(EAGER[1], make_pullback_dict, init, x, y),
        _step_case(TAPE, make_pullback_tape, init, x, y),
        _step_case(JIT, make_pullback_jit, init, x, y),
        _step_case("NumPy (hand-written backprop)", make_numpy, init, x, y, numpy_baseline=True),
        _peer_case(TORCH[0], _peers.torch, make_torch_optim, init, x, y),
        _peer_case(TORCH[1], _peers.torch, make_torch_manual, init, x, y),
        _peer_case(JAX, _peers.jax, make_jax, init, x, y),
        _peer_case(JAX_EAGER, _peers.jax, make_jax_eager, init, x, y),
        _peer_case("HIPS autograd", _peers.autograd, make_autograd, init, x, y),
    ]
    return Workload(
        name="digits",
        title=f"digits MLP {INPUTS}-{HIDDEN}-{CLASSES}, ReLU, softmax CE, SGD lr {LR}, batch "
        f"{BATCH}, float32: forward + backward + update",
        cases=cases,
        dtype=np.float32,
        unit="step",
        target="both pullback value_and_grad cases <= the faster PyTorch eager; GradientTape "
        "<= 1.10x value_and_grad (pb.nn model); pb.jit(step) <= jax.jit(step)",
        target_check=_digits_targets,
        notes=[
            "the check compares each case's update after one step from the same init (rtol 1e-4)",
            f"steps/s = 1 / median; versions: torch {_peers.version('torch')}, "
            f"jax {_peers.version('jax')}, autograd {_peers.version('autograd')}",
        ],
    )


# --- the seed-000 conv step --------------------------------------------------------------

CONV_X = (10, 16, 16, 3)
CONV_FILTER = (5, 5, 3, 6)
POOLED = 6 * 6 * 6


def conv_data():
    """``(x, filter, bias, kernel, bias2, y)`` in float32: N(0, 1) images, He-normal filter,
    Glorot-uniform dense kernel, zero biases, int labels 0..9."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(CONV_X, dtype=np.float32)
    fan_in = CONV_FILTER[0] * CONV_FILTER[1] * CONV_FILTER[2]
    w1 = (rng.standard_normal(CONV_FILTER) * np.sqrt(2.0 / fan_in)).astype(np.float32)
    w2 = glorot(rng, POOLED, CLASSES)
    y = rng.integers(0, CLASSES, CONV_X[0])
    return x, w1, np.zeros(6, np.float32), w2, np.zeros(CLASSES, np.float32), y


def _conv_model(w1, b1, w2, b2):
    model = pb.nn.Sequential(
        pb.nn.Conv2D(CONV_FILTER, activation=pb.nn.relu, dtype=w1.dtype),
        pb.nn.MaxPool2D((2, 2)),
        pb.nn.Flatten(),
        pb.nn.Dense(POOLED, CLASSES, dtype=w1.dtype),
    )
    for variable, value in zip(pb.tree.leaves(model), (w1, b1, w2, b2), strict=True):
        variable.assign(value)
    return model


def conv_pullback(args32, args64):
    """``pb.grad`` of a ``pb.nn.Sequential`` (Conv2D, MaxPool2D, Flatten, Dense) model."""
    models = {a[0].dtype: _conv_model(*a[1:5]) for a in (args32, args64)}
    grad = pb.grad(_model_loss)

    def grads(x, w1, b1, w2, b2, y):
        del w1, b1, w2, b2  # the model of x's dtype holds them
        return grad(models[x.dtype], x, y)  # a model of gradients, as pb.grad gives it

    return grads


def conv_pullback_jit(args32, args64):
    """``pb.jit(pb.grad(loss))`` of the same model: traced once per dtype, then replayed."""
    models = {a[0].dtype: _conv_model(*a[1:5]) for a in (args32, args64)}
    grad = pb.jit(pb.grad(_model_loss))

    def grads(x, w1, b1, w2, b2, y):
        del w1, b1, w2, b2  # the model of x's dtype holds them
        return grad(models[x.dtype], x, y)  # a model of gradients, as pb.grad gives it

    return grads


def conv_numpy(x, w1, b1, w2, b2, y):
    """im2col + one matmul for the convolution, reshape max-pool, manual backward."""
    n, kh, kw, cout = len(x), CONV_FILTER[0], CONV_FILTER[1], CONV_FILTER[3]
    windows = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(1, 2))
    oh, ow = windows.shape[1:3]
    # (n, oh, ow, cin, kh, kw) -> rows of (kh, kw, cin), the filter's HWIO order
    cols = windows.transpose(0, 1, 2, 4, 5, 3).reshape(n * oh * ow, -1)
    pre = (cols @ w1.reshape(-1, cout) + b1).reshape(n, oh, ow, cout)
    h = np.maximum(pre, 0)
    blocks = h.reshape(n, oh // 2, 2, ow // 2, 2, cout)
    pooled = blocks.max(axis=(2, 4))
    flat = pooled.reshape(n, -1)
    logits = flat @ w2 + b2
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    rows = np.arange(n)
    -np.log(p[rows, y]).mean()  # the loss: unused by the backward pass, as in every peer
    p[rows, y] -= 1
    g_logits = p / n
    g_pooled = (g_logits @ w2.T).reshape(pooled.shape)
    # NOTE: every window's maximum gets the whole gradient. Ties only happen between zeros
    # that ReLU produced, whose gradient the (pre > 0) mask below drops anyway.
    mask = blocks == pooled[:, :, None, :, None, :]
    g_h = (mask * g_pooled[:, :, None, :, None, :]).reshape(pre.shape)
    g_pre = (g_h * (pre > 0)).reshape(-1, cout)
    g_w1 = (cols.T @ g_pre).reshape(CONV_FILTER)
    return g_w1, g_pre.sum(0), flat.T @ g_logits, g_logits.sum(0)


def conv_torch(x, w1, b1, w2, b2, y):
    """NCHW ``F.conv2d`` and ``F.max_pool2d``: the input and the filter are permuted in, the
    pooled map back to NHWC before flattening (so the dense kernel is the same)."""
    torch = _peers.torch
    fn = torch.nn.functional
    filt = torch.from_numpy(w1.transpose(3, 2, 0, 1).copy()).requires_grad_()
    b1, w2, b2 = (torch.from_numpy(a).requires_grad_() for a in (b1, w2, b2))
    h = fn.relu(fn.conv2d(torch.from_numpy(x).permute(0, 3, 1, 2), filt, b1))
    flat = fn.max_pool2d(h, 2).permute(0, 2, 3, 1).reshape(len(x), -1)
    fn.cross_entropy(flat @ w2 + b2, torch.from_numpy(y)).backward()
    return filt.grad.permute(2, 3, 1, 0), b1.grad, w2.grad, b2.grad


def conv_autograd():
    """HIPS autograd: im2col from 25 slices (``anp.stack``), reshape max-pool."""
    autograd = _peers.autograd
    anp = autograd.numpy
    from autograd.scipy.special import logsumexp

    def loss(w1, b1, w2, b2, x, y):
        n, kh, kw, cout = len(x), CONV_FILTER[0], CONV_FILTER[1], CONV_FILTER[3]
        oh, ow = x.shape[1] - kh + 1, x.shape[2] - kw + 1
        taps = [x[:, i : i + oh, j : j + ow, :] for i in range(kh) for j in range(kw)]
        cols = anp.reshape(anp.stack(taps, axis=3), (n * oh * ow, -1))
        pre = anp.reshape(anp.dot(cols, anp.reshape(w1, (-1, cout))) + b1, (n, oh, ow, cout))
        blocks = anp.reshape(anp.maximum(pre, 0), (n, oh // 2, 2, ow // 2, 2, cout))
        flat = anp.reshape(anp.max(blocks, axis=(2, 4)), (n, -1))
        logits = anp.dot(flat, w2) + b2
        logp = logits - logsumexp(logits, axis=1, keepdims=True)
        return -anp.mean(logp[np.arange(n), y])

    grad = autograd.grad(loss, argnum=(0, 1, 2, 3))
    return lambda x, w1, b1, w2, b2, y: grad(w1, b1, w2, b2, x, y)


def conv_jax(jit: bool):
    """``jax.grad`` of the same loss with ``lax.conv_general_dilated`` (NHWC, HWIO) and a
    reshape max-pool, eager or under ``jax.jit``; NumPy arrays in at each call."""
    jax = _peers.jax
    jnp, lax = jax.numpy, jax.lax

    def loss(w1, b1, w2, b2, x, y):
        pre = lax.conv_general_dilated(x, w1, (1, 1), "VALID", dimension_numbers=CONV_DIMS) + b1
        n, oh, ow, cout = pre.shape
        blocks = jax.nn.relu(pre).reshape(n, oh // 2, 2, ow // 2, 2, cout)
        return _jax_cross_entropy(jax, jnp.max(blocks, axis=(2, 4)).reshape(n, -1) @ w2 + b2, y)

    grad = jax.grad(loss, argnums=(0, 1, 2, 3))
    grad = jax.jit(grad) if jit else grad
    return lambda x, w1, b1, w2, b2, y: jax.block_until_ready(grad(w1, b1, w2, b2, x, y))


CONV_DIMS = ("NHWC", "HWIO", "NHWC")
CONV_EAGER, CONV_JIT = "pullback pb.grad (pb.nn model)", "pullback pb.jit(pb.grad)"


def _grads_case(name: str, grads, args, args64, numpy_baseline: bool = False) -> Case:
    """Time ``grads(*args)`` (float32); check ``grads(*args64)``."""

    def check():
        out = grads(*args64)
        out = pb.tree.leaves(out) if isinstance(out, pb.nn.Module) else out
        return tuple(np.asarray(g.detach() if hasattr(g, "detach") else g) for g in out)

    return Case(name, lambda: grads(*args), check, numpy_baseline=numpy_baseline)


def _conv_jax_cases(args, args64) -> list[Case]:
    if _peers.jax is None:
        return [Case("JAX", skip=_peers.missing("jax"))]
    name = f"JAX {_peers.version('jax')}"
    return [
        _grads_case(f"{name} eager jax.grad", conv_jax(False), args, args64),
        _grads_case(f"{name} jax.jit(jax.grad)", conv_jax(True), args, args64),
    ]


def build_conv() -> Workload:
    args = conv_data()
    args64 = tuple(a.astype(np.float64) if a.dtype == np.float32 else a for a in args)
    torch, autograd = _peers.torch, _peers.autograd
    cases = [
        _grads_case(CONV_EAGER, conv_pullback(args, args64), args, args64),
        _grads_case(CONV_JIT, conv_pullback_jit(args, args64), args, args64),
        _grads_case("NumPy (im2col, hand-written)", conv_numpy, args, args64, True),
        _grads_case(f"PyTorch {_peers.version('torch')} (NCHW permutes)", conv_torch, args, args64)
        if torch is not None
        else Case("PyTorch", skip=_peers.missing("torch")),
        _grads_case(f"HIPS autograd {_peers.version('autograd')}", conv_autograd(), args, args64)
        if autograd is not None
        else Case("HIPS autograd", skip=_peers.missing("autograd")),
        *_conv_jax_cases(args, args64),
    ]
    return Workload(
        name="conv",
        title="seed 000: x 10x16x16x3, conv 5x5x3x6 valid + bias, ReLU, 2x2 max-pool, flatten, "
        "dense 216-10, softmax CE; float32 forward + backward",
        cases=cases,
        dtype=np.float64,
        target="pullback eager <= 1.10x hand-written NumPy (pb.jit reported beside it)",
        target_check=lambda t: t[CONV_EAGER] <= 1.10 * t["NumPy (im2col, hand-written)"],
        notes=[
            "gradients are checked on float64 copies of the inputs (rtol 1e-6), timed in float32"
        ],
    )


def build(quick: bool) -> list[Workload]:
    del quick  # both workloads are small: --quick only shortens the timing loops
    return [build_digits(), build_conv()]
