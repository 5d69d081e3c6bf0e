"""Cumulative operations through the harness: gradcheck, PyTorch, second derivatives, and
cumprod's gradient where inputs are zero."""

import warnings

import numpy as np
import pytest
import torch

import shenjing as sj
from tests.ops.harness import F, G, Index, Mask, OpSpec, spec_tests

# Zeros first, last, alone and twice in a slice: each branch of cumprod's gradient.
ZEROS = G([[1.5, 0.0, 2.0, 0.0, 3.0], [0.0, 2.0, -3.0, 0.5, 1.5], [2.0, -0.5, 1.5, 1.2, 0.0],
           [0.7, -1.3, 0.0, 1.1, 2.0]])
# Ties (the latest index wins) and NaN (each NaN takes over), for cummax and cummin.
TIES = G([[1.0, 3.0, 3.0, 2.0, 3.0, 0.5], [2.0, 2.0, 1.0, 1.0, 4.0, 4.0]])
NANS = G([[1.0, float("nan"), 5.0, float("nan"), 0.0], [3.0, 1.0, 2.0, -1.0, float("nan")]])

SHAPES = [(F(2, 3), 1), (F(3, 4), 0), (F(2, 3, 4), -2), (F(), 0), (F(5), -1)]


def cumulative(name, cases, **kwargs):
    return OpSpec(name, lambda m, x, dim: getattr(m, name.split(":")[0])(x, dim), cases, **kwargs)


SPECS = [
    cumulative("cumsum", SHAPES + [(F(0, 3), 0)]),
    OpSpec("cumsum:dtype", lambda m, x: (m.cumsum(x, 1, dtype=m.float64),
                                         m.cumsum(x.int(), 0, dtype=m.float32),
                                         m.cumsum(x.int(), 0, dtype=m.int8)), [(F(2, 3),)]),
    cumulative("cumprod", SHAPES + [(ZEROS, 1), (ZEROS, 0)]),
    OpSpec("cumprod:dtype", lambda m, x: m.cumprod(x, 0, dtype=m.float64), [(F(3, 2),)]),
    cumulative("cummax", [(F(2, 6, distinct=True), 1), (F(4, 3, distinct=True), 0), (F(), 0)]),
    cumulative("cummin", [(F(2, 6, distinct=True), 1), (F(2, 3, 4, distinct=True), -1)]),
    # At ties and NaN the value is not differentiable in the input: only PyTorch is compared.
    cumulative("cummax:ties", [(TIES, 1), (TIES, 0), (NANS, 1)], finite_differences=False),
    cumulative("cummin:ties", [(TIES, 1), (NANS, 1)], finite_differences=False),
    cumulative("logcumsumexp", SHAPES + [(G([[-30.0, 0.0, 30.0, -5.0], [8.0, 8.0, -8.0, 0.0]]),
                                          1)]),
    # Integers and bools: int64 sums and products, indices of ties; no gradient.
    OpSpec("cumsum:integers", lambda m, x, y: (m.cumsum(x, 1), m.cumprod(x, 0), m.cumsum(y, 0),
                                               m.cumprod(y, 1), m.cummax(x, 1), m.cummin(y, 0)),
           [(Index((3, 5), 4), Mask((4, 3))), (Index((2, 3), 9), Mask((2, 6)))],
           differentiable=False, no_extremes="integer and bool inputs only: the float cases "
                                             "of each op meet extreme inputs in their own specs"),
    OpSpec("cumsum:methods", lambda m, x: (x.cumsum(1), x.cumprod(0), x.cummax(1).values,
                                           x.cummin(0).indices, x.logcumsumexp(-1)),
           [(F(3, 4, distinct=True),)]),
]

test_gradcheck, test_matches_torch = spec_tests(SPECS)


def test_cumprod_gradient_at_zeros_matches_torch_with_create_graph():
    """The O(n^2) gradient that create_graph takes where inputs are zero, and its own gradient."""
    rng = np.random.default_rng(0)
    x = np.array(ZEROS.make(rng), dtype=np.float64)
    gy = rng.standard_normal(x.shape)
    v = rng.standard_normal(x.shape)
    ours = sj.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    (g,) = sj.autograd.grad(sj.cumprod(ours, 1), ours, sj.tensor(gy), create_graph=True)
    (h,) = torch.autograd.grad(torch.cumprod(theirs, 1), theirs, torch.tensor(gy),
                               create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), h.detach().numpy(), rtol=1e-12, atol=1e-12)
    (gg,) = sj.autograd.grad(g, ours, sj.tensor(v))
    (hh,) = torch.autograd.grad(h, theirs, torch.tensor(v))
    np.testing.assert_allclose(gg.numpy(), hh.numpy(), rtol=1e-12, atol=1e-12)


def test_logcumsumexp_is_exact_far_below_the_maximum():
    """A running max subtracted once would underflow exp(-1000) to 0 and give -inf."""
    y = sj.logcumsumexp(sj.tensor([-1000.0, 0.0]), 0)
    assert y.tolist()[0] == -1000.0


def test_dtypes_follow_torch():
    for dtype in ("bool", "uint8", "int8", "int32", "int64", "float32", "float64"):
        x = np.ones(3, dtype=dtype)
        for op in ("cumsum", "cumprod"):
            y = getattr(sj, op)(sj.tensor(x), 0)
            assert y.dtype == getattr(torch, op)(torch.tensor(x), 0).numpy().dtype, (op, dtype)


@pytest.mark.parametrize("op", ["cumsum", "cumprod", "cummax", "cummin", "logcumsumexp"])
def test_errors_are_torch_types(op):
    with pytest.raises(IndexError, match=f"{op}: dim 2"):
        getattr(sj, op)(sj.ones(2, 3), 2)
    with pytest.raises(IndexError):
        getattr(torch, op)(torch.ones(2, 3), 2)
    with pytest.raises(TypeError, match=op):
        getattr(sj, op)([1.0, 2.0], 0)


def test_logcumsumexp_refuses_integers_as_torch():
    with pytest.raises(NotImplementedError):
        torch.logcumsumexp(torch.ones(3, dtype=torch.int64), 0)
    with pytest.raises(NotImplementedError, match="logcumsumexp: not implemented for int64"):
        sj.logcumsumexp(sj.ones(3, dtype=sj.int64), 0)


def test_cumprod_create_graph_is_refused_when_compiled():
    x = sj.tensor([1.0, 0.0, 2.0], requires_grad=True)

    def step(x):
        (g,) = sj.autograd.grad(sj.cumprod(x, 0).sum(), x, create_graph=True)
        return g

    with pytest.raises(sj.static.TraceError, match="cumprod"):
        sj.compile(step)(x)


def test_logcumsumexp_gradient_at_infinities_is_torchs_without_a_warning():
    values, gy = [-np.inf, 1.0, np.inf, 2.0, -np.inf], [1.0, -1.0, 2.0, 0.5, 3.0]
    x = sj.tensor(values, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sj.logcumsumexp(x, 0).backward(sj.tensor(gy))
    xt = torch.tensor(values, requires_grad=True)
    torch.logcumsumexp(xt, 0).backward(torch.tensor(gy))
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy())
