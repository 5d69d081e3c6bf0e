"""Recurrent layers: RNN, LSTM, GRU over whole sequences, and their one-step cells.

Parameters have PyTorch's names, shapes, gate order and initialisation (``weight_ih_l0``,
``weight_hh_l0``, ``bias_ih_l0``, ``bias_hh_l0``, ``..._reverse`` for the backward direction,
all U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))), so state dicts load across.
"""

from __future__ import annotations

import math
import numbers
import warnings

from shenjing.autograd.function import ShapeError
from shenjing.autograd.tensor import Tensor
from shenjing.backend import array_module
from shenjing.creation import empty
from shenjing.nn import init
from shenjing.nn.modules.module import Module
from shenjing.nn.parameter import Parameter
from shenjing.ops.rnn import gru, lstm, rnn_relu, rnn_tanh
from shenjing.ops.rnn_cells import gru_cell, lstm_cell, rnn_relu_cell, rnn_tanh_cell

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}
_SEQUENCE = {"RNN_TANH": rnn_tanh, "RNN_RELU": rnn_relu, "LSTM": lstm, "GRU": gru}


def _check_size(layer: str, name: str, value, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{layer}: {name} must be an integer of at least {minimum}, got "
                         f"{value!r}")


def _uniform_init(module: Module, hidden_size: int) -> None:
    """PyTorch's default for recurrent layers: every parameter U(-1/sqrt(H), 1/sqrt(H))."""
    bound = 1.0 / math.sqrt(hidden_size) if hidden_size > 0 else 0.0
    for weight in module.parameters():
        init.uniform_(weight, -bound, bound)


class RNNBase(Module):
    """What RNN, LSTM and GRU share: parameters, checks, the unbatched case.

    ``mode`` is ``'RNN_TANH'``, ``'RNN_RELU'``, ``'LSTM'`` or ``'GRU'``.
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, *, dtype=None,
                 device=None) -> None:
        super().__init__()
        name = "RNN" if mode.startswith("RNN") else mode
        _check_size(name, "input_size", input_size, 0)
        _check_size(name, "hidden_size", hidden_size, 1)
        _check_size(name, "num_layers", num_layers, 1)
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Number) or not (
                0 <= dropout <= 1):
            raise ValueError(f"{name}: dropout must be a number in [0, 1], got {dropout!r}")
        if proj_size:
            raise NotImplementedError(f"{name}: proj_size is not supported")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"{name}: dropout={dropout} acts only between layers, and "
                          "num_layers=1 has none", stacklevel=3)
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, 0
        gate_size = _GATES[mode] * hidden_size
        directions = 2 if bidirectional else 1
        self._flat_weights_names = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * directions
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                shapes = {"weight_ih": (gate_size, layer_input),
                          "weight_hh": (gate_size, hidden_size)}
                if bias:
                    shapes.update(bias_ih=(gate_size,), bias_hh=(gate_size,))
                for kind, shape in shapes.items():
                    setattr(self, kind + suffix,
                            Parameter(empty(*shape, dtype=dtype, device=device)))
                    self._flat_weights_names.append(kind + suffix)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: every weight and bias U(-1/sqrt(hidden), 1/sqrt(hidden))."""
        _uniform_init(self, self.hidden_size)

    def flatten_parameters(self) -> None:
        """Nothing to do: PyTorch packs the weights into one cuDNN buffer here, and shenjing's
        recurrent kernels read the parameters as they are. Kept so PyTorch code runs."""

    @property
    def _flat_weights(self) -> list[Tensor]:
        """The parameters in PyTorch's order: per layer and direction W_ih, W_hh, b_ih, b_hh."""
        return [getattr(self, name) for name in self._flat_weights_names]

    def _states(self, hx, input: Tensor, batched: bool):
        """Check the initial state(s) against the input; add the batch dim when unbatched."""
        states = hx if isinstance(hx, (tuple, list)) else (hx,)
        if self.mode == "LSTM" and hx is not None and len(states) != 2:
            raise TypeError(f"{self!r}: hx must be a pair (h_0, c_0), got {len(states)} tensors")
        if self.mode != "LSTM" and isinstance(hx, (tuple, list)):
            raise TypeError(f"{self!r}: hx must be a tensor h_0, got a {type(hx).__name__}")
        if hx is None:
            return None
        rows = self.num_layers * (2 if self.bidirectional else 1)
        batch = input.shape[0 if self.batch_first else 1] if batched else None
        expected = (rows, batch, self.hidden_size) if batched else (rows, self.hidden_size)
        checked = []
        for name, state in zip(("h_0", "c_0"), states):
            if not isinstance(state, Tensor):
                raise TypeError(f"{self!r}: {name} must be a Tensor, got "
                                f"{type(state).__name__}")
            if state.shape != expected:
                kind = "batched 3-D" if batched else "unbatched 2-D"
                raise ShapeError(f"{self!r}: for {kind} input of shape {input.shape}, {name} "
                                 f"must have shape {expected}, got {state.shape}")
            self._check_dtype(state, name)
            checked.append(state if batched else state.unsqueeze(1))
        return tuple(checked) if self.mode == "LSTM" else checked[0]

    def forward(self, input: Tensor, hx=None):
        """``(output, h_n)``, for an LSTM ``(output, (h_n, c_n))``; see the class docstring."""
        if not isinstance(input, Tensor):
            raise TypeError(f"{self!r}: input must be a Tensor, got {type(input).__name__}")
        if input.ndim not in (2, 3):
            raise ShapeError(f"{self!r}: expected a 2-D (unbatched) or 3-D input, got shape "
                             f"{input.shape}")
        if input.shape[-1] != self.input_size:
            raise ShapeError(f"{self!r}: expected input_size {self.input_size} in the last dim "
                             f"of the input, got shape {input.shape}")
        # ValueError, as PyTorch's recurrent layers (their cells raise RuntimeError).
        self._check_dtype(input, error=ValueError)
        batched = input.ndim == 3
        hx = self._states(hx, input, batched)
        batch_dim = 0 if self.batch_first else 1
        x = input if batched else input.unsqueeze(batch_dim)
        try:
            output, *states = _SEQUENCE[self.mode](
                x, hx, self._flat_weights, self.bias, self.num_layers, self.dropout,
                self.training, self.bidirectional, self.batch_first)
        except ShapeError as exc:  # name the layer, not only the function
            raise ShapeError(f"{self!r}: {exc}") from None
        if not batched:
            output = output.squeeze(batch_dim)
            states = [s.squeeze(1) for s in states]
        return (output, tuple(states)) if self.mode == "LSTM" else (output, states[0])

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if not self.bias:
            text += ", bias=False"
        if self.batch_first:
            text += ", batch_first=True"
        if self.dropout:
            text += f", dropout={self.dropout}"
        if self.bidirectional:
            text += ", bidirectional=True"
        return text


