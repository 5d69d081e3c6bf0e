"""Sorting and order statistics through the harness; inputs are distinct so that no tie decides.

Where PyTorch picks among ties by an implementation detail (kthvalue's and topk's quickselect),
the extreme-input pass leaves out the large finite values, which it puts into many elements at
once, and the cases reduce slices of at most 4 elements whose stride is odd: the pass cycles 0,
+-inf and NaN through the flat positions, so no value comes twice in a slice. PyTorch's CPU mode
sorts with comparisons that NaN breaks (its mode of [2, nan, 1] is 2): mode meets no NaN.
"""

import math

import numpy as np
import pytest
import torch

import shenjing as sj
from tests.ops.harness import F, G, OpSpec, spec_tests

TIES_MATTER = {"extremes": (0.0, math.inf, -math.inf, math.nan)}
NO_NAN = {"extremes": (0.0, math.inf, -math.inf, 1e30, -1e30)}


def D(*shape):  # noqa: N802 - reads as a descriptor
    """Distinct floats: no ties, so the order (and the gradient's target) is unique."""
    return F(*shape, distinct=True)


SPECS = [
    OpSpec("sort", lambda m, x: m.sort(x), [(D(5),), (D(3, 4),), (D(),)]),
    OpSpec("sort:dim", lambda m, x, d, desc: m.sort(x, dim=d, descending=desc),
           [(D(3, 4), 0, True), (D(2, 3, 4), 1, False), (D(2, 5), -1, True)]),
    OpSpec("sort:stable", lambda m, x: m.sort(x, stable=True, descending=True),
           [(G([[1.0, 2.0, 1.0, 2.0, 0.5], [3.0, 3.0, 3.0, -1.0, 3.0]]),)],
           finite_differences=False),  # ties on purpose: their order is what is checked
    OpSpec("sort:method", lambda m, x: x.sort(0, True), [(D(4, 3),)]),
    OpSpec("argsort", lambda m, x, d, desc: m.argsort(x, dim=d, descending=desc),
           [(D(3, 4), -1, False), (D(3, 4), 0, True), (D(), 0, False)], differentiable=False),
    OpSpec("argsort:method", lambda m, x: x.argsort(), [(D(2, 5),)], differentiable=False),
    OpSpec("msort", lambda m, x: m.msort(x), [(D(4, 3),), (D(5),)]),
    OpSpec("topk", lambda m, x, k: m.topk(x, k), [(D(4), 3), (D(3, 4), 4), (D(3, 4), 0)],
           **TIES_MATTER),
    OpSpec("topk:smallest", lambda m, x, k, d: m.topk(x, k, dim=d, largest=False),
           [(D(4, 3), 2, 0), (D(2, 4, 3), 1, 1)], **TIES_MATTER),
    OpSpec("topk:method", lambda m, x: x.topk(2), [(D(3, 4),)], **TIES_MATTER),
    OpSpec("kthvalue", lambda m, x, k: m.kthvalue(x, k), [(D(3, 4), 2), (D(4), 4), (D(), 1)],
           **TIES_MATTER),
    OpSpec("kthvalue:dim", lambda m, x, k, d, keep: m.kthvalue(x, k, d, keep),
           [(D(4, 3), 1, 0, True), (D(2, 3, 5), 3, 1, False)], **TIES_MATTER),
    OpSpec("kthvalue:method", lambda m, x: x.kthvalue(3, dim=0), [(D(4, 3),)], **TIES_MATTER),
    OpSpec("median", lambda m, x: m.median(x), [(D(3, 4),), (D(5),), (D(),), (D(0),)]),
    OpSpec("median:ties", lambda m, x: m.median(x), [(G([1.0, 2.0, 2.0, 0.0, 2.0, 3.0]),)],
           finite_differences=False),  # equal values on purpose: they share the gradient
    OpSpec("median:dim", lambda m, x, d, keep: m.median(x, d, keepdim=keep),
           [(D(3, 4), 1, False), (D(5, 3), 0, True), (D(2, 3, 5), -1, False), (D(), 0, False)]),
    OpSpec("median:method", lambda m, x: x.median(1), [(D(2, 4),)]),
    OpSpec("median:nan", lambda m, x: m.median(x, 1),
           [(G([[1.0, math.nan, 3.0, math.nan], [4.0, 1.0, 3.0, 2.0]]),)],
           finite_differences=False),  # a NaN output has no finite differences
    OpSpec("nanmedian", lambda m, x: m.nanmedian(x),
           [(D(3, 4),), (G([1.0, math.nan, 3.0, 2.0, -1.0]),), (D(2, 0),)]),
    OpSpec("nanmedian:dim", lambda m, x, d: m.nanmedian(x, d),
           [(D(4, 3), 0), (G([[1.0, math.nan, 3.0, math.nan], [4.0, 1.0, 3.0, 2.0]]), 1)]),
    OpSpec("nanmedian:method", lambda m, x: x.nanmedian(), [(D(6),)]),
    OpSpec("mode", lambda m, x: m.mode(x), [(D(3, 4),), (D(4),)], **NO_NAN),
    OpSpec("mode:dim", lambda m, x, d, keep: m.mode(x, d, keep), [(D(4, 3), 0, True)],
           **NO_NAN),
    OpSpec("mode:repeats", lambda m, x: m.mode(x),
           [(G([[1.0, 2.0, 2.0, 3.0, 1.0, 1.0], [0.5, 0.5, 2.0, 2.0, 3.0, 4.0]]),)],
           finite_differences=False,  # repeated values on purpose: the mode jumps under a step
           **NO_NAN),
    OpSpec("mode:method", lambda m, x: x.mode(0), [(D(3, 2),)], **NO_NAN),
]


