"""Loss functions through the harness, then their argument checks and edge cases.

Specs call ``shenjing.ops.loss`` and, as the reference, ``torch.nn.functional`` by the same name.
Targets are constants (Index, Classes, Const, Probs) unless a case differentiates them on purpose.
"""

import warnings
from dataclasses import dataclass

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import shenjing as sj
from shenjing.ops import loss
from tests.ops.harness import (
    Const,
    F,
    Float,
    G,
    Index,
    OpSpec,
    spec_tests,
)


# -- descriptors for targets ---------------------------------------------------------------------
@dataclass(frozen=True)
class Classes(Index):
    """An int64 input with fixed values: class indices that include ``ignore_index`` on purpose."""

    values: tuple = ()

    def make(self, rng):
        return np.asarray(self.values, dtype=np.int64).reshape(self.shape)


def C(values) -> Classes:  # noqa: N802 - reads as a descriptor
    """Shorthand: ``C([1, -100, 2])``."""
    array = np.asarray(values, dtype=np.int64)
    return Classes(array.shape, 0, values=tuple(array.ravel()))


@dataclass(frozen=True)
class Probs(Float):
    """Class probabilities: positive, summing to one over the class dim (1, or 0 when 1-D)."""

    requires_grad: bool = False

    def make(self, rng):
        p = rng.uniform(0.05, 1.0, self.shape)
        return p / p.sum(axis=1 if len(self.shape) > 1 else 0, keepdims=True)


def P(*shape, requires_grad=False) -> Probs:  # noqa: N802
    return Probs(tuple(shape), requires_grad=requires_grad)


def W(*shape) -> Float:  # noqa: N802
    """Positive weights, constant."""
    return Const(*shape, low=0.2, high=2.0)


# -- specs ---------------------------------------------------------------------------------------
def _loss(name, names=("weight",), **kwargs):
    """fn(m, input, target, *extra): ``name`` from shenjing.ops.loss or torch.nn.functional.

    ``extra`` inputs (weights, made by descriptors so that each library gets its own tensors)
    are passed as the keyword arguments ``names``; ``kwargs`` are passed as they are.
    """

    def fn(m, input, target, *extra):
        library = TF if m is torch else loss
        return getattr(library, name)(input, target, **dict(zip(names, extra)), **kwargs)

    return fn


def _with(name, kwargs, cases, names=("weight",), **options) -> OpSpec:
    tag = ",".join(f"{k}={v}" for k, v in kwargs.items()) or "default"
    return OpSpec(f"{name}:{tag}", _loss(name, names, **kwargs), cases, **options)


REDUCTIONS = [{"reduction": r} for r in ("mean", "sum", "none")]
# abs selects 0 at input == target; PyTorch multiplies by sign(0), so the NaN of a weighted mean
# over an infinite weight stays NaN there.
ABS_AT_ZERO = "|d|'s gradient at d = 0 is selected: 0 where PyTorch's is NaN * sign(0)"
EXTREME = G([[1e4, -1e4, 0.0, 5.0], [-1e4, -1e4, -1e4, -1e4], [0.0, 1e4, 1e4 - 1.0, -3.0]])
IGNORED = C([2, -100, 0, 4, -100])  # class indices with ignored elements
IGNORE_1 = C([1, 0, 1, 2, 2, 0])  # for ignore_index=1

