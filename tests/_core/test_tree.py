from collections import namedtuple
from dataclasses import dataclass

import numpy as np
import pytest

import pullback as pb
import pullback.numpy as pnp

Point = namedtuple("Point", "x y")


@dataclass
class Params:
    w: np.ndarray
    b: float
    name: str = "layer"


class Pair:
    def __init__(self, a, b):
        self.a, self.b = a, b


pb.tree.register(Pair, lambda p: ((p.a, p.b), None), lambda aux, ch: Pair(*ch))


def test_flatten_and_unflatten_round_trip_every_container():
    tree = {"t": (1.0, [2.0, None]), "p": Point(3.0, 4.0), "d": Params(np.ones(2), 5.0)}
    leaves, treedef = pb.tree.flatten(tree)
    assert len(leaves) == 7 and leaves[-1] == "layer"
    rebuilt = pb.tree.unflatten(treedef, leaves)
    assert rebuilt["p"] == Point(3.0, 4.0) and rebuilt["t"] == (1.0, [2.0, None])
    assert isinstance(rebuilt["d"], Params) and rebuilt["d"].b == 5.0


def test_map_over_two_trees():
    assert pb.tree.map(lambda a, b: a * b, [1.0, (2.0,)], [3.0, (4.0,)]) == [3.0, (8.0,)]


def test_map_rejects_mismatched_structures():
    with pytest.raises(ValueError, match="does not match"):
        pb.tree.map(lambda a, b: a, [1.0, 2.0], [1.0])


def test_gradient_of_a_dataclass_is_the_same_dataclass():
    def loss(p):
        return pnp.sum(p.w * p.w) * p.b

    g = pb.grad(loss)(Params(np.array([1.0, 2.0]), 3.0))
    assert isinstance(g, Params)
    assert np.array_equal(g.w, [6.0, 12.0]) and g.b == 5.0
    assert g.name is None  # static leaves get no gradient


def test_gradient_through_registered_type_and_dict():
    g = pb.grad(lambda t: t["pair"].a * t["pair"].b)({"pair": Pair(2.0, 5.0)})
    assert isinstance(g["pair"], Pair) and (g["pair"].a, g["pair"].b) == (5.0, 2.0)


def test_gradient_of_namedtuple_argument():
    g = pb.grad(lambda p: p.x * p.y)(Point(2.0, 3.0))
    assert g == Point(3.0, 2.0)


def test_dict_subclasses_are_containers_of_their_own_class():
    # an OrderedDict (PyTorch's state dicts) was a leaf: its gradient silently None
    import collections

    params = collections.OrderedDict(w=np.ones(2), b=np.full(2, 2.0))
    grads = pb.grad(lambda p: pnp.sum(p["w"] * p["b"]))(params)
    assert type(grads) is collections.OrderedDict and list(grads) == ["w", "b"]
    np.testing.assert_array_equal(grads["w"], [2.0, 2.0])
    counts = pb.grad(lambda c: c["a"] * c["b"])(collections.Counter(a=1.0, b=2.0))
    assert type(counts) is collections.Counter and counts == {"a": 2.0, "b": 1.0}
    table = collections.defaultdict(list, w=np.ones(2))
    again = pb.tree.map(lambda x: x * 3, table)
    assert type(again) is collections.defaultdict and again.default_factory is list
    np.testing.assert_array_equal(again["w"], [3.0, 3.0])


def test_the_same_dict_keys_in_another_order_are_the_same_structure():
    # as in JAX: leaves are paired by key, and the result has the first tree's order
    assert pb.tree.map(lambda a, b: a - b, {"a": 1, "b": [2]}, {"b": [20], "a": 10}) == {
        "a": -9,
        "b": [-18],
    }
    _, back = pb.vjp(lambda x: {"a": x * 2.0, "b": x * 3.0}, 1.0)
    assert back({"b": 1.0, "a": 0.0}) == (3.0,)
    with pytest.raises(
        ValueError, match=r"dict\(\{'a': \*, 'c': \*\}\) does not match dict\(\{'a'"
    ):
        pb.tree.map(lambda a, b: a, {"a": 1, "b": 2}, {"a": 1, "c": 2})
