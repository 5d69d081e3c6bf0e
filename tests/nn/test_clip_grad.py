"""Gradient clipping against PyTorch: returned norms, clipped gradients, non-finite gradients."""

import math

import numpy as np
import pytest
import torch

import shenjing as sj
from shenjing.nn.utils import clip_grad_norm_, clip_grad_value_, get_total_norm

SHAPES = [(3, 4), (5,), (), (2, 2, 2)]


def make_grads(dtype, scale=1.0, seed=0):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal(shape) * scale).astype(dtype) for shape in SHAPES]


def with_grads(lib, grads, skip=()):
    """Parameters whose .grad holds the given arrays; indices in ``skip`` get no gradient."""
    params = []
    for i, g in enumerate(grads):
        p = lib.tensor(np.zeros_like(g), requires_grad=True)
        if i not in skip:
            p.grad = lib.tensor(g.copy())
        params.append(p)
    return params


def grads_of(params):
    return [None if p.grad is None else p.grad.numpy().copy() for p in params]


def tolerances(dtype):
    return {"rtol": 1e-12, "atol": 1e-14} if dtype == np.float64 else {"rtol": 1e-6, "atol": 1e-7}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, 0.5, math.inf, -math.inf, 0.0, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_equals_pytorch(dtype, norm_type, max_norm):
    grads = make_grads(dtype)
    ours = with_grads(sj, grads, skip=(1,))
    theirs = with_grads(torch, grads, skip=(1,))
    norm_type = float(norm_type)
    total = clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert isinstance(total, sj.Tensor) and total.shape == ()
    assert total.dtype == np.dtype(dtype)
    np.testing.assert_allclose(total.numpy(), expected.numpy(), **tolerances(dtype))
    for a, b in zip(grads_of(ours), grads_of(theirs)):
        if b is None:
            assert a is None
        else:
            assert a.dtype == b.dtype
            np.testing.assert_allclose(a, b, **tolerances(dtype))


def test_clip_grad_norm_scales_to_max_norm():
    params = with_grads(sj, make_grads(np.float64, scale=10.0))
    before = clip_grad_norm_(params, max_norm=2.0)
    assert before.item() > 2.0
    after = get_total_norm([p.grad for p in params])
    assert after.item() == pytest.approx(2.0, rel=1e-5)
    # below the threshold nothing changes (the coefficient is clamped to 1)
    grads = grads_of(params)
    clip_grad_norm_(params, max_norm=10.0)
    for a, b in zip(grads_of(params), grads):
        np.testing.assert_array_equal(a, b)


def test_clip_grad_norm_accepts_a_single_tensor_and_a_generator():
    grads = make_grads(np.float64)
    ours, theirs = with_grads(sj, grads), with_grads(torch, grads)
    total = clip_grad_norm_(ours[0], 0.1)
    expected = torch.nn.utils.clip_grad_norm_(theirs[0], 0.1)
    np.testing.assert_allclose(total.numpy(), expected.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours[0].grad.numpy(), theirs[0].grad.numpy(), rtol=1e-12)
    total = clip_grad_norm_((p for p in ours), 0.1)
    expected = torch.nn.utils.clip_grad_norm_((p for p in theirs), 0.1)
    np.testing.assert_allclose(total.numpy(), expected.numpy(), rtol=1e-12)


def test_clip_grad_norm_with_no_gradients_is_zero():
    total = clip_grad_norm_([sj.zeros(2, requires_grad=True)], 1.0)
    expected = torch.nn.utils.clip_grad_norm_([torch.zeros(2, requires_grad=True)], 1.0)
    assert total.item() == expected.item() == 0.0
    assert total.dtype == sj.float32
    assert clip_grad_norm_([], 1.0).item() == 0.0


def test_clip_grad_norm_mixed_dtypes_promote():
    grads = [np.array([3.0], dtype=np.float32), np.array([4.0], dtype=np.float64)]
    ours, theirs = with_grads(sj, grads), with_grads(torch, grads)
    total = clip_grad_norm_(ours, 1.0)
    expected = torch.nn.utils.clip_grad_norm_(theirs, 1.0)
    assert total.dtype == sj.float64 and expected.dtype == torch.float64
    np.testing.assert_allclose(total.numpy(), expected.numpy(), rtol=1e-7)
    for a, b in zip(grads_of(ours), grads_of(theirs)):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=1e-6)