CE_INDEX_CASES = [
    (F(5, 4), Index((5,), 4)),
    (F(16, 3), Index((16,), 3)),  # 16 short rows: the max down the columns (_max_keepdim)
    (F(5, 4, low=-5.0, high=5.0), Index((5,), 4), W(4)),
    (F(5, 6), IGNORED),
    (F(5, 6), IGNORED, W(6)),
    (F(2, 4, 3), Index((2, 3), 4)),  # (N, C, d1)
    (F(2, 3, 2, 2), C([[[0, 2], [1, -100]], [[2, 2], [0, 1]]]), W(3)),  # (N, C, d1, d2)
    (F(4), Index((), 4)),  # unbatched (C,)
    (EXTREME, C([0, 3, 2])),  # logits of +-1e4: no overflow, exact gradients
]
CE_PROB_CASES = [
    (F(5, 4), P(5, 4)),
    (F(5, 4), P(5, 4), W(4)),
    (F(2, 4, 3), P(2, 4, 3)),
    (F(4), P(4)),
    (EXTREME, P(3, 4)),
    (F(3, 4), P(3, 4, requires_grad=True)),  # gradients reach the target too, as in PyTorch
    (F(3, 4), P(3, 4, requires_grad=True), W(4)),
]
BCE_CASES = [
    (F(3, 4, low=0.05, high=0.95), Const(3, 4, low=0.0, high=1.0)),
    (F(3, 4, low=0.05, high=0.95), G(np.eye(3, 4), requires_grad=False), W(4)),
    (F(3, 4, low=0.05, high=0.95), Const(3, 4, low=0.0, high=1.0), W(3, 1)),
    (F(3, 4, low=0.05, high=0.95), F(3, 4, low=0.05, high=0.95)),  # target gradient
    (F(low=0.05, high=0.95), Const(low=0.0, high=1.0)),
]
LOGIT_CASES = [
    (F(3, 4, low=-4.0, high=4.0), Const(3, 4, low=0.0, high=1.0)),
    (F(3, 4, low=-4.0, high=4.0), Const(3, 4, low=0.0, high=1.0), W(4)),
    (F(3, 4, low=-4.0, high=4.0), Const(3, 4, low=0.0, high=1.0), None, W(4)),
    (F(3, 4, low=-4.0, high=4.0), Const(3, 4, low=0.0, high=1.0), W(3, 1), W(4)),
    (F(3, 4, low=-4.0, high=4.0), F(3, 4, low=0.0, high=1.0), None, W(4)),  # target gradient
    (EXTREME, G(np.eye(3, 4), requires_grad=False)),
    (EXTREME, G(np.eye(3, 4), requires_grad=False), W(4), W(4)),
]
MARGIN_CASES = [
    (F(5, 4), Index((5,), 4)),
    (F(5, 4, low=-1.0, high=1.0), Index((5,), 4), W(4)),
    (F(4), Index((), 4)),  # unbatched, target ()
    (F(4), Index((1,), 4)),  # unbatched, target (1,)
]

