"""Functional forms of the layers with no parameters of their own: dropout and normalisation."""

from __future__ import annotations

import numpy as np

import pullback as pb
import pullback.numpy as pnp

from .._core.levels import _state


def dropout(x, rate: float, key=None):
    """Zero each element with probability ``rate`` and scale the rest by ``1 / (1 - rate)``.

    Args:
        x: array of any shape.
        rate: drop probability in ``[0, 1)``.
        key: an ``np.random.Generator`` or int seed; ``None`` draws from ``np.random``'s
            global state (which ``pb.checkpoint`` restores, so recomputed masks match).

    Under ``pb.jit`` the mask is drawn anew at every call, as in eager mode; under ``pb.vmap``
    each example gets its own mask.

    Raises:
        ValueError: ``rate`` outside ``[0, 1)``.

    >>> dropout(np.ones(4), 0.5, key=0)
    array([2., 0., 0., 0.])
    """
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"dropout rate must be in [0, 1), got {rate}")
    if rate == 0.0:
        return x
    keep = _keep_mask(x, rate=rate, key=key, draw=_draw(key) if _tracing() else None)
    return pnp.where(keep, x / (1.0 - rate), 0)


def _keep_mask_impl(x, *, rate: float, key, draw):
    """A boolean array of ``x``'s shape, each entry False with probability ``rate``."""
    del draw  # which draw this is, for jit (see _draw)
    shape = np.shape(x)
    if key is None:
        return np.random.random_sample(shape) >= rate
    rng = key if isinstance(key, np.random.Generator) else np.random.default_rng(key)
    return rng.random(shape) >= rate


def _tracing() -> bool:
    return any(getattr(level, "records_graph", False) for level in _state.stack)


def _draw(key) -> int | None:
    """While a trace records: which draw of NumPy's random state (or of ``key``'s) the mask is,
    as a number. ``pb.checkpoint`` restores the state to recompute its function, so the
    recomputation's draw has the number of the forward pass's, and ``jit`` gives both one mask
    (``Primitive.random``); two dropouts in a row have two numbers and two masks. An int
    seed draws the same mask every time: no number is needed."""
    if key is None:
        state = np.random.get_state(legacy=False)
        return hash((state["state"]["key"].tobytes(), state["state"]["pos"], state["has_gauss"]))
    if isinstance(key, np.random.Generator):
        return hash(repr(key.bit_generator.state))
    return None


# NOTE: the mask is drawn by an op of x, not by NumPy beside it: a trace then records the draw
# instead of keeping one mask as a constant (pb.jit replayed the same mask at every step).
_keep_mask = pb.primitive(
    _keep_mask_impl, name="dropout_keep_mask", differentiable=False, random=True
)
pb.defbatch(_keep_mask, lambda args, dims, **params: (_keep_mask(args[0], **params), dims[0]))


def normalize(x, axes: tuple, epsilon: float):
    """``(x - mean) / sqrt(var + epsilon)`` with moments over ``axes``; also the moments.

    >>> y, mean, var = normalize(np.array([[1.0, 3.0]]), (1,), 0.0)
    >>> y
    array([[-1.,  1.]])
    """
    mean = pnp.mean(x, axis=axes, keepdims=True)
    var = pnp.mean((x - mean) ** 2, axis=axes, keepdims=True)
    return (x - mean) / pnp.sqrt(var + epsilon), mean, var


def layer_norm(x, scale, offset, axis: int = -1, epsilon: float = 1e-3):
    """Layer normalisation over ``axis``, then ``* scale + offset`` (Ba et al. 2016).

    >>> layer_norm(np.array([[1.0, 3.0]]), np.ones(2), np.zeros(2), epsilon=0.0)
    array([[-1.,  1.]])
    """
    y, _, _ = normalize(x, (axis,), epsilon)
    return y * scale + offset


# --- indices: labels and ids, checked against what they index ----------------------------


_UNSIGNED = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


def as_indices(ids: np.ndarray) -> np.ndarray:
    """Boolean ``ids`` as the indices 0 and 1 (NumPy would take them as a mask)."""
    return ids.view(np.uint8) if ids.dtype.kind == "b" else ids


def check_indices(ids: np.ndarray, bound: int, message: str) -> None:
    """Raise ``ValueError(message)`` unless every one of ``ids`` is in ``[0, bound)``: NumPy
    would take a negative one as counted from the end, a silently wrong result. ``message``
    may use ``{last}``, ``{bound}``, ``{low}`` and ``{high}``.

    NOTE: one maximum over the ids seen as unsigned ints, where negative ones are huge: half
    the cost of a minimum and a maximum (the digits step's 32 labels: 3.6 us)."""
    unsigned = ids.view(_UNSIGNED[ids.dtype.itemsize]) if ids.dtype.kind == "i" else ids
    if ids.size and np.maximum.reduce(unsigned, axis=None) >= bound:
        raise ValueError(message.format(last=bound - 1, bound=bound, low=ids.min(), high=ids.max()))


def _checked_indices_impl(ids, *, bound: int, message: str):
    """``ids`` as indices (booleans as 0 and 1), checked to be in ``[0, bound)``."""
    ids = as_indices(np.asarray(ids))
    check_indices(ids.reshape(-1), bound, message)
    return ids


# NOTE: a traced formula reads its indices through this op, not directly: pb.jit replays it
# with each call's indices (labels and ids change every batch), as eager code checks them.
checked_indices = pb.primitive(_checked_indices_impl, name="checked_indices", differentiable=False)
pb.defbatch(
    checked_indices, lambda args, dims, **params: (checked_indices(args[0], **params), dims[0])
)


def embedding_lookup(table, ids):
    """Rows ``table[ids]``: shape ``ids.shape + (dim,)``; the gradient scatter-adds into rows.

    >>> embedding_lookup(np.eye(3), np.array([2, 0]))
    array([[0., 0., 1.],
           [1., 0., 0.]])
    """
    if pnp.asarray(ids).dtype.kind not in "iu":
        raise TypeError(f"embedding ids must be integers, got dtype {pnp.asarray(ids).dtype}")
    ids = checked_indices(ids, bound=pnp.shape(table)[0], message=_IDS)
    if isinstance(ids, pb.Tensor):
        # NOTE: a gather with the ids as an operand, so pb.jit and pb.vmap see them change.
        flat = pnp.reshape(ids, (-1, 1))
        rows = pnp.take_along_axis(table, flat, axis=0)
        return pnp.reshape(rows, tuple(ids.shape) + tuple(table.shape[1:]))
    return pnp.take(table, np.asarray(ids), axis=0)


_IDS = "embedding ids must be rows 0..{last} of a table of {bound}, got ids from {low} to {high}"
