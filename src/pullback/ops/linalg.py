"""Linear algebra: inverse, solve, determinants and decompositions (cholesky, qr, eigh, svd, ...).

Every decomposition works on stacks ``(..., m, n)``. Rules are written with pullback's own ops
(``matmul``, ``solve``, ``einsum``, ``where`` ...), so each is itself differentiable. References:
M. Giles, "An extended collection of matrix derivative results for forward and reverse mode
algorithmic differentiation" (2008); I. Murray, "Differentiation of the Cholesky decomposition"
(2016); M. Seeger et al., "Auto-differentiating linear algebra" (2017); J. Townsend,
"Differentiating the singular value decomposition" (2016); H.-J. Liao et al., "Differentiable
programming tensor networks" (2019, QR); G. Golub and V. Pereyra (1973, pseudo-inverse).
Products (matmul, einsum, ...) and diagonals are in ``products.py``.
"""

from __future__ import annotations

import numpy as np

from .._core.primitive import defbatch, defjvp, defvjp, primitive
from .._core.tensor import dtype_of, shape_of
from ._batch import move_axis, move_to_front
from .elementwise import (
    absolute,
    add,
    astype,
    divide,
    greater,
    multiply,
    negative,
    power,
    sqrt,
    subtract,
    where,
)
from .products import _col, _padded_stacks, _row, diagonal, matmul, mT, tril
from .reduce import max as _max
from .reduce import min as _min
from .reduce import sum as _sum
from .shape import reshape, transpose

# --- helpers -----------------------------------------------------------------------------


def _sym(x):
    """The symmetric part ``(x + x^T) / 2`` of a stack of square matrices."""
    return multiply(0.5, add(x, mT(x)))


def _scalar_as_matrix(v):
    """``(...)`` as ``(..., 1, 1)``, to scale a stack of matrices."""
    return reshape(v, shape_of(v) + (1, 1))


def _diag_of(x):
    """The main diagonals ``(..., k)`` of a stack ``(..., k, k)``."""
    n = len(shape_of(x))
    return diagonal(x, offset=0, axis1=n - 2, axis2=n - 1)


def _diag_matrix(v):
    """A stack of diagonal matrices ``(..., k, k)`` from ``v`` of shape ``(..., k)``."""
    k = shape_of(v)[-1]
    return multiply(_row(v), np.eye(k, dtype=dtype_of(v)))


def _trace_of_product(x, y):
    """``trace(x @ y)`` for stacks of square matrices."""
    n = len(shape_of(x))
    return _sum(multiply(mT(x), y), axis=(n - 2, n - 1), keepdims=False)


def _inverse_gaps(w):
    """``F[i, j] = 1 / (w[j] - w[i])`` off the diagonal, 0 on it, for ``w`` of shape ``(..., k)``.

    NOTE: the double where keeps the diagonal's 1/0 out of both passes; distinct ``w`` assumed.
    """
    k = shape_of(w)[-1]
    eye = np.eye(k, dtype=bool)
    gaps = subtract(_row(w), _col(w))
    return where(eye, 0.0, divide(1.0, where(eye, 1.0, gaps)))


def _solve_right(b, a):
    """``b @ inv(a)`` as a solve: ``(inv(a^T) b^T)^T``."""
    return mT(solve(mT(a), mT(b)))


# --- batching helpers ----------------------------------------------------------------------


def _stack_batch(prim):
    """The batching rule of an op on stacks of matrices ``(..., m, n)``: the batch axis goes
    first and joins the stack (also where ``pinv``'s ``rcond`` broadcasts against it)."""

    def rule(args, dims, **params):
        (x,), (d,) = args, dims
        out = prim(move_to_front(x, d), **params)
        return out, ((0,) * len(out) if prim.multiple_results else 0)

    return rule


# --- matrix power ------------------------------------------------------------------------