SPECS = [
    # cross-entropy from class indices: reductions, weights, ignore_index, smoothing, extra dims
    *[_with("cross_entropy", kw, CE_INDEX_CASES) for kw in REDUCTIONS],
    *[_with("cross_entropy", {**kw, "label_smoothing": 0.2}, CE_INDEX_CASES) for kw in REDUCTIONS],
    _with("cross_entropy", {"label_smoothing": 1.0}, CE_INDEX_CASES[:4]),
    *[_with("cross_entropy", {**kw, "ignore_index": 1}, [(F(6, 3), IGNORE_1),
                                                         (F(6, 3), IGNORE_1, W(3))])
      for kw in REDUCTIONS],
    _with("cross_entropy", {"ignore_index": 1, "label_smoothing": 0.3},
          [(F(6, 3), IGNORE_1, W(3)), (F(2, 3, 2), C([[1, 0], [2, 1]]), W(3))]),
    # cross-entropy from class probabilities
    *[_with("cross_entropy", kw, CE_PROB_CASES) for kw in REDUCTIONS],
    *[_with("cross_entropy", {**kw, "label_smoothing": 0.1}, CE_PROB_CASES) for kw in REDUCTIONS],
    # negative log-likelihood of log-probabilities
    *[_with("nll_loss", kw, [
        (F(5, 4, high=0.0), Index((5,), 4)),
        (F(5, 6, high=0.0), IGNORED, W(6)),
        (F(2, 4, 3, high=0.0), Index((2, 3), 4), W(4)),
        (F(4, high=0.0), Index((), 4)),
    ]) for kw in REDUCTIONS],
    _with("nll_loss", {"ignore_index": 1}, [(F(6, 3), IGNORE_1, W(3))]),
    # regression losses: input and target both differentiable; kinks kept away by randomness
    *[_with(name, kw, [(F(3, 4), F(3, 4)), (F(3, 4), Const(3, 4)), (F(), Const()),
                       (F(3, 4), F(3, 4), W(3, 4))],
            finer_than_torch=ABS_AT_ZERO if (name, kw["reduction"]) == ("l1_loss", "mean") else "")
      for name in ("mse_loss", "l1_loss", "huber_loss") for kw in REDUCTIONS],
    *[_with("smooth_l1_loss", kw, [(F(3, 4), F(3, 4)), (F(3, 4), Const(3, 4)), (F(), Const())])
      for kw in REDUCTIONS],
    _with("smooth_l1_loss", {"beta": 0.5}, [(F(3, 4, low=-1.0, high=1.0), Const(3, 4, high=0))]),
    _with("smooth_l1_loss", {"beta": 0.0}, [(F(3, 4), Const(3, 4))]),
    _with("huber_loss", {"delta": 0.5}, [(F(3, 4, low=-1.0, high=1.0), Const(3, 4, high=0))]),
    # binary cross-entropy of probabilities, kept away from 0 and 1 for finite differences; its
    # extreme inputs are the ends of its domain (both libraries refuse others, NaN included)
    *[_with("binary_cross_entropy", kw, BCE_CASES, extremes=(0.0, 1.0)) for kw in REDUCTIONS],
    # exactly 0 and 1: the logs clamp at -100 and the gradient is PyTorch's (x - t) / 1e-12
    _with("binary_cross_entropy", {"reduction": "none"},
          [(G([0.0, 1.0, 0.0, 1.0, 0.5]), G([1.0, 0.0, 0.0, 1.0, 0.3], requires_grad=False))],
          finite_differences=False, extremes=(0.0, 1.0)),
    *[_with("binary_cross_entropy_with_logits", kw, LOGIT_CASES, names=("weight", "pos_weight"))
      for kw in REDUCTIONS],
    # multiclass hinge: p = 1 and 2, margins, weights, unbatched
    *[_with("multi_margin_loss", {**kw, "p": p, "margin": margin}, MARGIN_CASES)
      for kw in REDUCTIONS for p in (1, 2) for margin in (1.0, 0.5)],
    OpSpec("l2_penalty", lambda m, a, b, wd: loss.l2_penalty([a, b], wd),
           [(F(3, 4), F(4), 0.1), (F(2, 2), F(), 1e-3), (F(5), F(1), 0.0)],
           ref=lambda m, a, b, wd: wd / 2 * ((a * a).sum() + (b * b).sum())),
    OpSpec("l2_penalty:tensor", lambda m, a: loss.l2_penalty(a, 0.5), [(F(3, 4),)],
           ref=lambda m, a: 0.25 * (a * a).sum()),
]


test_gradcheck, test_matches_torch = spec_tests(SPECS)


# -- second derivatives --------------------------------------------------------------------------
def _grads(fn, arrays, create_graph):
    xs = [sj.tensor(a, requires_grad=True) for a in arrays[:1]] + [sj.tensor(a) for a in arrays[1:]]
    y = fn(*xs)
    v = sj.tensor(np.random.default_rng(1).standard_normal(y.shape).astype(np.float32))
    (gx,) = sj.autograd.grad(y, xs[0], v, create_graph=create_graph)
    return gx


CE_CONFIGS = [
    {}, {"reduction": "sum"}, {"reduction": "none"}, {"label_smoothing": 0.3},
    {"ignore_index": 1, "label_smoothing": 0.2, "reduction": "none"},
]


