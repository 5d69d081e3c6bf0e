"""One step of a recurrent network: the RNN (tanh, ReLU), LSTM and GRU cells.

Each cell is composed of differentiable operations (two affine maps, a split into gates,
activations), so gradients of every order come for free; whole sequences run through the fused
operation of ``ops.rnn``, which calls these cells only to record gradients of gradients.
Weights are in PyTorch's layout and gate order: LSTM (i, f, g, o), GRU (r, z, n).
"""

from __future__ import annotations

from shenjing.autograd.function import ShapeError
from shenjing.autograd.tensor import Tensor
from shenjing.ops.activation import relu, sigmoid, tanh
from shenjing.ops.checks import require_dtype_of, require_tensor
from shenjing.ops.linalg import linear
from shenjing.ops.shape import chunk


def _check_cell(op: str, input: Tensor, hx, w_ih: Tensor, w_hh: Tensor, b_ih, b_hh,
               gates: int) -> None:
    """Check a cell's operands: input (N, I) or (I,), states (N, H) or (H,), PyTorch's weights."""
    require_tensor(op, input)
    states = hx if isinstance(hx, (tuple, list)) else (hx,)
    for t in (*states, w_ih, w_hh):
        require_tensor(op, t)
    hidden = w_hh.shape[-1] if w_hh.ndim == 2 else None
    if hidden is None or w_hh.shape[0] != gates * hidden:
        raise ShapeError(f"{op}: weight_hh of shape {w_hh.shape} must have shape "
                         f"({gates} * hidden_size, hidden_size)")
    if w_ih.ndim != 2 or w_ih.shape[0] != gates * hidden:
        raise ShapeError(f"{op}: weight_ih of shape {w_ih.shape} must have shape "
                         f"({gates * hidden}, input_size) to match weight_hh of shape "
                         f"{w_hh.shape}")
    for name, b in (("bias_ih", b_ih), ("bias_hh", b_hh)):
        if b is not None and require_tensor(op, b).shape != (gates * hidden,):
            raise ShapeError(f"{op}: {name} of shape {b.shape} must have shape "
                             f"({gates * hidden},)")
    if input.ndim not in (1, 2) or input.shape[-1] != w_ih.shape[1]:
        raise ShapeError(f"{op}: expected input of shape (batch, {w_ih.shape[1]}) or "
                         f"({w_ih.shape[1]},), got {input.shape}")
    expected = input.shape[:-1] + (hidden,)
    for name, state in zip(("hx", "cx"), states):
        if state.shape != expected:
            raise ShapeError(f"{op}: expected {name} of shape {expected} for input of shape "
                             f"{input.shape}, got {state.shape}")
    # RuntimeError, as PyTorch: what meets the weights in a matrix product has their dtype,
    # never cast silently. The LSTM's cx meets only elementwise products, which promote, as
    # in PyTorch.
    for name, t in (("input", input), ("hx", states[0]), ("weight_hh", w_hh),
                    ("bias_ih", b_ih), ("bias_hh", b_hh)):
        require_dtype_of(op, name, t, w_ih, "weight_ih")


def rnn_tanh_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor,
                  b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    """``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)``: (N, I), (N, H) -> (N, H).

    Equivalent of ``torch.rnn_tanh_cell``.

    >>> import shenjing as sj
    >>> w_ih, w_hh = sj.ones(2, 3), sj.zeros(2, 2)
    >>> sj.ops.rnn_cells.rnn_tanh_cell(sj.zeros(1, 3), sj.zeros(1, 2), w_ih, w_hh)
    tensor([[0., 0.]])
    """
    _check_cell("rnn_tanh_cell", input, hx, w_ih, w_hh, b_ih, b_hh, 1)
    return tanh(linear(input, w_ih, b_ih) + linear(hx, w_hh, b_hh))


def rnn_relu_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor,
                  b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    """``h' = relu(x W_ih^T + b_ih + h W_hh^T + b_hh)``: (N, I), (N, H) -> (N, H).

    Equivalent of ``torch.rnn_relu_cell``.

    >>> import shenjing as sj
    >>> w_ih, w_hh = sj.ones(2, 3), sj.zeros(2, 2)
    >>> sj.ops.rnn_cells.rnn_relu_cell(sj.ones(1, 3), sj.zeros(1, 2), w_ih, w_hh)
    tensor([[3., 3.]])
    """
    _check_cell("rnn_relu_cell", input, hx, w_ih, w_hh, b_ih, b_hh, 1)
    return relu(linear(input, w_ih, b_ih) + linear(hx, w_hh, b_hh))


def lstm_cell(input: Tensor, hx, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
              b_hh: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """One LSTM step: (N, I) and states ``hx = (h, c)`` of (N, H) -> ``(h', c')``.

    Gates ``i, f, g, o`` are the four row blocks of the weights (4H, *);
    ``c' = sigmoid(f) c + sigmoid(i) tanh(g)``, ``h' = sigmoid(o) tanh(c')``.
    Equivalent of ``torch.lstm_cell``.

    >>> import shenjing as sj
    >>> h, c = sj.ops.rnn_cells.lstm_cell(sj.ones(1, 3), (sj.zeros(1, 2), sj.zeros(1, 2)),
    ...                                   sj.zeros(8, 3), sj.zeros(8, 2))
    >>> c  # sigmoid(0) * tanh(0): the candidate g is 0
    tensor([[0., 0.]])
    """
    _check_cell("lstm_cell", input, hx, w_ih, w_hh, b_ih, b_hh, 4)
    h, c = hx
    gates = linear(input, w_ih, b_ih) + linear(h, w_hh, b_hh)
    i, f, g, o = chunk(gates, 4, dim=-1)
    c = sigmoid(f) * c + sigmoid(i) * tanh(g)
    return sigmoid(o) * tanh(c), c


def gru_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
             b_hh: Tensor | None = None) -> Tensor:
    """One GRU step: (N, I), (N, H) -> (N, H), gates ``r, z, n`` in PyTorch's order.

    ``r = sigmoid(x W_ir + b_ir + h W_hr + b_hr)``, z likewise,
    ``n = tanh(x W_in + b_in + r (h W_hn + b_hn))``, ``h' = (1 - z) n + z h``.
    Equivalent of ``torch.gru_cell``.

    >>> import shenjing as sj
    >>> sj.ops.rnn_cells.gru_cell(sj.ones(1, 3), sj.ones(1, 2), sj.zeros(6, 3), sj.zeros(6, 2))
    tensor([[0.5000, 0.5000]])
    """
    _check_cell("gru_cell", input, hx, w_ih, w_hh, b_ih, b_hh, 3)
    i_r, i_z, i_n = chunk(linear(input, w_ih, b_ih), 3, dim=-1)
    h_r, h_z, h_n = chunk(linear(hx, w_hh, b_hh), 3, dim=-1)
    r = sigmoid(i_r + h_r)
    z = sigmoid(i_z + h_z)
    n = tanh(i_n + r * h_n)
    return n + z * (hx - n)
