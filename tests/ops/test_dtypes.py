"""Dtypes as PyTorch gives them: integer and bool inputs, and type promotion between operands."""

import numpy as np
import pytest
import torch

import shenjing as sj

INT_INPUTS = [([1, 2, 3], "int64"), ([1, 2], "int32"), ([True, False], "bool"), ([3, 4], "int8")]
FLOAT_VALUED = ["exp", "log1p", "sqrt", "sin", "cos", "erf", "sigmoid", "tanh"]


def make(m, values, dtype):
    return m.tensor(values, dtype=getattr(m, dtype))


@pytest.mark.parametrize("values, dtype", INT_INPUTS)
@pytest.mark.parametrize("name", FLOAT_VALUED)
def test_float_valued_functions_of_integers(name, values, dtype):
    ours = getattr(sj, name)(make(sj, values, dtype))
    theirs = getattr(torch, name)(make(torch, values, dtype))
    assert str(theirs.dtype) == f"torch.{ours.dtype}"
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", ["gelu", "silu", "softplus", "elu", "selu"])
def test_activations_of_integers(name):
    ours = getattr(sj.nn.functional, name)(sj.tensor([-1, 2]))
    theirs = getattr(torch.nn.functional, name)(torch.tensor([-1, 2]).float())
    assert ours.dtype == sj.float32
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


PROMOTIONS = [
    lambda m: m.ones(3) * m.tensor(2.0, dtype=m.float64),
    lambda m: m.ones(3, dtype=m.int32) + m.tensor(2),
    lambda m: m.ones(3, dtype=m.int32) + m.tensor([2, 3, 4]),
    lambda m: m.tensor([1, 2]) * 2.5,
    lambda m: m.tensor([1, 2]) / m.tensor([2, 4]),
    lambda m: m.tensor([True, False]) + 1,
    lambda m: m.tensor([True, False]) * 1.5,
    lambda m: m.tensor([1, 2], dtype=m.uint8) + m.tensor([1, 2], dtype=m.int8),
    lambda m: m.ones(2, dtype=m.float16) + 1.0,
    lambda m: m.ones(2) + m.ones(2, dtype=m.float64),
    lambda m: m.where(m.tensor([True, False]), m.tensor([1, 2]), 0.5),
    lambda m: m.where(m.tensor([True, False]), m.tensor([1, 2]), m.ones(2)),
    lambda m: m.where(m.tensor([True, False]), 1.0, 0.0),
    lambda m: m.tensor([1, 2]).masked_fill(m.tensor([True, False]), 0.5),
    lambda m: m.cat([m.ones(2), m.tensor([1, 2])]),
    lambda m: m.cat([m.ones(2, dtype=m.int32), m.tensor([1, 2])]),
    lambda m: m.clamp(m.tensor([1, 5]), min=2.5),
    lambda m: m.clamp(m.tensor([1, 5]), min=2, max=4),
    lambda m: m.maximum(m.tensor([1, 5]), m.tensor([2.0, 3.0])),
    lambda m: 2 ** m.tensor([1, 2]),
    lambda m: m.tensor([1, 2]) ** 2.0,
    lambda m: m.ones(2, 2) @ m.ones(2, dtype=m.float32),
]


@pytest.mark.parametrize("case", range(len(PROMOTIONS)))
def test_promotion_matches_torch(case):
    ours, theirs = PROMOTIONS[case](sj), PROMOTIONS[case](torch)
    assert str(theirs.dtype) == f"torch.{ours.dtype}"
    np.testing.assert_allclose(ours.numpy(), theirs.numpy())


def test_var_of_integers_is_an_error_as_in_torch():
    with pytest.raises(TypeError, match="var: input must be a floating-point tensor"):
        sj.tensor([1, 2]).var()
    with pytest.raises(TypeError, match="mean"):
        sj.tensor([1, 2]).mean()
