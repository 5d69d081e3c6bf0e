"""Activations at extreme inputs: no overflow, no NaN, correct gradients (against PyTorch)."""

import warnings

import numpy as np
import pytest
import torch

import shenjing as sj
import shenjing.nn.functional as F

EXTREME = [-1000.0, -88.0, -20.0, -1e-8, 0.0, 1e-8, 20.0, 88.0, 1000.0]


def run_both(fn, values, dtype=np.float32):
    """Forward and backward in shenjing and PyTorch, with warnings turned into errors."""
    x = sj.tensor(np.asarray(values, dtype=dtype), requires_grad=True)
    xt = torch.tensor(np.asarray(values, dtype=dtype), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow in NumPy would raise here
        y = fn(sj, x)
        g = np.random.default_rng(0).standard_normal(y.shape).astype(dtype)
        y.backward(sj.tensor(g))
    yt = fn(torch, xt)
    yt.backward(torch.tensor(g))
    for array in (y.detach().numpy(), x.grad.numpy()):
        assert np.isfinite(array).all()
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "elu", "selu", "gelu", "silu",
                                  "softplus", "leaky_relu"])
def test_activations_at_extreme_inputs(name):
    run_both(lambda m, x: getattr(m.nn.functional, name)(x), EXTREME)


def test_sigmoid_saturates_exactly():
    y = F.sigmoid(sj.tensor([-1000.0, 1000.0]))
    assert y.tolist() == [0.0, 1.0]


def test_softmax_of_huge_logits():
    logits = [[1e4, 1e4 - 1.0, -1e4], [-1e4, -1e4, -1e4]]
    run_both(lambda m, x: m.softmax(x, dim=1), logits)
    run_both(lambda m, x: m.log_softmax(x, dim=1), logits)
    p = sj.softmax(sj.tensor(logits), dim=1)
    np.testing.assert_allclose(p.sum(dim=1).numpy(), [1.0, 1.0], rtol=1e-6)


def test_log_softmax_keeps_tiny_probabilities():
    """log_softmax gives -1000 where softmax would underflow to 0 and log would give -inf."""
    y = sj.log_softmax(sj.tensor([0.0, -1000.0]), dim=0)
    np.testing.assert_allclose(y.numpy(), [0.0, -1000.0])
    run_both(lambda m, x: m.log_softmax(x, dim=0), [0.0, -1000.0, 500.0])


def test_logsumexp_of_huge_and_infinite_values():
    run_both(lambda m, x: m.logsumexp(x, dim=0), [1e4, 1e4, -1e4])
    y = sj.logsumexp(sj.tensor([-np.inf, -np.inf]), dim=0)
    assert y.item() == -np.inf


def test_softplus_threshold_and_beta():
    run_both(lambda m, x: m.nn.functional.softplus(x, beta=3.0, threshold=5.0), EXTREME)


def test_gelu_tanh_approximation_at_extremes():
    run_both(lambda m, x: m.nn.functional.gelu(x, approximate="tanh"), EXTREME)


def test_functional_namespace_has_the_activations():
    for name in ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "gelu", "silu",
                 "swish", "softplus", "softmax", "log_softmax", "pad"]:
        assert callable(getattr(F, name))
