import sys

import numpy as np
import pytest

import pullback as pb


def test_as_patches_pads_each_batch_block():
    j = np.zeros((3, 2, 3, 4))
    j[np.arange(3), :, np.arange(3), :] = 1.0  # independent examples: diagonal blocks
    image = pb.plot.as_patches(j)
    assert image.shape == (2 * (3 + 2), 4 * (3 + 2))
    block = image[1:4, 1:4]  # the first (out, in) pair, inside its padding
    np.testing.assert_array_equal(block, np.eye(3))
    assert image[0, 0] == -1.0  # padding is -max|j|


def test_as_patches_wants_four_axes():
    with pytest.raises(ValueError, match=r"\(batch, out, batch, in\).*\(2, 2\)"):
        pb.plot.as_patches(np.zeros((2, 2)))


def test_imshow_zero_center_is_symmetric_about_zero():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    shown = pb.plot.imshow_zero_center(np.array([[1.0, -2.0], [-2.0, 4.0]]), ax=ax)
    assert shown.get_clim() == (-4.0, 4.0)
    assert shown.get_cmap().name == "seismic"
    plt.close(fig)
    with pytest.raises(ValueError, match=r"2-d.*\(2, 2, 2\)"):
        pb.plot.imshow_zero_center(np.zeros((2, 2, 2)))


def test_without_matplotlib_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install 'pullback\[plot\]'"):
        pb.plot.imshow_zero_center(np.eye(2))
