"""Seed 002 (TensorFlow's "Advanced automatic differentiation" guide), ported: Jacobians with
``GradientTape.jacobian`` and ``GradientTape.batch_jacobian``.

1. A scalar source: the sigmoid over ``linspace(-10, 10, 201)`` shifted by a scalar ``delta``;
   the Jacobian has the target's shape ``(201,)``.
2. A tensor source: a Dense layer's output ``(7, 10)`` against its kernel ``(5, 10)`` gives
   shape ``(7, 10, 5, 10)``; summed over the target's axes it is ``tape.gradient``.
3. The Hessian of a loss with respect to a kernel ``(5, 8)``: the ``jacobian`` of a gradient
   taken inside an outer tape, shape ``(5, 8, 5, 8)``; flattened to a symmetric ``(40, 40)``
   matrix it gives a Newton step, solved with ``pnp.linalg.solve``.
4. ``batch_jacobian``: for a two-layer network applied row by row, ``(7, 6, 5)`` instead of the
   full ``(7, 6, 7, 5)``, whose ``(batch, batch)`` slices are diagonal.
5. With batch normalisation the rows of a batch interact: the full Jacobian has off-diagonal
   blocks, and ``batch_jacobian`` returns an array of the right shape whose meaning is unclear.

``pb.nn`` is not used: the Dense layer and the batch normalisation (in training mode, with
Keras's initial ``gamma = 1``, ``beta = 0`` and ``epsilon = 1e-3``) are written by hand, from
``np.random.default_rng``, in float32 like TensorFlow.

Run it with ``python examples/seed002_jacobians.py [--plot [PATH]]``; the seed's figures are
saved to one PNG only with ``--plot`` and only if matplotlib is installed.
"""

from __future__ import annotations

import argparse

import numpy as np

import pullback as pb
import pullback.numpy as pnp

NEWTON_EPS = 1e-3


def relu(z):
    return pnp.maximum(z, 0.0)


def elu(z):
    """Keras's ELU: ``z`` for ``z > 0``, else ``exp(z) - 1``."""
    # NOTE: expm1 of min(z, 0), not of z: the unused branch of `where` still gets a gradient,
    # and exp of a large z would overflow it to inf * 0 = NaN.
    return pnp.where(z > 0, z, pnp.expm1(pnp.minimum(z, 0.0)))


class Dense:
    """A Keras-style Dense layer: ``activation(x @ kernel + bias)``.

    ``x``: shape ``(batch, n_in)``; returns shape ``(batch, n_out)``.
    """

    def __init__(self, n_in: int, n_out: int, activation, rng: np.random.Generator) -> None:
        limit = np.sqrt(6.0 / (n_in + n_out))
        kernel = rng.uniform(-limit, limit, (n_in, n_out)).astype(np.float32)
        self.kernel = pb.Variable(kernel, name="kernel")
        self.bias = pb.Variable(np.zeros(n_out, np.float32), name="bias")
        self.activation = activation

    def __call__(self, x):
        return self.activation(x @ self.kernel + self.bias)


def batch_norm(z, epsilon: float = 1e-3):
    """Batch normalisation in training mode: each column of ``z`` ``(batch, n)`` standardised
    with the batch's mean and variance, so every output row depends on every input row."""
    return (z - pnp.mean(z, axis=0)) / pnp.sqrt(pnp.var(z, axis=0) + epsilon)


def random_batch(rng: np.random.Generator):
    return pb.tensor(rng.standard_normal((7, 5)).astype(np.float32))


def scalar_source_example() -> dict:
    """The Jacobian of ``sigmoid(x + delta)`` with respect to the scalar ``delta``."""
    x = pb.tensor(np.linspace(-10.0, 10.0, 200 + 1, dtype=np.float32))
    delta = pb.Variable(np.float32(0.0))
    with pb.GradientTape() as tape:
        y = pnp.special.expit(x + delta)
    dy_dx = tape.jacobian(y, delta)
    print(y.shape)
    print(dy_dx.shape)
    return {"x": x.numpy(), "y": y.numpy(), "dy_dx": dy_dx.numpy()}


def tensor_source_example(rng: np.random.Generator) -> dict:
    """The Jacobian of a Dense layer's output with respect to its kernel, and its sum."""
    x = random_batch(rng)
    layer = Dense(5, 10, relu, rng)
    with pb.GradientTape(persistent=True) as tape:
        y = layer(x)
    print(y.shape)
    print(layer.kernel.shape)
    j = tape.jacobian(y, layer.kernel)
    print(j.shape)
    g = tape.gradient(y, layer.kernel)
    print("g.shape:", g.shape)
    j_sum = pnp.sum(j, axis=(0, 1))
    delta = float(pnp.max(abs(g - j_sum)))
    assert delta < 1e-3
    print("delta:", delta)
    return {"j": j.numpy(), "g": g.numpy(), "delta": delta}


