"""Recurrent networks over whole sequences, as ``torch.rnn_tanh``, ``rnn_relu``, ``lstm``, ``gru``.

One layer in one direction over every timestep is one operation, ``RecurrentLayer``: one matrix
product projects the inputs of all timesteps, the loop over time runs on raw arrays with a few
array calls a step (``ops.rnn_kernels``), and backward runs the loop in reverse the same way
(backpropagation through time), ending with one matrix product per weight gradient. So a layer
adds one node to the graph, not a dozen per timestep.

Gradients of gradients (``create_graph=True``) are recorded by running the layer again with the
cells of ``ops.rnn_cells``, which are made of differentiable operations, and differentiating
that: exact to every order, at the price of a second forward only when they are asked for.
Stacked layers, both directions and dropout between layers are ordinary operations around it.
"""

from __future__ import annotations

from shenjing.autograd.engine import grad
from shenjing.autograd.function import Function, ShapeError
from shenjing.autograd.grad_mode import is_grad_enabled
from shenjing.autograd.tensor import Tensor
from shenjing.backend import array_module
from shenjing.backend.pool import POOL
from shenjing.ops.checks import computed, require_dtype_of, require_tensor
from shenjing.ops.dropout import dropout as dropout_fn
from shenjing.ops.elementwise import clone
from shenjing.ops.rnn_cells import gru_cell, lstm_cell, rnn_relu_cell, rnn_tanh_cell
from shenjing.ops.rnn_kernels import KERNELS
from shenjing.ops.shape import cat, stack


class RecurrentLayer(Function):
    """One layer in one direction over all timesteps.

    ``(x (T, N, I), h0 (N, H), c0 (N, H) or None, W_ih, W_hh, b_ih, b_hh)`` ->
    ``(y (T, N, H), h_n (N, H))``, and ``c_n`` for an LSTM; ``mode`` is one of ``KERNELS``.
    """

    buffers: tuple | None = None  # the layer's pool buffers (states, gates), until released

    def forward(self, x, h0, c0, w_ih, w_hh, b_ih, b_hh, mode, reverse):
        self.mode, self.reverse = mode, reverse
        y, h_n, c_n, self.buffers = KERNELS[mode].forward(self.xp, x, h0, c0, w_ih, w_hh, b_ih,
                                                          b_hh, reverse)
        self.save_for_backward(x, h0, c0, w_ih, w_hh, b_ih, b_hh)
        # The layer's own buffers (states, gates): given back to the pool once the graph frees
        # this node, or now when no graph will keep them.
        if not is_grad_enabled():
            self.release()
        return (y, h_n) if c_n is None else (y, h_n, c_n)

    def release(self) -> None:
        if self.buffers is not None:
            POOL.give(*self.buffers)
            self.buffers = None
        super().release()

    def backward(self, gy, gh, gc=None):
        if is_grad_enabled():  # create_graph: gradients that are themselves differentiable
            return self._recorded_backward(gy, gh, gc)
        x, _, _, w_ih, w_hh, _, _ = self.saved_tensors
        grads = RecurrentLayerBackward.apply(x, w_ih, w_hh, gy, gh, gc, layer=self,
                                             needs=self.needs_input_grad)
        grads = iter(grads if isinstance(grads, tuple) else (grads,))
        return tuple(next(grads) if need else None for need in self.needs_input_grad)

    def _recorded_backward(self, *grads):
        """The gradients as recorded operations: differentiate the layer built from cells."""
        inputs = self.saved_tensors[:7]
        needs = self.needs_input_grad
        # Fresh nodes (clones) for the inputs, so that the inner grad stops at them and never
        # reaches the graph that made the inputs, even when one input was made from another.
        inputs = [clone(t) if need else t for t, need in zip(inputs, needs)]
        outputs = _layer_from_cells(self.mode, self.reverse, *inputs)
        pairs = [(y, g) for y, g in zip(outputs, grads) if g is not None]
        wanted = [t for t, need in zip(inputs, needs) if need]
        found = iter(grad([y for y, _ in pairs], wanted, [g for _, g in pairs],
                          create_graph=True, allow_unused=True))
        return tuple(next(found) if need else None for need in needs)


_CELLS = {"RNN_TANH": rnn_tanh_cell, "RNN_RELU": rnn_relu_cell, "GRU": gru_cell}


def _layer_from_cells(mode: str, reverse: bool, x, h0, c0, w_ih, w_hh, b_ih, b_hh) -> tuple:
    """What ``RecurrentLayer`` computes, step by step with the differentiable cells."""
    T = x.shape[0]
    outputs = [None] * T
    h, c = h0, c0
    for t in range(T - 1, -1, -1) if reverse else range(T):
        if mode == "LSTM":
            h, c = lstm_cell(x[t], (h, c), w_ih, w_hh, b_ih, b_hh)
        else:
            h = _CELLS[mode](x[t], h, w_ih, w_hh, b_ih, b_hh)
        outputs[t] = h
    y = stack(outputs)
    return (y, h, c) if mode == "LSTM" else (y, h)