@pytest.mark.parametrize("kwargs", CE_CONFIGS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
def test_fast_gradient_equals_the_recorded_one(name, kwargs, weighted):
    """A plain backward takes an array path; create_graph takes operations: same numbers."""
    if name == "nll_loss":
        kwargs = {k: v for k, v in kwargs.items() if k != "label_smoothing"}
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 4, 2)).astype(np.float32)
    t = np.array([[1, 0], [3, 1], [2, 2], [0, 1], [1, 3], [2, 0]])
    w = rng.uniform(0.5, 2.0, 4).astype(np.float32) if weighted else None

    def fn(x, t):
        weight = None if w is None else sj.tensor(w)
        return getattr(loss, name)(x, t, weight=weight, **kwargs)

    fast = _grads(fn, [x, t], create_graph=False)
    recorded = _grads(fn, [x, t], create_graph=True)
    assert not fast.requires_grad
    # cross_entropy's gradient depends on x; that of nll_loss, linear in x, does not
    assert recorded.requires_grad == (name == "cross_entropy")
    np.testing.assert_allclose(fast.numpy(), recorded.detach().numpy(), rtol=1e-5, atol=1e-7)


def _hessian_vector(m, fn, x_array, rest):
    x = m.tensor(x_array, requires_grad=True)
    others = [m.tensor(a) for a in rest]
    y = fn(m, x, *others)
    rng = np.random.default_rng(2)
    v = m.tensor(rng.standard_normal(tuple(y.shape)))
    (g,) = m.autograd.grad(y, x, v, create_graph=True)
    u = m.tensor(rng.standard_normal(tuple(x.shape)))
    (h,) = m.autograd.grad((g * u).sum(), x)
    return np.asarray(h.detach().numpy())


SECOND_ORDER = [
    ("cross_entropy", lambda m, x, t: _lib(m).cross_entropy(x, t, label_smoothing=0.1),
     [np.arange(3)]),
    ("cross_entropy:probabilities",
     lambda m, x, t: _lib(m).cross_entropy(x, t, reduction="none"),
     [np.full((3, 4), 0.25)]),
    ("nll_loss", lambda m, x, t: _lib(m).nll_loss(m.log_softmax(x, 1), t), [np.arange(3)]),
    ("binary_cross_entropy", lambda m, x, t: _lib(m).binary_cross_entropy(m.sigmoid(x), t),
     [np.eye(3, 4)]),
    ("binary_cross_entropy_with_logits",
     lambda m, x, t: _lib(m).binary_cross_entropy_with_logits(x, t, reduction="sum"),
     [np.eye(3, 4)]),
    ("mse_loss", lambda m, x, t: _lib(m).mse_loss(x * x, t), [np.ones((3, 4))]),
    ("huber_loss", lambda m, x, t: _lib(m).huber_loss(x * x, t), [np.ones((3, 4))]),
]


def _lib(m):
    return TF if m is torch else loss


@pytest.mark.parametrize("name, fn, rest", SECOND_ORDER, ids=[s[0] for s in SECOND_ORDER])
def test_hessian_vector_products_match_torch(name, fn, rest):
    x = np.random.default_rng(0).standard_normal((3, 4))
    ours = _hessian_vector(sj, fn, x, rest)
    theirs = _hessian_vector(torch, fn, x, rest)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-9)


# -- stability and edge cases --------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_at_extreme_logits(dtype):
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [3e4, 3e4 - 1, -3e4]], dtype=dtype)
    targets = np.array([1, 2, 1])
    x = sj.tensor(logits, requires_grad=True)
    xt = torch.tensor(logits, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = loss.cross_entropy(x, sj.tensor(targets), reduction="none", label_smoothing=0.1)
        y.sum().backward()
    yt = TF.cross_entropy(xt, torch.tensor(targets), reduction="none", label_smoothing=0.1)
    yt.sum().backward()
    assert np.isfinite(y.detach().numpy()).all() and np.isfinite(x.grad.numpy()).all()
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), atol=1e-6)


