"""ONNX export of RNN, LSTM, GRU and CharLM, checked by onnxruntime: every output (the
sequence and the final states) equals shenjing's, at two batch sizes of a dynamic batch."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import shenjing as sj
import shenjing.onnx

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
nn = sj.nn

T, INPUT, HIDDEN = 4, 3, 5  # the sequence length is fixed; only the batch is dynamic
BATCHES = (3, 2)  # traced at the first


def _layer(mode: str, num_layers: int, bidirectional: bool, batch_first: bool):
    options = dict(num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first)
    if mode == "lstm":
        return nn.LSTM(INPUT, HIDDEN, **options)
    if mode == "gru":
        return nn.GRU(INPUT, HIDDEN, **options)
    return nn.RNN(INPUT, HIDDEN, nonlinearity=mode.split("_")[1], **options)


class _WithState(nn.Module):
    """A recurrent layer called with its initial state as inputs: (x, h_0[, c_0])."""

    def __init__(self, layer) -> None:
        super().__init__()
        self.layer = layer

    def forward(self, x, *state):
        return self.layer(x, state if len(state) == 2 else state[0])


def _flat(outputs) -> list:
    if isinstance(outputs, (tuple, list)):
        return [a for o in outputs for a in _flat(o)]
    return [outputs.numpy()]


def _session(path):
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def _compare(model, make, batch_dim, path, batches=BATCHES, atol=1e-5):
    """Export with inputs ``make(batches[0])``; onnxruntime matches shenjing at each batch."""
    proto = sj.onnx.export(model, make(batches[0]), path, batch_dim=batch_dim)
    onnx.checker.check_model(proto)
    session = _session(path)
    model.eval()
    for n in batches:
        inputs = make(n)
        with sj.no_grad():
            expected = _flat(model(*inputs))
        feeds = {i.name: t.numpy() for i, t in zip(session.get_inputs(), inputs)}
        got = session.run(None, feeds)
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            assert g.shape == e.shape
            np.testing.assert_allclose(g, e, rtol=1e-5, atol=atol)
    return proto


GRID = list(itertools.product(("rnn_tanh", "rnn_relu", "lstm", "gru"), (1, 2), (False, True),
                              (False, True), (False, True)))


@pytest.mark.parametrize("mode,num_layers,bidirectional,batch_first,given", GRID,
                         ids=["-".join(str(p) for p in case) for case in GRID])
def test_recurrent_layers(mode, num_layers, bidirectional, batch_first, given, tmp_path):
    sj.manual_seed(0)
    layer = _layer(mode, num_layers, bidirectional, batch_first)
    states = num_layers * (2 if bidirectional else 1)

    def make(n):
        x = sj.randn(n, T, INPUT) if batch_first else sj.randn(T, n, INPUT)
        if not given:
            return (x,)
        return (x,) + tuple(sj.randn(states, n, HIDDEN) for _ in range(1 + (mode == "lstm")))

    model = _WithState(layer) if given else layer
    x_dim = 0 if batch_first else 1
    batch_dim = (x_dim,) + (1,) * (1 + (mode == "lstm")) if given else x_dim
    proto = _compare(model, make, batch_dim, tmp_path / "model.onnx")
    ops = [node.op_type for node in proto.graph.node]
    onnx_op = {"lstm": "LSTM", "gru": "GRU"}.get(mode, "RNN")
    assert ops.count(onnx_op) == states  # one node per layer and direction


def test_gru_is_linear_before_reset(tmp_path):
    proto = sj.onnx.export(nn.GRU(INPUT, HIDDEN), sj.randn(T, 2, INPUT), tmp_path / "m.onnx",
                           batch_dim=1)
    (gru,) = [n for n in proto.graph.node if n.op_type == "GRU"]
    assert {a.name: a.i for a in gru.attribute}["linear_before_reset"] == 1


def test_no_bias(tmp_path):
    sj.manual_seed(0)
    layer = nn.LSTM(INPUT, HIDDEN, bias=False, bidirectional=True)
    _compare(layer, lambda n: (sj.randn(T, n, INPUT),), 1, tmp_path / "model.onnx")


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("given", [False, True])
def test_charlm(cell, given, tmp_path):
    sj.manual_seed(0)
    model = sj.models.CharLM(vocab_size=11, embedding_dim=6, hidden_size=HIDDEN, num_layers=2,
                             cell=cell, dropout=0.3)
    pieces = 2 if cell == "lstm" else 1

    def make(n):
        x = sj.randint(0, 11, (n, T))
        if not given:
            return (x,)
        state = tuple(sj.randn(2, n, HIDDEN) for _ in range(pieces))
        return (x, state if cell == "lstm" else state[0])

    path = tmp_path / "charlm.onnx"
    batch_dim = (0,) + (1,) * pieces if given else 0
    proto = sj.onnx.export(model, make(BATCHES[0]), path, batch_dim=batch_dim)
    onnx.checker.check_model(proto)
    assert model.training  # the mode is restored
    session = _session(path)
    model.eval()
    for n in BATCHES:
        inputs = make(n)
        with sj.no_grad():
            expected = _flat(model(*inputs))
        feeds = {i.name: a for i, a in zip(session.get_inputs(), _flat(inputs))}
        got = session.run(None, feeds)
        assert [g.shape for g in got] == [e.shape for e in expected]
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-5)
    dims = [d.dim_param or d.dim_value for d in proto.graph.output[1].type.tensor_type.shape.dim]
    assert dims == [2, "batch", HIDDEN]  # the state's batch is its dim 1


def test_batch_first_sequence_output_is_batched(tmp_path):
    proto = sj.onnx.export(nn.GRU(INPUT, HIDDEN, batch_first=True), sj.randn(2, T, INPUT),
                           tmp_path / "m.onnx")
    dims = [d.dim_param or d.dim_value for d in proto.graph.output[0].type.tensor_type.shape.dim]
    assert dims == ["batch", T, HIDDEN]


class _ComputedWeights(nn.Module):
    """Recurrent ops whose weights are computed, not parameters: reordered by ONNX nodes."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm, self.gru = nn.LSTM(INPUT, HIDDEN), nn.GRU(HIDDEN, HIDDEN)

    def forward(self, x):
        from shenjing.ops.rnn import gru, lstm

        y = lstm(x, None, [p * 1.0 for p in self.lstm.parameters()])[0]
        return gru(y, None, [p * 2.0 for p in self.gru.parameters()])[0]


@pytest.mark.parametrize("opset", [17, 18])
def test_computed_weights(opset, tmp_path):
    sj.manual_seed(0)
    model = _ComputedWeights()
    path = tmp_path / "model.onnx"
    sj.onnx.export(model, sj.randn(T, 3, INPUT), path, batch_dim=1, opset=opset)
    session = _session(path)
    for n in BATCHES:
        x = sj.randn(T, n, INPUT)
        with sj.no_grad():
            expected = model(x).numpy()
        got = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
