"""RNN, LSTM, GRU and their cells against PyTorch: PyTorch's weights loaded through state dicts,
then outputs, final states and the gradients of inputs, initial states and every parameter."""

import math

import numpy as np
import pytest
import torch

import shenjing as sj

T, N, I, H = 5, 3, 4, 6


def make(m, kind, **kwargs):
    if kind in ("tanh", "relu"):
        return m.nn.RNN(I, H, nonlinearity=kind, **kwargs)
    return getattr(m.nn, kind)(I, H, **kwargs)


def pair(kind, **kwargs):
    """The same layer from both libraries, PyTorch's weights loaded into ours."""
    torch.manual_seed(0)
    theirs = make(torch, kind, **kwargs)
    ours = make(sj, kind, **kwargs)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def flat(out) -> list:
    """(output, h_n) or (output, (h_n, c_n)) as a flat list."""
    output, state = out
    return [output, *state] if isinstance(state, tuple) else [output, state]


def compare_run(ours, theirs, x, states=None, rtol=1e-5, atol=1e-5):
    """Run both on ``x`` (and initial ``states``), backward a random gradient from every output,
    and compare outputs, input and state gradients, and every parameter's gradient by name."""
    rng = np.random.default_rng(1)
    inputs = [x, *(states or [])]
    mine = [sj.tensor(a, requires_grad=True) for a in inputs]
    reference = [torch.tensor(a, requires_grad=True) for a in inputs]

    def hx(ts):
        if not states:
            return None
        return tuple(ts[1:]) if len(ts) == 3 else ts[1]

    outs = flat(ours(mine[0], hx(mine)))
    refs = flat(theirs(reference[0], hx(reference)))
    grads = [rng.standard_normal(r.shape).astype(np.float32) for r in refs]
    for y, r in zip(outs, refs):
        assert y.shape == tuple(r.shape)
        np.testing.assert_allclose(y.detach().numpy(), r.detach().numpy(), rtol=rtol, atol=atol)
    sum((y * sj.tensor(g)).sum() for y, g in zip(outs, grads)).backward()
    sum((r * torch.tensor(g)).sum() for r, g in zip(refs, grads)).backward()
    for k, (a, b) in enumerate(zip(mine, reference)):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"gradient of input {k}")
    theirs_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), theirs_params[name].grad.numpy(), rtol=rtol,
                                   atol=atol, err_msg=name)


