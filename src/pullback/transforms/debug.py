"""``debug_nans``: the first NaN or Inf produced by any forward or backward op raises.

While the context is open, every primitive's implementation is swapped for one that checks its
outputs, reverse levels note the user's source line of each recorded op, and the backward pass
notes which node it is pulling back. On exit everything is put back, so the checks cost nothing
when they are off. The swap is process-wide: other threads are checked too while it is open.
"""

from __future__ import annotations

import contextlib
import threading
import weakref

import numpy as np

from .._core import primitive as _primitive
from .._core.errors import user_call_site
from . import reverse as _reverse

_lock = threading.RLock()
_depth = 0
_saved: dict = {}
_sites: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class _Current(threading.local):
    node = None


_current = _Current()


def _nonfinite(x) -> str | None:
    """``"NaN"`` or ``"Inf"`` if the float array ``x`` holds one, else ``None``."""
    if type(x) is float:
        x = np.float64(x)
    dtype = getattr(x, "dtype", None)
    if dtype is None or dtype.kind not in "fc":
        return None
    if np.isfinite(x).all():
        return None
    return "NaN" if np.isnan(x).any() else "Inf"


def _where() -> str:
    node = _current.node
    if node is None:
        return f"in the forward pass at {user_call_site()}"
    site = _sites.get(node, "an unknown line")
    return f"in the backward pass of '{node.prim.name}' (created at {site})"


def _checked(prim, impl):
    def checked_impl(*args, **params):
        ans = impl(*args, **params)
        for out in ans if prim.multiple_results else (ans,):
            kind = _nonfinite(out)
            if kind is not None:
                raise FloatingPointError(_message(prim, args, kind))
        return ans

    return checked_impl


def _message(prim, args, kind: str) -> str:
    for i, a in enumerate(args):
        bad = _nonfinite(a)
        if bad is not None:
            return f"{bad} in input {i} of '{prim.name}' {_where()}"
    return (
        f"{kind} produced by '{prim.name}' {_where()}. Check the inputs' range, or use a stable "
        f"formulation (pnp.special.logsumexp, softplus, a custom gradient)."
    )


def _process_noting_sites(original):
    def process(self, prim, args, params):
        out = original(self, prim, args, params)
        first = out[0] if isinstance(out, tuple) and out else out
        node = getattr(first, "_node", None)
        if node is not None:
            _sites[node] = user_call_site()
            if isinstance(node, _reverse.OutputNode):
                _sites[node.parents[0]] = _sites[node]
        return out

    return process


def _propagate_noting_node(original):
    def propagate(node, g, cts):
        outer = _current.node
        _current.node = node
        try:
            original(node, g, cts)
        finally:
            _current.node = outer

    return propagate


def _install() -> None:
    for prim in list(_primitive._instances):
        _saved[prim] = prim.impl, prim.scalar
        prim.impl = _checked(prim, prim.impl)
        prim.scalar = None  # floats take the checked NumPy implementation too
    _saved["process"] = _reverse.ReverseLevel.process
    _saved["propagate"] = _reverse._propagate
    _reverse.ReverseLevel.process = _process_noting_sites(_saved["process"])
    _reverse._propagate = _propagate_noting_node(_saved["propagate"])


def _uninstall() -> None:
    _reverse.ReverseLevel.process = _saved.pop("process")
    _reverse._propagate = _saved.pop("propagate")
    for prim, (impl, scalar) in _saved.items():
        prim.impl, prim.scalar = impl, scalar
    _saved.clear()


@contextlib.contextmanager
def debug_nans():
    """Raise ``FloatingPointError`` at the first NaN or Inf any op produces, naming the
    primitive, whether it ran forward or backward, and the user's line that created it.

    >>> import numpy as np, pullback as pb, pullback.numpy as pnp
    >>> with pb.debug_nans():
    ...     pb.grad(lambda x: 1.0 / pnp.exp(x))(np.float32(100.0))
    Traceback (most recent call last):
    FloatingPointError: Inf produced by 'exp' in the forward pass at <doctest ...>...
    """
    global _depth
    with _lock:
        if _depth == 0:
            _install()
        _depth += 1
    try:
        with np.errstate(all="ignore"):
            yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                _uninstall()
