"""debug_overhead: one digits-MLP training step (64-128-10, batch 32) with ``pb.debug_nans``
off, and on. Off, nothing is patched, so it must cost nothing measurable.

Run: ``python bench/debug_overhead.py``.
"""

from __future__ import annotations

import timeit

import numpy as np

import pullback as pb
import pullback.numpy as pnp


def make_step():
    rng = np.random.default_rng(0)
    params = {
        "w1": rng.standard_normal((64, 128)) * 0.1,
        "b1": np.zeros(128),
        "w2": rng.standard_normal((128, 10)) * 0.1,
        "b2": np.zeros(10),
    }
    x = rng.standard_normal((32, 64))
    labels = rng.integers(0, 10, 32)

    def loss(p):
        h = pnp.maximum(x @ p["w1"] + p["b1"], 0.0)
        logits = h @ p["w2"] + p["b2"]
        logp = logits - pnp.special.logsumexp(logits, axis=1, keepdims=True)
        return -pnp.mean(logp[np.arange(32), labels])

    grad = pb.grad(loss)

    def step():
        g = grad(params)
        for k in params:
            params[k] = params[k] - 0.1 * g[k]

    return step


def median_time(fn, number=200, repeat=9) -> float:
    return float(np.median(timeit.repeat(fn, number=number, repeat=repeat))) / number


def main() -> dict:
    step = make_step()
    off = median_time(step)

    def on():
        with pb.debug_nans():
            step()

    with pb.debug_nans():
        inside = median_time(step)
    entering = median_time(on, number=50)
    off_again = median_time(step)
    rows = [
        ("off", off),
        ("inside", inside),
        ("entering each step", entering),
        ("off again", off_again),
    ]
    for name, t in rows:
        print(f"training step, debug_nans {name:<20} {t * 1e6:8.1f} us ({t / off:.2f}x)")
    return {"off": off, "inside": inside, "entering": entering, "off_again": off_again}


if __name__ == "__main__":
    main()
