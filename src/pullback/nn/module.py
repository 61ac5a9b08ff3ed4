"""``Module``: the base class of layers and models, a pytree of its parameters.

A Module's pytree children are its attributes that hold differentiable state: trainable
Variables, float arrays, sub-modules, and lists/tuples/dicts of them, in the insertion order
of ``__dict__``. Every other attribute is static and travels in the tree's aux data: ints,
strings, activation functions, the ``training`` flag, and non-trainable Variables (running
statistics, frozen weights). Static attributes are shared by reference between a model and the
copies transforms build of it, as Swift's ``@noDerivative`` stored properties are, so a
BatchNorm updates the same running mean whether it is called directly or inside ``pb.grad``.
"""

from __future__ import annotations

import functools
import operator
import threading
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

import pullback as pb

from .._core.levels import _state
from .._core.tree import structure_changed, structure_version
from . import initializers

# --- pytree registration -------------------------------------------------------------------


def _never(value) -> bool:
    return False


def _always(value) -> bool:
    return True


def _is_trainable_float(value) -> bool:
    return value.trainable and value.dtype.kind == "f"


def _is_float(value) -> bool:
    return value.dtype.kind == "f"


def _is_child(value) -> bool:
    """Whether an attribute value belongs in the pytree children rather than the aux data."""
    test = _dynamic_tests.get(type(value)) or _dynamic_test(type(value))
    return test is _always or (test is not _never and test(value))


def _any_dynamic_item(items) -> bool:
    return any(map(_is_child, items))


def _any_dynamic_value(value) -> bool:
    return _any_dynamic_item(value.values())


# NOTE: which attribute values are pytree children is settled by one lookup of the value's type
# (a test per type, cached): flattening a model runs it on every attribute of every module,
# several times a training step (bench/training.py, digits step).
_dynamic_tests: dict[type, Callable[[Any], bool]] = {}


def _dynamic_test(kind: type) -> Callable[[Any], bool]:
    try:
        return _dynamic_tests[kind]
    except KeyError:
        test = _dynamic_tests[kind] = _dynamic_test_for(kind)
        return test


def _dynamic_test_for(kind: type) -> Callable[[Any], bool]:
    if issubclass(kind, Module):
        return _always
    if issubclass(kind, pb.Variable):
        return _is_trainable_float
    if issubclass(kind, (pb.Tensor, np.ndarray)):
        return _is_float
    if issubclass(kind, (list, tuple)):
        return _any_dynamic_item
    if issubclass(kind, dict):
        return _any_dynamic_value
    return _never


def _same_static(a, b) -> bool:
    """Static values are equal if identical, equal, or arrays of the same shape and dtype."""
    if a is b:
        return True
    if isinstance(a, (pb.Tensor, np.ndarray)) or isinstance(b, (pb.Tensor, np.ndarray)):
        return type(a) is type(b) and a.shape == b.shape and a.dtype == b.dtype
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


class _Static(tuple):
    """The static attributes of one Module, ``(names, values, template, unbuilt)``, comparable
    as pytree aux data must be (by names and values). A tuple, so that flattening builds it
    without a call. ``template`` is every attribute in order, the children's set to None:
    rebuilding the module copies it and fills the children in. ``unbuilt``: the module builds
    its weights on its first call, which has not happened."""

    __slots__ = ()
    names = property(operator.itemgetter(0))
    values = property(operator.itemgetter(1))
    template = property(operator.itemgetter(2))

    def __eq__(self, other) -> bool:
        if not isinstance(other, _Static) or self[0] != other[0]:
            return False
        # NOTE: a model and its gradient share their static values, so identity settles it
        return all(map(operator.is_, self[1], other[1])) or all(
            map(_same_static, self[1], other[1])
        )

    def __ne__(self, other) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(self[0])


_new_static = tuple.__new__
_new_object = object.__new__


def _flatten_module(module: Module):
    names, children, static_names, static_values, template = [], [], [], [], {}
    tests = _dynamic_tests
    containers = _remembering.containers
    for name, value in vars(module).items():
        test = tests.get(type(value)) or _dynamic_test(type(value))
        if containers is not None and (test is _any_dynamic_item or test is _any_dynamic_value):
            _containers_in(value, containers, modules=False)
        if test is _always or (test is not _never and test(value)):
            names.append(name)
            children.append(value)
            template[name] = None
        else:
            static_names.append(name)
            static_values.append(value)
            template[name] = value
    unbuilt = type(module)._lazy and not template.get("built", False)
    static = _new_static(_Static, (tuple(static_names), tuple(static_values), template, unbuilt))
    return children, (type(module), tuple(names), static)


