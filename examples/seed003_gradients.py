"""Seed 003 (fastai's Swift notebook "02_fully_connected"), ported: gradients and pullbacks.

Swift for TensorFlow's ``gradient(at:in:)``, ``valueWithGradient(at:in:)`` and
``pullback(at:in:)`` are ``pb.grad``, ``pb.value_and_grad`` and ``pb.pullback`` (or ``pb.vjp``,
which returns the value too). The notebook's hand-written "Value With Chain" (VWC) functions are
exactly what ``pb.vjp`` builds for any function.

Run it with ``python examples/seed003_gradients.py``.
"""

from __future__ import annotations

import inspect

import numpy as np

import pullback as pb
import pullback.numpy as pnp

EXAMPLE_DATA = np.array([1.0, 2.0, 3.0, 4.0])


def trace() -> None:
    """Print the calling function's name (the notebook's ``trace()``, Swift's ``#function``)."""
    print(inspect.stack()[1].function)


# --- gradient { x in x*x } and doThing ----------------------------------------------------


def square_gradients() -> list[float]:
    """``gradient { (x: Double) in x*x }`` for x in ``stride(from: 0.0, to: 1, by: 0.1)``."""
    grad_f = pb.grad(lambda x: x * x)
    # Swift's floating-point stride computes start + i * step, not a running sum.
    grads = [grad_f(i * 0.1) for i in range(10)]
    for g in grads:
        print(g)
    return grads


def do_thing(x):
    """The notebook's ``doThing``: ``sin(x*x) + cos(x*x)``."""
    return pnp.sin(x * x) + pnp.cos(x * x)


def do_thing_gradient() -> float:
    """``gradient(at: 3.14, in: doThing)``; analytically ``2x cos(x^2) - 2x sin(x^2)``."""
    g = pb.grad(do_thing)(3.14)
    print(g)
    return g


# --- mseInner = mean(square(x)), by hand ---------------------------------------------------


def square(x):
    trace()
    return x * x


def grad_square(x):
    trace()
    return 2 * x


def mean(x):
    trace()
    return x.mean()


def grad_mean(x):
    trace()
    return np.ones(x.shape) / x.shape[0]


def mse_inner(x):
    return mean(square(x))


def grad_mse_inner(x):
    """The chain rule written out: ``square`` is computed a second time."""
    return grad_mean(square(x)) * grad_square(x)


def mse_inner_and_grad(x):
    return mse_inner(x), grad_mse_inner(x)


# --- the Value-With-Chain (VWC) form --------------------------------------------------------


def square_chain(x, ddx):
    """The chainer (pullback) of ``square`` at ``x``."""
    trace()
    return ddx * 2 * x


def mean_chain(x, ddx):
    """The chainer (pullback) of ``mean`` at ``x``."""
    trace()
    return ddx * np.ones(x.shape) / x.shape[0]


def square_vwc(x):
    trace()
    return x * x, lambda ddx: square_chain(x, ddx)


def mean_vwc(x):
    trace()
    return x.mean(), lambda ddx: mean_chain(x, ddx)


def mse_inner_vwc(x):
    """``mean(square(x))`` and its chain: the pullbacks are called in reverse order."""
    square_value, square_back = square_vwc(x)
    mean_value, mean_back = mean_vwc(square_value)
    return mean_value, lambda v: square_back(mean_back(v))


# --- the same with pullback ----------------------------------------------------------------


def mse_inner_for_ad(x):
    """``x.squared().mean()``: pullback builds its VWC; ``trace`` shows when Python runs."""
    trace()
    return pnp.mean(x * x)


def mse_inner_examples() -> dict:
    """The manual gradient, the VWC form, and pullback's ``vjp``/``pullback``/``value_and_grad``."""
    result1, grad1 = mse_inner_and_grad(EXAMPLE_DATA)
    print()
    print("result:", result1)
    print("gradient:", grad1.tolist())
    builtin_grad = pb.grad(lambda x: pnp.mean(x * x))(EXAMPLE_DATA)

    print("Calling the forward function:")
    value2, chain2 = mse_inner_vwc(EXAMPLE_DATA)
    print()
    print("Calling the backward function:")
    grad2 = chain2(1.0)
    print()
    print(grad2.tolist())

    print("Calling pb.vjp (the forward pass runs once):")
    value3, back = pb.vjp(mse_inner_for_ad, EXAMPLE_DATA)
    print("Calling its pullback (no Python code of the function runs again):")
    (grad3,) = back(np.array(1.0))
    print(grad3.tolist())
    # pb.pullback is Swift's pullback(at:in:): the chainer alone, without the value.
    (grad3b,) = pb.pullback(mse_inner_for_ad, EXAMPLE_DATA)(np.array(1.0))
    print(grad3b.tolist())

    value4, grad4 = pb.value_and_grad(mse_inner_for_ad)(EXAMPLE_DATA)
    print(f"value: {float(value4)}, grad: {grad4.tolist()}")
    grad5 = pb.grad(lambda x: (x * x).mean())(EXAMPLE_DATA)
    print(grad5.tolist())
    return {
        "manual": (result1, grad1),
        "builtin_grad": builtin_grad,
        "vwc": (value2, grad2),
        "vjp": (value3, grad3),
        "pullback": grad3b,
        "value_and_grad": (value4, grad4),
        "grad": grad5,
    }


def main() -> dict:
    """Run the notebook's plain-gradient examples; return their numbers by example."""
    return {
        "square": square_gradients(),
        "do_thing": do_thing_gradient(),
        "mse_inner": mse_inner_examples(),
    }


if __name__ == "__main__":
    main()