def matrix_power(x, n: int):
    """``x`` multiplied by itself ``n`` times (``inv(x)`` for negative ``n``), by squaring."""
    if n == 0:
        eye = np.eye(shape_of(x)[-1], dtype=dtype_of(x))
        return where(np.zeros(shape_of(x), bool), x, eye)
    if n < 0:
        x, n = inv(x), -n
    result = None
    while n:
        if n & 1:
            result = x if result is None else matmul(result, x)
        n >>= 1
        if n:
            x = matmul(x, x)
    return result


# --- inverse, solve, determinants --------------------------------------------------------


@primitive
def inv(x):
    """Inverse of each matrix in a stack ``(..., n, n)``."""
    return np.linalg.inv(x)


# NOTE: d(A^-1) = -A^-1 dA A^-1 (Giles 2008, sec. 2.2.3).
defvjp(inv, lambda g, ans, x: negative(matmul(mT(ans), matmul(g, mT(ans)))))
defjvp(inv, lambda t, ans, x: negative(matmul(ans, matmul(t, ans))))
defbatch(inv, _stack_batch(inv))


def _solve_vjp_a(g, ans, a, b):
    return negative(matmul(solve(mT(a), g), mT(ans)))


@primitive
def solve(a, b):
    """``inv(a) @ b`` for ``a`` of shape ``(..., n, n)`` and ``b`` of shape ``(..., n, k)``."""
    return np.linalg.solve(a, b)


# NOTE: x = A^-1 B gives dx = A^-1 (dB - dA x) (Giles 2008, sec. 2.3.1).
defvjp(solve, _solve_vjp_a, lambda g, ans, a, b: solve(mT(a), g))
defjvp(
    solve,
    lambda t, ans, a, b: negative(solve(a, matmul(t, ans))),
    lambda t, ans, a, b: solve(a, t),
)


def _solve_batch(args, dims):
    """An unbatched ``a`` is factored once: the batch joins the columns of ``b``. A batched
    1-d ``b`` is promoted to a column, so the batch never meets NumPy 2's 1-d rule."""
    (a, b), (da, db) = args, dims
    rb = len(shape_of(b)) - (db is not None)
    if da is None and rb == 1:
        return solve(a, move_axis(b, db, 1)), len(shape_of(a)) - 1
    if da is None:
        b = move_axis(b, db, len(shape_of(b)) - 2)
        s = shape_of(b)
        out = solve(a, reshape(b, s[:-2] + (s[-2] * s[-1],)))
        n = len(shape_of(out))
        return reshape(out, shape_of(out)[:-1] + s[-2:]), n - 1
    if rb == 1 and db is None:
        return solve(move_to_front(a, da), b), 0
    if rb == 1:
        a, b = _padded_stacks([a, _col(move_to_front(b, db))], (da, 0), core=2)
        out = solve(a, b)
        return reshape(out, shape_of(out)[:-1]), 0
    return solve(*_padded_stacks([a, b], dims, core=2)), 0


defbatch(solve, _solve_batch)


@primitive
def det(x):
    """Determinant of each matrix in a stack ``(..., n, n)``."""
    return np.linalg.det(x)


# NOTE: d det(A) = det(A) tr(A^-1 dA) (Giles 2008, sec. 2.2.4); assumes A invertible.
defvjp(det, lambda g, ans, x: multiply(_scalar_as_matrix(multiply(g, ans)), mT(inv(x))))
defjvp(det, lambda t, ans, x: multiply(ans, _trace_of_product(inv(x), t)))
defbatch(det, _stack_batch(det))


@primitive(multiple_results=True)
def slogdet(x):
    """``(sign, log|det|)`` of each matrix in a stack; ``sign`` has no derivative."""
    sign, logabsdet = np.linalg.slogdet(x)
    return sign, logabsdet


