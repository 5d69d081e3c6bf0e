"""Layers refuse input of another dtype than their parameters, as PyTorch does: same exception
type, and a message naming the layer, both dtypes and the fix. Nothing is cast silently."""

import functools
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





def test_linear_refuses_input_and_bias_of_another_dtype_as_pytorch():
    F, w = sj.nn.functional, sj.ones(4, 3)
    for x in (sj.ones(2, 3, dtype=sj.float64), sj.ones(2, 3, dtype=sj.int64)):
        with pytest.raises(RuntimeError, match=rf"linear: input of dtype {x.dtype} and weight "
                                               r"of dtype float32 differ; convert the input, "
                                               r"e\.g\. with \.to\(weight\.dtype\)"):
            F.linear(x, w)
    with pytest.raises(RuntimeError, match=r"linear: bias of dtype float64 and weight of dtype "
                                           r"float32 differ; convert the bias"):
        F.linear(sj.ones(2, 3), w, sj.zeros(4, dtype=sj.float64))
    for x, b in ((torch.ones(2, 3, dtype=torch.float64), None),
                 (torch.ones(2, 3, dtype=torch.int64), None),
                 (torch.ones(2, 3), torch.zeros(4, dtype=torch.float64))):
        with pytest.raises(RuntimeError):
            torch.nn.functional.linear(x, torch.ones(4, 3), b)
    assert F.linear(sj.ones(2, 3, dtype=sj.float64), w.double()).dtype == sj.float64


def test_prelu_refuses_mixed_dtypes_as_pytorch():
    for x, w in ((sj.ones(2, 3, dtype=sj.float64), sj.tensor([0.25])),
                 (sj.ones(2, 3), sj.tensor([0.25], dtype=sj.float64))):
        with pytest.raises(RuntimeError, match=rf"prelu: input of dtype {x.dtype} and weight of "
                                               rf"dtype {w.dtype} differ"):
            sj.nn.functional.prelu(x, w)
        with pytest.raises(RuntimeError):
            torch.nn.functional.prelu(torch.ones(2, 3, dtype=getattr(torch, str(x.dtype))),
                                      torch.tensor([0.25], dtype=getattr(torch, str(w.dtype))))


CELLS = {"rnn_tanh_cell": 1, "rnn_relu_cell": 1, "lstm_cell": 4, "gru_cell": 3}


def ones(m, shape, wide: bool = False):
    """Ones of shenjing or torch (``m``), float64 when ``wide``, else float32."""
    return m.ones(*shape, dtype=m.float64 if wide else m.float32)


@pytest.mark.parametrize("name", CELLS)
@pytest.mark.parametrize("culprit", ["input", "hx", "bias_hh"])
def test_cell_functions_refuse_mixed_dtypes_as_pytorch(name, culprit):
    """``torch.lstm_cell`` and the others raise RuntimeError; so do shenjing's, naming it."""
    rows = CELLS[name] * 2
    results = []
    for m in (sj, torch):
        h = ones(m, (2, 2), culprit == "hx")
        args = (ones(m, (2, 3), culprit == "input"), (h, ones(m, (2, 2))) if name == "lstm_cell"
                else h, ones(m, (rows, 3)), ones(m, (rows, 2)), ones(m, (rows,)),
                ones(m, (rows,), culprit == "bias_hh"))
        fn = getattr(sj.ops.rnn_cells, name) if m is sj else getattr(torch, name)
        results.append(raised(functools.partial(fn, *args)))
    ours, theirs = results
    assert type(ours) is type(theirs) is RuntimeError
    assert str(ours).startswith(f"{name}: {culprit} of dtype float64 and weight_ih of dtype "
                                f"float32 differ; convert the {culprit}")


def test_lstm_cell_promotes_a_float64_cell_state_as_pytorch():
    """cx meets only elementwise products, which promote in PyTorch: h' and c' are float64."""
    results = []
    for m in (sj, torch):
        fn = sj.ops.rnn_cells.lstm_cell if m is sj else torch.lstm_cell
        h, c = fn(m.ones(2, 3), (m.ones(2, 2), m.ones(2, 2, dtype=m.float64)), m.ones(8, 3),
                  m.ones(8, 2))
        results.append((str(h.dtype).replace("torch.", ""), c.detach().numpy()))
    assert results[0][0] == results[1][0] == "float64"
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-12)


@pytest.mark.parametrize("culprit", ["input", "h_0"])
@pytest.mark.parametrize("name", ["rnn_tanh", "lstm", "gru"])
def test_whole_sequence_functions_refuse_mixed_dtypes_as_pytorch(name, culprit):
    """``torch.lstm`` and the others raise RuntimeError for a float64 input or state."""
    layer = {"rnn_tanh": "RNN", "lstm": "LSTM", "gru": "GRU"}[name]
    weights = [w.detach() for w in getattr(torch.nn, layer)(3, 2)._flat_weights]
    results = []
    for m in (sj, torch):
        h = ones(m, (1, 2, 2), culprit == "h_0")
        params = weights if m is torch else [sj.tensor(w.numpy()) for w in weights]
        fn = getattr(sj.ops.rnn if m is sj else torch, name)
        results.append(raised(functools.partial(
            fn, ones(m, (4, 2, 3), culprit == "input"),
            (h, ones(m, (1, 2, 2))) if name == "lstm" else h, params, True, 1, 0.0, False,
            False, False)))
    ours, theirs = results
    assert type(ours) is type(theirs) is RuntimeError
    assert str(ours).startswith(f"{name}: {culprit} of dtype float64 and ")
