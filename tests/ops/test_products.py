"""Products named by their shapes through the harness; shape errors of PyTorch's type."""

import pytest
import torch

import shenjing as sj
from tests.ops.harness import F, OpSpec, spec_tests

SPECS = [
    OpSpec("dot", lambda m, a, b: m.dot(a, b), [(F(4), F(4))]),
    OpSpec("dot:method", lambda m, a, b: a.dot(b), [(F(3), F(3))]),
    OpSpec("inner", lambda m, a, b: m.inner(a, b),
           [(F(4), F(4)), (F(2, 3), F(4, 3)), (F(2, 1, 3), F(3)), (F(), F(2, 3)),
            (F(3, 0), F(2, 0))]),  # an empty contraction: zeros
    OpSpec("outer", lambda m, a, b: m.outer(a, b), [(F(3), F(4))]),
    OpSpec("ger", lambda m, a, b: m.ger(a, b), [(F(2), F(3))],
           ref=lambda m, a, b: m.outer(a, b)),
    OpSpec("mv", lambda m, a, v: m.mv(a, v), [(F(3, 4), F(4))]),
    OpSpec("bmm", lambda m, a, b: m.bmm(a, b), [(F(2, 3, 4), F(2, 4, 5))]),
    OpSpec("addmm", lambda m, c, a, b: m.addmm(c, a, b),
           [(F(3), F(2, 4), F(4, 3)), (F(2, 3), F(2, 4), F(4, 3))]),
    OpSpec("addmm:scaled", lambda m, c, a, b: m.addmm(c, a, b, beta=0.5, alpha=-2.0),
           [(F(2, 1), F(2, 4), F(4, 3))]),
    # beta = 0: input is not read, and its gradient is zeros (not None), as PyTorch's
    OpSpec("addmm:beta0", lambda m, c, a, b: m.addmm(c, a, b, beta=0),
           [(F(1, 3), F(2, 4), F(4, 3)), (F(3), F(2, 4), F(4, 3))]),
    OpSpec("baddbmm:beta0", lambda m, c, a, b: m.baddbmm(c, a, b, beta=0, alpha=2.0),
           [(F(2, 1, 5), F(2, 3, 4), F(2, 4, 5))]),
    OpSpec("baddbmm", lambda m, c, a, b: m.baddbmm(c, a, b, alpha=0.5),
           [(F(2, 1, 5), F(2, 3, 4), F(2, 4, 5))]),
    OpSpec("tensordot", lambda m, a, b: m.tensordot(a, b),
           [(F(2, 3, 4), F(3, 4, 5))]),
    OpSpec("tensordot:lists", lambda m, a, b: m.tensordot(a, b, dims=([1, 0], [0, 2])),
           [(F(2, 3, 4), F(3, 5, 2))]),
    OpSpec("tensordot:zero", lambda m, a, b: m.tensordot(a, b, dims=0), [(F(2), F(3))]),
    OpSpec("tensordot:empty", lambda m, a, b, d: m.tensordot(a, b, dims=d),
           [(F(2, 0, 3), F(0, 3, 4), 2), (F(0, 3), F(3, 4), 1), (F(2, 3), F(3, 0), 1)]),
]

test_gradcheck, test_matches_torch = spec_tests(SPECS)


@pytest.mark.parametrize("call", [
    lambda m: m.dot(m.ones(2, 2), m.ones(2, 2)),
    lambda m: m.dot(m.ones(2), m.ones(3)),
    lambda m: m.bmm(m.ones(2, 3), m.ones(3, 2)),
    lambda m: m.bmm(m.ones(2, 2, 3), m.ones(3, 3, 2)),
    lambda m: m.mv(m.ones(2, 3), m.ones(2)),
    lambda m: m.addmm(m.ones(5), m.ones(2, 3), m.ones(3, 4)),
    lambda m: m.tensordot(m.ones(2, 3), m.ones(2, 3), dims=([0], [1])),
], ids=["dot-2d", "dot-lengths", "bmm-2d", "bmm-batch", "mv", "addmm-input", "tensordot"])
def test_shape_errors_are_runtime_errors_as_in_torch(call):
    with pytest.raises(RuntimeError):
        call(torch)
    with pytest.raises(RuntimeError):
        call(sj)


def test_addmm_with_beta_zero_ignores_nan_in_input():
    y = sj.addmm(sj.tensor([float("nan")]), sj.ones(1, 2), sj.ones(2, 1), beta=0)
    assert y.tolist() == [[2.0]]