@pytest.mark.parametrize("kwargs", [{}, {"label_smoothing": 0.1}, {"weight": [1.0, 2.0, 3.0]}])
@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
def test_mean_over_only_ignored_targets_is_nan_with_zero_gradient(name, kwargs):
    if name == "nll_loss" and "label_smoothing" in kwargs:
        return
    x = sj.randn(4, 3, requires_grad=True)
    if "weight" in kwargs:
        kwargs = {**kwargs, "weight": sj.tensor(kwargs["weight"])}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = getattr(loss, name)(x, sj.tensor([-100, -100, -100, -100]), **kwargs)
        y.backward()
    assert np.isnan(y.item())  # 0 / 0, as in PyTorch
    assert not x.grad.numpy().any()


def test_empty_batch_mean_is_nan():
    y = loss.cross_entropy(sj.zeros(0, 3, requires_grad=True), sj.zeros(0, dtype=sj.int64))
    assert np.isnan(y.item())
    assert loss.cross_entropy(sj.zeros(0, 3), sj.zeros(0, dtype=sj.int64), reduction="sum") == 0


def test_class_weights_follow_the_input_dtype():
    x = sj.randn(3, 4, requires_grad=True)
    y = loss.cross_entropy(x, sj.tensor([0, 1, 3]), weight=sj.ones(4, dtype=sj.float64))
    assert y.dtype == sj.float32
    y.backward()
    assert x.grad.dtype == sj.float32


@pytest.mark.parametrize("dtype", [sj.uint8, sj.int32, sj.int64])
def test_integer_targets_of_any_width(dtype):
    """PyTorch takes int64 and uint8 class indices; shenjing takes every integer dtype."""
    x = sj.tensor(np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32))
    expected = loss.cross_entropy(x, sj.tensor([0, 3, 2]))
    assert loss.cross_entropy(x, sj.tensor([0, 3, 2], dtype=dtype)).item() == expected.item()


def test_deprecated_size_average_and_reduce_map_as_in_pytorch():
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    t = np.array([0, 1, 3])
    for legacy in [{"size_average": False}, {"reduce": False}, {"size_average": True},
                   {"size_average": False, "reduce": True}]:
        with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
            ours = loss.cross_entropy(sj.tensor(x), sj.tensor(t), **legacy)
        with pytest.warns(UserWarning):
            theirs = TF.cross_entropy(torch.tensor(x), torch.tensor(t), **legacy)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_regression_losses_warn_when_they_broadcast():
    with pytest.warns(UserWarning, match=r"mse_loss: using a target size \(3,\)"):
        y = loss.mse_loss(sj.zeros(3, 1), sj.ones(3))
    assert y.item() == 1.0


def test_l2_penalty_takes_any_iterable_of_parameters():
    params = [sj.ones(2, 3, requires_grad=True), sj.full((4,), 2.0, requires_grad=True)]
    penalty = loss.l2_penalty(iter(params), weight_decay=0.5)
    assert penalty.item() == pytest.approx(0.25 * (6 + 16))
    penalty.backward()
    np.testing.assert_allclose(params[1].grad.numpy(), 0.5 * 2.0 * np.ones(4))
    assert loss.l2_penalty([], 0.1).item() == 0.0


# -- argument checks -----------------------------------------------------------------------------
def _x(*shape):
    return sj.randn(*shape)


def _t(*values):
    return sj.tensor(list(values))