@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan])
@pytest.mark.parametrize("norm_type", [2.0, math.inf, 1.0])
def test_nonfinite_gradients(bad, norm_type):
    grads = make_grads(np.float64)
    grads[0][1, 2] = bad
    ours, theirs = with_grads(sj, grads), with_grads(torch, grads)
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(ours, 1.0, norm_type=norm_type, error_if_nonfinite=True)
    with pytest.raises(RuntimeError, match="non-finite"):
        torch.nn.utils.clip_grad_norm_(theirs, 1.0, norm_type=norm_type, error_if_nonfinite=True)
    # the failed call left the gradients alone
    for a, g in zip(grads_of(ours), grads):
        np.testing.assert_array_equal(a, g)
    # without the check, the non-finite norm flows through as in PyTorch
    total = clip_grad_norm_(ours, 1.0, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, 1.0, norm_type=norm_type)
    np.testing.assert_array_equal(total.numpy(), expected.numpy())
    for a, b in zip(grads_of(ours), grads_of(theirs)):
        np.testing.assert_array_equal(a, b)  # NaN where PyTorch has NaN


def test_clip_grad_norm_bumps_the_gradient_version():
    params = with_grads(sj, make_grads(np.float64, scale=10.0))
    versions = [p.grad._version for p in params]
    clip_grad_norm_(params, 1.0)
    assert [p.grad._version for p in params] == [v + 1 for v in versions]


def traced(fn, params, *args, **kwargs):
    """Call ``fn(params, ...)`` while a trace records, the gradients given to the trace as
    inputs (as if a compiled backward had made them); returns its result and the recorded
    kernel calls."""
    from shenjing.autograd import tracing

    trace = tracing.Trace()
    for p in params:
        if p.grad is not None:
            trace.add_input(p.grad, "grad")
    tracing.start(trace)
    try:
        result = fn(params, *args, **kwargs)
    finally:
        tracing.stop()
    return result, [call for call in trace.calls if call.kind == "kernel"]


def test_clip_grad_norm_is_recorded_and_replays():
    """Every array step is a kernel call and the norm stays an array, so a replay can rerun it."""
    grads = make_grads(np.float64, scale=10.0)
    params = with_grads(sj, grads, skip=(1,))
    total, kernels = traced(clip_grad_norm_, params, 1.0)
    assert [call.name for call in kernels] == (
        ["get_total_norm", "clip_coef"] + ["clip_grads_with_norm_"] * 3
    )
    assert kernels[1].args == kernels[0].outputs  # the coefficient comes from the recorded norm
    assert [call.mutates.kind for call in kernels[2:]] == ["input"] * 3
    assert [call.args[0].index for call in kernels[2:]] == [0, 1, 2]  # the grads of 0, 2, 3
    # replaying the calls on fresh gradients clips them as an eager call does
    fresh = make_grads(np.float64, scale=3.0, seed=5)
    expected = with_grads(sj, fresh, skip=(1,))
    clip_grad_norm_(expected, 1.0)
    for p, g in zip(params, fresh):
        if p.grad is not None:
            p.grad.numpy()[...] = g
    arrays = [params[i].grad.numpy() for i in (0, 2, 3)]
    norm = kernels[0].target(*arrays, **kernels[0].params)
    coef = kernels[1].target(norm, **kernels[1].params)
    for call, g in zip(kernels[2:], arrays):
        call.target(g, coef, **call.params)
    for a, b in zip(grads_of(params), grads_of(expected)):
        if b is not None:
            np.testing.assert_array_equal(a, b)


def test_clip_grad_value_is_recorded():
    params = with_grads(sj, make_grads(np.float32, scale=2.0), skip=(0,))
    _, kernels = traced(clip_grad_value_, params, 0.5)
    assert [call.name for call in kernels] == ["clip_grad_value_"] * 3
    assert [call.mutates.kind for call in kernels] == ["input"] * 3
    assert [call.mutates.index for call in kernels] == [0, 1, 2]  # the grads of 1, 2, 3


def test_error_if_nonfinite_is_refused_while_tracing():
    from shenjing.autograd.tracing import TraceError

    params = with_grads(sj, make_grads(np.float64))
    before = grads_of(params)
    with pytest.raises(TraceError, match="error_if_nonfinite"):
        traced(clip_grad_norm_, params, 1.0, error_if_nonfinite=True)
    for a, b in zip(grads_of(params), before):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("clip_value", [0.3, 1, 5.0])
def test_clip_grad_value_equals_pytorch(dtype, clip_value):
    grads = make_grads(dtype, scale=2.0)
    grads[3][0, 1, 1] = math.nan
    grads[0][0, 0] = -math.inf
    ours, theirs = with_grads(sj, grads, skip=(2,)), with_grads(torch, grads, skip=(2,))
    assert clip_grad_value_(ours, clip_value) is None
    torch.nn.utils.clip_grad_value_(theirs, clip_value)
    for a, b in zip(grads_of(ours), grads_of(theirs)):
        if b is None:
            assert a is None
        else:
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)
    single = with_grads(sj, grads)[0]
    clip_grad_value_(single, 0.1)
    assert np.abs(single.grad.numpy()).max() == pytest.approx(0.1)
