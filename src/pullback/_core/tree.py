"""Pytrees: nested containers whose array leaves transforms differentiate.

Containers are tuple, list, dict (and its subclasses: OrderedDict, defaultdict, Counter),
namedtuple, ``None`` (no leaves), any dataclass, and types registered with ``register``.
Everything else is a leaf.

>>> leaves, treedef = flatten({"w": 1.0, "b": (2.0, 3.0)})
>>> leaves
[1.0, 2.0, 3.0]
>>> unflatten(treedef, [4.0, 5.0, 6.0])
{'w': 4.0, 'b': (5.0, 6.0)}
"""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from . import tensor as _tensor

_registry: dict[type, tuple[Callable, Callable]] = {}


class TreeDef(NamedTuple):
    """The structure of a pytree: a node type, its static data, and child structures.

    A leaf's ``kind`` is ``None``.
    """

    kind: Any
    aux: Any
    children: tuple

    @property
    def num_leaves(self) -> int:
        if self.kind is None:
            return 1
        return sum(c.num_leaves for c in self.children)

    def __repr__(self) -> str:
        if self.kind is None:
            return "*"
        name = getattr(self.kind, "__name__", str(self.kind))
        if isinstance(self.kind, type) and issubclass(self.kind, dict):
            keys = _dict_keys(self.kind, self.aux)
            items = ", ".join(f"{k!r}: {c!r}" for k, c in zip(keys, self.children))
            return f"{name}({{{items}}})"
        return f"{name}({', '.join(repr(c) for c in self.children)})"


_LEAF = TreeDef(None, None, ())


def register(
    cls: type, flatten_fn: Callable, unflatten_fn: Callable, memo: Callable | None = None
) -> None:
    """Register ``cls`` as a pytree node.

    Args:
        flatten_fn: ``obj -> (children, aux)``; ``aux`` is static and must support ``==``.
        unflatten_fn: ``(aux, children) -> obj``.
        memo: ``(obj, flatten_node, built=None) -> (leaves, treedef)``, where
            ``flatten_node(obj)`` flattens ``obj``'s subtree: lets the type hand back a
            flattening it remembers while it knows the subtree has not changed
            (``pb.nn.Module``). ``remember_built`` calls it with ``built=(leaves, treedef)``,
            those ``obj`` was just built from.
    """
    _registry[cls] = (flatten_fn, unflatten_fn)
    if memo is None:
        _memos.pop(cls, None)
    else:
        _memos[cls] = memo
    _flatteners.clear()
    _memo_of.clear()
    _leaf_types.clear()
    _builders.clear()


def _registered(cls: type):
    """The registered (flatten, unflatten) of ``cls`` or of its nearest registered base."""
    for klass in cls.__mro__:
        if klass in _registry:
            return _registry[klass]
    return None


# NOTE: how to take a node apart and build it again is settled once per type and cached:
# flattening runs on the arguments of every transform call, several times a training step.
_flatteners: dict[type, Callable | None] = {}
_memos: dict[type, Callable] = {}  # registered memos
_memo_of: dict[type, Callable] = {}  # the memo of each node type that has one
_leaf_types: set[type] = set()  # the types _flatteners maps to None
_builders: dict[type, Callable] = {}
_SCALARS = frozenset((float, int, complex, bool, str, bytes))


def _sequence_children(x):
    return x, None


def _dict_children(x):
    return x.values(), tuple(x)


def _no_children(x):
    return (), None


def _defaultdict_children(x):
    return x.values(), (x.default_factory, tuple(x))


def _dict_keys(kind: type, aux) -> tuple:
    """The keys in a dict node's aux data (a defaultdict's also holds its factory)."""
    return aux[1] if issubclass(kind, collections.defaultdict) else aux


def _new_dict(kind: type, aux, children) -> dict:
    """A ``kind`` (a dict subclass) holding ``children`` under the keys in ``aux``."""
    if issubclass(kind, collections.defaultdict):
        return kind(aux[0], zip(_dict_keys(kind, aux), children))
    out = kind()
    if issubclass(kind, collections.Counter):
        dict.update(out, zip(aux, children))  # Counter.update would add counts
    else:
        out.update(zip(aux, children))
    return out


