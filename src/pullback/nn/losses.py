"""Loss functions: scalar means over the batch, written with ``pnp``."""

from __future__ import annotations

import math

import numpy as np

import pullback as pb
import pullback.numpy as pnp

from .._core.levels import _state
from .._core.residuals import ByArray
from .activations import log_softmax
from .functional import as_indices, check_indices, checked_indices


def mse(pred, target):
    """Mean squared error ``mean((pred - target) ** 2)`` over every element.

    Raises:
        ValueError: the shapes broadcast to a shape larger than either (a prediction of shape
            ``(n, 1)`` against targets of shape ``(n,)``: a mean over all n * n pairs).

    >>> mse(np.array([1.0, 3.0]), np.array([1.0, 1.0]))
    np.float64(2.0)
    """
    _check_broadcast("mse", pred, target, ("pred", "target"))
    return pnp.mean((pred - target) ** 2)


def _check_broadcast(loss: str, x, y, names: tuple[str, str]) -> None:
    """Raise unless one of ``x`` and ``y`` broadcasts to the other's shape: a loss over a
    larger shape than either is silently a wrong one."""
    x_shape, y_shape = tuple(pnp.shape(x)), tuple(pnp.shape(y))
    if x_shape == y_shape:
        return
    try:
        joint = np.broadcast_shapes(x_shape, y_shape)
    except ValueError:
        joint = None
    if joint != x_shape and joint != y_shape:
        spread = "do not broadcast" if joint is None else f"would broadcast to {joint}"
        raise ValueError(
            f"{loss}: {names[0]} of shape {x_shape} and {names[1]} of shape {y_shape} {spread}; "
            f"give both the same shape (e.g. {names[0]}.reshape(-1) or {names[1]}[:, None])"
        )


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
    if _dtype(labels).kind in "iub":
        if tuple(pnp.shape(labels)) != tuple(logits.shape[:-1]):
            raise ValueError(
                f"softmax_cross_entropy: int labels of shape {tuple(pnp.shape(labels))} do not "
                f"match logits of shape {tuple(logits.shape)}; expected shape "
                f"{tuple(logits.shape[:-1])}"
            )
        # NOTE: labels stay an operand (no .numpy()): under pb.jit they change every batch.
        return _sparse_softmax_cross_entropy(logits, labels)
    if tuple(labels.shape) != tuple(logits.shape):
        raise ValueError(
            f"softmax_cross_entropy: one-hot labels of shape {tuple(labels.shape)} do not match "
            f"logits of shape {tuple(logits.shape)}; pass int labels or one-hot of that shape"
        )
    return -pnp.mean(pnp.sum(labels * log_softmax(logits, axis=-1), axis=-1))


# --- softmax cross-entropy with int labels: one primitive -----------------------------------


def _sparse_cross_entropy_impl(logits, labels):
    """``mean(logsumexp(logits) - logits[label])`` over every leading position."""
    rows, labels = _rows(logits, labels)
    check_indices(labels, rows.shape[1], _LABELS)
    if rows.size:
        peak = np.maximum.reduce(rows, axis=1, keepdims=True)
        if math.isfinite(np.add.reduce(peak, axis=None)):  # else: all -inf, inf or NaN rows
            e = np.exp(rows - peak)
            total = np.add.reduce(e, axis=1, keepdims=True)
            lse = np.log(total) + peak
            if _state.stack and type(logits) is np.ndarray:  # a transform may differentiate it
                _softmaxes.keep(logits, np.divide(e, total, out=e))
            return _mean_loss(lse[:, 0], rows, labels)
    return _mean_loss(pnp.special.logsumexp(rows, axis=-1), rows, labels)


def _mean_loss(lse, rows, labels):
    return np.add.reduce(lse - rows[np.arange(len(labels)), labels]) / len(labels)


def _rows(logits, labels) -> tuple[np.ndarray, np.ndarray]:
    """``logits`` as a (positions, classes) matrix and ``labels`` as a vector."""
    logits = np.asarray(logits)
    labels = labels.reshape(-1) if type(labels) is np.ndarray else np.reshape(labels, -1)
    return logits.reshape(-1, logits.shape[-1]), as_indices(labels)


_LABELS = (
    "softmax_cross_entropy: int labels must be classes 0..{last} of logits with {bound} classes,"
    " got labels from {low} to {high}"
)


