"""Layers refuse input of another dtype than their parameters, as PyTorch does: same exception
type, and a message naming the layer, both dtypes and the fix. Nothing is cast silently."""

import re

import numpy as np
import pytest
import torch

import shenjing as sj

# (layer, input shape): every layer with parameters (or floating-point buffers).
LAYERS = [
    (lambda m: m.nn.Linear(3, 2), (2, 3)),
    (lambda m: m.nn.Conv2d(3, 2, 1), (2, 3, 2, 2)),
    (lambda m: m.nn.RNN(3, 2), (1, 2, 3)),
    (lambda m: m.nn.LSTM(3, 2, batch_first=True), (2, 1, 3)),
    (lambda m: m.nn.GRU(3, 2, bidirectional=True), (1, 2, 3)),
    (lambda m: m.nn.RNNCell(3, 2), (2, 3)),
    (lambda m: m.nn.LSTMCell(3, 2), (2, 3)),
    (lambda m: m.nn.GRUCell(3, 2), (3,)),
    (lambda m: m.nn.BatchNorm1d(3), (2, 3)),
    (lambda m: m.nn.BatchNorm1d(3, affine=False), (2, 3)),
    (lambda m: m.nn.BatchNorm1d(3).eval(), (2, 3)),
    (lambda m: m.nn.BatchNorm2d(3), (2, 3, 2, 2)),
    (lambda m: m.nn.LayerNorm(3), (2, 3)),
    (lambda m: m.nn.PReLU(), (2, 3)),
]


NORMALIZATION = (sj.nn.BatchNorm1d, sj.nn.BatchNorm2d, sj.nn.LayerNorm)


def raised(call) -> Exception:
    with pytest.raises(Exception) as info:
        call()
    return info.value


# Half input to a float32 normalisation layer is mixed precision, which PyTorch accepts: below.
REFUSED = [(make, shape, dtype) for make, shape in LAYERS
           for dtype in ["float64", "float16", "int64", "bool"]
           if not (dtype == "float16" and isinstance(make(sj), NORMALIZATION))]


@pytest.mark.parametrize("make, shape, dtype", REFUSED)
def test_float32_layers_refuse_other_dtypes_as_pytorch(make, shape, dtype):
    ours, theirs = make(sj), make(torch)
    expected = raised(lambda: theirs(torch.ones(shape, dtype=getattr(torch, dtype))))
    error = raised(lambda: ours(sj.ones(*shape, dtype=getattr(sj, dtype))))
    assert type(error) is type(expected), (error, expected)
    message = str(error)
    assert message.startswith(repr(ours) + ": input of dtype " + dtype)
    assert "float32" in message and "x.float()" in message
    # A float model can be converted to a float input's dtype, never to an integer one.
    converter = {"float64": "model.double()", "float16": "model.half()"}.get(dtype)
    assert (converter in message) if converter else ("model." not in message)


@pytest.mark.parametrize("make, shape", LAYERS)
def test_float64_layers_refuse_float32_input(make, shape):
    ours, theirs = make(sj).double(), make(torch).double()
    expected = raised(lambda: theirs(torch.ones(shape)))
    error = raised(lambda: ours(sj.ones(*shape)))
    assert type(error) is type(expected)
    assert re.search(r"input of dtype float32 does not match the layer's float64 "
                     r"(parameters|buffers); convert the input with x\.double\(\) or the model "
                     r"with model\.float\(\)", str(error))
    assert ours(sj.ones(*shape, dtype=sj.float64)) is not None  # the fix works


@pytest.mark.parametrize("make, shape", [(m, s) for m, s in LAYERS
                                         if isinstance(m(sj), NORMALIZATION)])
def test_normalization_takes_float16_input_in_float32_layers_as_pytorch(make, shape):
    """PyTorch's one accepted mix: half input, float32 parameters, computed in float32."""
    ours, theirs = make(sj), make(torch)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float16)
    xs, xt = sj.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, yt = ours(xs), theirs(xt)
    assert y.dtype == sj.float16 and yt.dtype == torch.float16
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=2e-3, atol=2e-3)
    g = np.random.default_rng(1).standard_normal(shape).astype(np.float16)
    y.backward(sj.tensor(g))
    yt.backward(torch.tensor(g))
    assert xs.grad.dtype == sj.float16
    np.testing.assert_allclose(xs.grad.numpy(), xt.grad.numpy(), rtol=1e-2, atol=1e-2)
    if ours.training and getattr(ours, "running_mean", None) is not None:
        assert ours.running_mean.dtype == sj.float32
        np.testing.assert_allclose(ours.running_mean.numpy(), theirs.running_mean.numpy(),
                                   rtol=1e-3, atol=1e-3)


