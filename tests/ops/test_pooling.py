"""Pooling through the harness, over a grid of geometries: max, average, adaptive average and
adaptive max in 1-d and 2-d, and max unpooling."""

import pytest
import torch

import shenjing as sj
from shenjing.ops import pooling
from tests.ops.harness import F, OpSpec, check_against_torch, spec_tests


def functional(m):
    """PyTorch's functional module, or shenjing's pooling ops."""
    return torch.nn.functional if m is torch else pooling


def D(*shape):  # noqa: N802 - reads as a descriptor
    """Distinct values, so that every window has one maximum and finite differences hold."""
    return F(*shape, distinct=True)


def C(*shape):  # noqa: N802
    """Distinct values that are not differentiated."""
    return F(*shape, distinct=True, requires_grad=False)


MAX_CASES = [
    (D(2, 3, 6, 6), dict(kernel_size=2)),
    (D(2, 3, 7, 7), dict(kernel_size=3, stride=2, padding=1)),
    (D(1, 2, 7, 5), dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 0))),
    (D(2, 2, 9, 9), dict(kernel_size=3, stride=1, padding=1, dilation=2)),
    (D(1, 2, 7, 6), dict(kernel_size=(3, 2), stride=1, padding=(1, 1), dilation=(1, 2))),
    (D(1, 1, 5, 5), dict(kernel_size=2, stride=2, ceil_mode=True)),
    # the last window would start in the right padding: ceil_mode drops it
    (D(1, 2, 5, 5), dict(kernel_size=2, stride=2, padding=1, ceil_mode=True)),
    (D(1, 2, 6, 7), dict(kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True)),
    # ceil_mode lets a window run past the padding: a kernel of 4 on a 3x3 input
    (D(1, 1, 3, 3), dict(kernel_size=4, stride=2, ceil_mode=True)),
    (D(3, 5, 5), dict(kernel_size=2, stride=1)),  # unbatched
    (D(2, 2, 5, 7), dict(kernel_size=3, stride=2, padding=1, return_indices=True)),
    (D(2, 5, 4), dict(kernel_size=(2, 3), stride=1, padding=(1, 1), return_indices=True,
                      ceil_mode=True)),
]

AVG_CASES = [
    (F(2, 3, 6, 6), dict(kernel_size=2)),
    (F(2, 3, 7, 7), dict(kernel_size=3, stride=2, padding=1)),
    (F(2, 3, 7, 7), dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
    (F(1, 2, 7, 5), dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 0), ceil_mode=True,
                         count_include_pad=False)),
    # the last window runs past the right padding: the padding counts only up to its end
    (F(1, 1, 6, 6), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    (F(1, 2, 5, 5), dict(kernel_size=2, stride=2, padding=1, ceil_mode=True)),
    (F(2, 2, 5, 5), dict(kernel_size=3, stride=1, padding=1, divisor_override=3)),
    (F(1, 2, 6, 7), dict(kernel_size=(3, 1), stride=(2, 1), padding=(1, 0), ceil_mode=True,
                         count_include_pad=False)),
    (F(3, 5, 5), dict(kernel_size=3, stride=2, ceil_mode=True)),  # unbatched
    (F(1, 1, 3, 3), dict(kernel_size=4, stride=2, ceil_mode=True, count_include_pad=False)),
]

ADAPTIVE_CASES = [
    (F(2, 3, 7, 7), (1, 1)),  # global average pooling
    (F(2, 3, 8, 6), (4, 3)),  # equal windows
    (F(2, 3, 7, 5), (3, 2)),  # windows of varying size, overlapping
    (F(2, 2, 5, 7), (None, 3)),
    (F(1, 2, 3, 3), (5, 4)),  # larger than the input
    (F(3, 5, 5), 3),  # unbatched
    (F(1, 1, 6, 4), 2),
]

def max_pool2d_gradient(m, x, gy, kw):
    """The gradient of max pooling as a function of the incoming gradient: a linear map of gy,
    whose own gradient selects each window's winner (MaxPool2dSelect)."""
    x = x.detach().requires_grad_()  # the gradient does not depend on x's values, only winners
    y = functional(m).max_pool2d(x, **kw)
    return m.autograd.grad((y * gy).sum(), x, create_graph=True)[0]


MAX_GRADIENT_CASES = [
    (C(2, 3, 6, 6), F(2, 3, 3, 3), dict(kernel_size=2)),  # disjoint windows
    (C(2, 2, 7, 7), F(2, 2, 4, 4), dict(kernel_size=3, stride=2, padding=1)),  # overlapping
    (C(1, 2, 9, 9), F(1, 2, 4, 4), dict(kernel_size=3, stride=2, padding=1, dilation=2,
                                        ceil_mode=True)),
]