# NOTE: the sign is locally constant: its tangent is 0 and its cotangent g[0] is ignored.
defvjp(slogdet, lambda g, ans, x: multiply(_scalar_as_matrix(g[1]), mT(inv(x))))
defjvp(slogdet, lambda t, ans, x: (None, _trace_of_product(inv(x), t)))
defbatch(slogdet, _stack_batch(slogdet))

# --- Cholesky and QR ---------------------------------------------------------------------


def _phi(x):
    """The lower triangle of ``x`` with its diagonal halved (Murray 2016's Phi)."""
    n = shape_of(x)[-1]
    mask = np.tril(np.ones((n, n))) - 0.5 * np.eye(n)
    return multiply(x, mask.astype(dtype_of(x)))


def _cholesky_vjp(g, ans, x):
    # NOTE: A_bar = sym(L^-T Phi(L^T L_bar) L^-1) (Murray 2016, eq. 10; Seeger et al. 2017).
    p = _phi(matmul(mT(ans), g))
    return _sym(_solve_right(solve(mT(ans), p), ans))


def _cholesky_jvp(t, ans, x):
    # NOTE: dL = L Phi(L^-1 dA L^-T) (Murray 2016, eq. 8), dA the symmetric part of t.
    c = _solve_right(solve(ans, _sym(t)), mT(ans))
    return matmul(ans, _phi(c))


@primitive
def cholesky(x):
    """Lower Cholesky factor of each matrix of the symmetric part of ``x``.

    NOTE: NumPy reads only the lower triangle; this op factors ``(x + x^T) / 2`` (the same on
    symmetric input, JAX's convention) so that its derivative is defined in every direction.
    """
    return np.linalg.cholesky(_sym_raw(x))


def _sym_raw(x):
    return 0.5 * (x + np.swapaxes(x, -1, -2))


defvjp(cholesky, _cholesky_vjp)
defjvp(cholesky, _cholesky_jvp)
defbatch(cholesky, _stack_batch(cholesky))


def _check_tall(x, op: str) -> None:
    m, n = shape_of(x)[-2:]
    if m < n:
        raise NotImplementedError(
            f"the derivative of {op} is implemented for matrices with rows >= columns; got "
            f"shape {shape_of(x)}. Differentiate {op} of the transpose instead."
        )


def _qr_vjp(g, ans, x):
    # NOTE: A_bar = (Q_bar + Q copyltu(M)) R^-T with M = R R_bar^T - Q_bar^T Q (Liao et al. 2019,
    # eq. 7; here written as N = M - tril(M - M^T, -1) for M = R_bar R^T - Q^T Q_bar).
    _check_tall(x, "qr")
    gq, gr = g
    q, r = ans
    m = subtract(matmul(gr, mT(r)), matmul(mT(q), gq))
    n = subtract(m, tril(subtract(m, mT(m)), -1))
    return _solve_right(add(gq, matmul(q, n)), mT(r))


def _qr_jvp(t, ans, x):
    # NOTE: with C = Q^T dA R^-1 and O = tril(C, -1) - tril(C, -1)^T (skew):
    # dQ = Q (O - C) + dA R^-1, dR = (C - O) R (JAX's qr_jvp_rule, real case).
    _check_tall(x, "qr")
    q, r = ans
    dx_rinv = _solve_right(t, r)
    c = matmul(mT(q), dx_rinv)
    low = tril(c, -1)
    skew = subtract(low, mT(low))
    dq = add(matmul(q, subtract(skew, c)), dx_rinv)
    dr = matmul(subtract(c, skew), r)
    return dq, dr


@primitive(multiple_results=True)
def qr(x):
    """Reduced QR of each matrix in a stack ``(..., m, n)``: ``q (..., m, k)``, ``r (..., k, n)``.

    Differentiable for ``m >= n`` (full column rank).
    """
    q, r = np.linalg.qr(x, mode="reduced")
    return q, r


defvjp(qr, _qr_vjp)
defjvp(qr, _qr_jvp)
defbatch(qr, _stack_batch(qr))

