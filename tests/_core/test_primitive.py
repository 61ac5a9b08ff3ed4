"""``bind``'s float path: primitives with a ``scalar`` implementation run it on Python floats."""

import math
import warnings

import numpy as np
import pytest

import pullback as pb
import pullback.numpy as pnp
from pullback._core.primitive import on_floats
from pullback.ops import elementwise, transcendental

from ..ops.harness import POINTS
from ..ops.test_elementwise import CASES as ELEMENTWISE
from ..ops.test_transcendental import CASES as TRANSCENDENTAL


def test_on_floats_needs_a_float_and_nothing_but_numbers():
    assert on_floats((1.5, 2))
    assert on_floats((np.float64(1.5),))
    assert not on_floats((1, 2))  # ints stay NumPy's (np.int64 results)
    assert not on_floats((1.5, np.ones(2)))
    assert not on_floats((True, 1.5))


def test_scalar_implementations_give_numpys_values():
    rng = np.random.default_rng(0)
    for prim in (*vars(elementwise).values(), *vars(transcendental).values()):
        if not isinstance(prim, pb.Primitive) or prim.scalar is None:
            continue
        nargs = prim.ufunc.nin if prim.ufunc else len(prim.__signature__.parameters)
        for _ in range(20):
            args = [float(v) for v in rng.uniform(-2.0, 2.0, nargs)]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                want = prim.impl(*args)
            try:
                got = prim.scalar(*args)
            except (ArithmeticError, ValueError):
                assert not np.isfinite(want), prim.name  # math raises only where NumPy warns
                continue
            assert got == pytest.approx(float(want), rel=1e-15, abs=0), prim.name


SCALAR_CASES = [c for c in ELEMENTWISE + TRANSCENDENTAL if c.nargs <= 2]


@pytest.mark.parametrize("case", SCALAR_CASES[::2], ids=lambda c: c.name)
def test_gradients_on_floats_equal_gradients_on_0d_arrays(case):
    rng = np.random.default_rng(3)
    argnums = tuple(range(case.nargs))
    for _ in range(POINTS):
        args = [float(case.sampler(i)(rng, ())) for i in argnums]
        value = case.fn(*args)
        if not np.issubdtype(np.asarray(value).dtype, np.floating):
            continue
        want = pb.value_and_grad(case.fn, argnums)(*[np.asarray(a) for a in args])
        got = pb.value_and_grad(case.fn, argnums)(*args)
        assert type(got[0]) is float
        np.testing.assert_allclose(got[0], want[0], rtol=1e-14, atol=0)
        np.testing.assert_allclose(got[1], want[1], rtol=1e-13, atol=0)


@pytest.mark.parametrize(
    "f, x, want",
    [
        (pnp.log, 0.0, -math.inf),
        (pnp.exp, 1000.0, math.inf),
        (pnp.sqrt, -1.0, math.nan),
        (lambda x: 1.0 / x, 0.0, math.inf),
    ],
)
def test_where_math_raises_numpy_answers(f, x, want):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        got = float(f(pb.tensor(x)))
        grad = pb.grad(f)(x)
    assert got == want or (math.isnan(got) and math.isnan(want))
    assert isinstance(grad, float)


def test_second_order_on_floats():
    f = lambda x: pnp.sin(x) * pnp.exp(x)  # noqa: E731
    d2 = pb.grad(pb.grad(f))(0.7)
    assert d2 == pytest.approx(2 * math.cos(0.7) * math.exp(0.7), rel=1e-14)
    assert type(d2) is float


def test_scalar_implementations_promote_like_numpy():
    # Regression: maximum(-1.0, 0) gave the int 0, an untracked output, and grad failed.
    rng = np.random.default_rng(4)
    for prim in (*vars(elementwise).values(), *vars(transcendental).values()):
        if not isinstance(prim, pb.Primitive) or prim.scalar is None:
            continue
        nargs = prim.ufunc.nin if prim.ufunc else len(prim.__signature__.parameters)
        for mask in range(1, 2**nargs):  # which arguments are floats (at least one)
            args = [
                float(rng.uniform(0.1, 2.0)) if mask >> i & 1 else int(rng.integers(0, 3))
                for i in range(nargs)
            ]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                want = np.asarray(prim.impl(*args))
                try:
                    got = prim.scalar(*args)
                except (ArithmeticError, ValueError):
                    continue
            if want.dtype.kind == "f":
                assert isinstance(got, float), (prim.name, args, got)
            assert got == pytest.approx(want.item(), rel=1e-15, nan_ok=True), (prim.name, args)


def test_selecting_an_int_branch_keeps_the_gradient():
    assert pb.grad(lambda x: pnp.maximum(x, 0))(-1.0) == 0.0
    assert pb.value_and_grad(lambda x: pnp.where(x > 0, x, 0))(-1.0) == (0.0, 0.0)
    assert pb.jit(pb.grad(lambda x: pnp.minimum(x, 0) + x))(1.0) == 1.0


@pytest.mark.parametrize("case", SCALAR_CASES[1::2], ids=lambda c: c.name)
def test_forward_and_second_order_on_floats_equal_0d_arrays(case):
    rng = np.random.default_rng(5)
    argnums = tuple(range(case.nargs))
    for _ in range(POINTS):
        args = [float(case.sampler(i)(rng, ())) for i in argnums]
        if not np.issubdtype(np.asarray(case.fn(*args)).dtype, np.floating):
            continue
        tangents = [1.0] * case.nargs
        want = pb.jvp(case.fn, [np.asarray(a) for a in args], tangents)
        got = pb.jvp(case.fn, args, tangents)
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=0)
        d2 = pb.grad(pb.grad(case.fn))
        np.testing.assert_allclose(
            d2(*args), d2(*[np.asarray(a) for a in args]), rtol=1e-12, atol=1e-300
        )
