"""Convolution layers of issue 14 against their PyTorch twins, weights loaded from PyTorch's state
dict: outputs, input and parameter gradients, printing, errors and initialisation."""

import numpy as np
import pytest
import torch

import shenjing as sj
from tests.nn.test_modules import compare, pair

LAYERS = [
    (lambda m: m.nn.Conv1d(3, 4, 3), (2, 3, 9)),
    (lambda m: m.nn.Conv1d(4, 6, 4, stride=2, padding=1, dilation=2, groups=2, bias=False),
     (2, 4, 12)),
    (lambda m: m.nn.Conv1d(2, 3, 4, padding="same", dilation=2), (3, 2, 10)),
    (lambda m: m.nn.Conv1d(2, 3, 3, padding="valid"), (2, 7)),  # unbatched
    (lambda m: m.nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2),
                           groups=2), (2, 4, 7, 8)),
    (lambda m: m.nn.ConvTranspose2d(3, 2, 3), (2, 3, 4, 5)),
    (lambda m: m.nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
     (2, 4, 4, 4)),
    (lambda m: m.nn.ConvTranspose2d(2, 4, (2, 3), stride=(2, 1), padding=(0, 1),
                                    output_padding=(1, 0), dilation=(1, 2), bias=False),
     (1, 2, 3, 4)),
    (lambda m: m.nn.ConvTranspose2d(16, 1, 4, stride=2, padding=1), (16, 5, 5)),  # unbatched
    (lambda m: m.nn.ConvTranspose1d(3, 2, 3, stride=2, output_padding=1), (2, 3, 6)),
    (lambda m: m.nn.ConvTranspose1d(4, 2, 3, padding=2, groups=2, dilation=2, bias=False),
     (2, 4, 7)),
    # an autoencoder's decoder, as in the example
    (lambda m: m.nn.Sequential(m.nn.Conv2d(1, 4, 3, stride=2, padding=1), m.nn.ReLU(),
                               m.nn.ConvTranspose2d(4, 1, 3, stride=2, padding=1,
                                                    output_padding=1), m.nn.Sigmoid()),
     (2, 1, 8, 8)),
]


@pytest.mark.parametrize("make, shape", LAYERS)
def test_layers_match_torch(make, shape):
    ours, theirs = pair(make)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    compare(ours, theirs, x, rtol=1e-4, atol=1e-5)
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("make", [
    lambda m: m.nn.Conv1d(2, 4, 5, 2, 1, 3, 2, False),
    lambda m: m.nn.Conv1d(2, 4, (5,), padding="same"),
    lambda m: m.nn.ConvTranspose2d(2, 4, 3, 2, 1, 1, 2, False, 2),
    lambda m: m.nn.ConvTranspose1d(2, 4, 3, 3, 1, 2),
    lambda m: m.nn.ConvTranspose1d(2, 4, 3, dilation=2),
])
def test_repr_and_weight_shape_match_torch(make):
    ours, theirs = make(sj), make(torch)
    assert repr(ours) == repr(theirs)
    assert ours.weight.shape == tuple(theirs.weight.shape)


@pytest.mark.parametrize("make", [
    lambda m: m.nn.Conv1d(8, 16, 5, groups=2),
    lambda m: m.nn.ConvTranspose2d(8, 16, 3, groups=4),
    lambda m: m.nn.ConvTranspose1d(6, 3, 5),
])
def test_initial_weights_have_torchs_bounds(make):
    """kaiming uniform with a = sqrt(5): U(+-1/sqrt(fan_in)), fan_in = weight.size(1) * K."""
    ours = make(sj)
    w = ours.weight.detach().numpy()
    bound = 1 / np.sqrt(w.shape[1] * np.prod(w.shape[2:]))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    assert np.abs(ours.bias.detach().numpy()).max() <= bound


@pytest.mark.parametrize("size", [(13, 13), (14, 14), (2, 8, 13, 14)])
def test_conv_transpose_output_size_as_in_torch(size):
    ours, theirs = pair(lambda m: m.nn.ConvTranspose2d(4, 8, 3, stride=2, padding=1))
    x = np.random.default_rng(0).standard_normal((2, 4, 7, 7)).astype(np.float32)
    y = ours(sj.tensor(x), output_size=size)
    yt = theirs(torch.tensor(x), output_size=size)
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-4, atol=1e-5)


def test_conv_transpose_refuses_an_output_size_out_of_reach():
    with pytest.raises(ValueError, match=r"ConvTranspose2d\(4, 8.*output size of \(15, 15\)"):
        sj.nn.ConvTranspose2d(4, 8, 3, stride=2, padding=1)(sj.ones(1, 4, 7, 7), (15, 15))


@pytest.mark.parametrize("make, shape, message", [
    (lambda: sj.nn.Conv1d(3, 8, 5), (1, 3, 4), r"Conv1d\(3, 8, kernel_size=\(5,\).*kernel 5 .*"
                                               r"larger than the padded input 4"),
    (lambda: sj.nn.Conv1d(3, 8, 3), (1, 4, 9), r"has 4 channels, but weight of shape "
                                               r"\(8, 3, 3\) expects 3"),
    (lambda: sj.nn.ConvTranspose2d(3, 8, 3), (1, 4, 5, 5), r"ConvTranspose2d.*has 4 channels"),
    (lambda: sj.nn.ConvTranspose2d(3, 8, 3), (3, 5), r"expected input \(N, C, H, W\)"),
])
def test_errors_name_the_layer_and_the_shapes(make, shape, message):
    with pytest.raises((sj.ShapeError, RuntimeError, ValueError), match=message):
        make()(sj.ones(*shape))


@pytest.mark.parametrize("make, message", [
    (lambda m: m.nn.Conv1d(2, 4, 3, stride=2, padding="same"), "stride"),
    (lambda m: m.nn.Conv1d(3, 4, 3, groups=2), "divisible by groups"),
    (lambda m: m.nn.ConvTranspose2d(2, 4, 3, padding="same"), "padding"),
    (lambda m: m.nn.ConvTranspose1d(2, 4, 3, padding_mode="reflect"), "padding_mode"),
])
def test_bad_arguments_fail_at_construction(make, message):
    """PyTorch refuses them too, at construction or (a transpose's 'same') at the first call."""
    with pytest.raises(ValueError, match=message):
        make(sj)


def test_output_padding_too_large_is_a_runtime_error_as_in_torch():
    x = sj.ones(1, 2, 3, 3)
    with pytest.raises(RuntimeError, match="smaller than either stride or dilation"):
        sj.nn.functional.conv_transpose2d(x, sj.ones(2, 2, 3, 3), stride=2, output_padding=2)
    with pytest.raises(RuntimeError):
        torch.nn.functional.conv_transpose2d(torch.ones(1, 2, 3, 3), torch.ones(2, 2, 3, 3),
                                             stride=2, output_padding=2)


@pytest.mark.parametrize("make, shape", [
    (lambda m: m.nn.Conv1d(3, 2, 3, padding=1), (0, 3, 5)),
    (lambda m: m.nn.ConvTranspose2d(3, 2, 3, stride=2, output_padding=1), (0, 3, 4, 4)),
    (lambda m: m.nn.ConvTranspose1d(3, 2, 3), (0, 3, 4)),
])
def test_empty_batches_as_in_torch(make, shape):
    ours, theirs = pair(make)
    x = sj.zeros(*shape, requires_grad=True)
    y = ours(x)
    assert y.shape == tuple(theirs(torch.zeros(*shape)).shape)
    y.sum().backward()
    assert x.grad.shape == shape and ours.weight.grad.shape == ours.weight.shape
