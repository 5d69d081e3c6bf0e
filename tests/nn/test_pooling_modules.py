"""Pooling and channel-dropout layers against PyTorch: outputs, gradients, printing, errors."""

import types
import warnings

import numpy as np
import pytest
import torch

import shenjing as sj
from shenjing.nn.modules.dropout2d import Dropout2d
from shenjing.nn.modules.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from shenjing.ops import pooling
from shenjing.ops.dropout2d import dropout2d

OURS = types.SimpleNamespace(MaxPool2d=MaxPool2d, AvgPool2d=AvgPool2d,
                             AdaptiveAvgPool2d=AdaptiveAvgPool2d, Dropout2d=Dropout2d)


def nn(m):
    return torch.nn if m is torch else OURS


LAYERS = [
    (lambda m: nn(m).MaxPool2d(2), (4, 3, 8, 8)),
    (lambda m: nn(m).MaxPool2d(3, stride=2, padding=1), (2, 3, 9, 7)),
    (lambda m: nn(m).MaxPool2d((2, 3), stride=1, padding=(1, 0), dilation=2, ceil_mode=True),
     (1, 2, 7, 8)),
    (lambda m: nn(m).MaxPool2d(2, ceil_mode=True), (3, 5, 5)),
    (lambda m: nn(m).AvgPool2d(2), (4, 3, 8, 8)),
    (lambda m: nn(m).AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
     (2, 3, 8, 8)),
    (lambda m: nn(m).AvgPool2d((3, 2), stride=(2, 1), padding=(1, 1), divisor_override=5),
     (1, 2, 7, 6)),
    (lambda m: nn(m).AvgPool2d(3, padding=1), (3, 7, 7)),
    (lambda m: nn(m).AdaptiveAvgPool2d((1, 1)), (4, 8, 5, 5)),
    (lambda m: nn(m).AdaptiveAvgPool2d(3), (2, 3, 7, 8)),
    (lambda m: nn(m).AdaptiveAvgPool2d((None, 2)), (2, 3, 5, 6)),
    (lambda m: nn(m).AdaptiveAvgPool2d((4, 4)), (3, 8, 8)),
]


