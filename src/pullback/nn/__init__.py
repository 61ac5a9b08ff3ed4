"""``pb.nn``: modules, layers, activations, losses and initialisers on pullback's public API.

>>> import numpy as np, pullback as pb
>>> model = pb.nn.Sequential(pb.nn.Dense(4, 8, activation=pb.nn.relu), pb.nn.Dense(8, 3))
>>> loss = lambda m, x, y: pb.nn.softmax_cross_entropy(m(x), y)
>>> grads = pb.grad(loss)(model, np.ones((2, 4), np.float32), np.array([0, 2]))
>>> type(grads).__name__
'Sequential'
"""

from __future__ import annotations

from . import functional as functional
from . import initializers as initializers
from .activations import elu as elu
from .activations import gelu as gelu
from .activations import log_softmax as log_softmax
from .activations import relu as relu
from .activations import relu6 as relu6
from .activations import sigmoid as sigmoid
from .activations import softmax as softmax
from .activations import softplus as softplus
from .activations import tanh as tanh
from .conv import AvgPool2D as AvgPool2D
from .conv import Conv2D as Conv2D
from .conv import MaxPool2D as MaxPool2D
from .conv import avg_pool2d as avg_pool2d
from .conv import conv2d as conv2d
from .conv import max_pool2d as max_pool2d
from .functional import dropout as dropout
from .initializers import glorot_uniform as glorot_uniform
from .initializers import he_normal as he_normal
from .initializers import ones as ones
from .initializers import zeros as zeros
from .layers import BatchNorm as BatchNorm
from .layers import Dense as Dense
from .layers import Dropout as Dropout
from .layers import Embedding as Embedding
from .layers import Flatten as Flatten
from .layers import LayerNorm as LayerNorm
from .layers import Sequential as Sequential
from .losses import mse as mse
from .losses import sigmoid_cross_entropy as sigmoid_cross_entropy
from .losses import softmax_cross_entropy as softmax_cross_entropy
from .module import Checkpointed as Checkpointed
from .module import Module as Module
