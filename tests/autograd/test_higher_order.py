"""Gradients of gradients: Hessian-vector products, gradient penalties, Newton's method."""

import numpy as np
import pytest
import torch

import shenjing as sj


def both(array):
    array = np.asarray(array, dtype=np.float64)
    return sj.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)


def test_hessian_vector_product_matches_torch():
    rng = np.random.default_rng(1)
    x, xt = both(rng.standard_normal(5))
    a = rng.standard_normal((5, 5))
    v = rng.standard_normal(5)

    def f(m, x):
        A = m.tensor(a)
        return (m.tanh(A @ x) ** 2).sum() + (x.exp() * x).sum()

    (g,) = sj.autograd.grad(f(sj, x), x, create_graph=True)
    (hv,) = sj.autograd.grad((g * sj.tensor(v)).sum(), x)
    (gt,) = torch.autograd.grad(f(torch, xt), xt, create_graph=True)
    (hvt,) = torch.autograd.grad((gt * torch.tensor(v)).sum(), xt)
    np.testing.assert_allclose(hv.numpy(), hvt.numpy(), rtol=1e-10)


def test_gradient_penalty_matches_torch():
    """WGAN-GP: the norm of d critic / d input is itself trained."""
    rng = np.random.default_rng(2)
    w1, w1t = both(rng.standard_normal((4, 8)) * 0.5)
    w2, w2t = both(rng.standard_normal((8, 1)) * 0.5)
    data = rng.standard_normal((6, 4))

    def penalty(m, w1, w2):
        x = m.tensor(data, requires_grad=True)
        score = (m.nn.functional.softplus(x @ w1) @ w2).sum()
        (gx,) = (sj if m is sj else torch).autograd.grad(score, x, create_graph=True)
        return ((gx.pow(2).sum(dim=1).sqrt() - 1) ** 2).mean()

    penalty(sj, w1, w2).backward()
    penalty(torch, w1t, w2t).backward()
    np.testing.assert_allclose(w1.grad.numpy(), w1t.grad.numpy(), rtol=1e-9)
    np.testing.assert_allclose(w2.grad.numpy(), w2t.grad.numpy(), rtol=1e-9)


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")
def test_backward_create_graph_then_backward_of_grad():
    x, xt = both([0.5, 1.5])
    (x**3).sum().backward(create_graph=True)
    (xt**3).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    gx, gxt = x.grad, xt.grad
    x.grad = None
    xt.grad = None
    gx.sum().backward()
    gxt.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy())  # 6x
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 9.0])


def test_newtons_method_finds_a_minimum():
    """Newton's method x <- x - f'(x) / f''(x) with both derivatives from autograd."""
    x = sj.tensor(2.0, dtype=sj.float64, requires_grad=True)
    for _ in range(20):
        y = x**4 - 3 * x**2 + x  # minimum near 1.1309
        (d1,) = sj.autograd.grad(y, x, create_graph=True)
        (d2,) = sj.autograd.grad(d1, x)
        with sj.no_grad():
            x -= d1.detach() / d2
    assert abs(4 * x.item() ** 3 - 6 * x.item() + 1) < 1e-12
    assert x.item() > 0


def test_third_derivative():
    x = sj.tensor(0.7, dtype=sj.float64, requires_grad=True)
    y = x.sin() * x
    (d1,) = sj.autograd.grad(y, x, create_graph=True)
    (d2,) = sj.autograd.grad(d1, x, create_graph=True)
    (d3,) = sj.autograd.grad(d2, x)
    v = 0.7  # d3/dx3 [x sin x] = -3 sin x - x cos x
    assert np.isclose(d3.item(), -3 * np.sin(v) - v * np.cos(v), rtol=1e-12)


def test_first_order_backward_records_no_graph():
    x = sj.ones(3, requires_grad=True)
    (x.exp() * x).sum().backward()
    assert x.grad.grad_fn is None and not x.grad.requires_grad