# --- symmetric eigendecomposition ----------------------------------------------------------


def _eigh_vjp(g, ans, x):
    # NOTE: A_bar = V (diag(w_bar) + F o (V^T V_bar)) V^T, F_ij = 1/(w_j - w_i) (Giles 2008,
    # sec. 3.1), symmetrised because the op reads the symmetric part of x.
    gw, gv = g
    w, v = ans
    inner = add(_diag_matrix(gw), multiply(_inverse_gaps(w), matmul(mT(v), gv)))
    return _sym(matmul(v, matmul(inner, mT(v))))


def _eigh_jvp(t, ans, x):
    # NOTE: dw = diag(V^T dA V), dV = V (F o (V^T dA V)) (Giles 2008, sec. 3.1).
    w, v = ans
    c = matmul(mT(v), matmul(_sym(t), v))
    return _diag_of(c), matmul(v, multiply(_inverse_gaps(w), c))


@primitive(multiple_results=True)
def eigh(x):
    """Eigenvalues (ascending) and eigenvectors of the symmetric part of each matrix.

    NOTE: the derivative of the eigenvectors assumes distinct eigenvalues (it divides by their
    gaps); use ``eigvalsh`` when only the eigenvalues are needed. Like ``cholesky``, the op
    reads ``(x + x^T) / 2``.
    """
    w, v = np.linalg.eigh(_sym_raw(x))
    return w, v


defvjp(eigh, _eigh_vjp)
defjvp(eigh, _eigh_jvp)
defbatch(eigh, _stack_batch(eigh))


def _eigvalsh_vjp(g, ans, x):
    v = eigh(x)[1]
    return matmul(multiply(v, _row(g)), mT(v))


def _eigvalsh_jvp(t, ans, x):
    v = eigh(x)[1]
    return _diag_of(matmul(mT(v), matmul(_sym(t), v)))


@primitive
def eigvalsh(x):
    """Eigenvalues (ascending) of the symmetric part of each matrix; no gaps are divided by,
    so repeated eigenvalues are fine."""
    return np.linalg.eigvalsh(_sym_raw(x))


defvjp(eigvalsh, _eigvalsh_vjp)
defjvp(eigvalsh, _eigvalsh_jvp)
defbatch(eigvalsh, _stack_batch(eigvalsh))

# --- singular value decomposition --------------------------------------------------------


def _svd_vjp(g, ans, x):
    """Townsend (2016), eq. 36, for the reduced SVD; distinct nonzero singular values assumed.

    A_bar = U [(F o (U^T U_bar - U_bar^T U)) S + diag(s_bar) + S (F o (V^T V_bar - V_bar^T V))] V^T
            + (I - U U^T) U_bar S^-1 V^T + U S^-1 V_bar^T (I - V V^T),  F_ij = 1/(s_j^2 - s_i^2).
    """
    gu, gs, gvh = g
    u, s, vh = ans
    v, gv = mT(vh), mT(gvh)
    f = _inverse_gaps(multiply(s, s))
    ju = multiply(f, subtract(matmul(mT(u), gu), matmul(mT(gu), u)))
    jv = multiply(f, subtract(matmul(mT(v), gv), matmul(mT(gv), v)))
    core = add(add(multiply(ju, _row(s)), _diag_matrix(gs)), multiply(_col(s), jv))
    ga = matmul(u, matmul(core, vh))
    m, n = shape_of(x)[-2:]
    if m > n:
        gu_perp = subtract(gu, matmul(u, matmul(mT(u), gu)))
        ga = add(ga, matmul(divide(gu_perp, _row(s)), vh))
    if n > m:
        gv_perp = subtract(gv, matmul(v, matmul(vh, gv)))
        ga = add(ga, matmul(u, mT(divide(gv_perp, _row(s)))))
    return ga