@pytest.mark.parametrize("make, shape", LAYERS)
def test_layers_match_pytorch(make, shape):
    ours, theirs = make(sj), make(torch)
    assert repr(ours) == repr(theirs)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    xs, xt = sj.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, yt = ours(xs), theirs(xt)
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    g = np.random.default_rng(1).standard_normal(y.shape).astype(np.float32)
    y.backward(sj.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(xs.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("make", [
    lambda m: nn(m).MaxPool2d(3),
    lambda m: nn(m).MaxPool2d((2, 3), (1, 2), (1, 0), (2, 1), True, True),
    lambda m: nn(m).AvgPool2d((2, 3), 1, 1, True, False, 2),
    lambda m: nn(m).AdaptiveAvgPool2d((5, None)),
    lambda m: nn(m).Dropout2d(0.25),
])
def test_repr_matches_pytorch(make):
    assert repr(make(sj)) == repr(make(torch))


def test_return_indices_match_pytorch():
    x = np.random.default_rng(2).standard_normal((2, 3, 7, 7)).astype(np.float32)
    y, index = MaxPool2d(3, stride=2, padding=1, return_indices=True)(sj.tensor(x))
    yt, index_t = torch.nn.MaxPool2d(3, stride=2, padding=1, return_indices=True)(
        torch.tensor(x))
    np.testing.assert_array_equal(y.numpy(), yt.numpy())
    np.testing.assert_array_equal(index.numpy(), index_t.numpy())
    assert index.dtype == np.int64 and not index.requires_grad


def test_ties_go_to_the_first_maximum_as_in_pytorch():
    # Overlapping windows over equal values: every window has KH*KW maxima.
    x = np.ones((1, 2, 6, 6), np.float32)
    xs, xt = sj.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, index = pooling.max_pool2d(xs, 3, stride=1, padding=1, return_indices=True)
    yt, index_t = torch.nn.functional.max_pool2d(xt, 3, stride=1, padding=1, return_indices=True)
    np.testing.assert_array_equal(index.numpy(), index_t.numpy())
    g = np.random.default_rng(3).standard_normal(y.shape).astype(np.float32)
    y.backward(sj.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(xs.grad.numpy(), xt.grad.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("kernel, stride, padding, dilation",
                         [(3, 2, 1, 1), (3, 2, 1, 2), (2, 1, 1, 3), (4, 3, 2, 2)])
def test_windows_of_minus_infinity_point_inside_the_input(kernel, stride, padding, dilation):
    x = np.full((1, 1, 9, 9), -np.inf, np.float32)
    x[0, 0, 4, 4] = 1.0
    args = (kernel, stride, padding, dilation)
    y, index = pooling.max_pool2d(sj.tensor(x), *args, return_indices=True)
    yt, index_t = torch.nn.functional.max_pool2d(torch.tensor(x), *args, return_indices=True)
    np.testing.assert_array_equal(y.numpy(), yt.numpy())
    np.testing.assert_array_equal(index.numpy(), index_t.numpy())


def test_nan_propagates():
    x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
    x[0, 0, 1, 2] = np.nan
    y = pooling.max_pool2d(sj.tensor(x), 2).numpy()
    yt = torch.nn.functional.max_pool2d(torch.tensor(x), 2).numpy()
    np.testing.assert_array_equal(y, yt)


@pytest.mark.parametrize("kernel, stride, padding", [(2, 2, 0), (3, 2, 1), (3, 1, 1)])
def test_nan_wins_its_window_as_in_pytorch(kernel, stride, padding):
    """The index of a window holding NaN points at its last NaN; the gradient follows it."""
    x = np.arange(36, dtype=np.float32).reshape(1, 1, 6, 6)
    x[0, 0, 1, 2] = x[0, 0, 1, 3] = x[0, 0, 4, 0] = np.nan
    xs, xt = sj.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    args = (kernel, stride, padding)
    y, index = pooling.max_pool2d(xs, *args, return_indices=True)
    yt, index_t = torch.nn.functional.max_pool2d(xt, *args, return_indices=True)
    np.testing.assert_array_equal(y.detach().numpy(), yt.detach().numpy())
    np.testing.assert_array_equal(index.numpy(), index_t.numpy())
    y.sum().backward()
    yt.sum().backward()
    np.testing.assert_array_equal(xs.grad.numpy(), xt.grad.numpy())


def test_integer_inputs_match_pytorch():
    x = np.random.default_rng(4).integers(-50, 50, (2, 3, 7, 7))
    for fn, kwargs in [("max_pool2d", dict(kernel_size=3, stride=2, padding=1)),
                       ("avg_pool2d", dict(kernel_size=3, stride=2, padding=1,
                                           count_include_pad=False))]:
        y = getattr(pooling, fn)(sj.tensor(x), **kwargs)
        yt = getattr(torch.nn.functional, fn)(torch.tensor(x), **kwargs)
        assert y.dtype == yt.numpy().dtype
        np.testing.assert_array_equal(y.numpy(), yt.numpy())


def test_second_derivatives_match_pytorch():
    x = np.random.default_rng(5).standard_normal((2, 2, 6, 6))
    results = []
    for m in (sj, torch):
        xs = m.tensor(x).requires_grad_()
        f = functional_of(m)
        y = f.avg_pool2d(f.max_pool2d(xs, 3, stride=1, padding=1) ** 2, 2, padding=1)
        (g,) = m.autograd.grad(y.sum(), xs, create_graph=True)
        (gg,) = m.autograd.grad((g * g).sum(), xs)
        results.append(np.asarray(gg.detach().numpy()))
    np.testing.assert_allclose(results[0], results[1], rtol=1e-10, atol=1e-12)


def functional_of(m):
    return torch.nn.functional if m is torch else pooling


# -- Dropout2d -------------------------------------------------------------------------------------
def test_dropout2d_zeroes_whole_channels_and_scales_the_rest():
    y = dropout2d(sj.ones(200, 100, 3, 4), p=0.3).numpy()
    planes = y.reshape(200, 100, -1)
    assert (planes == planes[..., :1]).all()  # every channel is constant: all kept or all zero
    kept = planes[..., 0] != 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(planes[kept], 1 / 0.7, rtol=1e-6)
    assert abs(y.mean() - 1.0) < 0.02  # the expectation is unchanged


def test_dropout2d_gradient_is_the_mask():
    x = sj.randn(8, 16, 3, 3, requires_grad=True)
    y = dropout2d(x, p=0.5)
    g = sj.randn(*y.shape)
    y.backward(g)
    mask = (y.detach().numpy() / x.detach().numpy())
    np.testing.assert_allclose(x.grad.numpy(), g.numpy() * mask, rtol=1e-5, atol=1e-6)


def test_dropout2d_eval_mode_edge_probabilities_and_seed():
    layer = Dropout2d(0.5)
    x = sj.randn(2, 3, 4, 4)
    assert layer.eval()(x) is x
    assert dropout2d(x, 0.5, training=False) is x
    assert dropout2d(x, 0.0) is x
    assert not dropout2d(x, 1.0).numpy().any()
    sj.manual_seed(11)
    a = Dropout2d(0.5)(sj.ones(4, 50, 2, 2)).numpy()
    sj.manual_seed(11)
    b = dropout2d(sj.ones(4, 50, 2, 2), 0.5).numpy()
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match=r"Dropout2d: p must be in \[0, 1\]"):
        Dropout2d(1.5)
    with pytest.raises(ValueError, match=r"dropout2d: p must be in \[0, 1\]"):
        dropout2d(x, -0.1)


def test_dropout2d_reads_3d_input_as_pytorch_does():
    with pytest.warns(UserWarning, match=r"\(N, C, L\)"):
        y = dropout2d(sj.ones(50, 40, 6), 0.5).numpy()
    assert (y == y[..., :1]).all()  # one draw per (N, C) row, as PyTorch's (N, C, L) reading
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dropout2d(sj.ones(2, 3, 4, 5), 0.5)  # 4-d: no warning
    with pytest.raises(ValueError, match=r"dropout2d: expected .* got shape \(5,\)"):
        dropout2d(sj.ones(5), 0.5)


# -- errors ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("call, message", [
    (lambda: pooling.max_pool2d(sj.ones(4, 4), 2),
     r"max_pool2d: expected a non-empty 3-d \(C, H, W\) or 4-d .* got shape \(4, 4\)"),
    (lambda: pooling.avg_pool2d(sj.ones(1, 1, 1, 4, 4), 2),
     r"avg_pool2d: expected .* got shape \(1, 1, 1, 4, 4\)"),
    (lambda: pooling.max_pool2d(sj.ones(2, 0, 3, 3), 2), r"max_pool2d: .*\(2, 0, 3, 3\)"),
    (lambda: pooling.max_pool2d(sj.ones(1, 1, 2, 2), 3),
     r"max_pool2d: the kernel \(3, 3\) \(dilation \(1, 1\)\) is larger than the input of shape "
     r"\(1, 1, 2, 2\) padded by \(0, 0\)"),
    (lambda: pooling.max_pool2d(sj.ones(1, 1, 5, 5), 3, dilation=3),
     r"max_pool2d: the kernel \(3, 3\) \(dilation \(3, 3\)\) is larger"),
    (lambda: pooling.avg_pool2d(sj.ones(1, 1, 2, 2), (1, 3)),
     r"avg_pool2d: the kernel \(1, 3\) .* input of shape \(1, 1, 2, 2\)"),
    (lambda: pooling.max_pool2d(sj.ones(1, 1, 4, 4), 3, padding=2),
     r"max_pool2d: padding \(2, 2\) must be at most half the kernel size \(3, 3\)"),
    (lambda: pooling.avg_pool2d(sj.ones(1, 1, 4, 4), 2, stride=0),
     r"avg_pool2d: stride must be positive, got \(0, 0\)"),
    (lambda: pooling.avg_pool2d(sj.ones(1, 1, 4, 4), 2, divisor_override=0),
     r"avg_pool2d: divisor_override must be a non-zero int"),
    (lambda: pooling.max_pool2d(sj.ones(1, 1, 4, 4), 2.5), r"max_pool2d: kernel_size must be"),
    (lambda: pooling.adaptive_avg_pool2d(sj.ones(3, 3), 2),
     r"adaptive_avg_pool2d: expected .* got shape \(3, 3\)"),
    (lambda: pooling.adaptive_avg_pool2d(sj.ones(1, 3, 3), (2, -1)),
     r"adaptive_avg_pool2d: output_size must hold non-negative ints"),
    (lambda: MaxPool2d(3)(sj.ones(1, 1, 2, 2)),
     r"MaxPool2d\(kernel_size=3, .*\): max_pool2d: the kernel .* \(1, 1, 2, 2\)"),
    (lambda: AvgPool2d(2)(sj.ones(8, 8)), r"AvgPool2d\(kernel_size=2, .*got shape \(8, 8\)"),
    (lambda: AdaptiveAvgPool2d(2)(sj.ones(4)), r"AdaptiveAvgPool2d\(output_size=2\): "),
])
def test_errors_name_the_operation_and_the_shapes(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_configurations_pytorch_rejects_are_rejected():
    """Each configuration in the error table fails in PyTorch too (so none is over-strict)."""
    for args, kwargs in [((torch.ones(1, 1, 2, 2), 3), {}),
                         ((torch.ones(1, 1, 4, 4), 3), dict(padding=2)),
                         ((torch.ones(1, 1, 5, 5), 3), dict(dilation=3)),
                         ((torch.ones(4, 4), 2), {})]:
        with pytest.raises(RuntimeError):
            torch.nn.functional.max_pool2d(*args, **kwargs)


# -- the layers of issue 14 ------------------------------------------------------------------------
LAYERS_14 = [
    (lambda m: m.nn.MaxPool1d(2), (4, 3, 8)),
    (lambda m: m.nn.MaxPool1d(3, stride=2, padding=1, dilation=2, ceil_mode=True), (2, 3, 11)),
    (lambda m: m.nn.MaxPool1d((3,), stride=(1,)), (3, 9)),  # unbatched
    (lambda m: m.nn.AvgPool1d(2), (4, 3, 8)),
    (lambda m: m.nn.AvgPool1d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
     (2, 3, 8)),
    (lambda m: m.nn.AvgPool1d(3, padding=1), (3, 7)),
    (lambda m: m.nn.AdaptiveAvgPool1d(1), (4, 8, 5)),
    (lambda m: m.nn.AdaptiveAvgPool1d(3), (2, 3, 7)),
    (lambda m: m.nn.AdaptiveMaxPool2d((1, 1)), (4, 8, 5, 5)),
    (lambda m: m.nn.AdaptiveMaxPool2d(3), (2, 3, 7, 8)),
    (lambda m: m.nn.AdaptiveMaxPool2d((None, 2)), (3, 5, 6)),
]


@pytest.mark.parametrize("make, shape", LAYERS_14)
def test_issue_14_layers_match_pytorch(make, shape):
    ours, theirs = make(sj), make(torch)
    assert repr(ours) == repr(theirs)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    xs, xt = sj.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, yt = ours(xs), theirs(xt)
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    g = np.random.default_rng(1).standard_normal(y.shape).astype(np.float32)
    y.backward(sj.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(xs.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("make", [
    lambda m: m.nn.MaxPool1d((3,), (2,), 1, 2, True, True),
    lambda m: m.nn.AvgPool1d((3,), None, (1,), True, False),
    lambda m: m.nn.AdaptiveAvgPool1d((3,)),
    lambda m: m.nn.AdaptiveMaxPool2d((2, None), return_indices=True),
    lambda m: m.nn.MaxUnpool2d((2, 3), stride=1, padding=(1, 0)),
    lambda m: m.nn.MaxUnpool2d(3),
])
def test_issue_14_reprs_match_pytorch(make):
    assert repr(make(sj)) == repr(make(torch))


@pytest.mark.parametrize("make, shape", [
    (lambda m: m.nn.MaxPool1d(3, stride=2, padding=1, return_indices=True), (2, 3, 9)),
    (lambda m: m.nn.AdaptiveMaxPool2d((3, 2), return_indices=True), (2, 3, 7, 5)),
    (lambda m: m.nn.AdaptiveMaxPool2d(4, return_indices=True), (2, 3, 3)),  # shared maxima
])
def test_indices_match_pytorch(make, shape):
    x = np.random.default_rng(2).standard_normal(shape).astype(np.float32)
    (y, index), (yt, index_t) = make(sj)(sj.tensor(x)), make(torch)(torch.tensor(x))
    np.testing.assert_array_equal(y.numpy(), yt.numpy())
    np.testing.assert_array_equal(index.numpy(), index_t.numpy())
    assert index.dtype == np.int64 and not index.requires_grad


def test_adaptive_max_pooling_nan_and_minus_infinity_as_in_pytorch():
    x = np.full((1, 1, 5, 5), -np.inf, np.float32)
    x[0, 0, 1, 1] = x[0, 0, 1, 3] = np.nan
    x[0, 0, 4, 4] = 2.0
    y, index = sj.nn.functional.adaptive_max_pool2d(sj.tensor(x), 3, return_indices=True)
    yt, index_t = torch.nn.functional.adaptive_max_pool2d(torch.tensor(x), 3,
                                                          return_indices=True)
    np.testing.assert_array_equal(y.numpy(), yt.numpy())
    np.testing.assert_array_equal(index.numpy(), index_t.numpy())


@pytest.mark.parametrize("pool, unpool, shape, output_size", [
    (lambda m: m.nn.MaxPool2d(2, return_indices=True), lambda m: m.nn.MaxUnpool2d(2),
     (2, 3, 6, 6), None),
    (lambda m: m.nn.MaxPool2d(2, return_indices=True), lambda m: m.nn.MaxUnpool2d(2),
     (2, 3, 7, 5), (2, 3, 7, 5)),
    (lambda m: m.nn.MaxPool2d((2, 3), stride=(2, 3), padding=1, return_indices=True),
     lambda m: m.nn.MaxUnpool2d((2, 3), stride=(2, 3), padding=1), (1, 2, 6, 9), (6, 9)),
    (lambda m: m.nn.MaxPool2d(2, return_indices=True), lambda m: m.nn.MaxUnpool2d(2),
     (3, 4, 4), None),  # unbatched
])
def test_unpooling_layer_matches_pytorch(pool, unpool, shape, output_size):
    """Pool, then unpool: values, and gradients through both."""
    x = np.random.default_rng(3).standard_normal(shape).astype(np.float32)
    results = []
    for m in (sj, torch):
        xm = m.tensor(x, requires_grad=True)
        y, index = pool(m)(xm)
        z = unpool(m)(y, index, output_size=output_size)
        g = np.random.default_rng(4).standard_normal(tuple(z.shape)).astype(np.float32)
        z.backward(m.tensor(g))
        results.append((z.detach().numpy(), xm.grad.numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("call, error, message", [
    (lambda m, y, i: m.nn.functional.max_unpool2d(y, i, 2), RuntimeError, r"invalid max index"),
    (lambda m, y, i: m.nn.functional.max_unpool2d(y, i.float(), 2, output_size=(5, 5)),
     RuntimeError, "int64"),
    (lambda m, y, i: m.nn.functional.max_unpool2d(y, i[..., :1], 2, output_size=(5, 5)),
     RuntimeError, r"shape"),
    (lambda m, y, i: m.nn.functional.max_unpool2d(y, i, 2, output_size=(7, 7)), ValueError,
     r"output_size"),
    (lambda m, y, i: m.nn.functional.max_unpool2d(y, i, 2, output_size=(1, 5, 5)),
     ValueError, r"output_size"),
])
def test_unpooling_errors_are_pytorchs(call, error, message):
    x = np.arange(25, dtype=np.float32).reshape(1, 1, 5, 5)  # maxima at 6, 8, 16 and 18
    for m in (sj, torch):
        y, index = m.nn.functional.max_pool2d(m.tensor(x), 2, return_indices=True)
        with pytest.raises(error, match=message if m is sj else None):
            call(m, y, index)


@pytest.mark.parametrize("call", [
    lambda m: m.nn.functional.max_pool1d(m.ones(2, 3, 4, 5), 2),  # 4-d
    lambda m: m.nn.functional.avg_pool1d(m.ones(3, 2), 3),  # kernel beyond the input
    lambda m: m.nn.functional.max_pool1d(m.ones(1, 3, 8), 2, padding=2),  # padding > kernel/2
    lambda m: m.nn.functional.adaptive_max_pool2d(m.ones(5), 2),
])
def test_issue_14_configurations_pytorch_rejects_are_rejected(call):
    with pytest.raises((RuntimeError, ValueError)):
        call(torch)
    with pytest.raises((RuntimeError, ValueError)):
        call(sj)


@pytest.mark.parametrize("make, shape", [
    (lambda m: m.nn.MaxPool1d(2), (0, 3, 4)),
    (lambda m: m.nn.AvgPool1d(2), (0, 3, 4)),
    (lambda m: m.nn.AdaptiveAvgPool1d(3), (0, 3, 7)),
    (lambda m: m.nn.AdaptiveMaxPool2d(3), (0, 3, 7, 7)),
    (lambda m: lambda x: m.nn.MaxUnpool2d(2)(*m.nn.MaxPool2d(2, return_indices=True)(x)),
     (0, 3, 4, 4)),
])
def test_issue_14_layers_take_empty_batches(make, shape):
    x = sj.zeros(*shape, requires_grad=True)
    y = make(sj)(x)
    assert y.shape == tuple(make(torch)(torch.zeros(*shape)).shape)
    y.sum().backward()
    assert x.grad.shape == shape

