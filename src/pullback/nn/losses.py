"""Loss functions: scalar means over the batch, written with ``pnp``."""

from __future__ import annotations

import numpy as np

import pullback as pb
import pullback.numpy as pnp

from .activations import log_softmax


def mse(pred, target):
    """Mean squared error ``mean((pred - target) ** 2)`` over every element.

    >>> mse(np.array([1.0, 3.0]), np.array([1.0, 1.0]))
    np.float64(2.0)
    """
    return pnp.mean((pred - target) ** 2)


def _dtype(x) -> np.dtype:
    return np.dtype(x.dtype) if isinstance(x, (pb.Tensor, np.ndarray)) else np.asarray(x).dtype


def softmax_cross_entropy(logits, labels):
    """Cross-entropy of softmax(``logits``) against ``labels``, averaged over the batch.

    Args:
        logits: array of shape ``(batch, classes)`` (any leading axes).
        labels: int class indices of shape ``(batch,)``, or one-hot/probability vectors of
            the shape of ``logits``.

    Raises:
        ValueError: labels whose shape fits neither form.

    >>> round(float(softmax_cross_entropy(np.zeros((2, 4)), np.array([0, 3]))), 4)
    1.3863
    """
    logp = log_softmax(logits, axis=-1)
    if _dtype(labels).kind in "iub":
        if tuple(pnp.shape(labels)) != tuple(logits.shape[:-1]):
            raise ValueError(
                f"softmax_cross_entropy: int labels of shape {tuple(pnp.shape(labels))} do not "
                f"match logits of shape {tuple(logits.shape)}; expected shape "
                f"{tuple(logits.shape[:-1])}"
            )
        # NOTE: labels stay an operand (no .numpy()): under pb.jit they change every batch.
        picked = pnp.take_along_axis(logp, pnp.expand_dims(labels, -1), axis=-1)
        return -pnp.mean(picked)
    if tuple(labels.shape) != tuple(logits.shape):
        raise ValueError(
            f"softmax_cross_entropy: one-hot labels of shape {tuple(labels.shape)} do not match "
            f"logits of shape {tuple(logits.shape)}; pass int labels or one-hot of that shape"
        )
    return -pnp.mean(pnp.sum(labels * logp, axis=-1))


def sigmoid_cross_entropy(logits, labels):
    """Binary cross-entropy of sigmoid(``logits``) against ``labels`` in [0, 1], averaged.

    Computed as ``softplus(logits) - logits * labels``, which neither overflows nor loses the
    gradient ``sigmoid(logits) - labels`` at ``logits = 0``.

    >>> round(float(sigmoid_cross_entropy(np.array([0.0]), np.array([1.0]))), 4)
    0.6931
    """
    return pnp.mean(pnp.special.softplus(logits) - logits * labels)