def _unflatten_module(aux, children) -> Module:
    cls, names, static = aux
    module = _new_object(cls)
    attributes = module.__dict__
    attributes.update(static[2])
    attributes.update(zip(names, children))
    if static[3]:
        _unbuilt_copies.add(module)
    return module


# NOTE: a copy of a module that builds its weights on its first call, made before that call:
# building it inside a transform (pb.grad(loss)(model) of a model never called) would give
# the copy weights that the model itself never gets.
_unbuilt_copies: weakref.WeakSet = weakref.WeakSet()


# NOTE: a model's flattening is remembered while nothing can have changed it: flattening runs
# several times a training step and at every call of a jitted function of the model
# (bench/training.py: the digits model 7.4 us, the conv model 19 us). What can change it:
# an attribute set or deleted (Module.__setattr__), a Variable's trainable flag (its setter),
# both counted by the tree's structure version; and lists and dicts among the attributes,
# mutated in place, whose items are compared by identity with those remembered.
class _Remembering(threading.local):
    containers: list | None = None  # the lists and dicts met while a model is flattened


_remembering = _Remembering()
_flattenings: dict[int, tuple] = {}


def _remembered_flattening(module: Module, flatten_node, built=None):
    """The pytree memo of Modules (``pb.tree.register``): the flattening remembered for
    ``module`` if it still holds, else a new one, remembered. With ``built``, the flattening
    ``module`` was just built from, which it remembers if a walk would give it back."""
    if built is not None:
        return _remember_built(module, *built)
    if _remembering.containers is not None:
        return flatten_node(module)  # a sub-module: part of the outer module's flattening
    version = structure_version()
    entry = _flattenings.get(id(module))
    if (
        entry is not None
        and entry[1] == version
        and entry[0]() is module
        and all(map(_same_items, entry[4], entry[5]))
    ):
        return entry[2], entry[3]
    _remembering.containers = containers = []
    try:
        leaves, treedef = flatten_node(module)
    finally:
        _remembering.containers = None
    _remember(module, leaves, treedef, containers, version)
    return leaves, treedef


def _remember(module: Module, leaves, treedef, containers: list, version: int) -> None:
    key = id(module)
    try:
        ref = weakref.ref(module, lambda _, key=key: _flattenings.pop(key, None))
    except TypeError:  # a subclass with __slots__ and no __weakref__: nothing remembered
        return
    items = tuple(map(_items, containers))
    _flattenings[key] = (ref, version, tuple(leaves), treedef, tuple(containers), items)


def _remember_built(module: Module, leaves: list, treedef):
    """Remember that ``module`` flattens to ``(leaves, treedef)``, the flattening it was built
    from, if every leaf is one a walk would take as a child (a float array or Tensor, a
    Module): then the walk would give exactly that flattening back."""
    if not all(map(_is_child, leaves)):
        return leaves, treedef  # None, an int: a walk would make it static
    containers: list = []
    _containers_of(module, containers)
    _remember(module, leaves, treedef, containers, structure_version())
    return leaves, treedef


def _containers_of(module: Module, out: list) -> None:
    """The lists and dicts among ``module``'s attributes and its sub-modules', nested ones."""
    _containers_among(module.__dict__.values(), out, True)


def _containers_in(value, out: list, modules: bool) -> None:
    """The lists and dicts in ``value`` (a list, tuple or dict), nested ones too; with
    ``modules``, also those of the Modules in it (a flattening meets those by itself)."""
    if not isinstance(value, tuple):
        out.append(value)
    _containers_among(value.values() if isinstance(value, dict) else value, out, modules)


def _containers_among(values, out: list, modules: bool) -> None:
    # NOTE: each value's kind is its type's cached pytree test (a Module's is _always, a list's
    # or tuple's _any_dynamic_item, a dict's _any_dynamic_value), not isinstance tests: this
    # walk runs on every gradient model pb.grad builds (bench/training.py, conv step).
    tests = _dynamic_tests
    for value in values:
        test = tests.get(type(value)) or _dynamic_test(type(value))
        if test is _always:
            if modules:
                _containers_of(value, out)
        elif test is _any_dynamic_item or test is _any_dynamic_value:
            _containers_in(value, out, modules)


def _items(container) -> tuple:
    if isinstance(container, dict):
        return (*container, *container.values())
    return tuple(container)


def _same_items(container, items: tuple) -> bool:
    now = _items(container)
    return len(now) == len(items) and all(map(operator.is_, now, items))


# --- Module --------------------------------------------------------------------------------