BAD_CALLS = [
    (lambda: loss.cross_entropy(_x(3, 4), _t(0, 1)), sj.ShapeError,
     r"cross_entropy: target of shape \(2,\) does not fit input of shape \(3, 4\)"),
    (lambda: loss.cross_entropy(_x(2, 4, 5), _t(0, 1)), sj.ShapeError, r"need shape \(2, 5\)"),
    (lambda: loss.cross_entropy(_x(3, 4), _t(0, 4, 1)), IndexError,
     "cross_entropy: target 4 is out of bounds for 4 classes"),
    (lambda: loss.cross_entropy(_x(3, 4), _t(0, -1, 1)), IndexError, "target -1 is out of bounds"),
    (lambda: loss.cross_entropy(_x(3, 4), _t(0, 1, 4), ignore_index=4), None, None),
    # narrower integer targets: the check reads them as unsigned of their own width
    (lambda: loss.cross_entropy(_x(3, 4), _t(0, -1, 1).to(sj.int32)), IndexError,
     "target -1 is out of bounds"),
    (lambda: loss.cross_entropy(_x(3, 4), _t(0, -128, 1).to(sj.int8)), IndexError,
     "target -128 is out of bounds"),
    (lambda: loss.cross_entropy(_x(3, 4), _t(0, 255, 1).to(sj.uint8)), IndexError,
     "target 255 is out of bounds"),
    (lambda: loss.cross_entropy(_x(3, 4), _t(0, 3, 1).to(sj.uint8)), None, None),
    (lambda: loss.cross_entropy(_x(3, 4), _t(0.0, 1.0, 1.0)), TypeError,
     "class indices must be an integer tensor, got float32"),
    (lambda: loss.cross_entropy(_x(3, 4), sj.zeros(3, 4, dtype=sj.int64)), TypeError,
     "class probabilities and must be floating-point"),
    (lambda: loss.cross_entropy(_x(3, 4), sj.ones(3, 4) / 4, ignore_index=0), ValueError,
     "ignore_index"),
    (lambda: loss.cross_entropy(_x(3, 4), _t(0, 1, 2), reduction="avg"), ValueError,
     "cross_entropy: reduction must be 'mean', 'sum' or 'none', got 'avg'"),
    (lambda: loss.cross_entropy(_x(3, 4), _t(0, 1, 2), label_smoothing=1.5), ValueError,
     "label_smoothing"),
    (lambda: loss.cross_entropy(_x(3, 4), _t(0, 1, 2), weight=sj.ones(3)), sj.ShapeError,
     r"weight must have shape \(4,\)"),
    (lambda: loss.cross_entropy(sj.tensor(1.0), sj.tensor(0)), sj.ShapeError, "class dim"),
    (lambda: loss.cross_entropy(sj.ones(3, 4, dtype=sj.int64), _t(0, 1, 2)), TypeError,
     "input must be a floating-point tensor"),
    (lambda: loss.cross_entropy(_x(3, 4), [0, 1, 2]), TypeError, "expected a Tensor"),
    (lambda: loss.cross_entropy(_x(3, 4), _t(0, 1, 2), weight=sj.ones(4, requires_grad=True)),
     RuntimeError, "weight is a constant"),
    (lambda: loss.nll_loss(_x(3, 4), _t(0, 1)), sj.ShapeError, "nll_loss: target of shape"),
    (lambda: loss.nll_loss(_x(3, 4), _t(0, 9, 1)), IndexError, "nll_loss: target 9"),
    (lambda: loss.mse_loss(_x(3, 2), _x(3)), sj.ShapeError, "mse_loss: cannot broadcast"),
    (lambda: loss.l1_loss(_x(3), _x(3), reduction="max"), ValueError, "l1_loss: reduction"),
    (lambda: loss.mse_loss(_x(3), _x(3), weight=sj.ones(2)), sj.ShapeError, "mse_loss: weight"),
    (lambda: loss.smooth_l1_loss(_x(3), _x(3), beta=-1.0), ValueError, "beta"),
    (lambda: loss.huber_loss(_x(3), _x(3), delta=0.0), ValueError, "delta must be positive"),
    (lambda: loss.binary_cross_entropy(sj.tensor([0.5, 1.5]), sj.tensor([1.0, 0.0])), ValueError,
     "all elements of input should be between 0 and 1, got 1.5"),
    (lambda: loss.binary_cross_entropy(sj.tensor([0.5, float("nan")]), sj.tensor([1.0, 0.0])),
     ValueError, "input should be between 0 and 1, got nan"),
    (lambda: loss.binary_cross_entropy(sj.tensor([0.5]), sj.tensor([2.0])), ValueError,
     "all elements of target"),
    (lambda: loss.binary_cross_entropy(sj.rand(3, 1), sj.rand(3)), sj.ShapeError,
     r"target of shape \(3,\) must have the input's shape \(3, 1\)"),
    (lambda: loss.binary_cross_entropy(sj.rand(3), sj.rand(3), weight=sj.ones(2)),
     sj.ShapeError, "does not broadcast"),
    (lambda: loss.binary_cross_entropy_with_logits(_x(3, 1), sj.rand(3)), sj.ShapeError,
     "binary_cross_entropy_with_logits: target of shape"),
    (lambda: loss.binary_cross_entropy_with_logits(_x(3, 2), sj.rand(3, 2),
                                                   pos_weight=sj.ones(3)),
     sj.ShapeError, r"pos_weight of shape \(3,\) does not broadcast"),
    (lambda: loss.multi_margin_loss(_x(3, 4), _t(0, 1, 2), p=3), ValueError, "p == 1 and p == 2"),
    (lambda: loss.multi_margin_loss(_x(3, 4), _t(0, 1)), sj.ShapeError, "expected 3 class"),
    (lambda: loss.multi_margin_loss(_x(3, 4), _t(0, 1, 4)), IndexError, "target 4 is out of"),
    (lambda: loss.multi_margin_loss(_x(2, 3, 4), _t(0, 1)), sj.ShapeError, r"\(C,\) or \(N, C\)"),
    (lambda: loss.multi_margin_loss(_x(3, 4), _t(0.0, 1.0, 2.0)), TypeError, "integer tensor"),
    (lambda: loss.l2_penalty([_x(3)], -0.1), ValueError, "weight_decay must be non-negative"),
    (lambda: loss.l2_penalty([_x(3)], "0.1"), TypeError, "weight_decay must be a number"),
    (lambda: loss.l2_penalty([sj.ones(3, dtype=sj.int64)], 0.1), TypeError, "floating-point"),
]


