"""``pb.data``: the bundled digits, MNIST from IDX files, and mini-batching.

>>> import numpy as np, pullback as pb
>>> [len(xb) for xb, _ in pb.data.batches(np.zeros(5), np.zeros(5), 2, seed=0)]
[2, 2, 1]
"""

from __future__ import annotations

from .batching import batches as batches
from .digits import load_digits as load_digits
from .mnist import load_mnist as load_mnist
from .mnist import read_idx as read_idx
