import numpy as np
import pytest

import pullback.numpy as pnp

from ._matrices import (
    assert_float32_gradient_of_squares,
    assert_pairs_agree_with_jax,
    assert_values_match_numpy,
)
from .harness import OpCase, case_ids, run_case, uniform

PRODUCTS = [
    OpCase(
        pnp.matmul,
        2,
        shapes=[((3, 4), (4, 2)), ((4,), (4, 3)), ((3, 4), (4,)), ((2, 1, 3, 4), (3, 4, 2))],
    ),
    OpCase(
        pnp.dot,
        2,
        shapes=[((3, 4), (4, 2)), ((2, 3, 4), (4, 5)), ((2, 3, 4), (5, 4, 2)), ((), (3,))],
    ),
    OpCase(pnp.vdot, 2, shapes=[((3, 4), (12,)), ((3,), (3,))]),
    OpCase(pnp.inner, 2, shapes=[((3,), (3,)), ((2, 3), (4, 3)), ((), (2, 3)), ((2, 3, 4), (4,))]),
    OpCase(pnp.outer, 2, shapes=[((3,), (4,)), ((2, 2), (3,))]),
    OpCase(
        lambda a, b: pnp.tensordot(a, b, axes=1),
        2,
        shapes=[((2, 3), (3, 4)), ((2, 3, 4), (4, 2))],
        name="tensordot_1",
    ),
    OpCase(pnp.tensordot, 2, shapes=[((2, 3, 4), (3, 4, 2))], name="tensordot_2"),
    OpCase(
        lambda a, b: pnp.tensordot(a, b, axes=([0, 2], [1, 0])),
        2,
        shapes=[((2, 3, 4), (4, 2, 5))],
        name="tensordot_pairs",
    ),
    OpCase(pnp.kron, 2, shapes=[((2, 3), (3, 2)), ((2,), (3,)), ((2, 2), (3,)), ((), (2,))]),
    OpCase(pnp.trace, shapes=[((3, 3),), ((3, 4),), ((2, 3, 3),)]),
    OpCase(
        lambda a: pnp.trace(a, offset=1, axis1=1, axis2=2),
        shapes=[((2, 3, 4),)],
        name="trace_offset_axes",
    ),
    OpCase(pnp.diag, shapes=[((3,),), ((3, 4),)]),
    OpCase(lambda v: pnp.diag(v, k=-1), shapes=[((3,),), ((3, 4),)], name="diag_k"),
    OpCase(
        lambda a: pnp.diagonal(a, offset=1, axis1=2, axis2=0),
        shapes=[((3, 2, 4),)],
        name="diagonal_offset_axes",
    ),
    OpCase(pnp.tril, shapes=[((3, 4),), ((2, 3, 3),)]),
    OpCase(lambda a: pnp.triu(a, k=1), shapes=[((3, 4),), ((2, 3, 3),)], name="triu_k"),
]

EINSUM = [
    ("ij,jk", [(3, 4), (4, 2)]),
    ("ij,jk->ki", [(3, 4), (4, 2)]),
    ("ba", [(3, 4)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("iij->ji", [(2, 2, 3)]),
    ("ij->", [(3, 4)]),
    ("ij,k->ik", [(3, 4), (2,)]),
    ("i,i,i->", [(4,), (4,), (4,)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 2)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (4, 5)]),
    ("...ij,...jk", [(1, 3, 4), (2, 4, 5)]),
    ("...ii->...i", [(2, 3, 3)]),
    ("i...->...", [(3, 2, 2)]),
]


def _einsum_case(subscripts, shapes):
    return OpCase(
        lambda *xs: pnp.einsum(subscripts, *xs),
        len(shapes),
        shapes=[tuple(shapes)],
        name=f"einsum[{subscripts}]",
    )


CASES = PRODUCTS + [_einsum_case(s, shapes) for s, shapes in EINSUM]


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_op_gradients_match_finite_differences(case):
    run_case(case)


# --- values against NumPy ----------------------------------------------------------------

VALUE_CHECKS = {
    "dot": (pnp.dot, np.dot, [(2, 3, 4), (5, 4, 2)]),
    "inner": (pnp.inner, np.inner, [(2, 3), (4, 3)]),
    "kron": (pnp.kron, np.kron, [(2, 3), (3,)]),
    "tensordot": (
        lambda a, b: pnp.tensordot(a, b, ([0, 2], [1, 0])),
        lambda a, b: np.tensordot(a, b, ([0, 2], [1, 0])),
        [(2, 3, 4), (4, 2, 5)],
    ),
    "trace": (lambda a: pnp.trace(a, 1, 2, 0), lambda a: np.trace(a, 1, 2, 0), [(3, 2, 4)]),
    "diag": (lambda a: pnp.diag(a, 2), lambda a: np.diag(a, 2), [(3,)]),
    "tril": (lambda a: pnp.tril(a, -1), lambda a: np.tril(a, -1), [(2, 3, 4)]),
}


@pytest.mark.parametrize("name", list(VALUE_CHECKS))
def test_values_match_numpy(name):
    ours, theirs, shapes = VALUE_CHECKS[name]
    assert_values_match_numpy(ours, theirs, shapes)


@pytest.mark.parametrize("subscripts, shapes", EINSUM, ids=[s for s, _ in EINSUM])
def test_einsum_values_match_numpy(subscripts, shapes):
    rng = np.random.default_rng(0)
    args = [rng.standard_normal(s) for s in shapes]
    np.testing.assert_allclose(
        pnp.einsum(subscripts, *args), np.einsum(subscripts, *args), rtol=1e-13, atol=1e-13
    )


def test_einsum_rejects_mismatched_subscripts():
    with pytest.raises(ValueError, match="do not fit"):
        pnp.einsum("ij,jk", np.ones((2, 3)), np.ones(3))


# --- peers -------------------------------------------------------------------------------


def _jax_pairs(jnp):
    return [
        ("einsum", lambda a, b: pnp.einsum("...ij,jk", a, b),
         lambda a, b: jnp.einsum("...ij,jk", a, b), [uniform(-2, 2)] * 2, [(2, 3, 4), (4, 2)]),
        ("kron", pnp.kron, jnp.kron, [uniform(-2, 2)] * 2, [(2, 3), (3, 2)]),
        ("trace", pnp.trace, jnp.trace, [uniform(-2, 2)], [(3, 4)]),
    ]  # fmt: skip


def test_values_and_gradients_match_jax(jax):
    assert_pairs_agree_with_jax(_jax_pairs(jax.numpy), jax)


def test_float32_gradients_stay_float32():
    assert_float32_gradient_of_squares(lambda a: pnp.einsum("ii->i", a), uniform(-2, 2), (3, 3))
