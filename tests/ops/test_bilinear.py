"""The bilinear form through the harness, and PyTorch's errors."""

import pytest
import torch

import shenjing as sj
from tests.ops.harness import F, OpSpec, spec_tests


def bilinear(m, x1, x2, w, b):
    return m.nn.functional.bilinear(x1, x2, w, b)


SPECS = [
    OpSpec("bilinear", bilinear,
           [(F(4, 3), F(4, 2), F(5, 3, 2), F(5)), (F(2, 3, 4), F(2, 3, 2), F(3, 4, 2), None),
            (F(3), F(2), F(4, 3, 2), F(4)), (F(4, 3), F(4, 2, requires_grad=False),
                                            F(5, 3, 2), F(5))], atol=1e-4),
]


test_gradcheck, test_matches_torch = spec_tests(SPECS)


@pytest.mark.parametrize("call", [
    lambda m: m.nn.functional.bilinear(m.ones(3, 4), m.ones(3, 5), m.ones(2, 4, 6)),
    lambda m: m.nn.functional.bilinear(m.ones(3, 4), m.ones(2, 5), m.ones(2, 4, 5)),
    lambda m: m.nn.functional.bilinear(m.ones(3, 4), m.ones(3, 5), m.ones(2, 4, 5), m.ones(3)),
    lambda m: m.nn.functional.bilinear(m.ones(2, 3, 4), m.ones(3, 5), m.ones(2, 4, 5)),
    lambda m: m.nn.functional.bilinear(m.ones(3, 4), m.ones(3, 5), m.ones(4, 5)),
])
def test_errors_are_pytorchs_types(call):
    with pytest.raises(Exception) as theirs:
        call(torch)
    with pytest.raises(theirs.type, match="bilinear"):
        call(sj)


def test_top_level_name_is_torchs():
    x1, x2, w = sj.ones(2, 3), sj.ones(2, 4), sj.ones(5, 3, 4)
    assert sj.bilinear(x1, x2, w).shape == (2, 5)