class RNN(RNNBase):
    """An Elman RNN, ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or ReLU).

    input (T, N, input_size) or (N, T, input_size) with ``batch_first``, or (T, input_size)
    unbatched; ``hx`` (num_layers * directions, N, hidden_size) or None for zeros. Returns
    ``(output, h_n)``: output (T, N, directions * hidden_size) holds the last layer's state at
    every step, h_n every layer's last state. ``dropout`` applies to the outputs of all layers
    but the last, in training. Equivalent of ``torch.nn.RNN``.

    >>> import shenjing as sj
    >>> rnn = sj.nn.RNN(10, 20, num_layers=2, nonlinearity="relu")
    >>> rnn
    RNN(10, 20, num_layers=2, nonlinearity='relu')
    >>> output, h_n = rnn(sj.randn(5, 3, 10))
    >>> output.shape, h_n.shape
    ((5, 3, 20), (2, 3, 20))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, *, dtype=None,
                 device=None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         dtype=dtype, device=device)

    def extra_repr(self) -> str:
        text = super().extra_repr()
        return text + (", nonlinearity='relu'" if self.nonlinearity == "relu" else "")


class LSTM(RNNBase):
    """A long short-term memory network (Hochreiter & Schmidhuber 1997), PyTorch's formulation.

    Gates ``i, f, g, o`` (the four row blocks of the weights): ``c_t = f c_{t-1} + i g``,
    ``h_t = o tanh(c_t)``. Arguments and shapes as ``RNN``; ``hx`` is ``(h_0, c_0)``; returns
    ``(output, (h_n, c_n))``. Equivalent of ``torch.nn.LSTM`` (without ``proj_size``).

    >>> import shenjing as sj
    >>> lstm = sj.nn.LSTM(10, 20, batch_first=True, bidirectional=True)
    >>> output, (h_n, c_n) = lstm(sj.randn(3, 5, 10))
    >>> output.shape, h_n.shape, c_n.shape
    ((3, 5, 40), (2, 3, 20), (2, 3, 20))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, *, dtype=None, device=None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, dtype=dtype, device=device)