def _flattener(cls: type):
    """``x -> (children, aux)`` for instances of ``cls``, or ``None`` if they are leaves."""
    if cls in _SCALARS or issubclass(cls, (_tensor.Tensor, np.ndarray, np.generic)):
        return None
    if cls is tuple or cls is list:
        return _sequence_children
    if cls is dict:
        return _dict_children
    if cls is type(None):
        return _no_children
    fns = _registered(cls)
    if fns is not None:
        return fns[0]
    if issubclass(cls, collections.defaultdict):
        return _defaultdict_children
    if issubclass(cls, dict):  # OrderedDict (a state dict), Counter, ...
        return _dict_children
    if issubclass(cls, tuple) and hasattr(cls, "_fields"):
        return _sequence_children
    if dataclasses.is_dataclass(cls):
        names = tuple(f.name for f in dataclasses.fields(cls))
        return lambda x: ([getattr(x, n) for n in names], names)
    return None


def _builder(kind: type):
    """``(aux, children) -> node`` for nodes of type ``kind``."""
    if kind is tuple:
        return lambda aux, children: tuple(children)
    if kind is list:
        return lambda aux, children: children
    if kind is dict:
        return lambda aux, children: dict(zip(aux, children))
    if kind is type(None):
        return lambda aux, children: None
    fns = _registered(kind)
    if fns is not None:
        return fns[1]
    if issubclass(kind, dict):
        return lambda aux, children: _new_dict(kind, aux, children)
    if issubclass(kind, tuple):
        return lambda aux, children: kind(*children)
    return lambda aux, children: _new_object(kind, aux, children)


def _new_object(kind: type, names, values):
    obj = kind.__new__(kind)
    for name, value in zip(names, values):
        object.__setattr__(obj, name, value)
    return obj


def flatten(tree, is_leaf: Callable | None = None) -> tuple[list, TreeDef]:
    """``(leaves, treedef)`` of ``tree``; ``is_leaf(x)`` may stop the descent early."""
    leaves: list = []
    return leaves, _flatten(tree, leaves, is_leaf)


_new_treedef = tuple.__new__


def _flatten(x, leaves: list, is_leaf) -> TreeDef:
    if is_leaf is not None and is_leaf(x):
        leaves.append(x)
        return _LEAF
    cls = type(x)
    try:
        children_of = _flatteners[cls]
    except KeyError:
        children_of = _flatteners[cls] = _flattener(cls)
        if children_of is None:
            _leaf_types.add(cls)
        memo = next((_memos[k] for k in cls.__mro__ if k in _memos), None)
        if memo is not None:
            _memo_of[cls] = memo
    if children_of is None:
        leaves.append(x)
        return _LEAF
    if is_leaf is None and cls in _memo_of:
        subtree, treedef = _memo_of[cls](x, _flatten_node)
        leaves.extend(subtree)
        return treedef
    return _node_def(x, cls, children_of, leaves, is_leaf)


def _flatten_node(x) -> tuple[list, TreeDef]:
    """``flatten(x)`` for a node ``x`` whose type has a memo, bypassing the memo."""
    leaves: list = []
    cls = type(x)
    return leaves, _node_def(x, cls, _flatteners[cls], leaves, None)


def _node_def(x, cls: type, children_of: Callable, leaves: list, is_leaf) -> TreeDef:
    children, aux = children_of(x)
    if is_leaf is not None:
        defs = [_flatten(c, leaves, is_leaf) for c in children]
        return _new_treedef(TreeDef, (cls, aux, tuple(defs)))
    # NOTE: children of a known leaf type are taken here, without a call per leaf: a model's
    # Variables, a list of gradients (bench/training.py, digits step).
    defs = []
    for c in children:
        if type(c) in _leaf_types:
            leaves.append(c)
            defs.append(_LEAF)
        else:
            defs.append(_flatten(c, leaves, None))
    return _new_treedef(TreeDef, (cls, aux, tuple(defs)))