def _check_params(op: str, params, gates: int, input_size: int, num_layers: int,
                  directions: int, has_biases: bool) -> int:
    """Check the flat weight list (PyTorch's ``_flat_weights`` order); return hidden_size."""
    per = 4 if has_biases else 2
    params = list(params)
    if len(params) != num_layers * directions * per or not params:
        raise ValueError(f"{op}: expected {num_layers * directions * per} weights for "
                         f"{num_layers} layer(s), {directions} direction(s) and "
                         f"has_biases={has_biases}, got {len(params)}")
    for p in params:
        require_tensor(op, p)
    hidden = params[1].shape[-1]
    roles = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    for k, p in enumerate(params):
        layer, role = divmod(k, per)
        layer //= directions
        fan_in = (input_size if layer == 0 else directions * hidden) if role == 0 else hidden
        expected = (gates * hidden, fan_in) if role < 2 else (gates * hidden,)
        name = roles[role]
        if p.shape != expected:
            raise ShapeError(f"{op}: {name} of layer {layer} (weight {k}) has shape {p.shape}, "
                             f"expected {expected} for input_size {input_size} and hidden_size "
                             f"{hidden}")
        require_dtype_of(op, f"{name} of layer {layer} (weight {k})", p, params[0],
                         "weight_ih_l0")
    return hidden


class RecurrentLayerBackward(Function):
    """Backpropagation through time of a ``RecurrentLayer`` on raw arrays, as one operation:
    the gradients of the inputs that ``needs`` marks, from the layer's buffers."""

    differentiable = False

    def forward(self, x, w_ih, w_hh, gy, gh, gc, layer, needs):
        grads = KERNELS[layer.mode].backward(self.xp, layer.buffers, x, w_ih, w_hh, gy, gh, gc,
                                             layer.reverse, needs)
        return tuple(g for g, need in zip(grads, needs) if need)


def _zero_state(like, *, shape, dtype):
    return array_module(like).zeros(shape, dtype=dtype)


def _initial_states(op: str, name: str, state, shape: tuple, like: Tensor):
    """The initial state (layers * directions, N, H) as a list of (N, H) per layer and direction."""
    if state is None:
        return [computed(_zero_state, like, shape=shape[1:], dtype=like.dtype)
                for _ in range(shape[0])]
    require_tensor(op, state)
    if state.shape != shape:
        raise ShapeError(f"{op}: expected {name} of shape {shape}, got {state.shape}")
    require_dtype_of(op, name, state, like)
    return [state[k] for k in range(shape[0])]


def _recurrent(op: str, mode: str, input: Tensor, hx, params, has_biases: bool,
               num_layers: int, dropout: float, train: bool, bidirectional: bool,
               batch_first: bool):
    require_tensor(op, input)
    if input.ndim != 3:
        layout = "(batch, seq_len, input_size)" if batch_first else "(seq_len, batch, input_size)"
        raise ShapeError(f"{op}: expected a 3-D input {layout}, got shape {input.shape}")
    if not 0.0 <= dropout <= 1.0:
        raise ValueError(f"{op}: dropout must be in [0, 1], got {dropout}")
    directions = 2 if bidirectional else 1
    gates = KERNELS[mode].gates
    params = list(params)
    x = input.transpose(0, 1) if batch_first else input  # (T, N, I)
    T, N, size = x.shape
    hidden = _check_params(op, params, gates, size, num_layers, directions, has_biases)
    if T == 0:
        raise ValueError(f"{op}: the sequence is empty (input of shape {input.shape})")
    weight = params[0]
    require_dtype_of(op, "input", input, weight)
    shape = (num_layers * directions, N, hidden)
    if mode == "LSTM":
        if not isinstance(hx, (tuple, list)) and hx is not None:
            raise TypeError(f"{op}: hx must be a pair (h_0, c_0) or None, got "
                            f"{type(hx).__name__}")
        h0, c0 = hx if hx is not None else (None, None)
        h0s = _initial_states(op, "h_0", h0, shape, weight)
        c0s = _initial_states(op, "c_0", c0, shape, weight)
    else:
        h0s = _initial_states(op, "h_0", hx, shape, weight)
        c0s = [None] * len(h0s)
    per = 4 if has_biases else 2
    h_n, c_n = [], []
    for layer in range(num_layers):
        outputs = []
        for direction in range(directions):
            k = layer * directions + direction
            w = params[k * per:(k + 1) * per]
            w_ih, w_hh, b_ih, b_hh = w if has_biases else (*w, None, None)
            out = RecurrentLayer.apply(x, h0s[k], c0s[k], w_ih, w_hh, b_ih, b_hh, mode=mode,
                                       reverse=direction == 1)
            outputs.append(out[0])
            h_n.append(out[1])
            if mode == "LSTM":
                c_n.append(out[2])
        x = outputs[0] if directions == 1 else cat(outputs, dim=2)
        if dropout and train and layer < num_layers - 1:
            x = dropout_fn(x, dropout, training=True)
    output = x.transpose(0, 1) if batch_first else x
    if mode == "LSTM":
        return output, stack(h_n), stack(c_n)
    return output, stack(h_n)