class GRU(RNNBase):
    """A gated recurrent unit network (Cho et al. 2014), PyTorch's formulation.

    Gates ``r, z, n``: ``n = tanh(x W_in + b_in + r (h W_hn + b_hn))``, ``h' = (1 - z) n + z h``.
    Arguments, shapes and results as ``RNN``. Equivalent of ``torch.nn.GRU``.

    >>> import shenjing as sj
    >>> gru = sj.nn.GRU(10, 20)
    >>> output, h_n = gru(sj.randn(5, 10))  # unbatched
    >>> output.shape, h_n.shape
    ((5, 20), (1, 20))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 *, dtype=None, device=None) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, dtype=dtype, device=device)


# -- cells: one step ---------------------------------------------------------------------------
class RNNCellBase(Module):
    """What the cells share: ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``, init."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, gates: int, *,
                 dtype=None, device=None) -> None:
        super().__init__()
        name = type(self).__name__
        _check_size(name, "input_size", input_size, 0)
        _check_size(name, "hidden_size", hidden_size, 1)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        self.weight_ih = Parameter(empty(gates * hidden_size, input_size, dtype=dtype,
                                         device=device))
        self.weight_hh = Parameter(empty(gates * hidden_size, hidden_size, dtype=dtype,
                                         device=device))
        if bias:
            self.bias_ih = Parameter(empty(gates * hidden_size, dtype=dtype, device=device))
            self.bias_hh = Parameter(empty(gates * hidden_size, dtype=dtype, device=device))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: every weight and bias U(-1/sqrt(hidden), 1/sqrt(hidden))."""
        _uniform_init(self, self.hidden_size)

    def _run(self, cell, input: Tensor, hx, states: int):
        """Check shapes, fill missing states with zeros, handle unbatched input, call ``cell``."""
        if not isinstance(input, Tensor):
            raise TypeError(f"{self!r}: input must be a Tensor, got {type(input).__name__}")
        if input.ndim not in (1, 2) or input.shape[-1] != self.input_size:
            raise ShapeError(f"{self!r}: expected input of shape (batch, {self.input_size}) or "
                             f"({self.input_size},), got {input.shape}")
        self._check_dtype(input)
        batched = input.ndim == 2
        shape = input.shape[:-1] + (self.hidden_size,)
        if hx is None:
            xp = array_module(input._data)
            hx = tuple(Tensor._make(xp.zeros(shape, dtype=self.weight_ih.dtype))
                       for _ in range(states))
        hx = tuple(hx) if isinstance(hx, (tuple, list)) else (hx,)
        if len(hx) != states:
            raise TypeError(f"{self!r}: expected {states} state tensor(s), got {len(hx)}")
        for state in hx:
            if not isinstance(state, Tensor) or state.shape != shape:
                got = state.shape if isinstance(state, Tensor) else type(state).__name__
                raise ShapeError(f"{self!r}: for input of shape {input.shape}, the state must "
                                 f"have shape {shape}, got {got}")
            self._check_dtype(state, "state")
        if not batched:
            input, hx = input.unsqueeze(0), tuple(s.unsqueeze(0) for s in hx)
        out = cell(input, hx if states == 2 else hx[0], self.weight_ih, self.weight_hh,
                   self.bias_ih, self.bias_hh)
        if not batched:
            out = tuple(s.squeeze(0) for s in out) if states == 2 else out.squeeze(0)
        return out

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            text += ", bias=False"
        nonlinearity = getattr(self, "nonlinearity", "tanh")
        return text + (f", nonlinearity={nonlinearity!r}" if nonlinearity != "tanh" else "")


class RNNCell(RNNCellBase):
    """One step of an Elman RNN: input (N, I) or (I,), hx the same with H or None -> h'.

    Equivalent of ``torch.nn.RNNCell``.

    >>> import shenjing as sj
    >>> cell = sj.nn.RNNCell(10, 20)
    >>> h = None
    >>> for x in sj.randn(6, 3, 10):
    ...     h = cell(x, h)
    >>> h.shape
    (3, 20)
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", *, dtype=None, device=None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: nonlinearity must be 'tanh' or 'relu', got "
                             f"{nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, 1, dtype=dtype, device=device)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        cell = rnn_tanh_cell if self.nonlinearity == "tanh" else rnn_relu_cell
        return self._run(cell, input, hx, 1)


class LSTMCell(RNNCellBase):
    """One LSTM step: input (N, I) or (I,), ``hx = (h, c)`` or None -> ``(h', c')``.

    Equivalent of ``torch.nn.LSTMCell``.

    >>> import shenjing as sj
    >>> cell = sj.nn.LSTMCell(10, 20)
    >>> h, c = cell(sj.randn(3, 10))
    >>> h.shape, c.shape
    ((3, 20), (3, 20))
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, *, dtype=None,
                 device=None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, dtype=dtype, device=device)

    def forward(self, input: Tensor, hx=None) -> tuple[Tensor, Tensor]:
        return self._run(lstm_cell, input, hx, 2)


class GRUCell(RNNCellBase):
    """One GRU step: input (N, I) or (I,), hx (N, H) or (H,) or None -> h'.

    Equivalent of ``torch.nn.GRUCell``.

    >>> import shenjing as sj
    >>> cell = sj.nn.GRUCell(10, 20)
    >>> cell(sj.randn(10)).shape
    (20,)
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, *, dtype=None,
                 device=None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, dtype=dtype, device=device)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        return self._run(gru_cell, input, hx, 1)