def _svd_jvp(t, ans, x):
    # NOTE: JAX's svd_jvp_rule (real case), the forward form of Townsend (2016).
    u, s, vh = ans
    v = mT(vh)
    ds_mat = matmul(mT(u), matmul(t, v))
    f = _inverse_gaps(multiply(s, s))
    dss = multiply(ds_mat, _row(s))
    sds = multiply(_col(s), ds_mat)
    du = matmul(u, multiply(f, add(dss, mT(dss))))
    dv = matmul(v, multiply(f, add(sds, mT(sds))))
    m, n = shape_of(x)[-2:]
    if m > n:
        dav = matmul(t, v)
        du = add(du, divide(subtract(dav, matmul(u, matmul(mT(u), dav))), _row(s)))
    if n > m:
        dahu = matmul(mT(t), u)
        dv = add(dv, divide(subtract(dahu, matmul(v, matmul(vh, dahu))), _row(s)))
    return du, _diag_of(ds_mat), mT(dv)


@primitive(multiple_results=True)
def svd(x):
    """Reduced SVD ``(u, s, vh)`` of each matrix in a stack ``(..., m, n)``, ``k = min(m, n)``.

    NOTE: the derivative assumes distinct, nonzero singular values; use ``svdvals`` when only
    ``s`` is needed.
    """
    u, s, vh = np.linalg.svd(x, full_matrices=False)
    return u, s, vh


defvjp(svd, _svd_vjp)
defjvp(svd, _svd_jvp)
defbatch(svd, _stack_batch(svd))


def _svdvals_vjp(g, ans, x):
    u, _, vh = svd(x)
    return matmul(u, multiply(_col(g), vh))


def _svdvals_jvp(t, ans, x):
    u, _, vh = svd(x)
    return _diag_of(matmul(mT(u), matmul(t, mT(vh))))


@primitive
def svdvals(x):
    """Singular values (descending) of each matrix; ``ds = diag(U^T dA V)`` needs no gaps."""
    return np.linalg.svd(x, compute_uv=False)


defvjp(svdvals, _svdvals_vjp)
defjvp(svdvals, _svdvals_jvp)
defbatch(svdvals, _stack_batch(svdvals))

# --- pseudo-inverse ----------------------------------------------------------------------


def _projector_complement(a, p):
    """``I - a @ p`` for stacks."""
    return subtract(np.eye(shape_of(a)[-2], dtype=dtype_of(a)), matmul(a, p))


def _pinv_vjp(g, ans, x, rcond, hermitian):
    # NOTE: the transpose of Golub & Pereyra (1973), eq. 4.12 (below), for constant rank.
    del rcond, hermitian
    p = ans
    out = negative(matmul(mT(p), matmul(g, mT(p))))
    out = add(out, matmul(_projector_complement(x, p), matmul(mT(g), matmul(p, mT(p)))))
    return add(out, matmul(matmul(mT(p), p), matmul(mT(g), _projector_complement(p, x))))


def _pinv_jvp(t, ans, x, rcond, hermitian):
    # NOTE: dP = -P dA P + P P^T dA^T (I - A P) + (I - P A) dA^T P^T P (Golub & Pereyra 1973).
    del rcond, hermitian
    p = ans
    out = negative(matmul(p, matmul(t, p)))
    out = add(out, matmul(matmul(p, mT(p)), matmul(mT(t), _projector_complement(x, p))))
    return add(out, matmul(_projector_complement(p, x), matmul(mT(t), matmul(mT(p), p))))


@primitive
def pinv(x, *, rcond, hermitian):
    """Moore-Penrose pseudo-inverse of each matrix; differentiable where the rank is locally
    constant (full rank, in particular)."""
    if rcond is None:
        return np.linalg.pinv(x, hermitian=hermitian)
    return np.linalg.pinv(x, rcond, hermitian)


defvjp(pinv, _pinv_vjp)
defjvp(pinv, _pinv_jvp)
defbatch(pinv, _stack_batch(pinv))

