"""checkpoint_memory: peak memory of forward + backward through a 64-layer, 1024-wide tanh MLP
on a batch of 256 (float32), plain versus checkpointed.

Peaks are tracemalloc's, measured from just before the gradient call (the weights already
exist, and the gradient is taken with respect to the input, so what is measured is what the
backward pass keeps alive). Run: ``python bench/checkpoint_memory.py``.
"""

from __future__ import annotations

import tracemalloc

import numpy as np

import pullback as pb
import pullback.numpy as pnp

LAYERS, WIDTH, BATCH = 64, 1024, 256


class Layer:
    """``tanh(x @ w + b)``; a pytree, so checkpoint takes its weights as inputs."""

    def __init__(self, w, b):
        self.w, self.b = w, b

    def __call__(self, x):
        return pnp.tanh(x @ self.w + self.b)


pb.tree.register(Layer, lambda l: ((l.w, l.b), None), lambda aux, ch: Layer(*ch))


def make_layers():
    rng = np.random.default_rng(0)
    scale = np.float32(1.0 / np.sqrt(WIDTH))
    return [
        Layer(
            (rng.standard_normal((WIDTH, WIDTH)) * scale).astype(np.float32),
            np.zeros(WIDTH, np.float32),
        )
        for _ in range(LAYERS)
    ]


def plain(layers, x):
    for layer in layers:
        x = layer(x)
    return pnp.sum(x)


def per_layer(layers, x):
    for layer in layers:
        x = pb.checkpoint(layer)(x)
    return pnp.sum(x)


def sqrt_schedule(layers, x):
    return pnp.sum(pb.checkpoint_sequential(layers, segments=int(np.sqrt(len(layers))))(x))


def peak_bytes(f, layers, x) -> tuple[int, np.ndarray]:
    tracemalloc.start()
    tracemalloc.reset_peak()
    g = pb.grad(lambda x: f(layers, x))(x)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak, g


def main() -> dict:
    layers = make_layers()
    x = np.random.default_rng(1).standard_normal((BATCH, WIDTH)).astype(np.float32)
    results = {}
    reference = None
    for name, f in [
        ("plain", plain),
        ("every layer", per_layer),
        ("sqrt(n) segments", sqrt_schedule),
    ]:
        peak, g = peak_bytes(f, layers, x)
        if reference is None:
            reference = g
        assert np.array_equal(g, reference), f"{name}: gradient differs from the plain one"
        results[name] = peak
    activation_mib = BATCH * WIDTH * 4 / 2**20
    print(f"{LAYERS} layers x {WIDTH} wide, batch {BATCH}, float32")
    print(f"  (one activation = {activation_mib:.1f} MiB)")
    for name, peak in results.items():
        ratio = results["plain"] / peak
        print(f"  {name:<18} peak {peak / 2**20:8.1f} MiB   {ratio:5.2f}x less than plain")
    return results


if __name__ == "__main__":
    main()
