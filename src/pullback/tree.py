"""``pb.tree``: flatten, unflatten and map over pytrees.

>>> import pullback as pb
>>> pb.tree.map(lambda x: 2 * x, {"a": 1.0, "b": [2.0]})
{'a': 2.0, 'b': [4.0]}
"""

from __future__ import annotations

from ._core.tree import TreeDef as TreeDef
from ._core.tree import flatten as flatten
from ._core.tree import leaves as leaves
from ._core.tree import map as map
from ._core.tree import register as register
from ._core.tree import structure as structure
from ._core.tree import unflatten as unflatten
