"""Convolutions through the harness: conv2d over the configurations of issue 4, conv1d and the
transposed convolutions of issue 14, and each of the input gradient's algorithms on its own."""

import pytest
import torch

import shenjing as sj
import shenjing.ops.conv
from tests.ops.harness import (
    F,
    OpSpec,
    check_against_torch,
    check_extremes,
    check_gradcheck,
    spec_tests,
)


def conv(m, x, w, b, stride=1, padding=0, dilation=1, groups=1):
    return m.nn.functional.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation,
                                  groups=groups)


CASES = [
    (F(2, 3, 5, 5), F(4, 3, 3, 3), F(4)),  # stride 1, no padding
    (F(2, 3, 6, 5), F(4, 3, 3, 3), F(4), 2),  # stride 2, odd width
    (F(1, 2, 5, 6), F(3, 2, 3, 3), F(3), 1, 1),  # batch 1, padding 1
    (F(2, 2, 5, 5), F(3, 2, 3, 3), None, 1, "same"),  # 'same', no bias
    (F(2, 2, 6, 6), F(2, 2, 2, 2), F(2), 1, "same"),  # 'same' with an even kernel
    (F(2, 2, 7, 7), F(2, 2, 3, 3), F(2), 1, 2, 2),  # dilation 2
    (F(2, 4, 5, 5), F(6, 2, 3, 3), F(6), 1, 1, 1, 2),  # groups 2
    (F(2, 3, 5, 5), F(3, 1, 3, 3), F(3), 2, 1, 1, 3),  # depthwise, stride 2
    (F(2, 2, 5, 7), F(3, 2, 2, 4), F(3), (2, 1), (1, 2)),  # non-square kernel, pairs
    (F(2, 5, 4), F(3, 2, 3, 3), F(3), 1, 1),  # unbatched
    (F(2, 1, 4, 4), F(2, 1, 1, 1), F(2)),  # 1x1
]
# 16 channels and more per group: with columns too large to keep (``columns_never_kept`` makes
# these so), the weight gradient is made by shifts. Also in CASES, for the columns' way.
SHIFT_CASES = [
    (F(2, 16, 4, 5), F(2, 16, 3, 3), F(2), 1, 1),
    (F(1, 32, 5, 4), F(4, 16, 3, 3), None, 1, 2, 2, 2),  # dilation 2, groups 2
    (F(2, 16, 3, 3), F(3, 16, 1, 1), F(3)),  # 1x1
]
CASES += SHIFT_CASES



def conv1d(m, x, w, b, stride=1, padding=0, dilation=1, groups=1):
    return m.nn.functional.conv1d(x, w, b, stride=stride, padding=padding, dilation=dilation,
                                  groups=groups)


CASES_1D = [
    (F(2, 3, 7), F(4, 3, 3), F(4)),
    (F(2, 3, 8), F(4, 3, 3), F(4), 2, 1),  # stride 2, padding 1
    (F(2, 2, 7), F(2, 2, 4), None, 1, "same", 2),  # 'same' with an even kernel, dilation 2
    (F(2, 4, 6), F(6, 2, 3), F(6), 1, "valid", 1, 2),  # groups 2
    (F(3, 6), F(2, 3, 3), F(2), 1, 1),  # unbatched
    (F(1, 2, 5), F(2, 2, 1), F(2), (2,), (1,)),  # 1-tuples, a kernel of 1
]


