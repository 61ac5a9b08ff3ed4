"""Seed 001 (an article on automatic differentiation with TensorFlow and Eigen), ported: Eigen's
forward mode, ``Eigen::AutoDiffScalar``.

An ``AutoDiffScalar`` carries a value and a vector of derivatives; the seed sets ``X.value() = 2``
and ``X.derivatives() = Unit(1, 0)`` and evaluates ``my_function`` (the sigmoid) to get
``sigma(2) = 0.8808`` and ``sigma'(2) = 0.10499``. In pullback that is ``pb.jvp(f, (2.0,),
(1.0,))``, or, in TensorFlow's spelling, a ``pb.ForwardAccumulator``.

The seed then rewrites the custom sine layer (``examples/seed001_custom_layer.py``) in C++ and
seeds one unit derivative per entry of ``X`` (3 x 3) and ``W`` (3 x 2): 15 directions carried
at once. ``pb.jvp`` carries one direction per pass, so the port makes one pass per entry, in
the seed's order (``X`` first, row by row, then ``W``), and unpacks the loss's 15 derivatives
into ``dY_dX`` and ``dY_dW`` as the seed's ``gradients`` function does. They equal the reverse
mode gradients of ``GradientTape``. Like the seed's C++ layer, this one has no bias.

The seed computes in float32 (``Eigen::VectorXf``), as does this port; ``W`` is drawn from
``np.random.default_rng`` in [-1, 1), like Eigen's ``setRandom``.

Run it with ``python examples/seed001_forward_mode.py``.
"""

from __future__ import annotations

import numpy as np

import pullback as pb
import pullback.numpy as pnp

X_IN = np.array([[-1.0, 0.0, 1.0], [2.0, 3.0, 4.0], [-1.0, -5.0, 2.0]], np.float32)


def my_function(x):
    """The sigmoid, written as the seed's template: ``1 / (1 + exp(-x))``."""
    return 1.0 / (1.0 + pnp.exp(-x))


def sigmoid_example() -> dict:
    """The sigmoid and its derivative at 2, with ``pb.jvp`` and a ``ForwardAccumulator``."""
    y, dy = pb.jvp(my_function, (2.0,), (1.0,))
    x = pb.tensor(2.0)
    with pb.ForwardAccumulator(x, pb.tensor(1.0)) as acc:
        y_acc = my_function(x)
    dy_acc = acc.jvp(y_acc)
    # Eigen's operator<< prints 6 significant digits.
    print(f"Y: {y:.6g}\n")
    print(f"derivatives:\n{dy:.6g}")
    return {"y": y, "dy": dy, "y_acc": float(y_acc), "dy_acc": float(dy_acc)}


def sin_activation(p):
    return pnp.sin(p)


def custom_layer(x, w, activation):
    """The seed's C++ ``CustomLayer``: ``activation(x @ w)``, the contraction over one axis."""
    return activation(pnp.matmul(x, w))


def layer_loss(x, w):
    """``LOSS = sum((Y * Y))`` for ``Y = CustomLayer(X, W, sin_activation)``."""
    y = custom_layer(x, w, sin_activation)
    return pnp.sum(y * y)


def unit_directions(x: np.ndarray, w: np.ndarray):
    """Yield one tangent pair ``(dx, dw)`` per entry, ``X`` first (Eigen's ``Unit(size, i)``)."""
    for shape, first in ((x.shape, True), (w.shape, False)):
        for index in np.ndindex(shape):
            unit = np.zeros(shape, np.float32)
            unit[index] = 1.0
            zeros = np.zeros(w.shape if first else x.shape, np.float32)
            yield (unit, zeros) if first else (zeros, unit)


def forward_gradients(x: np.ndarray, w: np.ndarray) -> tuple:
    """``(dLOSS/dX, dLOSS/dW)`` by forward mode: one ``pb.jvp`` per entry of ``X`` and ``W``."""
    derivatives = [pb.jvp(layer_loss, (x, w), tangents)[1] for tangents in unit_directions(x, w)]
    derivatives = np.array(derivatives, np.float32)
    return derivatives[: x.size].reshape(x.shape), derivatives[x.size :].reshape(w.shape)


def accumulator_gradient(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``dLOSS/dW`` with a ``ForwardAccumulator`` per entry of ``W`` (TensorFlow's spelling)."""
    kernel = pb.tensor(w)
    derivatives = []
    for index in np.ndindex(w.shape):
        unit = np.zeros(w.shape, np.float32)
        unit[index] = 1.0
        with pb.ForwardAccumulator(kernel, pb.tensor(unit)) as acc:
            loss = layer_loss(x, kernel)
        derivatives.append(acc.jvp(loss).numpy())
    return np.array(derivatives, np.float32).reshape(w.shape)


def reverse_gradients(x: np.ndarray, w: np.ndarray) -> tuple:
    """``(dLOSS/dX, dLOSS/dW)`` by reverse mode, with a ``GradientTape``."""
    inputs = pb.tensor(x)
    kernel = pb.Variable(w)
    with pb.GradientTape() as tape:
        tape.watch(inputs)
        loss = layer_loss(inputs, kernel)
    dx, dw = tape.gradient(loss, [inputs, kernel])
    return dx.numpy(), dw.numpy()


def custom_layer_example(seed: int = 0) -> dict:
    """The seed's C++ layer in forward mode: print ``W``, the gradients, output and loss."""
    w_in = np.random.default_rng(seed).uniform(-1.0, 1.0, (3, 2)).astype(np.float32)
    output = np.asarray(custom_layer(X_IN, w_in, sin_activation)) ** 2
    loss = layer_loss(X_IN, w_in)
    dy_dx, dy_dw = forward_gradients(X_IN, w_in)
    print("trainable_variables:\n", w_in, "\n")
    print("gradient:\n", dy_dw, "\n")
    print("output:\n", output, "\n")
    print("loss:\n", loss, "\n")
    print("gradient with respect to X:\n", dy_dx, "\n")
    return {
        "w": w_in,
        "output": output,
        "loss": loss,
        "forward": (dy_dx, dy_dw),
        "accumulator": accumulator_gradient(X_IN, w_in),
        "reverse": reverse_gradients(X_IN, w_in),
    }


def main() -> dict:
    """Run both examples; return their results."""
    return {"sigmoid": sigmoid_example(), "custom_layer": custom_layer_example()}


if __name__ == "__main__":
    main()