test_gradcheck, test_matches_torch = spec_tests(SPECS)


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
def test_sort_integers_and_bools_like_torch(dtype):
    values = np.random.default_rng(0).integers(0, 4, (3, 7)).astype(dtype)
    for descending in (False, True):
        ours = sj.sort(sj.tensor(values), descending=descending)
        theirs = torch.sort(torch.tensor(values), descending=descending, stable=True)
        np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
        np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())


def test_median_and_mode_with_ties_like_torch():
    """Ties among many equal values: median's stable choice and mode's last occurrence."""
    rng = np.random.default_rng(1)
    for _ in range(50):
        values = rng.integers(0, 4, (3, int(rng.integers(1, 12)))).astype(np.float32)
        for name in ("median", "mode", "nanmedian"):
            ours = getattr(sj, name)(sj.tensor(values), 1)
            theirs = getattr(torch, name)(torch.tensor(values), 1)
            np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
            np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())


def test_nanmedian_of_all_nan_is_nan():
    # PyTorch's index there is its selection algorithm's accident; the value is NaN in both.
    x = [[1.0, math.nan, 3.0, math.nan], [math.nan] * 4]
    ours = sj.nanmedian(sj.tensor(x), 1).values.numpy()
    np.testing.assert_array_equal(ours, torch.nanmedian(torch.tensor(x), 1).values.numpy())
    assert math.isnan(sj.nanmedian(sj.tensor([math.nan, math.nan])).item())


def test_gradient_goes_to_the_chosen_positions():
    x = sj.tensor([3.0, 1.0, 2.0], requires_grad=True)
    sj.topk(x, 2).values.sum().backward()
    assert x.grad.tolist() == [1.0, 0.0, 1.0]


@pytest.mark.parametrize("call", [
    lambda m, x: m.topk(x, 5),
    lambda m, x: m.kthvalue(x, 0),
    lambda m, x: m.kthvalue(x, 5),
    lambda m, x: m.sort(x, dim=2),
    lambda m, x: m.median(x, dim=-3),
])
def test_errors_are_torchs_types(call):
    with pytest.raises(Exception) as theirs:
        call(torch, torch.zeros(3, 4))
    with pytest.raises(theirs.type, match=r"\w+"):
        call(sj, sj.zeros(3, 4))


def test_repr_names_the_return_type():
    assert repr(sj.sort(sj.tensor([2.0, 1.0]))).startswith("sort(values=")
