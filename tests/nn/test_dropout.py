"""Dropout: random masks cannot match PyTorch's, so their statistics and rules are checked."""

import numpy as np
import pytest

import shenjing as sj


def test_inverted_dropout_scales_the_kept_units():
    x = sj.ones(100_000)
    y = sj.nn.functional.dropout(x, p=0.3)
    values = y.numpy()
    kept = values != 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(values[kept], 1 / 0.7, rtol=1e-6)
    assert abs(values.mean() - 1.0) < 0.02  # the expectation is unchanged


def test_gradient_flows_through_the_kept_units_only():
    x = sj.ones(1000, requires_grad=True)
    y = sj.nn.functional.dropout(x, p=0.5)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.detach().numpy())


def test_eval_mode_and_edge_probabilities():
    layer = sj.nn.Dropout(0.5)
    x = sj.randn(10)
    assert layer.eval()(x) is x
    assert not sj.nn.functional.dropout(x, 1.0).numpy().any()
    assert sj.nn.functional.dropout(x, 0.0) is x
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\]"):
        sj.nn.Dropout(1.5)


def test_masks_follow_the_seed():
    sj.manual_seed(7)
    a = sj.nn.functional.dropout(sj.ones(50), 0.5).numpy()
    sj.manual_seed(7)
    b = sj.nn.functional.dropout(sj.ones(50), 0.5).numpy()
    np.testing.assert_array_equal(a, b)
