"""The RNN, LSTM and GRU cells through the harness (PyTorch's torch.*_cell as reference)."""

import pytest
import torch

import shenjing as sj
from shenjing.ops import rnn_cells
from tests.ops.harness import F, OpSpec, spec_tests

N, I, H = 3, 4, 2


def cell_case(gates: int, bias: bool = True) -> tuple:
    """input (N, I), state (N, H), W_ih, W_hh and, with ``bias``, b_ih, b_hh."""
    weights = (F(gates * H, I), F(gates * H, H))
    return (F(N, I), F(N, H), *weights, *((F(gates * H), F(gates * H)) if bias else ()))


def simple(name):
    ours, theirs = getattr(rnn_cells, name), getattr(torch, name)
    return OpSpec(name, lambda m, x, h, *w: ours(x, h, *w), [cell_case(1), cell_case(1, False)],
                  ref=lambda m, x, h, *w: theirs(x, h, *w))


SPECS = [
    simple("rnn_tanh_cell"),
    simple("rnn_relu_cell"),
    OpSpec("lstm_cell", lambda m, x, h, c, *w: rnn_cells.lstm_cell(x, (h, c), *w),
           [(F(N, I), F(N, H), *cell_case(4)[1:]), (F(N, I), F(N, H), *cell_case(4, False)[1:])],
           ref=lambda m, x, h, c, *w: torch.lstm_cell(x, (h, c), *w)),
    OpSpec("gru_cell", lambda m, x, h, *w: rnn_cells.gru_cell(x, h, *w),
           [cell_case(3), cell_case(3, False)],
           ref=lambda m, x, h, *w: torch.gru_cell(x, h, *w)),
]

test_gradcheck, test_matches_torch = spec_tests(SPECS)


def test_cells_name_the_wrong_shape():
    x, h = sj.randn(N, I), sj.randn(N, H)
    w_ih, w_hh = sj.randn(4 * H, I), sj.randn(4 * H, H)
    with pytest.raises(sj.ShapeError, match=r"lstm_cell: expected input of shape \(batch, 4\) "
                                            r"or \(4,\), got \(3, 5\)"):
        rnn_cells.lstm_cell(sj.randn(N, 5), (h, h), w_ih, w_hh)
    with pytest.raises(sj.ShapeError, match=r"lstm_cell: expected cx of shape \(3, 2\) for input "
                                            r"of shape \(3, 4\), got \(3, 3\)"):
        rnn_cells.lstm_cell(x, (h, sj.randn(N, 3)), w_ih, w_hh)
    with pytest.raises(sj.ShapeError, match=r"gru_cell: weight_hh of shape \(8, 2\) must have "
                                            r"shape \(3 \* hidden_size, hidden_size\)"):
        rnn_cells.gru_cell(x, h, sj.randn(6, I), w_hh)
    with pytest.raises(sj.ShapeError, match=r"rnn_tanh_cell: bias_ih of shape \(3,\) must have "
                                            r"shape \(2,\)"):
        rnn_cells.rnn_tanh_cell(x, h, sj.randn(H, I), sj.randn(H, H), sj.randn(3), sj.randn(H))