@pytest.mark.parametrize("call, error, message", BAD_CALLS)
def test_bad_arguments_raise_clear_errors(call, error, message):
    if error is None:
        call()  # a target equal to ignore_index may lie outside [0, C)
        return
    with pytest.raises(error, match=message):
        call()


# PyTorch raises RuntimeError for each; shenjing's errors keep their Python type as a base too.
TORCH_RUNTIME_ERRORS = [
    lambda m: m.nn.functional.kl_div(m.tensor([1, 2]), m.tensor([1, 2]), reduction="sum"),
    lambda m: m.nn.functional.binary_cross_entropy(m.tensor([0.5, 1.5]), m.tensor([1.0, 0.0])),
    lambda m: m.nn.functional.multi_margin_loss(m.ones(3, 4), m.tensor([0, 1, 5])),
    lambda m: m.nn.functional.cross_entropy(m.ones(3, 4), m.ones(3, 4, dtype=m.int64)),
    lambda m: m.nn.functional.cross_entropy(m.ones(3, 4), m.tensor([0, 1, 2]),
                                            label_smoothing=1.5),
    lambda m: m.nn.functional.smooth_l1_loss(m.ones(3), m.ones(3), beta=-1.0),
    lambda m: m.nn.functional.huber_loss(m.ones(3), m.ones(3), delta=0.0),
]


@pytest.mark.parametrize("call", TORCH_RUNTIME_ERRORS)
def test_errors_are_runtime_errors_as_in_torch(call):
    with pytest.raises(RuntimeError):
        call(torch)
    with pytest.raises(RuntimeError):
        call(sj)


def test_multi_margin_target_out_of_range_is_also_an_index_error():
    with pytest.raises(IndexError, match="multi_margin_loss: target 5 is out of bounds"):
        loss.multi_margin_loss(sj.ones(3, 4), sj.tensor([0, 1, 5]))
