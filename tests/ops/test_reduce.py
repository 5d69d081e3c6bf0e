"""Reductions through the harness, over dims given as None, ints, tuples, negatives, keepdim."""

import pytest
import torch

import shenjing as sj
from tests.ops.harness import (
    F,
    G,
    OpSpec,
    spec_tests,
)

# (input, dim, keepdim): every reduction is checked over the same grid.
DIMS = [
    (F(2, 3, 4), None, False),
    (F(2, 3, 4), 1, False),
    (F(2, 3, 4), -1, True),
    (F(2, 3, 4), (0, -1), False),
    (F(2, 3, 4), (0, 2), True),
    (F(3, 1), 1, False),
    (F(), None, False),
]
DISTINCT = [(F(*x.shape, distinct=True), d, k) for x, d, k in DIMS]


def reduce(name):
    """fn(m, x, dim, keepdim) -> x.<name>(dim, keepdim), or x.<name>() for dim None."""

    def fn(m, x, dim, keepdim):
        method = getattr(x, name)
        return method() if dim is None else method(dim=dim, keepdim=keepdim)

    return fn


# PyTorch's amax and amin share the gradient among the elements equal to the result, and none
# of a slice holding NaN is (NaN != NaN): NaN for the whole slice. shenjing shares it among the
# NaNs, as PyTorch's max() and min() do, and selects rather than multiplying by the tie mask.
AMAX_NAN = "a slice holding NaN: PyTorch's amax gives it NaN gradients, shenjing its max()'s"

SPECS = [
    OpSpec("sum", lambda m, x, dim, keepdim: m.sum(x, dim, keepdim) if dim is not None
           else m.sum(x), DIMS),
    OpSpec("sum:method", reduce("sum"), DIMS[:3]),
    OpSpec("mean", lambda m, x, dim, keepdim: m.mean(x, dim, keepdim) if dim is not None
           else m.mean(x), DIMS),
    OpSpec("var", lambda m, x, dim, keepdim: m.var(x, dim, keepdim=keepdim), DIMS[:5]),
    OpSpec("var:correction", lambda m, x, dim, c: x.var(dim=dim, correction=c),
           [(F(3, 4), 1, 0), (F(3, 4), (0, 1), 2), (F(5), None, 0)]),
    OpSpec("var:unbiased", lambda m, x, u: m.var(x, 0, u), [(F(4, 2), False), (F(4, 2), True)]),
    OpSpec("std", lambda m, x, dim, keepdim: m.std(x, dim, keepdim=keepdim), DIMS[:5]),
    OpSpec("std:correction", lambda m, x, dim, c: x.std(dim=dim, correction=c),
           [(F(3, 4), 1, 0), (F(5), None, 0)]),
    OpSpec("amax", lambda m, x, dim, keepdim: m.amax(x, dim if dim is not None else (),
                                                     keepdim), DISTINCT[:5],
           finer_than_torch=AMAX_NAN),
    OpSpec("amin", lambda m, x, dim, keepdim: m.amin(x, dim if dim is not None else (),
                                                     keepdim), DISTINCT[:5],
           finer_than_torch=AMAX_NAN),
    OpSpec("amax:ties", lambda m, x: m.amax(x, 1), [(G([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]),)],
           finite_differences=False, finer_than_torch=AMAX_NAN),
    OpSpec("max", lambda m, x: m.max(x), [(F(2, 3, distinct=True),), (F(distinct=True),)]),
    OpSpec("max:ties", lambda m, x: x.max(), [(G([1.0, 3.0, 3.0]),)], finite_differences=False),
    OpSpec("max:dim", lambda m, x, dim, keepdim: m.max(x, dim, keepdim),
           [(F(3, 4, distinct=True), 1, False), (F(2, 3, 4, distinct=True), -3, True)]),
    OpSpec("max:elementwise", lambda m, a, b: m.max(a, b), [(F(2, 3), F(3))]),
    OpSpec("min", lambda m, x: x.min(), [(F(2, 3, distinct=True),)]),
    OpSpec("min:dim", lambda m, x, dim, keepdim: x.min(dim=dim, keepdim=keepdim),
           [(F(3, 4, distinct=True), 0, False), (F(3, 4, distinct=True), -1, True)]),
    OpSpec("argmax", lambda m, x, dim, keepdim: m.argmax(x, dim, keepdim),
           [(F(3, 4, distinct=True), None, False), (F(3, 4, distinct=True), 1, True),
            (F(2, 3, 4, distinct=True), -2, False)], differentiable=False),
    OpSpec("argmin", lambda m, x, dim: x.argmin(dim),
           [(F(3, 4, distinct=True), None), (F(3, 4, distinct=True), 0)], differentiable=False),
    # dim=None is not a PyTorch form of logsumexp (and dim=() breaks PyTorch's own backward).
    OpSpec("logsumexp", lambda m, x, dim, keepdim: m.logsumexp(x, dim, keepdim),
           [c for c in DIMS if c[1] is not None]),
    OpSpec("prod", lambda m, x, dim, keepdim: m.prod(x, dim, keepdim) if dim is not None
           else m.prod(x),
           [(F(2, 3, low=0.5, high=1.5), None, False), (F(2, 3, 4, low=-1.5, high=1.5), 1, True),
            (F(3, 4, low=-1.5, high=1.5), -1, False), (F(), None, False)]),
    OpSpec("prod:zeros", lambda m, x, dim: m.prod(x, dim) if dim is not None else m.prod(x),
           [(G([[0.0, 2.0, 3.0], [0.0, 0.0, 4.0], [1.0, 2.0, 3.0]]), 1),
            (G([[0.0, 2.0], [3.0, 5.0]]), None)],
           second_order=False),
]


test_gradcheck, test_matches_torch = spec_tests(SPECS)


@pytest.mark.parametrize("fn, error", [
    (lambda m: m.tensor([1, 2]).mean(), RuntimeError),
    (lambda m: m.tensor([1, 2]).var(), RuntimeError),
    (lambda m: m.tensor([1, 2]).std(), RuntimeError),
    (lambda m: m.std_mean(m.tensor([1, 2])), RuntimeError),
    (lambda m: m.var_mean(m.tensor([1, 2])), RuntimeError),
    (lambda m: m.ones(2, 2).sum((0, 0)), RuntimeError),
    (lambda m: m.ones(2, 2).mean((1, -1)), RuntimeError),
    (lambda m: m.zeros(0, 3).max(), RuntimeError),
    (lambda m: m.zeros(0, 3).amin(), RuntimeError),
    (lambda m: m.zeros(0, 3).amax(0), IndexError),
    (lambda m: m.zeros(0, 3).argmax(), IndexError),
    (lambda m: m.zeros(0, 3).argmin(0), IndexError),
])
def test_errors_are_torchs_type(fn, error):
    with pytest.raises(error):
        fn(torch)
    with pytest.raises(error):
        fn(sj)


def test_reductions_over_empty_slices_work_where_torch_does():
    for m in (torch, sj):
        assert tuple(m.zeros(0, 3).amax(1).shape) == (0,)
        assert tuple(m.zeros(0, 3).argmax(1).shape) == (0,)
