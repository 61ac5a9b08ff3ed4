"""Seed 004, "From scratch: reverse-mode automatic differentiation (in Python)", ported.

The seed builds a tiny reverse-mode framework (``Var``, ``Add``, ``Mul``, ``get_gradients``)
and uses it on three scalar programs. Here pullback plays the part of that framework: the
programs are ordinary Python functions, and ``pb.grad`` gives their partial derivatives.

Run it with ``python examples/seed004_from_scratch.py``.
"""

from __future__ import annotations

import pullback as pb
import pullback.numpy as pnp

# --- Q1: d = a * (a + b) ------------------------------------------------------------------


def c_of(a, b):
    """The seed's intermediate node ``c = a + b``."""
    return a + b


def d_of(a, b):
    """The seed's top node ``d = a * c`` with ``c = a + b``."""
    return a * c_of(a, b)


def first_example() -> dict:
    """``d = a * (a + b)`` at ``a = 4, b = 3``: d = 28, dd/da = 11, dd/db = 4, dd/dc = 4."""
    a, b = 4.0, 3.0
    c = c_of(a, b)
    d = d_of(a, b)
    grad_a, grad_b = pb.grad(d_of, argnums=(0, 1))(a, b)
    # NOTE: pullback differentiates functions, not nodes. The seed's gradients[c] is the
    # derivative of d with respect to the intermediate c, holding a fixed: d as a function
    # of c is ``lambda c: a * c``.
    grad_c = pb.grad(lambda c: a * c)(c)
    # The seed's local derivatives (its ``node.grad`` lists) are the gradients of one op.
    local_d = pb.grad(lambda a, c: a * c, argnums=(0, 1))(a, c)
    local_c = pb.grad(lambda a, b: a + b, argnums=(0, 1))(a, b)
    print(f"d.value = {d:g}")
    print(f"The partial derivative of d with respect to a = {grad_a:g}")
    print(f"gradients[b] = {grad_b:g}")
    print(f"gradients[c] = {grad_c:g}")
    print(f"dict(d.grad)[a] = {local_d[0]:g}")
    print(f"dict(d.grad)[c] = {local_d[1]:g}")
    print(f"dict(c.grad)[a] = {local_c[0]:g}")
    print(f"dict(c.grad)[b] = {local_c[1]:g}")
    return {
        "d": d,
        "grad_a": grad_a,
        "grad_b": grad_b,
        "grad_c": grad_c,
        "local_d": local_d,
        "local_c": local_c,
    }


# --- operators: (a / b - a) * (b / a + a + b) * (a - b) -----------------------------------


def f_ops(a, b):
    """The seed's second example, written with Python operators only."""
    return (a / b - a) * (b / a + a + b) * (a - b)


def forward_difference(f, args, i, delta=1e-8):
    """The seed's numerical estimate: ``(f(..., x_i + delta, ...) - f(...)) / delta``."""
    shifted = list(args)
    shifted[i] = shifted[i] + delta
    return (f(*shifted) - f(*args)) / delta


def operators_example() -> dict:
    """Gradient of ``f_ops`` at (230.3, 33.2), and the seed's forward-difference estimate."""
    a, b = 230.3, 33.2
    grad_a, grad_b = pb.grad(f_ops, argnums=(0, 1))(a, b)
    print("The partial derivative of y with respect to a =", grad_a)
    print("The partial derivative of y with respect to b =", grad_b)
    numeric_a = forward_difference(f_ops, (a, b), 0)
    numeric_b = forward_difference(f_ops, (a, b), 1)
    print("The numerical estimate for a =", numeric_a)
    print("The numerical estimate for b =", numeric_b)
    return {"grad": (grad_a, grad_b), "numeric": (numeric_a, numeric_b)}


# --- more functions: sin, exp, log ------------------------------------------------------


def f_sin_exp_log(a, b, c):
    """The seed's third example: ``log(f * f) * c`` with ``f = sin(a*b) + exp(c - a/b)``."""
    f = pnp.sin(a * b) + pnp.exp(c - (a / b))
    return pnp.log(f * f) * c


def functions_example() -> dict:
    """Gradient of ``f_sin_exp_log`` at (43, 3, 2), and its forward-difference estimate."""
    args = (43.0, 3.0, 2.0)
    grads = pb.grad(f_sin_exp_log, argnums=(0, 1, 2))(*args)
    for name, g in zip("abc", grads):
        print(f"The partial derivative of y with respect to {name} =", g)
    # Outside any transform pnp is plain NumPy, so the estimate runs the same function.
    numeric = tuple(float(forward_difference(f_sin_exp_log, args, i)) for i in range(3))
    for name, n in zip("abc", numeric):
        print(f"The numerical estimate for {name} =", n)
    return {"grad": grads, "numeric": numeric}


def main() -> dict:
    """Run the seed's three scalar programs; return their numbers by example."""
    return {
        "first": first_example(),
        "operators": operators_example(),
        "functions": functions_example(),
    }


if __name__ == "__main__":
    main()