class Module:
    """Base class of layers and models: a pytree of its parameters.

    Subclass it, assign parameters (``pb.Variable``s, e.g. from ``add_weight``) and sub-modules
    (or lists/dicts of them) as attributes in ``__init__``, and define ``__call__``. A class
    that also defines ``build(input_shape)`` gets it called on its first ``__call__`` (Keras'
    lazy custom layers); that first call must not be on the copy a transform makes of it
    (``TypeError``: call it once before ``pb.grad(loss)(layer)``).
    ``pb.grad(loss)(model, x, y)`` returns an instance of the model's class whose Variables
    are replaced by their gradients. Set attributes normally: a model's flattening is
    remembered until one is set or deleted (or a list or dict attribute, or a Variable's
    ``trainable`` flag, changes); a write through ``__dict__`` is not seen.

    >>> import numpy as np, pullback as pb, pullback.numpy as pnp
    >>> class Scale(pb.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.w = pb.Variable(np.array([2.0]))
    ...     def __call__(self, x):
    ...         return x * self.w
    >>> g = pb.grad(lambda m, x: pnp.sum(m(x)))(Scale(), np.array([3.0]))
    >>> type(g).__name__, g.w.numpy()
    ('Scale', array([3.]))
    """

    def __init__(self) -> None:
        self.training = True

    def __setattr__(self, name: str, value) -> None:
        object.__setattr__(self, name, value)
        structure_changed()

    def __delattr__(self, name: str) -> None:
        object.__delattr__(self, name)
        structure_changed()

    _lazy = False  # builds its weights on its first call (defines build)

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if "build" in cls.__dict__ and "__call__" in cls.__dict__:
            cls.__call__ = _building(cls.__dict__["__call__"])
            cls._lazy = True

    def __call__(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define __call__")

    # --- parameters ---

    def add_weight(
        self,
        name: str,
        shape,
        initializer: str | Callable = "glorot_uniform",
        trainable: bool = True,
        dtype=np.float32,
        seed=None,
    ) -> pb.Variable:
        """Create a Variable initialised by ``initializer``, set it as attribute ``name``.

        Args:
            initializer: a name (``"glorot_uniform"``, ``"he_normal"``, ``"zeros"``,
                ``"ones"``) or a function ``(shape, rng, dtype) -> array``.
            seed: an int or ``np.random.Generator``; ``None`` draws from ``np.random``.

        >>> import pullback as pb
        >>> m = pb.nn.Module()
        >>> m.add_weight("b", (3,), "zeros").shape
        (3,)
        """
        init = initializers.get(initializer)
        value = init(tuple(shape), seed, dtype)
        variable = pb.Variable(value, trainable=trainable, name=name)
        setattr(self, name, variable)
        return variable

    @property
    def variables(self) -> list[pb.Variable]:
        """Every Variable of the module and its sub-modules, trainable or not, in stable order;
        a Variable shared by two layers (tied weights) once, as PyTorch's ``parameters()``."""
        return list({id(v): v for _, v in self.named_variables()}.values())

    @property
    def trainable_variables(self) -> list[pb.Variable]:
        """The trainable Variables, in stable order (the order of the pytree leaves).

        >>> import pullback as pb
        >>> [v.name for v in pb.nn.Dense(2, 3).trainable_variables]
        ['kernel', 'bias']
        """
        return [v for v in self.variables if v.trainable]

    def parameters(self) -> list[pb.Variable]:
        """The trainable Variables (PyTorch's spelling of ``trainable_variables``).

        >>> import pullback as pb
        >>> len(pb.nn.Dense(2, 3).parameters())
        2
        """
        return self.trainable_variables

    def named_variables(self, prefix: str = "") -> Iterator[tuple[str, pb.Variable]]:
        """``(dotted name, Variable)`` pairs: ``"layers.0.kernel"``, in stable order."""
        for name, value in vars(self).items():
            yield from _named(value, prefix + name)

    def modules(self) -> Iterator[Module]:
        """This module and every sub-module, depth first."""
        yield self
        for value in vars(self).values():
            for child in _children(value):
                yield from child.modules()

    # --- modes ---

    def train(self, mode: bool = True) -> Module:
        """Set the ``training`` flag of this module and every sub-module; returns ``self``."""
        for module in self.modules():
            module.training = mode
        return self

    def eval(self) -> Module:
        """Inference mode (Dropout off, BatchNorm uses running statistics); returns ``self``."""
        return self.train(False)

    # --- differentiation helpers ---

    def applied_for_backpropagation(self, x) -> tuple[Any, Callable]:
        """``(y, backprop)`` with ``backprop(dy) -> (dmodel, dx)`` (Swift's name).

        >>> import numpy as np, pullback as pb
        >>> layer = pb.nn.Dense(2, 1, dtype=np.float64)
        >>> y, backprop = layer.applied_for_backpropagation(np.ones((4, 2)))
        >>> dlayer, dx = backprop(np.ones((4, 1)))
        >>> type(dlayer).__name__, dx.shape
        ('Dense', (4, 2))
        """
        y, back = pb.vjp(_apply, self, x)
        return y, back

    def discarding_activations(self) -> Checkpointed:
        """This module wrapped so that its activations are recomputed in the backward pass.

        >>> import numpy as np, pullback as pb
        >>> pb.nn.Dense(2, 2).discarding_activations()(np.ones((1, 2))).shape
        (1, 2)
        """
        return Checkpointed(self)

    # --- weights on disk ---

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of every Variable's value, keyed by dotted name.

        >>> import pullback as pb
        >>> sorted(pb.nn.Dense(2, 3).state_dict())
        ['bias', 'kernel']
        """
        return {name: np.array(v.numpy()) for name, v in self.named_variables()}

    def load_state_dict(self, state: dict) -> None:
        """Assign the values of ``state`` (from ``state_dict``) to this module's Variables.

        Raises:
            KeyError: a Variable missing from ``state``, or a key ``state`` has in excess.
            ValueError: a value of the wrong shape.
        """
        named = dict(self.named_variables())
        missing = sorted(set(named) - set(state))
        unexpected = sorted(set(state) - set(named))
        if missing or unexpected:
            raise KeyError(
                f"load_state_dict into {type(self).__name__}: missing keys {missing}, "
                f"unexpected keys {unexpected}"
            )
        for name, variable in named.items():
            variable.assign(state[name])

    def save_weights(self, path) -> None:
        """Write ``state_dict()`` to ``path`` as an ``.npz`` file (no pickle)."""
        np.savez(path, **self.state_dict())

    def load_weights(self, path) -> None:
        """Load weights written by ``save_weights`` (never unpickles)."""
        with np.load(path, allow_pickle=False) as data:
            self.load_state_dict({name: data[name] for name in data.files})

    def __repr__(self) -> str:
        parts = [f"{name}={_describe(value)}" for name, value in vars(self).items()]
        return f"{type(self).__name__}({', '.join(parts)})"


pb.tree.register(Module, _flatten_module, _unflatten_module, _remembered_flattening)


def _describe(value) -> str:
    """A short description of an attribute: shapes for arrays, repr for the rest."""
    if isinstance(value, (pb.Tensor, np.ndarray)):
        return f"{type(value).__name__}{tuple(value.shape)}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_describe(v) for v in value) + "]"
    return getattr(value, "__name__", None) or repr(value)


def _apply(module, x):
    return module(x)


def _building(call):
    """Wrap a ``__call__`` so that it first runs ``build(input_shape)`` once."""

    @functools.wraps(call)
    def wrapped(self, x, *args, **kwargs):
        if not getattr(self, "built", False):
            if self in _unbuilt_copies and _state.stack:
                raise _built_on_a_copy(self)
            self.build(tuple(x.shape) if hasattr(x, "shape") else np.shape(x))
            self.built = True
        return call(self, x, *args, **kwargs)

    return wrapped


def _built_on_a_copy(module: Module) -> TypeError:
    name = type(module).__name__
    return TypeError(
        f"{name} builds its weights on its first call, and that call is on the copy of it "
        f"that a transform (pb.grad, pb.jit, pb.vmap, ...) differentiates or traces, so {name} "
        f"itself would never get them and each call would start from new random weights. "
        f"Call it once on an example input (model(x)) before transforming it, or give it its "
        f"weights in __init__."
    )


def _named(value, name: str) -> Iterator[tuple[str, pb.Variable]]:
    if isinstance(value, pb.Variable):
        yield name, value
    elif isinstance(value, Module):
        yield from value.named_variables(name + ".")
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _named(item, f"{name}.{i}")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _named(item, f"{name}.{key}")


def _children(value) -> Iterator[Module]:
    if isinstance(value, Module):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _children(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _children(item)


class Checkpointed(Module):
    """A module whose activations are recomputed in the backward pass (``pb.checkpoint``).

    Gradients equal the wrapped module's; the forward pass runs again during backpropagation.
    Build it with ``layer.discarding_activations()``.
    """

    def __init__(self, module: Module) -> None:
        super().__init__()
        self.module = module

    def __call__(self, x):
        return pb.checkpoint(_apply)(self.module, x)
