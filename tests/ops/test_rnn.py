"""Whole-sequence RNN, LSTM and GRU (the fused layer) through the harness, against torch.lstm &c.

Each case: stacked layers, both directions, batch first, with and without biases and initial
states; float64 finite differences (first order for all, second order through the recorded
backward for the small ones) and float32 outputs and gradients against PyTorch.
"""

import numpy as np
import pytest
import torch

import shenjing as sj
from shenjing.ops import rnn
from tests.ops.harness import F, OpSpec, spec_tests

T, N, I, H = 3, 2, 3, 2
GATES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3}


def case(op, layers=1, bidirectional=False, batch_first=False, bias=True, state=True) -> tuple:
    """(settings..., x, initial state(s), weights in PyTorch's order)."""
    directions = 2 if bidirectional else 1
    rows = GATES[op] * H
    x = F(N, T, I) if batch_first else F(T, N, I)
    states = (F(layers * directions, N, H),) * ((2 if op == "lstm" else 1) if state else 0)
    weights = []
    for layer in range(layers):
        for _ in range(directions):
            weights += [F(rows, I if layer == 0 else directions * H), F(rows, H)]
            weights += [F(rows), F(rows)] if bias else []
    return (layers, bidirectional, batch_first, bias, state, x, *states, *weights)


def call(op, m, layers, bidirectional, batch_first, bias, state, x, *rest):
    """``op`` of shenjing.ops.rnn, or torch's (which needs explicit zero states)."""
    lstm = op == "lstm"
    count = (2 if lstm else 1) if state else 0
    states, weights = list(rest[:count]), list(rest[count:])
    if m is torch and not state:
        batch = x.shape[0 if batch_first else 1]
        zeros = torch.zeros(layers * (2 if bidirectional else 1), batch, H)
        states = [zeros, zeros] if lstm else [zeros]
    hx = (tuple(states) if lstm else states[0]) if states else None
    fn = getattr(torch if m is torch else rnn, op)
    return fn(x, hx, weights, bias, layers, 0.0, False, bidirectional, batch_first)


def spec(op, cases, second_order=True, name=None):
    return OpSpec(name or op, lambda m, *a: call(op, m, *a), cases, second_order=second_order)


SMALL = [dict(), dict(bidirectional=True), dict(state=False, bias=False)]
STACKED = [dict(layers=2), dict(layers=2, bidirectional=True, batch_first=True),
           dict(layers=3, batch_first=True, state=False)]
SPECS = [s for op in GATES for s in (
    spec(op, [case(op, **c) for c in SMALL]),
    spec(op, [case(op, **c) for c in STACKED], second_order=False, name=f"{op}:stacked"),
)]

test_gradcheck, test_matches_torch = spec_tests(SPECS)


# -- beyond the harness --------------------------------------------------------------------------
def lstm_pair(layers=2, bidirectional=True, seed=0):
    """A random LSTM's weights and input, as shenjing and torch tensors that require grad."""
    rng = np.random.default_rng(seed)
    module = torch.nn.LSTM(I, H, layers, bidirectional=bidirectional)
    weights = [p.detach().numpy() for p in module._flat_weights]
    x = rng.standard_normal((T, N, I)).astype(np.float32)
    ours = [sj.tensor(a, requires_grad=True) for a in [x, *weights]]
    theirs = [torch.tensor(a, requires_grad=True) for a in [x, *weights]]
    return ours, theirs, dict(num_layers=layers, bidirectional=bidirectional)


def run_lstm(m, tensors, settings):
    x, *weights = tensors
    if m is torch:
        rows = settings["num_layers"] * (2 if settings["bidirectional"] else 1)
        zeros = torch.zeros(rows, N, H)
        return torch.lstm(x, (zeros, zeros), weights, True, settings["num_layers"], 0.0, False,
                          settings["bidirectional"], False)
    return rnn.lstm(x, None, weights, True, settings["num_layers"], 0.0, False,
                    settings["bidirectional"], False)


def test_gradient_of_a_gradient_equals_torch():
    """create_graph through the fused layer: d/dW of |dL/dx|^2, against PyTorch's."""
    ours, theirs, settings = lstm_pair()
    results = []
    for m, tensors in ((sj, ours), (torch, theirs)):
        output = run_lstm(m, tensors, settings)[0]
        loss = (output * output).sum()
        grad = (sj.autograd.grad if m is sj else torch.autograd.grad)
        (gx,) = grad(loss, tensors[0], create_graph=True)
        results.append(grad((gx * gx).sum(), tensors[1:]))
    for g, h in zip(*results):
        np.testing.assert_allclose(g.numpy(), h.numpy(), rtol=1e-4, atol=1e-6)


