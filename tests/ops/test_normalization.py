"""Batch, layer, group and instance norm and PReLU through the harness."""

import numpy as np
import pytest
import torch

import shenjing as sj
from tests.ops.harness import F, OpSpec, spec_tests


def batch_norm_training(m, x, w, b):
    return m.nn.functional.batch_norm(x, None, None, w, b, training=True)


def batch_norm_eval(m, x, w, b, mean, var):
    return m.nn.functional.batch_norm(x, mean, var, w, b, training=False)


def instance_norm_training(m, x, w, b):
    return m.nn.functional.instance_norm(x, weight=w, bias=b)


def instance_norm_eval(m, x, w, b, mean, var):
    return m.nn.functional.instance_norm(x, mean, var, w, b, use_input_stats=False)


OVERFLOW = ("a group or instance holding +-1e30: its variance overflows float32 and PyTorch's "
            "gradient is NaN, shenjing's finite (0), as for batch norm")

SPECS = [
    OpSpec("batch_norm", batch_norm_training,
           [(F(6, 3), F(3), F(3)), (F(4, 3, 5), F(3), F(3)), (F(5, 2), None, None)],
           atol=1e-4),
    OpSpec("batch_norm:eval", batch_norm_eval,
           [(F(6, 3), F(3), F(3), F(3, requires_grad=False),
             F(3, low=0.5, high=2.0, requires_grad=False))]),
    OpSpec("layer_norm", lambda m, x, shape, w, b: m.nn.functional.layer_norm(x, shape, w, b),
           [(F(4, 5), (5,), F(5), F(5)), (F(2, 3, 4), (3, 4), F(3, 4), F(3, 4)),
            (F(3, 6), (6,), None, None)], atol=1e-4,
           finer_than_torch="a row holding +-1e30: its variance overflows float32 and "
                            "PyTorch's layer norm gives NaN, shenjing's a finite result"),
    OpSpec("group_norm", lambda m, x, g, w, b: m.nn.functional.group_norm(x, g, w, b),
           [(F(3, 4, 5), 2, F(4), F(4)), (F(2, 6, 3, 2), 3, F(6), F(6)),
            (F(2, 4, 3), 4, None, None), (F(4, 6), 1, F(6), None), (F(2, 8, 2, 2), 4, F(8), F(8))],
           atol=1e-4, finer_than_torch=OVERFLOW),
    OpSpec("instance_norm", instance_norm_training,
           [(F(3, 4, 5), F(4), F(4)), (F(2, 3, 4, 3), F(3), F(3)), (F(2, 3, 5), None, None)],
           atol=1e-4, finer_than_torch=OVERFLOW),
    OpSpec("instance_norm:eval", instance_norm_eval,
           [(F(2, 3, 4), F(3), F(3), F(3, requires_grad=False),
             F(3, low=0.5, high=2.0, requires_grad=False))]),
    OpSpec("prelu", lambda m, x, w: m.nn.functional.prelu(x, w),
           [(F(3, 4, avoid=(0.0,)), F(1)), (F(2, 3, 5, avoid=(0.0,)), F(3)),
            (F(4, avoid=(0.0,)), F(1))]),
]


test_gradcheck, test_matches_torch = spec_tests(SPECS)


def test_batch_norm_of_a_channel_near_1e30_matches_torch():
    """The variance overflows float32 (inf) in PyTorch too, which normalises the channel to 0;
    its gradients are finite, where the composite of var, sqrt and division gave NaN."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 3, 2)).astype(np.float32)
    x[::2, 1] = 1e30
    gy = rng.standard_normal(x.shape).astype(np.float32)
    results = []
    for m in (sj, torch):
        xs = (sj.tensor if m is sj else torch.tensor)(x, requires_grad=True)
        w, b = m.ones(3), m.zeros(3)
        w.requires_grad_()
        b.requires_grad_()
        mean, var = m.zeros(3), m.ones(3)
        y = m.nn.functional.batch_norm(xs, mean, var, w, b, training=True)
        y.backward((sj.tensor if m is sj else torch.tensor)(gy))
        results.append([t.detach().numpy() for t in (y, xs.grad, w.grad, b.grad, mean, var)])
    for k, (ours, theirs) in enumerate(zip(*results)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5, err_msg=f"result {k}")
    assert np.isfinite(results[0][1]).all()


def test_normalize_gradients_of_every_output_and_of_second_order():
    """``Normalize`` returns (y, mean, var, s); batch and layer norm differentiate only y, so
    the statistics' own gradients are checked here, in float64."""
    rng = np.random.default_rng(0)
    x = sj.tensor(rng.standard_normal((5, 3, 2)), requires_grad=True)
    for dims in [(0, 2), (1, 2)]:
        def statistics(x, dims=dims):
            return sj.ops.normalization.Normalize.apply(x, dims=dims, eps=1e-5)
        assert sj.autograd.gradcheck(statistics, [x])
        assert sj.autograd.gradgradcheck(statistics, [x])


def test_instance_norm_updates_running_statistics_as_torch():
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((4, 3, 6)) * 2 + 1).astype(np.float32)
    results = []
    for m in (sj, torch):
        mean, var = m.zeros(3), m.ones(3)
        m.nn.functional.instance_norm(m.tensor(x), mean, var, momentum=0.3)
        results.append((mean.numpy(), var.numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("call", [
    lambda m: m.nn.functional.group_norm(m.ones(2, 3, 4), 2),
    lambda m: m.nn.functional.group_norm(m.ones(4), 2),
    lambda m: m.nn.functional.group_norm(m.ones(4, 4), 2, m.ones(3)),
    lambda m: m.nn.functional.instance_norm(m.ones(2, 3, 1)),
    lambda m: m.nn.functional.instance_norm(m.ones(2, 3)),
])
def test_group_and_instance_norm_errors_are_pytorchs_types(call):
    with pytest.raises(Exception) as theirs:
        call(torch)
    with pytest.raises(theirs.type, match="(group|instance)_norm"):
        call(sj)
