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