def rnn_tanh(input: Tensor, hx: Tensor | None, params, has_biases: bool = True,
             num_layers: int = 1, dropout: float = 0.0, train: bool = False,
             bidirectional: bool = False, batch_first: bool = False) -> tuple[Tensor, Tensor]:
    """An Elman RNN with tanh over a sequence: returns ``(output, h_n)``.

    input (T, N, I) (or (N, T, I) with ``batch_first``), hx (layers * directions, N, H) or None
    for zeros, ``params`` the weights in PyTorch's order (``weight_ih_l0, weight_hh_l0,
    bias_ih_l0, bias_hh_l0``, then the reverse direction, then the next layer). output is
    (T, N, directions * H). ``dropout`` applies between layers when ``train``.
    Equivalent of ``torch.rnn_tanh``.

    >>> import shenjing as sj
    >>> from shenjing.ops.rnn import rnn_tanh
    >>> output, h_n = rnn_tanh(sj.ones(5, 2, 3), None, [sj.zeros(4, 3), sj.zeros(4, 4)], False)
    >>> output.shape, h_n.shape
    ((5, 2, 4), (1, 2, 4))
    """
    return _recurrent("rnn_tanh", "RNN_TANH", input, hx, params, has_biases, num_layers,
                      dropout, train, bidirectional, batch_first)


def rnn_relu(input: Tensor, hx: Tensor | None, params, has_biases: bool = True,
             num_layers: int = 1, dropout: float = 0.0, train: bool = False,
             bidirectional: bool = False, batch_first: bool = False) -> tuple[Tensor, Tensor]:
    """An Elman RNN with ReLU over a sequence: ``(output, h_n)``, arguments as ``rnn_tanh``.

    Equivalent of ``torch.rnn_relu``.

    >>> import shenjing as sj
    >>> from shenjing.ops.rnn import rnn_relu
    >>> output, h_n = rnn_relu(sj.ones(5, 2, 3), None, [sj.ones(4, 3), sj.zeros(4, 4)], False)
    >>> h_n
    tensor([[[3., 3., 3., 3.],
             [3., 3., 3., 3.]]])
    """
    return _recurrent("rnn_relu", "RNN_RELU", input, hx, params, has_biases, num_layers,
                      dropout, train, bidirectional, batch_first)


def lstm(input: Tensor, hx, params, has_biases: bool = True, num_layers: int = 1,
         dropout: float = 0.0, train: bool = False, bidirectional: bool = False,
         batch_first: bool = False) -> tuple[Tensor, Tensor, Tensor]:
    """An LSTM over a sequence: returns ``(output, h_n, c_n)``.

    ``hx`` is ``(h_0, c_0)``, each (layers * directions, N, H), or None for zeros; the other
    arguments are those of ``rnn_tanh``, with weights of 4H rows (gates i, f, g, o).
    Equivalent of ``torch.lstm``.

    >>> import shenjing as sj
    >>> from shenjing.ops.rnn import lstm
    >>> params = [sj.zeros(8, 3), sj.zeros(8, 2), sj.zeros(8), sj.zeros(8)]
    >>> output, h_n, c_n = lstm(sj.ones(5, 1, 3), None, params)
    >>> output.shape, c_n
    ((5, 1, 2), tensor([[[0., 0.]]]))
    """
    return _recurrent("lstm", "LSTM", input, hx, params, has_biases, num_layers, dropout,
                      train, bidirectional, batch_first)


def gru(input: Tensor, hx: Tensor | None, params, has_biases: bool = True, num_layers: int = 1,
        dropout: float = 0.0, train: bool = False, bidirectional: bool = False,
        batch_first: bool = False) -> tuple[Tensor, Tensor]:
    """A GRU over a sequence: returns ``(output, h_n)``, arguments as ``rnn_tanh`` with
    weights of 3H rows (gates r, z, n). Equivalent of ``torch.gru``.

    >>> import shenjing as sj
    >>> from shenjing.ops.rnn import gru
    >>> output, h_n = gru(sj.ones(5, 1, 3), sj.ones(1, 1, 2), [sj.zeros(6, 3), sj.zeros(6, 2)],
    ...                   False)
    >>> h_n  # z = 1/2 each step: h halves five times
    tensor([[[0.0312, 0.0312]]])
    """
    return _recurrent("gru", "GRU", input, hx, params, has_biases, num_layers, dropout, train,
                      bidirectional, batch_first)