# --- norms -------------------------------------------------------------------------------


def _safe_root_sum_squares(x, axis, keepdims):
    """``sqrt(sum(x**2))`` whose derivatives at 0 are exactly 0, never NaN (RELIABILITY H5).

    NOTE: the double where: the inner one feeds sqrt a 1 where the sum is 0, so no 1/0 (and no
    inf * 0) appears in any pass; the outer one then selects the exact 0.
    """
    s = _sum(multiply(x, x), axis=axis, keepdims=keepdims)
    nonzero = greater(s, 0.0)
    return where(nonzero, sqrt(where(nonzero, s, 1.0)), 0.0)


def _vector_norm(x, ord, axis: tuple[int, ...], keepdims: bool):
    if ord is None or ord == 2:
        return _safe_root_sum_squares(x, axis, keepdims)
    a = absolute(x)
    if ord == np.inf:
        return _max(a, axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return _min(a, axis=axis, keepdims=keepdims)
    if ord == 1:
        return _sum(a, axis=axis, keepdims=keepdims)
    if ord == 0:
        return _sum(astype(greater(a, 0.0), dtype_of(x)), axis=axis, keepdims=keepdims)
    if isinstance(ord, str):
        raise ValueError(f"norm: invalid norm order {ord!r} for vectors")
    s = _sum(power(a, float(ord)), axis=axis, keepdims=keepdims)
    nonzero = greater(s, 0.0)
    return where(nonzero, power(where(nonzero, s, 1.0), 1.0 / ord), 0.0)


def _matrix_norm(x, ord, axis: tuple[int, int], keepdims: bool):
    row, col = axis
    if ord is None or ord == "fro":
        return _safe_root_sum_squares(x, tuple(sorted(axis)), keepdims)
    if ord in (1, -1, np.inf, -np.inf):
        inner_axis, outer_axis = (row, col) if ord in (1, -1) else (col, row)
        sums = _sum(absolute(x), axis=(inner_axis,), keepdims=True)
        pick = _max if ord > 0 else _min
        out = pick(sums, axis=(outer_axis,), keepdims=True)
    elif ord in (2, -2, "nuc"):
        nd = len(shape_of(x))
        others = tuple(i for i in range(nd) if i not in axis)
        s = svdvals(transpose(x, others + axis))
        last = (len(others),)
        if ord == "nuc":
            out = _sum(s, axis=last, keepdims=False)
        else:
            out = (_max if ord == 2 else _min)(s, axis=last, keepdims=False)
    else:
        raise ValueError(f"norm: invalid norm order {ord!r} for matrices")
    kept = tuple(1 if i in axis else n for i, n in enumerate(shape_of(x)))
    dropped = tuple(n for i, n in enumerate(shape_of(x)) if i not in axis)
    return reshape(out, kept if keepdims else dropped)


def norm(x, ord=None, axis: tuple[int, ...] | None = None, keepdims: bool = False):
    """NumPy's ``linalg.norm`` with ``axis`` a tuple of non-negative ints (or None).

    Vector orders: None/2, 1, inf, -inf, 0, any p; matrix orders: None/'fro', 'nuc', 1, -1,
    2, -2, inf, -inf. Derivatives at the zero vector are 0 (RELIABILITY H5).
    """
    nd = len(shape_of(x))
    if axis is None:
        if ord is None:
            out = _safe_root_sum_squares(x, None, False)
            return reshape(out, (1,) * nd) if keepdims else out
        if nd not in (1, 2):
            raise ValueError(f"norm: ord={ord!r} with axis=None needs a 1-d or 2-d array")
        axis = tuple(range(nd))
    if len(axis) == 1:
        return _vector_norm(x, ord, axis, keepdims)
    if len(axis) == 2:
        return _matrix_norm(x, ord, axis, keepdims)
    raise ValueError(f"norm: axis must name 1 or 2 axes, got {axis}")