MAX_1D_CASES = [
    (D(2, 3, 8), dict(kernel_size=2)),
    (D(2, 3, 9), dict(kernel_size=3, stride=2, padding=1)),
    (D(1, 2, 11), dict(kernel_size=3, stride=1, padding=1, dilation=2, ceil_mode=True)),
    (D(2, 7), dict(kernel_size=(2,), stride=(2,), ceil_mode=True)),  # unbatched, 1-tuples
    (D(2, 2, 7), dict(kernel_size=3, stride=2, padding=1, return_indices=True)),
]

AVG_1D_CASES = [
    (F(2, 3, 8), dict(kernel_size=2)),
    (F(2, 3, 9), dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
    (F(1, 2, 6), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    (F(3, 7), dict(kernel_size=(3,), stride=(1,), padding=(1,))),  # unbatched, 1-tuples
]

ADAPTIVE_1D_CASES = [
    (F(2, 3, 7), 1),
    (F(2, 3, 8), 4),  # equal windows
    (F(2, 3, 7), 3),  # windows of varying size, overlapping
    (F(3, 4), (6,)),  # unbatched, larger than the input
]

ADAPTIVE_MAX_CASES = [
    (D(2, 3, 7, 7), (1, 1), False),
    (D(2, 3, 8, 6), (4, 3), True),  # equal windows
    (D(2, 3, 7, 5), (3, 2), True),  # windows of varying size, overlapping
    (D(2, 2, 5, 7), (None, 3), False),
    (D(1, 2, 3, 3), (5, 4), True),  # larger than the input: windows share a pixel
    (D(3, 5, 5), 3, True),  # unbatched
]


def max_unpool2d(m, x, v, kw, output_size=None):
    """Unpool ``v`` at the indices of max pooling of ``x`` (not differentiated)."""
    _, index = functional(m).max_pool2d(x.detach(), return_indices=True, **kw)
    return functional(m).max_unpool2d(v, index, output_size=output_size, **kw)


UNPOOL_CASES = [
    (C(2, 3, 6, 6), F(2, 3, 3, 3), dict(kernel_size=2)),
    (C(2, 3, 7, 7), F(2, 3, 3, 3), dict(kernel_size=2), (7, 7)),  # an output_size
    (C(1, 2, 7, 5), F(1, 2, 4, 3), dict(kernel_size=2, stride=2, padding=1), (7, 5)),
    (C(1, 2, 6, 9), F(1, 2, 3, 3), dict(kernel_size=(2, 3), stride=(2, 3)), (1, 2, 6, 9)),
    (C(3, 4, 4), F(3, 2, 2), dict(kernel_size=2)),  # unbatched
]

SPECS = [
    OpSpec("max_pool2d", lambda m, x, kw: functional(m).max_pool2d(x, **kw), MAX_CASES),
    OpSpec("max_pool2d:gradient", max_pool2d_gradient, MAX_GRADIENT_CASES),
    OpSpec("avg_pool2d", lambda m, x, kw: functional(m).avg_pool2d(x, **kw), AVG_CASES),
    OpSpec("adaptive_avg_pool2d", lambda m, x, s: functional(m).adaptive_avg_pool2d(x, s),
           ADAPTIVE_CASES),
    OpSpec("max_pool1d", lambda m, x, kw: functional(m).max_pool1d(x, **kw), MAX_1D_CASES),
    OpSpec("avg_pool1d", lambda m, x, kw: functional(m).avg_pool1d(x, **kw), AVG_1D_CASES),
    OpSpec("adaptive_avg_pool1d", lambda m, x, s: functional(m).adaptive_avg_pool1d(x, s),
           ADAPTIVE_1D_CASES),
    OpSpec("adaptive_max_pool2d",
           lambda m, x, s, i: functional(m).adaptive_max_pool2d(x, s, return_indices=i),
           ADAPTIVE_MAX_CASES),
    OpSpec("max_unpool2d", max_unpool2d, UNPOOL_CASES),
]


test_gradcheck, test_matches_torch = spec_tests(SPECS)


def test_unpooling_repeated_indices_matches_torch():
    """Overlapping windows may share a maximum: unpooling keeps one value there, and its
    gradient (which finite differences cannot check there) gathers gy at every index."""
    check_against_torch(SPECS[-1], (C(2, 3, 7, 7), F(2, 3, 4, 4),
                                    dict(kernel_size=3, stride=2, padding=1)))


@pytest.mark.parametrize("fn", [
    lambda m: m.nn.functional.max_pool1d(m.ones(1, 1, 6), 2, padding=2),
    lambda m: m.nn.AvgPool2d(3, padding=2)(m.ones(1, 1, 6, 6)),
    lambda m: m.nn.functional.max_pool2d(m.ones(1, 1, 6, 6), 2, padding=-1),
    lambda m: m.nn.functional.avg_pool2d(m.ones(1, 1, 6, 6), 2, divisor_override=0),
])
def test_argument_errors_are_runtime_errors_as_in_torch(fn):
    with pytest.raises(RuntimeError):
        fn(torch)
    with pytest.raises(RuntimeError) as caught:
        fn(sj)
    assert isinstance(caught.value, ValueError)  # the type it had before, kept as a base