def test_normalization_refuses_half_input_in_float64_layers():
    with pytest.raises(RuntimeError, match="input of dtype float16 does not match the layer's "
                                           "float64 parameters"):
        sj.nn.LayerNorm(3).double()(sj.ones(2, 3, dtype=sj.float16))
    with pytest.raises(RuntimeError):
        torch.nn.LayerNorm(3).double()(torch.ones(2, 3, dtype=torch.float16))


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_recurrent_states_of_another_dtype_are_refused(kind):
    ours, theirs = getattr(sj.nn, kind)(3, 2), getattr(torch.nn, kind)(3, 2)
    h = [torch.zeros(1, 2, 2, dtype=torch.float64)] * (2 if kind == "LSTM" else 1)
    expected = raised(lambda: theirs(torch.ones(1, 2, 3), tuple(h) if kind == "LSTM" else h[0]))
    hs = [sj.zeros(1, 2, 2, dtype=sj.float64)] * len(h)
    error = raised(lambda: ours(sj.ones(1, 2, 3), tuple(hs) if kind == "LSTM" else hs[0]))
    assert type(error) is type(expected) is RuntimeError
    assert f"{kind}(3, 2): h_0 of dtype float64" in str(error)
    assert "h_0.float()" in str(error)


@pytest.mark.parametrize("kind", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cell_states_of_another_dtype_are_refused(kind):
    ours, theirs = getattr(sj.nn, kind)(3, 2), getattr(torch.nn, kind)(3, 2)
    pair = kind == "LSTMCell"
    h = torch.zeros(2, 2, dtype=torch.float64)
    expected = raised(lambda: theirs(torch.ones(2, 3), (h, h) if pair else h))
    hs = sj.zeros(2, 2, dtype=sj.float64)
    error = raised(lambda: ours(sj.ones(2, 3), (hs, hs) if pair else hs))
    assert type(error) is type(expected) is RuntimeError
    assert f"{kind}(3, 2): state of dtype float64" in str(error)


def test_a_model_of_mixed_layers_names_the_layer_that_refuses():
    model = sj.nn.Sequential(sj.nn.Linear(3, 4), sj.nn.ReLU(), sj.nn.Linear(4, 2))
    with pytest.raises(RuntimeError, match=r"Linear\(in_features=3, out_features=4, bias=True\): "
                                           r"input of dtype float64"):
        model(sj.ones(2, 3, dtype=sj.float64))
    assert model.double()(sj.ones(2, 3, dtype=sj.float64)).dtype == sj.float64


def test_layers_without_parameters_take_any_float_dtype():
    x = sj.ones(2, 3, dtype=sj.float64)
    assert sj.nn.LayerNorm(3, elementwise_affine=False)(x).dtype == sj.float64
    assert sj.nn.BatchNorm1d(3, affine=False, track_running_stats=False)(x).dtype == sj.float64
    assert sj.nn.ReLU()(x).dtype == sj.float64


def test_functional_forms_refuse_mixed_dtypes_as_pytorch():
    F = sj.nn.functional
    x64 = sj.ones(2, 3, 2, 2, dtype=sj.float64)
    with pytest.raises(RuntimeError, match="conv2d: input of dtype float64 and weight of dtype "
                                           "float32 differ"):
        F.conv2d(x64, sj.ones(2, 3, 1, 1))
    with pytest.raises(RuntimeError, match="conv2d: bias of dtype float64 and weight of dtype "
                                           "float32 differ"):
        F.conv2d(sj.ones(2, 3, 2, 2), sj.ones(2, 3, 1, 1), sj.zeros(2, dtype=sj.float64))
    with pytest.raises(RuntimeError, match="batch_norm: input of dtype float64 and running_mean "
                                           "of dtype float32, running_var of dtype float32"):
        F.batch_norm(x64, sj.zeros(3), sj.ones(3))
    with pytest.raises(RuntimeError, match="layer_norm: input of dtype float64 and weight of "
                                           "dtype float32 differ"):
        F.layer_norm(sj.ones(2, 3, dtype=sj.float64), (3,), sj.ones(3))
    for call in (lambda t: t.nn.functional.conv2d(t.ones(2, 3, 2, 2, dtype=t.float64),
                                                  t.ones(2, 3, 1, 1)),
                 lambda t: t.nn.functional.batch_norm(t.ones(2, 3, dtype=t.float64),
                                                      t.zeros(3), t.ones(3)),
                 lambda t: t.nn.functional.layer_norm(t.ones(2, 3, dtype=t.float64), (3,),
                                                      t.ones(3))):
        with pytest.raises(RuntimeError):
            call(torch)
