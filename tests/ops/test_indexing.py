"""Indexing through the harness: basic and integer-array indexing, gather, masked_fill."""

import pytest
import torch

import shenjing as sj
from tests.ops.harness import (
    F,
    Index,
    Mask,
    OpSpec,
    spec_tests,
)

SPECS = [
    OpSpec("getitem", lambda m, x, key: x[key],
           [(F(4, 3), 1), (F(4, 3), (slice(1, 3), 2)),
            (F(4, 3), (Ellipsis, None, slice(None, None, 2))),
            (F(4, 3), -1), (F(2, 3, 4), (0, slice(None), slice(1, None))),
            (F(4, 3), [0, 2, 0, 0]), (F(4, 3), (slice(None), [1, 1, 0]))]),
    OpSpec("getitem:tensor", lambda m, x, idx: x[idx],
           [(F(5, 2), Index((7,), 5)), (F(5, 2), Index((2, 3), 5))]),
    OpSpec("getitem:pairs", lambda m, x, i, j: x[i, j],
           [(F(3, 4), Index((6,), 3), Index((6,), 4))]),
    OpSpec("getitem:mask", lambda m, x, mask: x[mask],
           [(F(3, 4), Mask((3, 4))), (F(3, 4), Mask((3,)))]),
    OpSpec("gather", lambda m, x, d, idx: m.gather(x, d, idx),
           [(F(3, 4), 1, Index((3, 5), 4)), (F(3, 4), 0, Index((2, 4), 3)),
            (F(3, 4), 1, Index((2, 2), 4)), (F(2, 3, 4), -1, Index((2, 3, 6), 4))]),
    OpSpec("gather:method", lambda m, x, idx: x.gather(0, idx), [(F(4, 2), Index((6, 2), 4))]),
    OpSpec("masked_fill", lambda m, x, mask: m.masked_fill(x, mask, 0.5),
           [(F(2, 3), Mask((2, 3))), (F(2, 3), Mask((3,))), ]),
    OpSpec("masked_fill:method", lambda m, x, mask: x.masked_fill(mask, -1.0),
           [(F(4,), Mask((4,)))]),
]


test_gradcheck, test_matches_torch = spec_tests(SPECS)


@pytest.mark.parametrize("call", [
    lambda m: m.masked_fill(m.ones(3), m.ones(3), 1.0),
    lambda m: m.gather(m.ones(3), 0, m.tensor([0.0])),
], ids=["masked_fill-float-mask", "gather-float-index"])
def test_dtype_errors_are_runtime_errors_as_in_torch(call):
    with pytest.raises(RuntimeError):
        call(torch)
    with pytest.raises(RuntimeError):
        call(sj)
