"""MNIST IDX files: round trip on small generated files, malformed files rejected."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

import pullback as pb
import pullback.data


def _idx(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def _write_mnist(directory, n_train=5, n_test=3, compress=False):
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28)),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28)),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test),
    }
    for name, array in arrays.items():
        data = _idx(array)
        if compress:
            (directory / (name + ".gz")).write_bytes(gzip.compress(data))
        else:
            (directory / name).write_bytes(data)
    return arrays


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
def test_load_mnist_reads_generated_idx_files(tmp_path, compress):
    arrays = _write_mnist(tmp_path, compress=compress)
    (x_train, y_train), (x_test, y_test) = pb.data.load_mnist(tmp_path)
    assert x_train.shape == (5, 28, 28, 1) and x_test.shape == (3, 28, 28, 1)
    assert x_train.dtype == np.float32
    np.testing.assert_allclose(x_train[..., 0] * 255, arrays["train-images-idx3-ubyte"], rtol=1e-6)
    np.testing.assert_array_equal(y_test, arrays["t10k-labels-idx1-ubyte"])


def test_load_mnist_rejects_label_count_mismatch(tmp_path):
    _write_mnist(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(_idx(np.zeros(2)))
    with pytest.raises(ValueError, match="expected 3 labels"):
        pb.data.load_mnist(tmp_path)


def test_load_mnist_missing_file_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte"):
        pb.data.load_mnist(tmp_path)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"\x01\x00\x08\x01", "two zero bytes"),
        (b"\x00\x00\x07\x01\x00\x00\x00\x01\x00", "unknown IDX data type"),
        (b"\x00\x00\x08\x02\x00\x00", "truncated"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x03\x01\x02", "header says shape"),
    ],
    ids=["magic", "type", "truncated", "size"],
)
def test_malformed_idx_raises_value_error(tmp_path, data, message):
    path = tmp_path / "bad-idx1-ubyte"
    path.write_bytes(data)
    with pytest.raises(ValueError, match=message):
        pb.data.read_idx(path)


def test_read_idx_big_endian_int32(tmp_path):
    header = bytes([0, 0, 0x0C, 1]) + struct.pack(">I", 2)
    path = tmp_path / "ints"
    path.write_bytes(header + np.array([1, -7], ">i4").tobytes())
    np.testing.assert_array_equal(pb.data.read_idx(path), [1, -7])
