"""MNIST from IDX files the user has (``train-images-idx3-ubyte[.gz]`` and friends).

The IDX format (http://yann.lecun.com/exdb/mnist/): two zero bytes, a type byte, a byte giving
the number of dimensions, each dimension as a big-endian uint32, then the data, big-endian.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

_TYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}


def parse_idx(data: bytes, name: str = "<bytes>") -> np.ndarray:
    """The array stored in the IDX bytes ``data``; ``name`` is used in error messages.

    Raises:
        ValueError: a bad magic number, an unknown type, or a size that does not match.

    >>> parse_idx(bytes([0, 0, 8, 1, 0, 0, 0, 2, 7, 9]))
    array([7, 9], dtype=uint8)
    """
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError(f"{name} is not an IDX file: it must start with two zero bytes")
    if data[2] not in _TYPES:
        raise ValueError(f"{name}: unknown IDX data type 0x{data[2]:02x}")
    dtype, ndim = _TYPES[data[2]], data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{name}: truncated IDX header ({len(data)} bytes for {ndim} dims)")
    shape = tuple(int(n) for n in np.frombuffer(data, ">u4", count=ndim, offset=4))
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        raise ValueError(
            f"{name}: IDX header says shape {shape} of {dtype} ({expected} bytes in all), but "
            f"the file has {len(data)} bytes"
        )
    return np.frombuffer(data, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """The array in the IDX file ``path``, gzip-compressed (``.gz``) or raw.

    Raises:
        FileNotFoundError: no such file.
        ValueError: a malformed file.
    """
    path = Path(path)
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return parse_idx(raw, str(path))


def _find(directory: Path, stem: str) -> Path:
    """The file for ``stem`` in ``directory``: raw or ``.gz``, ``-idx`` or ``.idx`` spelling."""
    for name in (stem, stem.replace("-idx", ".idx")):
        for candidate in (directory / name, directory / (name + ".gz")):
            if candidate.is_file():
                return candidate
    raise FileNotFoundError(
        f"no MNIST file {stem}[.gz] in {directory}; download the four IDX files of MNIST into "
        f"that directory"
    )


def _images(array: np.ndarray, path: Path) -> np.ndarray:
    if array.ndim != 3 or array.dtype != np.uint8:
        raise ValueError(
            f"{path}: expected uint8 images of shape (n, rows, cols), got {array.dtype} "
            f"of shape {array.shape}"
        )
    return (array.astype(np.float32) / 255.0)[..., None]


def _labels(array: np.ndarray, path: Path, count: int) -> np.ndarray:
    if array.ndim != 1 or array.shape[0] != count:
        raise ValueError(
            f"{path}: expected {count} labels (one per image) of shape ({count},), got shape "
            f"{array.shape}"
        )
    return array.astype(np.int64)


def load_mnist(path: str | os.PathLike):
    """``((x_train, y_train), (x_test, y_test))`` from the four MNIST IDX files in ``path``.

    Images are float32 in ``[0, 1]`` of shape ``(n, 28, 28, 1)`` (NHWC); labels are int64.
    Files may be gzip-compressed (``.gz``) or raw.

    Raises:
        FileNotFoundError: a missing file.
        ValueError: a malformed file, or image and label counts that differ.

    >>> (x_train, y_train), (x_test, y_test) = load_mnist("~/data/mnist")  # doctest: +SKIP
    """
    directory = Path(path).expanduser()
    found = {key: _find(directory, stem) for key, stem in _FILES.items()}
    x_train = _images(read_idx(found["x_train"]), found["x_train"])
    x_test = _images(read_idx(found["x_test"]), found["x_test"])
    y_train = _labels(read_idx(found["y_train"]), found["y_train"], len(x_train))
    y_test = _labels(read_idx(found["y_test"]), found["y_test"], len(x_test))
    return (x_train, y_train), (x_test, y_test)
