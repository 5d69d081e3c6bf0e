"""Masked gradients select: an infinite gradient reaching a masked-out element gives 0, not NaN.

``inf * 0`` is NaN, so a gradient multiplied by a mask turns the infinite derivative of a later
square root (or log) at 0 into NaN where PyTorch, which selects, gives 0 (issue 11).
"""

import numpy as np
import pytest
import torch

import shenjing as sj
from shenjing.ops.pooling import max_pool2d

X = [-1.0, 0.0, 2.0, -3.0, 4.0, 0.0]


def _both(f, values=X):
    """The gradient of sum(sqrt(f(x))) in shenjing and in PyTorch (float32)."""
    grads = []
    for m in (sj, torch):
        x = m.tensor(np.array(values, dtype=np.float32), requires_grad=True)
        m.sqrt(f(m, x)).sum().backward()
        grads.append(x.grad.numpy())
    return grads


@pytest.mark.parametrize("f", [
    lambda m, x: m.relu(x),
    lambda m, x: m.nn.functional.relu(x),
    lambda m, x: m.maximum(x, m.zeros(6)),
    lambda m, x: m.zeros(6) - m.minimum(x, m.zeros(6)),
    lambda m, x: m.clamp(x, min=0.0),
    lambda m, x: m.clamp(x, m.zeros(6), m.full((6,), 3.0)),
    lambda m, x: m.where(x > 0, x, m.zeros(6)),
    lambda m, x: m.masked_fill(x, x <= 0, 0.0),
    lambda m, x: m.max(m.stack([x, m.zeros(6)]), dim=0).values,
    lambda m, x: (m.nn.functional.max_pool2d if m is torch else max_pool2d)(
        x.reshape(1, 1, 2, 3), 1).reshape(6).relu(),
], ids=["relu", "F.relu", "maximum", "minimum", "clamp", "clamp:tensor", "where", "masked_fill",
        "max:dim", "max_pool2d"])
def test_an_infinite_gradient_at_a_kink_is_torchs(f):
    ours, theirs = _both(f)
    np.testing.assert_array_equal(ours, theirs)
    assert not np.isnan(ours).any() and np.isfinite(ours[[0, 3]]).all()


def test_the_issue_example():
    x = sj.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    sj.sqrt(sj.relu(x)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.0, 0.5 / np.sqrt(2.0)], rtol=1e-6)


def test_abs_selects_zero_at_the_kink_where_torch_multiplies():
    """abs'(0) = 0, as PyTorch's; selected, so an infinite gradient there still gives 0 (PyTorch
    multiplies by sign(0) and gives NaN)."""
    x = sj.tensor([-2.0, 0.0, 3.0], requires_grad=True)
    sj.abs(x).backward(sj.tensor([np.inf, np.inf, 1.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [-np.inf, 0.0, 1.0])


def test_amax_selects_the_maxima_and_splits_ties():
    x = sj.tensor([[1.0, 3.0, 3.0], [np.nan, 2.0, 1.0]], requires_grad=True)
    sj.amax(x, 1).backward(sj.tensor([np.inf, 1.0]))
    # ties share; the others get 0 even from an infinite gradient; a NaN takes what it wins
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, np.inf, np.inf], [1.0, 0.0, 0.0]])


def test_maximum_passes_the_gradient_to_both_sides_of_a_nan_and_halves_ties():
    values = ([np.nan, 1.0, 2.0, np.nan], [0.0, np.nan, 2.0, np.nan])
    grads = []
    for m in (sj, torch):
        a, b = (m.tensor(np.array(v, dtype=np.float32), requires_grad=True) for v in values)
        m.maximum(a, b).backward(m.tensor([1.0, 2.0, 4.0, 8.0]))
        grads.append((a.grad.numpy(), b.grad.numpy()))
    np.testing.assert_array_equal(grads[0][0], grads[1][0])
    np.testing.assert_array_equal(grads[0][1], grads[1][1])
    np.testing.assert_array_equal(grads[0][0], [1.0, 2.0, 2.0, 8.0])


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_where_with_zero_is_a_select_bit_for_bit(dtype):
    """where(c, x, 0) and where(c, 0, x) take a fast path: the same bits as NumPy's where."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4)).astype(dtype)
    x[0, :3] = [np.inf, -np.inf, np.nan]
    x[1, 0] = -0.0
    c = rng.random((3, 4)) < 0.5
    c[0, :3] = c[1, 0] = True
    for cond in (c, c[0]):  # broadcasting a (4,) condition too
        ours = sj.where(sj.tensor(cond), sj.tensor(x), 0.0).numpy()
        assert ours.dtype == dtype
        assert ours.tobytes() == np.where(cond, x, dtype(0)).tobytes()
        ours = sj.where(sj.tensor(cond), 0.0, sj.tensor(x)).numpy()
        assert ours.tobytes() == np.where(cond, dtype(0), x).tobytes()


def test_where_with_minus_zero_keeps_its_sign():
    y = sj.where(sj.tensor([True, False]), sj.tensor([1.0, 1.0]), -0.0)
    assert np.signbit(y.numpy()[1])


def test_multi_margin_loss_skips_what_pytorchs_kernel_skips():
    """A NaN margin and an infinite weight on a satisfied sample count for nothing."""
    x = np.array([[0.3, np.inf, -np.inf, np.nan], [0.5, 0.1, 0.2, 0.3]], dtype=np.float32)
    weight = np.array([1.0, np.inf, 1.0, 1.0], dtype=np.float32)
    target = np.array([1, 0])
    results = []
    for m, f in ((sj, sj.ops.loss.multi_margin_loss),
                 (torch, torch.nn.functional.multi_margin_loss)):
        xt = m.tensor(x, requires_grad=True)
        with np.errstate(invalid="ignore"):  # inf - inf = NaN in the margins of sample 0
            loss = f(xt, m.tensor(target), weight=m.tensor(weight), reduction="none")
            loss.backward(m.tensor([1.0, 1.0]))
        results.append((loss.detach().numpy(), xt.grad.numpy()))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-6)