def conv_transpose2d(m, x, w, b, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return m.nn.functional.conv_transpose2d(x, w, b, stride, padding, output_padding, groups,
                                            dilation)


TRANSPOSED_CASES = [
    (F(2, 3, 4, 4), F(3, 2, 3, 3), F(2)),  # stride 1: the adjoint (channels shrink: shifts)
    (F(2, 2, 4, 3), F(2, 4, 3, 3), F(4), 1, 1),  # channels grow: the adjoint convolution
    (F(2, 3, 3, 4), F(3, 2, 3, 3), F(2), 2),  # stride 2: col2im
    (F(1, 2, 3, 3), F(2, 3, 3, 3), F(3), 2, 1, 1),  # the autoencoder's upsampling layer
    (F(2, 4, 3, 3), F(4, 1, 3, 3), F(2), 2, 0, 1, 2),  # groups 2, output_padding > padding
    (F(1, 2, 3, 4), F(2, 2, 2, 3), None, (2, 1), (1, 0), (1, 0), 1, (1, 2)),  # pairs
    (F(1, 2, 3, 3), F(2, 2, 3, 3), F(2), 1, 0, 1, 1, 2),  # stride 1, dilation 2, beyond
    (F(3, 4, 4), F(3, 2, 3, 3), F(2), 2, 1, 1),  # unbatched
]


def conv_transpose1d(m, x, w, b, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return m.nn.functional.conv_transpose1d(x, w, b, stride, padding, output_padding, groups,
                                            dilation)


TRANSPOSED_CASES_1D = [
    (F(2, 3, 5), F(3, 2, 3), F(2)),
    (F(2, 4, 5), F(4, 1, 3), F(2), 2, 1, 1, 2),  # groups 2, output_padding 1
    (F(3, 4), F(3, 2, 2), None, 3, 0, 2),  # unbatched, output_padding beyond the padding
    (F(1, 2, 4), F(2, 2, 3), F(2), 1, 2, 1, 1, 2),  # dilation 2
]

SPECS = [
    # A strided convolution's input gradient in PyTorch convolves gy with zeros between its
    # entries, and 0 times an infinite weight is NaN there; shenjing's gradient has no such
    # products, so it is finite or infinite where PyTorch's is NaN.
    OpSpec("conv2d", conv, CASES, atol=1e-4,
           finer_than_torch="strided input gradient: PyTorch multiplies inserted zeros by an "
                            "infinite weight (NaN), shenjing does not"),
    OpSpec("conv1d", conv1d, CASES_1D, atol=1e-4,
           finer_than_torch="as conv2d, whose kernels it runs on a height of 1"),
    # A transposed convolution is PyTorch's and shenjing's strided input gradient: the same
    # inserted zeros times an infinite weight in PyTorch.
    OpSpec("conv_transpose2d", conv_transpose2d, TRANSPOSED_CASES, atol=1e-4,
           finer_than_torch="strided: PyTorch multiplies inserted zeros by an infinite weight "
                            "(NaN), shenjing does not"),
    OpSpec("conv_transpose1d", conv_transpose1d, TRANSPOSED_CASES_1D, atol=1e-4,
           finer_than_torch="as conv_transpose2d, whose kernels it runs on a height of 1"),
]

test_gradcheck, test_matches_torch = spec_tests(SPECS)


@pytest.mark.parametrize("make, message", [
    (lambda: sj.nn.functional.conv2d(sj.ones(1, 3, 2, 2), sj.ones(1, 3, 3, 3)),
     r"kernel 3x3 .* larger than the padded input 2x2"),
    (lambda: sj.nn.functional.conv2d(sj.ones(1, 3, 5, 5), sj.ones(4, 3, 3, 3), groups=2),
     r"3 input and 4 output channels must both be divisible by groups=2"),
    (lambda: sj.nn.functional.conv2d(sj.ones(1, 4, 5, 5), sj.ones(4, 3, 3, 3)),
     r"4 channels, but weight of shape \(4, 3, 3, 3\) expects 3"),
    (lambda: sj.nn.functional.conv2d(sj.ones(5, 5), sj.ones(1, 1, 3, 3)),
     r"expected input \(N, C, H, W\)"),
    (lambda: sj.nn.functional.conv2d(sj.ones(1, 1, 5, 5), sj.ones(1, 1, 3, 3), stride=2,
                                     padding="same"), "padding='same' needs stride 1"),
])
def test_configurations_that_cannot_work_say_why(make, message):
    with pytest.raises((sj.ShapeError, ValueError), match=message):
        make()


def test_scratch_buffers_reused_between_calls_never_corrupt_results():
    """im2col's columns go back to a shared pool: interleaved passes must not see each other's."""
    import numpy as np
    import torch

    rng = np.random.default_rng(0)
    w = rng.standard_normal((4, 3, 3, 3))
    xs = [rng.standard_normal((2, 3, 6, 6)) for _ in range(3)]
    weight = sj.tensor(w, requires_grad=True)
    outs = [sj.nn.functional.conv2d(sj.tensor(x), weight, padding=1) for x in xs]
    with sj.no_grad():  # columns taken and given back at once, between the others
        sj.nn.functional.conv2d(sj.tensor(xs[0] * 5), weight, padding=1)
    grads = []
    for y in reversed(outs):  # backward in another order than forward
        (g,) = sj.autograd.grad(y.sum(), weight)
        grads.append(g.numpy())
    wt = torch.tensor(w)
    for x, y, g in zip(xs, outs, reversed(grads)):
        wt.grad = None
        wt.requires_grad_()
        yt = torch.nn.functional.conv2d(torch.tensor(x), wt, padding=1)
        yt.sum().backward()
        np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), atol=1e-12)
        np.testing.assert_allclose(g, wt.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("padding", [1, (3, 1)], ids=["within reach", "beyond reach"])
def test_an_infinite_weight_gives_torchs_input_gradient(padding):
    """The input gradient by shifts (padding within the kernel's reach) also multiplies the
    zeros that widen gy's rows by the weights: an infinite weight must not turn them into NaN
    where they wrap onto real pixels. Beyond the reach, col2im does the work."""
    import numpy as np
    import torch

    x = np.ones((1, 2, 4, 3), "f4")
    w = np.ones((3, 2, 3, 3), "f4")
    w[0, 0, 0, 0] = np.inf
    ours = sj.tensor(x, requires_grad=True)
    with np.errstate(invalid="ignore"):  # inf * 0 on the padding: NaN outputs, as in torch
        sj.nn.functional.conv2d(ours, sj.tensor(w), padding=padding).sum().backward()
    theirs = torch.tensor(x, requires_grad=True)
    torch.nn.functional.conv2d(theirs, torch.tensor(w), padding=padding).sum().backward()
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


@pytest.fixture
def columns_never_kept(monkeypatch):
    """Small layers of 16 channels or more make their weight gradient by shifts, as large ones."""
    monkeypatch.setattr(shenjing.ops.conv, "_KEPT_COLUMNS_BYTES", 0)


@pytest.mark.parametrize("case", SHIFT_CASES)
def test_weight_gradient_by_shifts_passes_the_harness(columns_never_kept, case):
    spec = SPECS[0]
    check_gradcheck(spec, case)  # gradgradcheck too: the shifts' backward is Conv2d's
    check_against_torch(spec, case)
    check_extremes(spec, case)


def test_large_layers_keep_no_columns_small_ones_do():
    """ResNet-20's first stage at batch 128 would keep 72 MiB of columns per convolution."""
    weight = sj.randn(16, 16, 3, 3, requires_grad=True)
    large = sj.nn.functional.conv2d(sj.randn(128, 16, 32, 32), weight, padding=1)
    assert large.grad_fn.columns is None
    small = sj.nn.functional.conv2d(sj.randn(2, 16, 32, 32), weight, padding=1)
    assert small.grad_fn.columns is not None  # 1 MiB: kept, faster on every BLAS thread
    narrow = sj.nn.functional.conv2d(sj.randn(128, 8, 32, 32), sj.randn(16, 8, 3, 3,
                                     requires_grad=True), padding=1)
    assert narrow.grad_fn.columns is not None  # 8 channels: too narrow for the shifts


def test_many_channels_keep_no_columns_and_an_infinite_pixel_gives_torchs_weight_gradient(
        columns_never_kept):
    """With 16 channels the weight gradient is made by shifts: gy widened with zeros meets the
    padded input's rows where they wrap, so an infinite pixel there must not become NaN in
    weights whose windows never reach it (the rightmost column's kernel position, here)."""
    import numpy as np
    import torch

    x = np.ones((1, 16, 4, 3), "f4")
    x[0, 0, 0, 0] = np.inf
    w = np.ones((2, 16, 3, 3), "f4")
    ours = sj.tensor(w, requires_grad=True)
    y = sj.nn.functional.conv2d(sj.tensor(x), ours, padding=1)
    assert y.grad_fn.columns is None  # 16 x 9 columns per pixel not held until backward
    with np.errstate(invalid="ignore"):  # inf - inf in the outputs, as in torch
        y.sum().backward()
    theirs = torch.tensor(w, requires_grad=True)
    torch.nn.functional.conv2d(torch.tensor(x), theirs, padding=1).sum().backward()
    assert np.isfinite(theirs.grad.numpy()[:, 0, :, 2]).all()
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


# -- the input gradient's three algorithms, each on its own ----------------------------------------
def geometry(stride=(1, 1), padding=(1, 1, 1, 1), dilation=(1, 1), groups=1):
    return shenjing.ops.conv._Geometry(stride, padding, dilation, groups)


@pytest.mark.parametrize("weight_shape, geo, finite, expected", [
    ((16, 8, 3, 3), geometry(), True, "shifts"),  # channels grow
    ((8, 8, 3, 3), geometry(), True, "shifts"),
    ((4, 8, 3, 3), geometry(), True, "adjoint"),  # channels shrink
    ((4, 8, 3, 3), geometry(), False, "col2im"),  # an infinite weight: not the adjoint
    ((16, 8, 3, 3), geometry(), False, "shifts"),  # the shifts zero what inf would spoil
    ((8, 1, 3, 3), geometry(groups=8), True, "adjoint"),  # depthwise: one channel a product
    ((16, 8, 3, 3), geometry(stride=(2, 2)), True, "col2im"),  # strided
    ((16, 8, 3, 3), geometry(stride=(1, 2)), True, "col2im"),
    ((16, 8, 3, 3), geometry(padding=(3, 3, 1, 1)), True, "col2im"),  # beyond the reach
    ((16, 8, 3, 3), geometry(padding=(4, 4, 1, 1), dilation=(2, 1)), True, "shifts"),
    ((16, 8, 1, 1), geometry(padding=(0, 0, 0, 0)), True, "shifts"),
])
def test_the_selector_chooses_the_input_gradients_algorithm(weight_shape, geo, finite, expected):
    chosen = shenjing.ops.conv._input_gradient_algorithm(weight_shape, geo, finite)
    assert chosen == expected
    assert chosen in shenjing.ops.conv._input_gradient_algorithms(weight_shape, geo, finite)


# Cases of conv2d and conv_transpose2d that every algorithm can do (stride 1, padding within
# the kernel's reach), and strided ones only col2im can.
STRIDE_ONE = [
    ("conv2d", (F(2, 3, 5, 5), F(4, 3, 3, 3), F(4))),
    ("conv2d", (F(2, 4, 5, 6), F(2, 4, 3, 3), None, 1, 1)),  # channels shrink
    ("conv2d", (F(2, 2, 6, 6), F(2, 2, 2, 2), F(2), 1, "same")),  # uneven padding
    ("conv2d", (F(2, 2, 7, 7), F(2, 2, 3, 3), F(2), 1, 2, 2)),  # dilation 2
    ("conv2d", (F(2, 4, 5, 5), F(6, 2, 3, 3), F(6), 1, 1, 1, 2)),  # groups 2
    ("conv2d", (F(2, 3, 5, 5), F(3, 1, 3, 3), F(3), 1, 1, 1, 3)),  # depthwise
    ("conv2d", (F(2, 2, 5, 7), F(3, 2, 2, 4), F(3), 1, (1, 2))),  # non-square
    ("conv2d", (F(2, 1, 4, 4), F(2, 1, 1, 1), F(2))),  # 1x1
    ("conv1d", (F(2, 2, 7), F(2, 2, 4), None, 1, "same", 2)),
    ("conv_transpose2d", (F(2, 3, 4, 4), F(3, 2, 3, 3), F(2))),
    ("conv_transpose2d", (F(1, 2, 3, 3), F(2, 2, 3, 3), F(2), 1, 0, 1, 1, 2)),
]
STRIDED = [
    ("conv2d", (F(2, 3, 6, 5), F(4, 3, 3, 3), F(4), 2)),
    ("conv2d", (F(2, 3, 5, 5), F(3, 1, 3, 3), F(3), 2, 1, 1, 3)),
    ("conv2d", (F(1, 2, 5, 6), F(3, 2, 3, 3), F(3), 1, 3)),  # padding beyond the reach
    ("conv_transpose2d", (F(2, 4, 3, 3), F(4, 1, 3, 3), F(2), 2, 0, 1, 2)),
]
BY_ALGORITHM = ([pytest.param(a, s, c, id=f"{a}-{s}-{i}") for a in ("shifts", "adjoint", "col2im")
                 for i, (s, c) in enumerate(STRIDE_ONE)]
                + [pytest.param("col2im", s, c, id=f"col2im-{s}-strided-{i}")
                   for i, (s, c) in enumerate(STRIDED)])


@pytest.mark.parametrize("algorithm, name, case", BY_ALGORITHM)
def test_each_input_gradient_algorithm_passes_the_harness(monkeypatch, algorithm, name, case):
    """The selector forced to one algorithm: gradcheck, gradgradcheck and PyTorch's values, and
    extreme inputs for those that allow an infinite weight."""
    conv_module = shenjing.ops.conv
    usable, ran = [], []

    def forced(weight_shape, geo, finite=True):
        usable.append(algorithm in conv_module._input_gradient_algorithms(weight_shape, geo,
                                                                          finite))
        return algorithm

    def spy(kernel):
        def run(*args):
            ran.append(algorithm)
            return kernel(*args)
        return run

    monkeypatch.setattr(conv_module, "_input_gradient_algorithm", forced)
    monkeypatch.setitem(conv_module._INPUT_GRADIENTS, algorithm,
                        spy(conv_module._INPUT_GRADIENTS[algorithm]))
    spec = next(s for s in SPECS if s.name == name)
    check_gradcheck(spec, case)
    check_against_torch(spec, case)
    assert ran and all(usable)
    if algorithm != "adjoint":  # the adjoint is never chosen for an infinite weight
        check_extremes(spec, case)


# -- the weight gradient by windows: where the columns' product is not finite ----------------------
@pytest.mark.parametrize("x_shape, w_shape, stride, padding, dilation, groups", [
    ((2, 3, 6, 5), (4, 3, 3, 3), (2, 2), (1, 1, 1, 1), (1, 1), 1),
    ((2, 4, 7, 7), (6, 2, 3, 2), (1, 2), (2, 1, 0, 1), (2, 1), 2),  # uneven padding
    ((1, 3, 1, 8), (4, 3, 1, 3), (1, 2), (0, 0, 1, 1), (1, 1), 1),  # a height of 1 (conv1d)
    ((1, 2, 4, 4), (2, 2, 3, 3), (1, 1), (3, 3, 3, 3), (1, 1), 1),  # positions on padding only
])
def test_weight_gradient_by_windows_is_torchs(x_shape, w_shape, stride, padding, dilation,
                                              groups):
    import numpy as np
    import torch

    conv_module = shenjing.ops.conv
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    geo = conv_module._Geometry(stride, padding, dilation, groups)
    oh, ow = geo.output_size(*x_shape[2:], *w_shape[2:])
    gy = rng.standard_normal((x_shape[0], w_shape[0], oh, ow))
    ours = conv_module._weight_gradient_by_windows(np, x, gy, w_shape, geo)
    top, bottom, left, right = padding
    padded = torch.nn.functional.pad(torch.tensor(x), (left, right, top, bottom))
    wt = torch.tensor(w, requires_grad=True)
    torch.nn.functional.conv2d(padded, wt, stride=stride, dilation=dilation,
                               groups=groups).backward(torch.tensor(gy))
    np.testing.assert_allclose(ours, wt.grad.numpy(), atol=1e-12)


def test_an_infinite_output_gradient_on_the_padding_leaves_the_weight_gradient_finite():
    """gy at an output whose window reaches into the padding meets zeros there in the
    columns (inf * 0 = NaN); the weights that only meet real pixels stay finite, as in
    PyTorch."""
    import numpy as np

    x = sj.ones(1, 1, 1, 5)
    w = sj.ones(1, 1, 1, 3, requires_grad=True)
    y = sj.nn.functional.conv2d(x, w, padding=(0, 1))
    gy = np.ones((1, 1, 1, 5), "f4")
    gy[..., 0] = np.inf  # its window's left pixel is padding
    with np.errstate(invalid="ignore"):
        y.backward(sj.tensor(gy))
    np.testing.assert_array_equal(w.grad.numpy()[0, 0, 0], [4.0, np.inf, np.inf])


@pytest.mark.parametrize("fn", [
    lambda m: m.nn.functional.conv1d(m.ones(1, 1, 5), m.ones(1, 1, 2), padding="same", stride=2),
    lambda m: m.nn.functional.conv2d(m.ones(1, 1, 5, 5), m.ones(1, 1, 2, 2), stride=0),
    lambda m: m.nn.functional.conv2d(m.ones(1, 1, 5, 5), m.ones(1, 1, 2, 2), padding=-1),
    lambda m: m.nn.functional.conv_transpose2d(m.ones(1, 1, 5, 5), m.ones(1, 1, 2, 2),
                                               stride=0),
])
def test_argument_errors_are_runtime_errors_as_in_torch(fn):
    with pytest.raises(RuntimeError):
        fn(torch)
    with pytest.raises(RuntimeError) as caught:
        fn(sj)
    assert isinstance(caught.value, ValueError)  # the type it had before, kept as a base