def test_buffers_reused_across_calls_never_mix_two_graphs():
    """Two live graphs, a freed one, a no_grad call: each backward still equals PyTorch's."""
    ours, theirs, settings = lstm_pair(layers=1, bidirectional=False)
    with sj.no_grad():
        run_lstm(sj, ours, settings)  # gives its buffers back at once
    first = run_lstm(sj, ours, settings)[0]
    second = run_lstm(sj, ours, settings)[0]
    (first.sum() + 2 * second.sum()).backward()
    reference = run_lstm(torch, theirs, settings)[0]
    (3 * reference.sum()).backward()
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-5, atol=1e-6)
    for p in ours:
        p.grad = None
    (3 * run_lstm(sj, ours, settings)[0].sum()).backward()  # into buffers given back above
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_retain_graph_allows_a_second_identical_backward():
    ours, _, settings = lstm_pair()
    output = run_lstm(sj, ours, settings)[0]
    output.sum().backward(retain_graph=True)
    first = [p.grad.numpy().copy() for p in ours]
    run_lstm(sj, ours, settings)[0].sum().backward()  # another graph, using pooled buffers
    for p in ours:
        p.grad = None
    output.sum().backward()
    for p, g in zip(ours, first):
        np.testing.assert_array_equal(p.grad.numpy(), g)


def test_a_second_backward_without_retain_graph_fails_clearly():
    ours, _, settings = lstm_pair(bidirectional=False)
    output = run_lstm(sj, ours, settings)[0]
    output.sum().backward()
    with pytest.raises(RuntimeError, match="RecurrentLayerBackward: trying to backward through "
                                           "the graph a second time"):
        output.sum().backward()


def test_changing_a_weight_in_place_before_backward_is_caught():
    ours, _, settings = lstm_pair(layers=1, bidirectional=False)
    output = run_lstm(sj, ours, settings)[0]
    with sj.no_grad():
        ours[2].mul_(2.0)  # weight_hh_l0, as an optimizer step would
    with pytest.raises(RuntimeError, match="modified in place"):
        output.sum().backward()


def test_unused_outputs_get_zero_gradients():
    """Only h_n is used: the engine fills the others with zeros, as PyTorch does."""
    ours, theirs, settings = lstm_pair(bidirectional=False)
    run_lstm(sj, ours, settings)[1].sum().backward()
    run_lstm(torch, theirs, settings)[1].sum().backward()
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_errors_name_the_function_and_the_shapes():
    x = sj.randn(T, N, I)
    weights = [sj.randn(4 * H, I), sj.randn(4 * H, H), sj.randn(4 * H), sj.randn(4 * H)]
    with pytest.raises(sj.ShapeError, match=r"lstm: expected a 3-D input \(seq_len, batch, "
                                            r"input_size\), got shape \(3, 3\)"):
        rnn.lstm(sj.randn(T, I), None, weights)
    with pytest.raises(ValueError, match=r"lstm: expected 8 weights for 2 layer\(s\), 1 "
                                         r"direction\(s\) and has_biases=True, got 4"):
        rnn.lstm(x, None, weights, num_layers=2)
    with pytest.raises(sj.ShapeError, match=r"lstm: weight_ih of layer 0 \(weight 0\) has shape "
                                            r"\(8, 3\), expected \(8, 5\)"):
        rnn.lstm(sj.randn(T, N, 5), None, weights)
    with pytest.raises(sj.ShapeError, match=r"lstm: expected c_0 of shape \(1, 2, 2\), got "
                                            r"\(1, 3, 2\)"):
        rnn.lstm(x, (sj.zeros(1, N, H), sj.zeros(1, 3, H)), weights)
    with pytest.raises(ValueError, match=r"gru: the sequence is empty"):
        rnn.gru(sj.randn(0, N, I), None, [sj.randn(3 * H, I), sj.randn(3 * H, H)], False)


def test_relu_layer_drops_an_infinite_gradient_where_the_state_is_zero():
    """Where h = relu(...) is 0 PyTorch passes no gradient at all, even an infinite one; a
    gradient multiplied by the mask (h > 0) was inf * 0 = NaN there."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 4, I)).astype(np.float32)
    weights = [rng.standard_normal(s).astype(np.float32) for s in ((H, I), (H, H), (H,), (H,))]
    grads, outputs = [], []
    for m in (sj, torch):
        tensors = [(sj.tensor if m is sj else torch.tensor)(a, requires_grad=True)
                   for a in [x, *weights]]
        h0 = m.zeros(1, 4, H)
        y, _ = (rnn.rnn_relu if m is sj else torch.rnn_relu)(tensors[0], h0, tensors[1:], True,
                                                             1, 0.0, False, False, False)
        h = y.detach().numpy()
        finite = np.random.default_rng(1).standard_normal(h.shape)
        gy = np.where(h == 0, np.inf, finite).astype(np.float32)
        y.backward((sj.tensor if m is sj else torch.tensor)(gy))
        outputs.append(h)
        grads.append([t.grad.numpy() for t in tensors])
    assert (outputs[0] == 0).any() and (outputs[0] > 0).any()  # both kinds of entries
    for ours, theirs in zip(*grads):
        assert np.isfinite(theirs).all()
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
