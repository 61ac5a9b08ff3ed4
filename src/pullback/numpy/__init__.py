"""``pullback.numpy`` (``pnp``): NumPy's names, differentiable.

On plain NumPy inputs outside any transform these return plain NumPy results; on Tensors they
return Tensors. This package only maps names onto the primitives of ``pullback.ops``.

>>> import pullback.numpy as pnp
>>> float(pnp.sum(pnp.sin([0.0, 0.0])))
0.0
"""

from __future__ import annotations

from . import _indexing as _indexing
from . import _protocols as _protocols
from . import linalg as linalg
from . import special as special
from ._creation import *  # noqa: F403
from ._creation import __all__ as _creation_all
from ._elementwise import *  # noqa: F403
from ._elementwise import __all__ as _elementwise_all
from ._products import *  # noqa: F403
from ._products import __all__ as _products_all
from ._reduce import *  # noqa: F403
from ._reduce import __all__ as _reduce_all
from ._shape import *  # noqa: F403
from ._shape import __all__ as _shape_all

__all__ = [*_creation_all, *_elementwise_all, *_products_all, *_reduce_all, *_shape_all]