def hessian_example(rng: np.random.Generator) -> dict:
    """The Hessian of a two-layer loss w.r.t. the first kernel, and one Newton step with it."""
    x = random_batch(rng)
    layer1 = Dense(5, 8, relu, rng)
    layer2 = Dense(8, 6, relu, rng)

    def loss_fn():
        return pnp.mean(layer2(layer1(x)) ** 2)

    with pb.GradientTape() as t2:
        with pb.GradientTape() as t1:
            loss = loss_fn()
        g = t1.gradient(loss, layer1.kernel)
    h = t2.jacobian(g, layer1.kernel)
    print(f"layer.kernel.shape: {layer1.kernel.shape}")
    print(f"h.shape: {h.shape}")

    n_params = int(np.prod(layer1.kernel.shape))
    g_vec = pnp.reshape(g, (n_params, 1))
    h_mat = pnp.reshape(h, (n_params, n_params))
    eye_eps = pnp.eye(n_params, dtype=np.float32) * NEWTON_EPS
    # X(k+1) = X(k) - (∇²f(X(k)))^-1 @ ∇f(X(k))
    update = pnp.linalg.solve(h_mat + eye_eps, g_vec)
    kernel_before = layer1.kernel.numpy()
    # Reshape the update and apply it to the variable.
    layer1.kernel.assign_sub(pnp.reshape(update, layer1.kernel.shape))
    loss_after = float(loss_fn())
    print(f"loss before the Newton step: {float(loss):.6g}")
    print(f"loss after the Newton step: {loss_after:.6g}")
    return {
        "x": x,
        "layers": (layer1, layer2),
        "kernel_before": kernel_before,
        "g": g.numpy(),
        "h": h.numpy(),
        "h_mat": h_mat.numpy(),
        "update": update.numpy(),
        "loss_before": float(loss),
        "loss_after": loss_after,
    }


def batch_jacobian_example(rng: np.random.Generator, normalise: bool = False) -> dict:
    """The full and the batch Jacobian of a two-layer ELU network ``(7, 5) -> (7, 6)``;
    with ``normalise``, a batch normalisation sits between the layers."""
    x = random_batch(rng)
    layer1 = Dense(5, 8, elu, rng)
    layer2 = Dense(8, 6, elu, rng)
    with pb.GradientTape(persistent=True, watch_accessed_variables=False) as tape:
        tape.watch(x)
        y = layer1(x)
        if normalise:
            y = batch_norm(y)
        y = layer2(y)
    j = tape.jacobian(y, x)
    jb = tape.batch_jacobian(y, x)
    if normalise:
        print(f"j.shape: {j.shape}")
        print(f"jb.shape: {jb.shape}")
        print("largest off-diagonal (batch, batch) entry:", off_diagonal_max(j.numpy()))
    else:
        print(y.shape)
        print(j.shape)
        j_sum = pnp.sum(j, axis=2)
        print(j_sum.shape)
        j_select = pnp.einsum("bxby->bxy", j)
        print(j_select.shape)
        print(jb.shape)
        error = float(pnp.max(abs(jb - j_sum)))
        assert error < 1e-3
        print(error)
    return {"x": x.numpy(), "y": y.numpy(), "j": j.numpy(), "jb": jb.numpy()}


def off_diagonal_max(j: np.ndarray) -> float:
    """The largest ``|j[a, :, b, :]|`` over examples ``a != b`` of a ``(B, out, B, in)`` array."""
    batch = j.shape[0]
    mask = ~np.eye(batch, dtype=bool)[:, None, :, None]
    return float(np.max(np.abs(np.where(mask, j, 0.0))))


def save_plots(results: dict, path: str) -> bool:
    """Save the seed's figures to ``path``; ``False`` if matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    as_patches = pb.plot.as_patches
    fig, axes = plt.subplots(2, 3, figsize=(18, 10))
    scalar = results["scalar_source"]
    axes[0, 0].plot(scalar["x"], scalar["y"], label="y")
    axes[0, 0].plot(scalar["x"], scalar["dy_dx"], label="dy/dx")
    axes[0, 0].legend()
    axes[0, 0].set_xlabel("x")
    images = [
        (results["hessian"]["h_mat"], "The Hessian is symmetric"),
        (results["batch"]["j"][:, 0, :, 0], "A (batch, batch) slice"),
        (as_patches(results["batch"]["j"]), "All (batch, batch) slices are diagonal"),
        (as_patches(results["batch_norm"]["j"]), "These slices are not diagonal"),
    ]
    for ax, (image, title) in zip(axes.flat[1:], images):
        pb.plot.imshow_zero_center(image, ax=ax)
        ax.set_title(title)
    axes[1, 1].set_xlabel("Don't use `batch_jacobian`")
    axes.flat[-1].axis("off")
    fig.savefig(path)
    plt.close(fig)
    return True


def main(argv: list[str] | None = None) -> dict:
    """Run every Jacobian example of the seed; return their arrays."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--plot",
        nargs="?",
        const="seed002_jacobians.png",
        default=None,
        metavar="PATH",
        help="save the seed's figures to PATH (default seed002_jacobians.png); needs matplotlib",
    )
    args = parser.parse_args([] if argv is None else argv)
    rng = np.random.default_rng(0)
    results = {
        "scalar_source": scalar_source_example(),
        "tensor_source": tensor_source_example(rng),
        "hessian": hessian_example(rng),
        "batch": batch_jacobian_example(rng),
        "batch_norm": batch_jacobian_example(rng, normalise=True),
    }
    if args.plot is not None:
        if save_plots(results, args.plot):
            print(f"saved the plots to {args.plot}")
        else:
            print("matplotlib is not installed: no plot saved")
    return results


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
