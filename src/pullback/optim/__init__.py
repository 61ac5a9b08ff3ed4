"""``pb.optim``: optimisers as pure functions over pytrees, stateful shells, and schedules.

>>> import numpy as np, pullback as pb
>>> opt = pb.optim.sgd(0.1)
>>> params = {"w": np.array([1.0])}
>>> updates, state = opt.update({"w": np.array([2.0])}, opt.init(params))
>>> pb.optim.apply_updates(params, updates)
{'w': array([0.8])}
"""

from __future__ import annotations

from .schedules import constant as constant
from .schedules import cosine_decay as cosine_decay
from .schedules import exponential_decay as exponential_decay
from .stateful import SGD as SGD
from .stateful import Adam as Adam
from .stateful import AdamW as AdamW
from .stateful import Optimizer as Optimizer
from .transforms import AdamState as AdamState
from .transforms import GradientTransformation as GradientTransformation
from .transforms import SGDState as SGDState
from .transforms import adam as adam
from .transforms import adamw as adamw
from .transforms import apply_updates as apply_updates
from .transforms import sgd as sgd