# NOTE: the forward pass keeps its softmax weights for the backward pass, keyed by the logits
# array (for as long as it lives, and only while a transform is active): a first-order VJP is
# then a subtraction at the labels and a scaling, as in hand-written code, not a second
# softmax (bench/training.py, digits step). The weights are used once: a second backward pass
# (a persistent tape) computes them again. At most _KEPT of them are kept, the latest: a
# forward pass with no backward pass (jvp, vmap) on long-lived logits must not pin memory.
_KEPT = 4
_softmaxes = ByArray(limit=_KEPT)


# NOTE: a primitive built with the public API (pb.primitive and its rules), not a composite of
# log_softmax, take_along_axis and mean: one recorded op instead of eight, and a backward
# pass of one softmax (bench/training.py, digits step: 216 -> 174 us).
_sparse_softmax_cross_entropy = pb.primitive(
    _sparse_cross_entropy_impl, name="sparse_softmax_cross_entropy"
)


def _softmax_minus_one_hot(logits, labels):
    """The loss's derivative with respect to ``logits``, times the number of positions."""
    labels = checked_indices(labels, bound=pnp.shape(logits)[-1], message=_LABELS)
    one_hot = pnp.equal(pnp.arange(pnp.shape(logits)[-1]), pnp.expand_dims(labels, -1))
    return pnp.special.softmax(logits, axis=-1) - one_hot


def _sparse_cross_entropy_vjp(g, ans, logits, labels):
    if type(logits) is np.ndarray and isinstance(g, (np.ndarray, np.generic, float)):
        return _numpy_cross_entropy_vjp(g, logits, labels)
    return g * _softmax_minus_one_hot(logits, labels) / max(pnp.size(labels), 1)


def _numpy_cross_entropy_vjp(g, logits: np.ndarray, labels) -> np.ndarray:
    """The VJP on plain arrays (a first-order backward pass) in NumPy: no op is recorded, so
    nothing is lost by skipping ``bind`` (bench/training.py, digits step: 63 -> 31 us), on the
    softmax weights the forward pass kept (``value_and_grad`` of the loss: 120 -> 95 us)."""
    rows, flat_labels = _rows(logits, labels)
    probs = _softmaxes.take(logits)
    if probs is None:
        probs = pnp.special.softmax(rows, axis=-1)
    probs[np.arange(len(flat_labels)), flat_labels] -= 1
    probs *= g / max(len(flat_labels), 1)
    return probs.reshape(logits.shape)


def _sparse_cross_entropy_jvp(t, ans, logits, labels):
    return pnp.sum(_softmax_minus_one_hot(logits, labels) * t) / max(pnp.size(labels), 1)


def _sparse_cross_entropy_batch(args, dims):
    """Per-example losses: the composite formula with the batch axis first."""
    size = next(pnp.shape(a)[d] for a, d in zip(args, dims) if d is not None)
    logits, labels = (
        pnp.moveaxis(a, d, 0) if d is not None else pnp.broadcast_to(a, (size, *pnp.shape(a)))
        for a, d in zip(args, dims)
    )
    labels = checked_indices(labels, bound=pnp.shape(logits)[-1], message=_LABELS)
    lse = pnp.special.logsumexp(logits, axis=-1)
    picked = pnp.take_along_axis(logits, pnp.expand_dims(labels, -1), axis=-1)[..., 0]
    return pnp.mean(lse - picked, axis=tuple(range(1, pnp.ndim(lse)))), 0


pb.defvjp(_sparse_softmax_cross_entropy, _sparse_cross_entropy_vjp, None)
pb.defjvp(_sparse_softmax_cross_entropy, _sparse_cross_entropy_jvp, None)
pb.defbatch(_sparse_softmax_cross_entropy, _sparse_cross_entropy_batch)


def sigmoid_cross_entropy(logits, labels):
    """Binary cross-entropy of sigmoid(``logits``) against ``labels`` in [0, 1], averaged.

    Computed as ``softplus(logits) - logits * labels``, which neither overflows nor loses the
    gradient ``sigmoid(logits) - labels`` at ``logits = 0``.

    Raises:
        ValueError: the shapes broadcast to a shape larger than either.

    >>> round(float(sigmoid_cross_entropy(np.array([0.0]), np.array([1.0]))), 4)
    0.6931
    """
    _check_broadcast("sigmoid_cross_entropy", logits, labels, ("logits", "labels"))
    return pnp.mean(pnp.special.softplus(logits) - logits * labels)