def random(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


KINDS = ["tanh", "relu", "LSTM", "GRU"]
SETTINGS = [
    dict(),
    dict(num_layers=2),
    dict(bidirectional=True),
    dict(num_layers=2, bidirectional=True, batch_first=True),
    dict(num_layers=3, bias=False),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: ",".join(f"{k}={v}" for k, v in
                                                                       s.items()) or "default")
@pytest.mark.parametrize("with_state", [False, True], ids=["zeros", "given"])
def test_sequence_layers_equal_torch(kind, settings, with_state):
    ours, theirs = pair(kind, **settings)
    x = random(N, T, I) if settings.get("batch_first") else random(T, N, I)
    rows = settings.get("num_layers", 1) * (2 if settings.get("bidirectional") else 1)
    states = None
    if with_state:
        states = [random(rows, N, H, seed=2)] + ([random(rows, N, H, seed=3)]
                                                  if kind == "LSTM" else [])
    compare_run(ours, theirs, x, states)


@pytest.mark.parametrize("kind", KINDS)
def test_wide_layers_equal_torch(kind):
    """Hidden size 40: the kernels copy transposed weights in bands of 32 rows (here several,
    the last one partial), and a batch of 33 makes every step's block an odd width."""
    torch.manual_seed(0)
    kwargs = dict(num_layers=2, bidirectional=True)
    if kind in ("tanh", "relu"):
        kwargs["nonlinearity"] = kind
    theirs = getattr(torch.nn, "RNN" if kind in ("tanh", "relu") else kind)(I, 40, **kwargs)
    ours = getattr(sj.nn, "RNN" if kind in ("tanh", "relu") else kind)(I, 40, **kwargs)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    compare_run(ours, theirs, random(7, 33, I), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("batch_first", [False, True])
def test_unbatched_input_as_torch(kind, batch_first):
    ours, theirs = pair(kind, num_layers=2, bidirectional=True, batch_first=batch_first)
    compare_run(ours, theirs, random(T, I))
    states = [random(4, H, seed=2)] + ([random(4, H, seed=3)] if kind == "LSTM" else [])
    compare_run(ours, theirs, random(T, I), states)


CELLS = [("RNNCell", dict()), ("RNNCell", dict(nonlinearity="relu")), ("LSTMCell", dict()),
         ("GRUCell", dict()), ("GRUCell", dict(bias=False)), ("LSTMCell", dict(bias=False))]


@pytest.mark.parametrize("name, settings", CELLS)
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_state", [False, True], ids=["zeros", "given"])
def test_cells_equal_torch(name, settings, batched, with_state):
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(I, H, **settings)
    ours = getattr(sj.nn, name)(I, H, **settings)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    lead = (N,) if batched else ()
    count = 2 if name == "LSTMCell" else 1
    inputs = [random(*lead, I)] + ([random(*lead, H, seed=2 + k) for k in range(count)]
                                   if with_state else [])
    mine = [sj.tensor(a, requires_grad=True) for a in inputs]
    reference = [torch.tensor(a, requires_grad=True) for a in inputs]
    results = []
    for module, ts in ((ours, mine), (theirs, reference)):
        hx = (tuple(ts[1:]) if count == 2 else ts[1]) if with_state else None
        out = module(ts[0], hx)
        results.append(list(out) if isinstance(out, tuple) else [out])
    grads = [random(*r.shape, seed=9 + k) for k, r in enumerate(results[1])]
    sum((y * sj.tensor(g)).sum() for y, g in zip(results[0], grads)).backward()
    sum((y * torch.tensor(g)).sum() for y, g in zip(results[1], grads)).backward()
    for y, r in zip(*results):
        np.testing.assert_allclose(y.detach().numpy(), r.detach().numpy(), rtol=1e-5, atol=1e-6)
    for a, b in zip(mine, reference):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-5, atol=1e-6)
    for (name_, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-5, atol=1e-6,
                                   err_msg=name_)


@pytest.mark.parametrize("kind", KINDS)
def test_parameter_names_shapes_and_order_are_torch(kind):
    settings = dict(num_layers=2, bidirectional=True)
    ours, theirs = make(sj, kind, **settings), make(torch, kind, **settings)
    assert [(n, p.shape) for n, p in ours.named_parameters()] == [
        (n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [(n, p.shape) for n, p in make(sj, kind, bias=False).named_parameters()] == [
        (n, tuple(p.shape)) for n, p in make(torch, kind, bias=False).named_parameters()]


def test_our_state_dict_loads_into_torch():
    ours = sj.nn.GRU(I, H, num_layers=2, bidirectional=True)
    theirs = torch.nn.GRU(I, H, num_layers=2, bidirectional=True)
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    x = random(T, N, I)
    np.testing.assert_allclose(ours(sj.tensor(x))[0].detach().numpy(),
                               theirs(torch.tensor(x))[0].detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("module", [sj.nn.LSTM(4, 100, num_layers=2), sj.nn.GRUCell(4, 100),
                                    sj.nn.RNN(4, 100, bidirectional=True)])
def test_default_init_is_uniform_within_one_over_sqrt_hidden(module):
    values = np.concatenate([p.detach().numpy().ravel() for p in module.parameters()])
    bound = 1 / math.sqrt(100)
    assert np.abs(values).max() <= bound
    assert abs(values.std() - bound / math.sqrt(3)) < 0.002  # the std of U(-b, b)
    assert len(np.unique(values)) > 0.99 * values.size


# -- dropout between layers ----------------------------------------------------------------------
def test_dropout_acts_between_layers_in_training_only():
    layer = sj.nn.LSTM(I, H, num_layers=3, dropout=0.5)
    x = sj.tensor(random(T, N, I))
    sj.manual_seed(7)
    first = layer(x)[0].detach().numpy()
    sj.manual_seed(7)
    again = layer(x)[0].detach().numpy()
    other = layer(x)[0].detach().numpy()  # the generator moved on: other masks
    np.testing.assert_array_equal(first, again)
    assert np.abs(first - other).max() > 1e-3
    layer.eval()
    evaluated = layer(x)[0].detach().numpy()
    np.testing.assert_array_equal(evaluated, layer(x)[0].detach().numpy())
    assert np.abs(first - evaluated).max() > 1e-3
    # In eval mode dropout is off: PyTorch's eval output with the same weights.
    theirs = torch.nn.LSTM(I, H, num_layers=3, dropout=0.5).eval()
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in layer.state_dict().items()})
    np.testing.assert_allclose(evaluated, theirs(torch.tensor(random(T, N, I)))[0].detach().numpy(),
                               rtol=1e-5, atol=1e-6)


def test_dropout_of_one_cuts_the_upper_layer_off_from_the_lower():
    """p = 1 zeroes what layer 0 hands layer 1: the output is layer 1 run on zeros, and no
    gradient reaches layer 0."""
    layer = sj.nn.GRU(I, H, num_layers=2, dropout=1.0)
    x = sj.tensor(random(T, N, I), requires_grad=True)
    output, h_n = layer(x)
    top = sj.nn.GRU(H, H)
    top.load_state_dict({k.replace("_l1", "_l0"): v for k, v in layer.state_dict().items()
                         if "_l1" in k})
    expected = top(sj.zeros(T, N, H))[0].detach().numpy()
    np.testing.assert_allclose(output.detach().numpy(), expected, rtol=1e-6, atol=1e-7)
    output.sum().backward()
    assert not layer.weight_ih_l0.grad.numpy().any() and not x.grad.numpy().any()
    assert layer.weight_hh_l1.grad.numpy().any()


def test_dropout_with_one_layer_warns_as_torch():
    with pytest.warns(UserWarning, match="dropout"):
        sj.nn.LSTM(I, H, dropout=0.2)


# -- states across chunks (truncated backpropagation through time) ------------------------------
def test_detached_states_carry_values_but_no_gradient_across_chunks():
    ours, theirs = pair("LSTM", num_layers=2)
    chunks = [random(T, N, I, seed=s) for s in (1, 2)]
    results = []
    for m, module in ((sj, ours), (torch, theirs)):
        state, losses = None, []
        for chunk in chunks:
            output, state = module(m.tensor(chunk), state)
            state = tuple(s.detach() for s in state)  # values carry over, the graph does not
            losses.append((output ** 2).mean())
        losses[-1].backward()
        results.append(([s.numpy() for s in state],
                        {n: p.grad.numpy() for n, p in module.named_parameters()}))
    (states, grads), (ref_states, ref_grads) = results
    for s, r in zip(states, ref_states):
        np.testing.assert_allclose(s, r, rtol=1e-5, atol=1e-6)
    for name, g in grads.items():
        np.testing.assert_allclose(g, ref_grads[name], rtol=1e-5, atol=1e-6, err_msg=name)
    assert not any(s.requires_grad for s in state)


# -- errors and printing -------------------------------------------------------------------------
def test_errors_name_the_layer_and_the_shapes():
    lstm = sj.nn.LSTM(I, H, num_layers=2)
    with pytest.raises(sj.ShapeError, match=r"LSTM\(4, 6, num_layers=2\): expected a 2-D "
                                            r"\(unbatched\) or 3-D input, got shape \(5\,\)"):
        lstm(sj.randn(5))
    with pytest.raises(sj.ShapeError, match=r"LSTM\(4, 6, num_layers=2\): expected input_size 4 "
                                            r"in the last dim of the input, got shape \(5, 3, 7\)"):
        lstm(sj.randn(5, 3, 7))
    with pytest.raises(sj.ShapeError, match=r"for batched 3-D input of shape \(5, 3, 4\), h_0 "
                                            r"must have shape \(2, 3, 6\), got \(1, 3, 6\)"):
        lstm(sj.randn(5, 3, 4), (sj.zeros(1, 3, 6), sj.zeros(2, 3, 6)))
    with pytest.raises(sj.ShapeError, match=r"for unbatched 2-D input of shape \(5, 4\), c_0 "
                                            r"must have shape \(2, 6\), got \(2, 1, 6\)"):
        lstm(sj.randn(5, 4), (sj.zeros(2, 6), sj.zeros(2, 1, 6)))
    with pytest.raises(TypeError, match=r"hx must be a pair \(h_0, c_0\)"):
        lstm(sj.randn(5, 3, 4), (sj.zeros(2, 3, 6),))
    with pytest.raises(TypeError, match=r"GRU\(4, 6\): hx must be a tensor h_0"):
        sj.nn.GRU(I, H)(sj.randn(5, 3, 4), (sj.zeros(1, 3, 6),))
    with pytest.raises(sj.ShapeError, match=r"GRUCell\(4, 6\): for input of shape \(3, 4\), the "
                                            r"state must have shape \(3, 6\), got \(6,\)"):
        sj.nn.GRUCell(I, H)(sj.randn(3, 4), sj.zeros(6))
    with pytest.raises(ValueError, match="nonlinearity must be 'tanh' or 'relu'"):
        sj.nn.RNN(I, H, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="hidden_size must be an integer of at least 1"):
        sj.nn.GRU(I, 0)
    with pytest.raises(NotImplementedError, match="proj_size"):
        sj.nn.LSTM(I, H, proj_size=2)


def test_repr():
    assert repr(sj.nn.LSTM(10, 20, num_layers=2, batch_first=True, dropout=0.5,
                           bidirectional=True)) == repr(
        torch.nn.LSTM(10, 20, num_layers=2, batch_first=True, dropout=0.5, bidirectional=True))
    assert repr(sj.nn.GRU(3, 4, bias=False)) == "GRU(3, 4, bias=False)"
    assert repr(sj.nn.RNN(3, 4, nonlinearity="relu")) == "RNN(3, 4, nonlinearity='relu')"
    assert repr(sj.nn.LSTMCell(3, 4)) == "LSTMCell(3, 4)"


def test_float64_layers_pass_gradcheck():
    layer = sj.nn.LSTM(2, 3, num_layers=2, bidirectional=True, dtype=sj.float64)
    params = list(layer.parameters())
    x = sj.randn(3, 2, 2, dtype=sj.float64, requires_grad=True)

    def run(x, *weights):
        return sj.ops.rnn.lstm(x, None, list(weights), True, 2, 0.0, False, True, False)

    assert sj.autograd.gradcheck(run, [x, *params])


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("batch, hidden", [(1, 4), (3, 1)])
def test_pooled_buffers_never_alias_what_a_layer_returns(kind, batch, hidden):
    """With a batch of 1 or a hidden size of 1 a transposed buffer is already contiguous: the
    outputs must still be copies, kept intact however the pool lends the buffers again."""
    sj.manual_seed(0)
    layer = getattr(sj.nn, kind)(3, hidden, num_layers=2, bidirectional=True)
    reference = getattr(torch.nn, kind)(3, hidden, num_layers=2, bidirectional=True).double()
    reference.load_state_dict({k: torch.tensor(v.numpy()).double()
                               for k, v in layer.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((5, batch, 3)).astype(np.float32)
    with sj.no_grad():  # buffers go back to the pool at once, layer after layer
        y, state = layer(sj.tensor(x))
        kept = [t.numpy().copy() for t in [y, *(state if kind == "LSTM" else [state])]]
        layer(sj.tensor(x * 2))  # lends the same buffers again
    with torch.no_grad():
        yt, state_t = reference(torch.tensor(x).double())
    expected = [yt, *(state_t if kind == "LSTM" else [state_t])]
    for ours, again, theirs in zip([y, *(state if kind == "LSTM" else [state])], kept, expected):
        np.testing.assert_array_equal(ours.numpy(), again)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), atol=1e-5)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_backward_leaves_the_incoming_gradient_alone(kind):
    sj.manual_seed(0)
    layer = getattr(sj.nn, kind)(3, 4)
    _, state = layer(sj.randn(5, 1, 3))
    h = state[0] if kind == "LSTM" else state
    g = sj.ones(1, 1, 4)
    h.backward(g)
    np.testing.assert_array_equal(g.numpy(), np.ones((1, 1, 4), np.float32))
    b = sj.ones(1, 1, 4, requires_grad=True)
    _, state = layer(sj.randn(5, 1, 3))
    h = state[0] if kind == "LSTM" else state
    ((h + b * 2) * 3).sum().backward()  # Add hands one gradient array to both inputs
    np.testing.assert_array_equal(b.grad.numpy(), np.full((1, 1, 4), 6.0, np.float32))
