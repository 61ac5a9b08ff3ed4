"""Seed 000 (Swift for TensorFlow, "Custom differentiation"), ported: a C function's derivative.

The seed imports ``pow`` from Glibc, wraps it in ``sillyExp`` and declares its derivative with
``@derivative(of: sillyExp)``. In pullback an opaque function (here a ctypes call into the C
math library) becomes a new primitive with ``pb.primitive``, and ``pb.defvjp`` attaches its
derivative. The rule is written with pullback ops, so higher derivatives work too.

The seed computes in Swift's ``Float``, so this port computes in float32 and prints the same
digits (NumPy's float32 ``str`` is the shortest round-tripping form, like Swift's).

Run it with ``python examples/seed000_custom_derivatives.py``.
"""

from __future__ import annotations

import ctypes
import ctypes.util

import numpy as np

import pullback as pb

# NOTE: Swift's Glibc overlay resolves ``pow(Float, Float)`` to C's ``powf``.
libm = ctypes.CDLL(ctypes.util.find_library("m"))
libm.powf.restype = ctypes.c_float
libm.powf.argtypes = [ctypes.c_float, ctypes.c_float]

E = np.float32(np.e)  # Swift's Float(M_E)


def _silly_exp(x):
    """``e ** x`` through the C library, announcing itself like the seed's ``sillyExp``."""
    print(f"Taking 𝑒({E!s}) to the power of {np.float32(x)!s}!")
    return np.float32(libm.powf(E, float(x)))


silly_exp = pb.primitive(_silly_exp, name="silly_exp")
# The seed's ``sillyDerivative``: the pullback is ``v * y``, with ``y`` the value computed once.
pb.defvjp(silly_exp, lambda g, ans, x: g * ans)


def main() -> dict:
    """Print ``exp(3)`` and its gradient as the seed does; return both (float32)."""
    x = np.float32(3.0)
    value = silly_exp(x)
    print("exp(3) =", value)
    gradient = pb.grad(silly_exp)(x)
    print("𝛁exp(3) =", gradient)
    return {"value": value, "gradient": gradient}


if __name__ == "__main__":
    main()
