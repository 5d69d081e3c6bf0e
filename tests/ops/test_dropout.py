"""Dropout and channel dropout through the harness, with the mask of a fixed seed.

PyTorch cannot draw shenjing's masks, so its reference draws the same mask from shenjing's
generator and selects with ``torch.where``. (PyTorch's own dropout multiplies by its mask, so a
dropped infinite element or gradient gives NaN there; shenjing selects and gives 0.)
"""

import numpy as np
import torch

import shenjing as sj
from tests.ops.harness import F, OpSpec, spec_tests


def seeded_dropout(channels: bool):
    """fn(m, x, p): dropout (channel dropout) after ``sj.manual_seed(0)``."""

    def fn(m, x, p):
        sj.manual_seed(0)
        if m is sj:
            functional = sj.nn.functional
            return (functional.dropout2d if channels else functional.dropout)(x, p)
        shape = tuple(x.shape[:2]) + (1,) * (x.ndim - 2) if channels else tuple(x.shape)
        keep = sj.rand(*shape).numpy() >= p if p < 1 else np.zeros(shape, dtype=bool)
        return torch.where(torch.tensor(keep), x * (1 / (1 - p) if p < 1 else 0.0), 0.0)

    return fn


SPECS = [
    OpSpec("dropout", seeded_dropout(False), [(F(4, 5), 0.5), (F(3, 2, 2), 0.2), (F(6), 1.0)]),
    OpSpec("dropout2d", seeded_dropout(True), [(F(2, 4, 3, 3), 0.5), (F(1, 6, 2, 5), 0.3)]),
]


test_gradcheck, test_matches_torch = spec_tests(SPECS)


def test_a_dropped_infinity_is_zero_and_passes_no_gradient():
    sj.manual_seed(3)
    x = sj.tensor([np.inf, -np.inf, 1.0] * 20, requires_grad=True)
    y = sj.nn.functional.dropout(x, 0.5)
    kept = y.detach().numpy() != 0
    assert 0 < kept.sum() < 60 and not np.isnan(y.detach().numpy()).any()
    y.backward(sj.tensor([np.inf] * 60))
    np.testing.assert_array_equal(x.grad.numpy(), np.where(kept, np.inf, 0.0))
