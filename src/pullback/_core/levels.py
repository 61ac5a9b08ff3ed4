"""The thread-local stack of active transform levels: pullback's only mutable global state.

A level is one running transform (a reverse tape, a forward accumulator, a batching or a
tracing interpreter). Levels nest in the order they were opened, so a level's ``id`` (a global,
increasing counter) orders them: of the levels that own a primitive's arguments, the one with
the highest id interprets the primitive first.
"""

from __future__ import annotations

import gc
import itertools
import threading

_ids = itertools.count(1)


class _State(threading.local):
    def __init__(self) -> None:
        self.stack: list[Level] = []


_state = _State()

# NOTE: a transform keeps its graph alive only while it runs, and the graph has no cycles (tests
# check gc.collect() finds nothing), yet its thousands of nodes outlive the young generations
# and trigger full collections that scan the whole heap: with PyTorch and JAX imported (240k
# objects) that made the 1,000-op chain 1.5x slower (bench/overhead.py). So automatic collection
# pauses while any level records or a backward pass runs, and resumes as it was.
_collector_lock = threading.Lock()
_collector_holds = 0
_collector_was_enabled = False


def pause_collector() -> None:
    """Pause automatic garbage collection (counted; ``resume_collector`` undoes one call)."""
    global _collector_holds, _collector_was_enabled
    with _collector_lock:
        if _collector_holds == 0:
            _collector_was_enabled = gc.isenabled()
            gc.disable()
        _collector_holds += 1


def resume_collector() -> None:
    """Undo one ``pause_collector``; the last one restores the collector's previous state."""
    global _collector_holds
    with _collector_lock:
        _collector_holds -= 1
        if _collector_holds == 0 and _collector_was_enabled:
            gc.enable()


class Level:
    """Base class of the transform interpreters; a context manager that pushes itself.

    Subclasses implement ``process(prim, args, params)``: ``args`` are raw values or Tensors of
    live levels, and the level unwraps its own Tensors, binds the primitive one level down and
    wraps the answer.
    """

    __slots__ = ("id", "alive", "stack", "__weakref__")

    def __init__(self) -> None:
        self.id = next(_ids)
        self.alive = False
        self.stack: list[Level] | None = None

    def __enter__(self):
        pause_collector()
        self.alive = True
        self.stack = _state.stack
        self.stack.append(self)
        return self

    def __exit__(self, *exc_info) -> None:
        self.alive = False
        stack = self.stack
        # NOTE: levels close in LIFO order, except when a user exits tapes by hand out of order.
        if stack and stack[-1] is self:
            stack.pop()
        elif self in stack:
            stack.remove(self)
        resume_collector()

    def process(self, prim, args, params):
        raise NotImplementedError

    def read_variable(self, variable) -> None:
        """An op read ``variable`` (a ``pb.Variable``, not one of this level's Tensors) while
        this level was active: tapes watch it, traces note the value they captured."""

    def unwrap(self, args) -> tuple[list, list]:
        """``(values, own)``: each argument one level down, and the argument itself where
        this level tracks it (``None`` elsewhere), for reading the level's own field."""
        values = []
        own = []
        for a in args:
            if isinstance(a, Tensor) and a._level is self:
                values.append(a._primal)
                own.append(a)
            else:
                values.append(a)
                own.append(None)
        return values, own

    def __repr__(self) -> str:
        state = "live" if self.alive else "finished"
        return f"<{type(self).__name__} {self.id} {state}>"


def active_levels() -> list[Level]:
    """The levels open in this thread, innermost last."""
    return list(_state.stack)


# NOTE: at the bottom: tensor.py imports pullback.numpy, whose primitives import this module.
from .tensor import Tensor  # noqa: E402
