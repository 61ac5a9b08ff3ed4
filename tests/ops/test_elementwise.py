import numpy as np
import pytest

import pullback as pb
import pullback.numpy as pnp

from .harness import OpCase, case_ids, run_case

CASES = [
    OpCase(pnp.add, 2, order=3),
    OpCase(pnp.subtract, 2, order=3),
    OpCase(pnp.multiply, 2, order=3),
    OpCase(pnp.divide, 2, domain=[(-2.0, 2.0), (0.5, 2.0)], order=3),
    OpCase(pnp.power, 2, domain=[(0.5, 2.0), (-2.0, 2.0)], order=3),
    OpCase(pnp.negative, order=3),
    OpCase(pnp.exp, order=3),
    OpCase(pnp.log, domain=(0.5, 3.0), order=3),
    OpCase(pnp.sin, order=3),
    OpCase(pnp.cos, order=3),
    OpCase(pnp.tanh, order=3),
]


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_op_gradients_match_finite_differences(case):
    run_case(case)


def test_tanh_gradient_is_exactly_zero_far_out():
    assert pb.grad(pnp.tanh)(1000.0) == 0.0
