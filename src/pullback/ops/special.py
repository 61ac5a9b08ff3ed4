"""Special-function primitives (erf, gammaln, digamma, ...), using SciPy where it is better."""

from __future__ import annotations
