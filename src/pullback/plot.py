"""Heatmaps of Jacobians and Hessians, as seed 002 draws them (``pip install pullback[plot]``).

matplotlib is imported when a function is called, not when pullback is: without the ``plot``
extra everything else works, and these functions raise an ``ImportError`` that says what to
install.
"""

from __future__ import annotations

import numpy as np


def imshow_zero_center(image, ax=None, **kwargs):
    """Show the 2-d ``image`` with a diverging colormap centred on zero (blue negative, white
    zero, red positive) and a colorbar: the seed's way of looking at a Hessian or a Jacobian.

    ``ax``: the matplotlib ``Axes`` to draw in (default: the current one); ``kwargs`` go to
    ``imshow`` (``cmap`` replaces ``"seismic"``). Returns the ``AxesImage``.

    >>> import numpy as np, pullback as pb
    >>> shown = pb.plot.imshow_zero_center(np.array([[1.0, -2.0], [-2.0, 4.0]]))  # doctest: +SKIP
    >>> shown.get_clim()  # doctest: +SKIP
    (-4.0, 4.0)
    """
    plt = _pyplot("imshow_zero_center")
    image = np.asarray(image)
    if image.ndim != 2:
        raise ValueError(
            f"imshow_zero_center: image must be 2-d, got shape {image.shape}; reshape a "
            "Jacobian (*out, *in) to (out size, in size) first"
        )
    ax = plt.gca() if ax is None else ax
    lim = float(np.max(np.abs(image))) if image.size else 1.0
    kwargs.setdefault("cmap", "seismic")
    shown = ax.imshow(image, vmin=-lim, vmax=lim, **kwargs)
    ax.figure.colorbar(shown, ax=ax)
    return shown


def as_patches(jacobian) -> np.ndarray:
    """The ``(batch, out, batch, in)`` Jacobian as one image of ``(batch, batch)`` patches, one
    per ``(out, in)`` pair, padded apart: the seed's ``plot_as_patches``. For independent
    examples every patch is diagonal, which is what ``batch_jacobian`` relies on.

    >>> as_patches(np.ones((2, 1, 2, 1))).shape
    (4, 4)
    """
    j = np.asarray(jacobian)
    if j.ndim != 4:
        raise ValueError(f"as_patches: expected a (batch, out, batch, in) array, got {j.shape}")
    j = np.transpose(j, [1, 0, 3, 2])
    lim = np.max(np.abs(j)) if j.size else 0.0
    j = np.pad(j, [[0, 0], [1, 1], [0, 0], [1, 1]], constant_values=-lim)
    s = j.shape
    return j.reshape(s[0] * s[1], s[2] * s[3])


def _pyplot(caller: str):
    try:
        import matplotlib.pyplot as plt
    except ImportError as err:
        raise ImportError(
            f"pb.plot.{caller} needs matplotlib: pip install 'pullback[plot]'"
        ) from err
    return plt