def unflatten(treedef: TreeDef, leaves) -> Any:
    """The pytree of structure ``treedef`` holding ``leaves``."""
    it = iter(leaves)
    try:
        out = _unflatten(treedef, it)
    except StopIteration:
        raise ValueError("too few leaves for the tree structure") from None
    if next(it, _sentinel) is not _sentinel:
        raise ValueError(f"too many leaves for tree structure {treedef!r}")
    return out


_sentinel = object()


def _unflatten(treedef: TreeDef, it) -> Any:
    """The node of ``treedef`` from the leaves of ``it``; StopIteration if they run out."""
    kind, aux, defs = treedef
    if kind is None:
        return next(it)
    try:
        build = _builders[kind]
    except KeyError:
        build = _builders[kind] = _builder(kind)
    return build(aux, [next(it) if c is _LEAF else _unflatten(c, it) for c in defs])


def remember_built(tree, leaves: list, treedef: TreeDef) -> None:
    """Let ``tree``'s type, if it has a memo, remember that ``tree = unflatten(treedef,
    leaves)``, so that flattening it need not walk it (a gradient model, flattened by the
    optimiser next)."""
    memo = _memo_of.get(type(tree))
    if memo is not None:
        memo(tree, _flatten_node, (leaves, treedef))


def is_none(x) -> bool:
    """``is_leaf`` that keeps ``None`` in place as a leaf (a missing gradient or update)."""
    return x is None


def leaves(tree, is_leaf: Callable | None = None) -> list:
    """The leaves of ``tree`` in flattening order."""
    return flatten(tree, is_leaf)[0]


def structure(tree, is_leaf: Callable | None = None) -> TreeDef:
    """The ``TreeDef`` of ``tree``."""
    return flatten(tree, is_leaf)[1]


def map(f: Callable, tree, *rest, is_leaf: Callable | None = None):
    """Apply ``f`` to corresponding leaves of ``tree`` and ``rest`` (of the same structure).

    >>> map(lambda a, b: a + b, (1, [2]), (10, [20]))
    (11, [22])
    """
    leaves_, treedef = flatten(tree, is_leaf)
    others = [treedef_leaves(treedef, r, is_leaf) for r in rest]
    return unflatten(treedef, [f(*xs) for xs in zip(leaves_, *others)])


def treedef_leaves(treedef: TreeDef, tree, is_leaf=None) -> list:
    """The leaves of ``tree``, checking that its structure is ``treedef``; a dict whose keys
    come in another order gives its leaves in ``treedef``'s order (as in JAX, where the same
    keys are the same structure).

    >>> treedef_leaves(structure({"a": 1, "b": 2}), {"b": 20, "a": 10})
    [10, 20]
    """
    leaves_, other = flatten(tree, is_leaf)
    if other == treedef:
        return leaves_
    ordered: list = []
    if not _leaves_in_order(treedef, tree, ordered, is_leaf):
        raise ValueError(f"tree structure {other!r} does not match {treedef!r}")
    return ordered


def _leaves_in_order(treedef: TreeDef, x, out: list, is_leaf) -> bool:
    """Append ``x``'s leaves to ``out`` in ``treedef``'s order; False if ``x`` differs from
    ``treedef`` in more than the order of dict keys."""
    kind, aux, defs = treedef
    if kind is None:
        out.append(x)
        return is_leaf is not None and is_leaf(x) or flatten(x, is_leaf)[1] == _LEAF
    if type(x) is not kind or (is_leaf is not None and is_leaf(x)):
        return False
    if issubclass(kind, dict):
        keys = _dict_keys(kind, aux)
        if len(x) != len(keys) or any(k not in x for k in keys):
            return False
        children = [x[k] for k in keys]
    else:
        children, own = _flatteners[kind](x)
        children = list(children)
        if own != aux:
            return False
    return len(children) == len(defs) and all(
        _leaves_in_order(d, c, out, is_leaf) for d, c in zip(defs, children)
    )


# --- the structure version, for memos ------------------------------------------------------

_version = 0


def structure_changed() -> None:
    """Note a change that memos cannot see for themselves (an attribute of a ``pb.nn.Module``
    set, a Variable made trainable or not): every remembered flattening is stale."""
    global _version
    _version += 1


def structure_version() -> int:
    """A number that ``structure_changed`` increases."""
    return _version
