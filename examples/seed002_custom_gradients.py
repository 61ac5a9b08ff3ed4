"""Seed 002 (TensorFlow's "Advanced automatic differentiation" guide), ported: a custom gradient
that clips the upstream gradient by its norm.

``clip_gradients`` is the identity in the forward pass; its backward pass applies TensorFlow's
``tf.clip_by_norm(dy, 0.5)``, i.e. ``dy * 0.5 / max(||dy||, 0.5)``, written here with
``pnp.linalg.norm``. For ``output = clip_gradients(v * v)`` at ``v = 2``, ``backward`` sees the
upstream gradient ``d output / d output = 1``, clips it to 0.5, and the chain rule through
``v * v`` (a factor ``2 v = 4``) gives 2.0. (The seed's comment "clips 4 to 2" describes the
result, not the clipped value: it is 1 that is clipped, to 0.5.)

The seed then saves ``clip_gradients`` in a SavedModel (``experimental_custom_gradients=True``)
and reloads it. Saving and loading belong to a later issue (``pb.save`` / ``pb.load``) and are
not ported here.

Run it with ``python examples/seed002_custom_gradients.py``.
"""

from __future__ import annotations

import numpy as np

import pullback as pb
import pullback.numpy as pnp

CLIP_NORM = 0.5


def clip_by_norm(t, clip_norm: float):
    """TensorFlow's ``tf.clip_by_norm``: ``t`` rescaled so its L2 norm is at most ``clip_norm``."""
    return t * clip_norm / pnp.maximum(pnp.linalg.norm(t), clip_norm)


# Establish an identity operation, but clip during the gradient pass.
@pb.custom_gradient
def clip_gradients(y):
    """The identity; its gradient is the upstream gradient clipped to norm 0.5."""

    def backward(dy):
        return clip_by_norm(dy, CLIP_NORM)

    return y, backward


def main() -> dict:
    """Print and return the clipped gradient of ``v * v`` at ``v = 2`` (float32)."""
    v = pb.Variable(np.float32(2.0))
    with pb.GradientTape() as t:
        output = clip_gradients(v * v)
    gradient = t.gradient(output, v).numpy()  # calls "backward", which clips 1 to 0.5
    print(gradient)
    return {"output": output.numpy(), "gradient": gradient}


if __name__ == "__main__":
    main()
