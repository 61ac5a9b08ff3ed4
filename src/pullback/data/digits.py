"""The 1,797 8x8 handwritten digits that scikit-learn ships (UCI optdigits test set)."""

from __future__ import annotations

import numpy as np

TRAIN_SIZE = 1437
SPLIT_SEED = 0


def load_digits() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``((x_train, y_train), (x_test, y_test))``: scikit-learn's digits as NHWC images.

    Images are float32 in ``[0, 1]`` (pixel counts 0..16 divided by 16) of shape
    ``(n, 8, 8, 1)``; labels are int64 in ``0..9``. The split is fixed: the 1,797 samples are
    shuffled by ``np.random.default_rng(0).permutation``, the first 1,437 are the training set
    and the last 360 the test set.

    Raises:
        ImportError: scikit-learn is not installed (``pip install pullback[nn]``).

    >>> (x_train, y_train), (x_test, y_test) = load_digits()  # doctest: +SKIP
    >>> x_train.shape, x_test.shape  # doctest: +SKIP
    ((1437, 8, 8, 1), (360, 8, 8, 1))
    """
    try:
        from sklearn.datasets import load_digits as _sklearn_digits
    except ImportError as error:
        raise ImportError(
            "pb.data.load_digits needs scikit-learn, which ships the digits data: "
            "pip install pullback[nn]"
        ) from error
    bunch = _sklearn_digits()
    images = (bunch.images / 16.0).astype(np.float32)[..., None]
    labels = bunch.target.astype(np.int64)
    order = np.random.default_rng(SPLIT_SEED).permutation(len(labels))
    train, test = order[:TRAIN_SIZE], order[TRAIN_SIZE:]
    return (images[train], labels[train]), (images[test], labels[test])
