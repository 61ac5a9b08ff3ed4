"""pullback: differentiable programming for NumPy code.

>>> import pullback as pb, pullback.numpy as pnp
>>> pb.grad(lambda x: pnp.sin(x) * x)(0.0)
0.0
"""

from __future__ import annotations

from . import numpy as numpy
from . import plot as plot
from . import tree as tree
from ._core.errors import MissingRuleError as MissingRuleError
from ._core.primitive import Primitive as Primitive
from ._core.primitive import defbatch as defbatch
from ._core.primitive import defjvp as defjvp
from ._core.primitive import defvjp as defvjp
from ._core.primitive import primitive as primitive
from ._core.tensor import Tensor as Tensor
from ._core.tensor import tensor as tensor
from .check import check_grads as check_grads
from .graph.io import FormatError as FormatError
from .graph.io import load as load
from .graph.io import save as save
from .graph.ir import Graph as Graph
from .graph.jit import jit as jit
from .graph.trace import trace as trace
from .numpy import special as special
from .tape import ForwardAccumulator as ForwardAccumulator
from .tape import GradientTape as GradientTape
from .tape import Variable as Variable
from .transforms.batching import vmap as vmap
from .transforms.checkpoint import checkpoint as checkpoint
from .transforms.checkpoint import checkpoint_sequential as checkpoint_sequential
from .transforms.checkpoint import recompute_in_gradient as recompute_in_gradient
from .transforms.custom import custom_gradient as custom_gradient
from .transforms.custom import custom_jvp as custom_jvp
from .transforms.custom import custom_vjp as custom_vjp
from .transforms.custom import differentiable_function as differentiable_function
from .transforms.custom import stop_gradient as stop_gradient
from .transforms.custom import with_derivative as with_derivative
from .transforms.custom import without_derivative as without_derivative
from .transforms.debug import debug_nans as debug_nans
from .transforms.forward import jvp as jvp
from .transforms.jacobians import batch_jacobian as batch_jacobian
from .transforms.jacobians import hessian as hessian
from .transforms.jacobians import hvp as hvp
from .transforms.jacobians import jacfwd as jacfwd
from .transforms.jacobians import jacobian as jacobian
from .transforms.jacobians import jacrev as jacrev
from .transforms.reverse import grad as grad
from .transforms.reverse import pullback as pullback
from .transforms.reverse import value_and_grad as value_and_grad
from .transforms.reverse import vjp as vjp

constant = tensor

__version__ = "0.1.0"

# The libraries built on the public API come last: they use the names above.
from . import data as data  # noqa: E402
from . import nn as nn  # noqa: E402
from . import optim as optim  # noqa: E402
