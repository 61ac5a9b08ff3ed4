"""``checkpoint``: the same function, but its intermediates are recomputed in the backward pass.

One special primitive: its ``fwd`` runs ``f`` on values this level does not track (so nothing
of ``f`` is recorded here) and keeps only the inputs and NumPy's global random state; its
``bwd`` restores that state, re-runs ``f`` under a fresh reverse level and pulls back.
"""

from __future__ import annotations

import functools

import numpy as np

from .._core.errors import describe_function
from .._core.primitive import Primitive
from .._core.tensor import dtype_of, shape_of
from .custom import _impl, call_special
from .reverse import vjp


def _checkpoint_fwd(*arrays, spec):
    state = np.random.get_state()
    outs = _impl(*arrays, spec=spec)
    avals = [(shape_of(x), dtype_of(x)) for x in outs]
    return outs, (arrays, state, avals)


def _checkpoint_bwd(residuals, g, needed, spec):
    arrays, state, avals = residuals
    wanted = [i for i, n in enumerate(needed) if n]

    def recompute(*xs):
        # NOTE: only the needed inputs are differentiated: the recomputation never builds the
        # cotangents of constants (e.g. frozen weights), which would cost memory and time.
        full = list(arrays)
        for i, x in zip(wanted, xs):
            full[i] = x
        return _impl(*full, spec=spec)

    current = np.random.get_state()
    np.random.set_state(state)
    try:
        outs, back = vjp(recompute, *[arrays[i] for i in wanted])
    finally:
        np.random.set_state(current)
    _check_recomputation(spec, avals, outs)
    cts = [None] * len(arrays)
    for i, ct in zip(wanted, back(tuple(g))):
        cts[i] = ct
    return tuple(cts)


def _check_recomputation(spec, avals, outs) -> None:
    again = [(shape_of(x), dtype_of(x)) for x in outs]
    if again != avals:
        f = spec.rebuild(spec.arrays())[0]
        raise ValueError(
            f"checkpoint({describe_function(f)}): recomputation in the backward pass "
            f"produced {again}, but the forward pass produced {avals}; a checkpointed function "
            f"must be pure (same shapes and dtypes for the same inputs)"
        )


checkpoint_p = Primitive(_impl, "checkpoint", multiple_results=True)
checkpoint_p.fwd = _checkpoint_fwd
checkpoint_p.bwd = _checkpoint_bwd
checkpoint_p.inline_jvp = True
checkpoint_p.rule_description = "checkpoint"


def checkpoint(f):
    """``f`` whose intermediates are recomputed during the backward pass instead of stored.

    Gradients equal those of ``f`` (to any order); NumPy's global random state is restored for
    the recomputation, so dropout masks drawn with ``np.random`` match. ``f`` may be a pytree
    with a ``__call__`` (a ``pb.nn.Module``): its parameters are then inputs of the checkpoint.
    Values ``f`` reaches through a closure while they are being differentiated raise
    ``TypeError``: pass them as arguments.

    >>> import pullback as pb, pullback.numpy as pnp
    >>> block = pb.checkpoint(lambda x: pnp.sin(pnp.sin(x)))
    >>> pb.grad(block)(0.0)
    1.0
    """

    @functools.wraps(f)
    def checkpointed(*args, **kwargs):
        if kwargs:  # inputs too: their arrays are differentiated, other values static
            return call_special(checkpoint_p, _apply_with_keywords, (f, args, kwargs))
        return call_special(checkpoint_p, _apply, (f, *args))

    return checkpointed


def _apply(f, *args):
    return f(*args)


def _apply_with_keywords(f, args, kwargs):
    return f(*args, **kwargs)


def checkpoint_sequential(layers, segments: int):
    """Apply ``layers`` in order, checkpointing ``segments`` equal runs of them.

    With ``segments ~ sqrt(len(layers))`` the backward pass keeps O(sqrt(n)) activations and
    recomputes each run once (Chen et al. 2016, "Training deep nets with sublinear memory").

    >>> import pullback as pb, pullback.numpy as pnp
    >>> run = pb.checkpoint_sequential([pnp.sin] * 4, segments=2)
    >>> plain = lambda x: pnp.sin(pnp.sin(pnp.sin(pnp.sin(x))))
    >>> abs(pb.grad(run)(0.5) - pb.grad(plain)(0.5)) < 1e-15
    True
    """
    layers = list(layers)
    if not 1 <= segments <= max(len(layers), 1):
        raise ValueError(f"segments must be between 1 and {len(layers)}, got {segments}")
    size = -(-len(layers) // segments)
    runs = [layers[i : i + size] for i in range(0, len(layers), size)]

    def run(x):
        for chunk in runs:
            x = checkpoint(_sequence)(chunk, x)
        return x

    return run


def _sequence(chunk, x):
    for layer in chunk:
        x = layer(x)
    return x


recompute_in_gradient = checkpoint
