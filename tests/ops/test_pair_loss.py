"""The losses of ops/pair_loss.py through the harness: gradcheck, PyTorch, second derivatives."""

import warnings

import pytest
import torch

import shenjing as sj
from tests.ops.harness import Const, F, G, OpSpec, spec_tests

SIGNS = G([[1.0, -1.0, -1.0, 1.0], [-1.0, 1.0, 1.0, -1.0], [1.0, 1.0, -1.0, -1.0]],
          requires_grad=False)  # (3, 4) targets of 1 and -1
ROW_SIGNS = G([1.0, -1.0, -1.0, 1.0], requires_grad=False)  # (4,)
PROBS = F(3, 4, low=0.05, high=1.0)
COUNTS = F(3, 4, low=0.0, high=4.0, requires_grad=False)


def _kl(m, x, t, reduction, log_target):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # reduction='mean' warns, in both libraries
        return m.nn.functional.kl_div(x, t, reduction=reduction, log_target=log_target)


SPECS = [
    OpSpec("kl_div", _kl,
           [(F(3, 4), PROBS, "batchmean", False), (F(3, 4), PROBS, "sum", False),
            (F(3, 4), PROBS, "none", False), (F(3, 4), PROBS, "mean", False),
            (F(3, 4), F(3, 4), "batchmean", True), (F(2, 3), F(3), "none", True),
            (F(), F(low=0.1, high=1.0), "batchmean", False)]),
    OpSpec("cosine_embedding_loss",
           lambda m, a, b, y, margin, r: m.nn.functional.cosine_embedding_loss(
               a, b, y, margin=margin, reduction=r),
           [(F(4, 5), F(4, 5), ROW_SIGNS, 0.0, "mean"), (F(4, 5), F(4, 5), ROW_SIGNS, 0.3, "none"),
            (F(4, 5), F(4, 5), ROW_SIGNS, -0.5, "sum"), (F(5), F(5), G(-1.0, False), 0.0, "mean"),
            (F(5), F(5), G(1.0, False), 0.0, "none")]),
    OpSpec("margin_ranking_loss",
           lambda m, a, b, y, margin, r: m.nn.functional.margin_ranking_loss(
               a, b, y, margin=margin, reduction=r),
           [(F(4), F(4), ROW_SIGNS, 0.0, "mean"), (F(3, 4), F(3, 4), SIGNS, 0.5, "none"),
            (F(3, 4), F(1, 4), F(3, 1), 0.2, "sum")]),
    OpSpec("hinge_embedding_loss",
           lambda m, x, y, margin, r: m.nn.functional.hinge_embedding_loss(
               x, y, margin=margin, reduction=r),
           [(F(3, 4, low=0.0, high=3.0, avoid=(1.0,)), SIGNS, 1.0, "mean"),
            (F(3, 4, low=0.0, high=3.0, avoid=(2.0,)), SIGNS, 2.0, "none"),
            (F(3, 4, low=-2.0, high=3.0, avoid=(1.0,)), ROW_SIGNS, 1.0, "sum")]),
    OpSpec("soft_margin_loss",
           lambda m, x, y, r: m.nn.functional.soft_margin_loss(x, y, reduction=r),
           [(F(3, 4), SIGNS, "mean"), (F(3, 4), SIGNS, "none"), (F(3, 4), Const(3, 4), "sum"),
            (F(3, 4), ROW_SIGNS, "mean")]),
    OpSpec("pairwise_distance",
           lambda m, a, b, p, keep: m.nn.functional.pairwise_distance(a, b, p=p, keepdim=keep),
           [(F(3, 4), F(3, 4), 2.0, False), (F(3, 4), F(4), 1.0, True), (F(5), F(5), 3.0, False),
            (F(2, 3, 4, distinct=True), F(2, 3, 4), float("inf"), False)]),
    OpSpec("triplet_margin_loss",
           lambda m, a, pos, neg, margin, p, swap, r: m.nn.functional.triplet_margin_loss(
               a, pos, neg, margin=margin, p=p, swap=swap, reduction=r),
           [(F(4, 5), F(4, 5), F(4, 5), 1.0, 2, False, "mean"),
            (F(4, 5), F(4, 5), F(4, 5), 2.0, 2, True, "none"),
            (F(4, 5), F(4, 5), F(4, 5), 1.0, 1, False, "sum"),
            (F(4, 5), F(4, 5), F(4, 5), 1.5, 3, True, "none"),
            (F(4, 5), F(4, 5), F(4, 5), 1.0, 1.5, False, "none"),
            (F(4, 5), F(4, 5), F(4, 5), 2.0, 0.5, False, "none"),
            (F(4, 5, distinct=True), F(4, 5), F(4, 5), 3.0, float("inf"), False, "none"),
            (F(4, 5, distinct=True), F(4, 5), F(4, 5), 3.0, float("-inf"), True, "sum"),
            (F(5), F(5), F(5), 1.0, 2, False, "mean")]),
    OpSpec("poisson_nll_loss",
           lambda m, x, t, log_input, r: m.nn.functional.poisson_nll_loss(
               x, t, log_input=log_input, reduction=r),
           [(F(3, 4), COUNTS, True, "mean"), (F(3, 4), F(3, 4), True, "none"),
            (F(3, 4, low=0.1, high=3.0), COUNTS, False, "sum"),
            (F(3, 4, low=0.1, high=3.0), F(3, 4, low=0.1, high=3.0), False, "none")]),
    OpSpec("poisson_nll_loss:full",
           lambda m, x, t, log_input, r: m.nn.functional.poisson_nll_loss(
               x, t, log_input=log_input, full=True, reduction=r),
           [(F(3, 4), COUNTS, True, "mean"),
            (F(3, 4), F(3, 4, low=0.0, high=4.0, avoid=(1.0,)), True, "none"),
            (F(3, 4, low=0.1, high=3.0), F(3, 4, low=0.0, high=4.0, avoid=(1.0,)), False, "sum")],
           finer_than_torch="the Stirling term is masked where target <= 1, and so is its log's "
                            "argument here: PyTorch's target gradient there is 0 * log(0) = NaN "
                            "at target 0 (or a negative target), 0 here"),
    OpSpec("gaussian_nll_loss",
           lambda m, x, t, v, full, r: m.nn.functional.gaussian_nll_loss(
               x, t, v, full=full, reduction=r),
           [(F(3, 4), F(3, 4), F(3, 4, low=0.1, high=2.0), False, "mean"),
            (F(3, 4), F(3, 4), F(3, low=0.1, high=2.0), True, "none"),
            (F(3, 4), F(3, 4), F(3, 1, low=0.1, high=2.0), False, "sum"),
            (F(3, 4), F(3, 4), F(1, 4, low=0.1, high=2.0), False, "none"),
            (F(2, 3), F(2, 3), 0.5, True, "mean")]),
    OpSpec("gaussian_nll_loss:clamped",
           lambda m, x, t, v: m.nn.functional.gaussian_nll_loss(x, t, v, reduction="none"),
           [(F(3, 4), F(3, 4), F(3, 4, low=0.0, high=2e-6))],
           finite_differences=False),  # a step of finite differences makes some variances < 0
]


test_gradcheck, test_matches_torch = spec_tests(SPECS)


# -- errors and edge cases, against PyTorch's ----------------------------------------------------
def _both(fn, *arrays):
    return fn(sj, *(sj.tensor(a) for a in arrays)), fn(torch, *(torch.tensor(a) for a in arrays))


@pytest.mark.parametrize("fn, shapes, error", [
    (lambda m, a, b, y: m.nn.functional.cosine_embedding_loss(a, b, y), [(3, 4), (3, 4), (3, 1)],
     RuntimeError),
    (lambda m, a, b, y: m.nn.functional.cosine_embedding_loss(a, b, y), [(3, 4), (3, 4), ()],
     RuntimeError),
    (lambda m, a, b, y: m.nn.functional.margin_ranking_loss(a, b, y), [(3, 4), (4,), (3, 4)],
     RuntimeError),
    (lambda m, a, p, n: m.nn.functional.triplet_margin_loss(a, p, n), [(3, 4), (4,), (3, 4)],
     RuntimeError),
    (lambda m, a, p, n: m.nn.functional.triplet_margin_loss(a, p, n, margin=0.0),
     [(3, 4), (3, 4), (3, 4)], ValueError),
    (lambda m, x, t, v: m.nn.functional.gaussian_nll_loss(x, t, v), [(3, 4), (3, 4), (2, 4)],
     ValueError),
    (lambda m, x, t, v: m.nn.functional.gaussian_nll_loss(x, t, -v), [(3, 4), (3, 4), (3, 4)],
     ValueError),
    (lambda m, x, t, v: m.nn.functional.gaussian_nll_loss(x, t, v, reduction="max"),
     [(3, 4), (3, 4), (3, 4)], ValueError),
    (lambda m, x, t: m.nn.functional.kl_div(x, t, reduction="max"), [(3, 4), (3, 4)], ValueError),
    (lambda m, x, t: m.nn.functional.soft_margin_loss(x, t.requires_grad_()), [(3, 4), (3, 4)],
     RuntimeError),
    (lambda m, x, t: m.nn.functional.poisson_nll_loss(x, t, reduction="max"), [(3, 4), (3, 4)],
     ValueError),
])
def test_errors_like_torch(fn, shapes, error):
    import numpy as np

    arrays = [np.abs(np.random.default_rng(0).standard_normal(s)).astype(np.float32) + 0.1
              for s in shapes]
    with pytest.raises(error):
        fn(torch, *(torch.tensor(a) for a in arrays))
    with pytest.raises(error):
        fn(sj, *(sj.tensor(a) for a in arrays))


def test_kl_div_mean_warns_like_torch():
    x, t = sj.zeros(2, 2), sj.full((2, 2), 0.5)
    with pytest.warns(UserWarning, match="batchmean"):
        sj.nn.functional.kl_div(x, t)


def test_identical_triplet_inputs_have_zero_not_nan_gradients():
    # eps = 0 and anchor == positive: the distance is 0, where PyTorch's norm gradient is 0
    a = sj.tensor([[1.0, 2.0]], requires_grad=True)
    n = sj.tensor([[1.0, 3.0]])
    loss = sj.nn.functional.triplet_margin_loss(a, a * 1.0, n, eps=0.0, margin=2.0)
    loss.backward()
    at = torch.tensor([[1.0, 2.0]], requires_grad=True)
    torch.nn.functional.triplet_margin_loss(at, at * 1.0, torch.tensor([[1.0, 3.0]]), eps=0.0,
                                            margin=2.0).backward()
    assert loss.item() == pytest.approx(1.0)
    assert a.grad.numpy().tolist() == at.grad.numpy().tolist()


def test_gaussian_var_float_and_empty_batch():
    x, t = sj.zeros(2, 3), sj.ones(2, 3)
    y = sj.nn.functional.gaussian_nll_loss(x, t, 2.0, reduction="sum")
    r = torch.nn.functional.gaussian_nll_loss(torch.zeros(2, 3), torch.ones(2, 3), 2.0,
                                              reduction="sum")
    assert y.item() == pytest.approx(r.item())
    y = sj.nn.functional.kl_div(sj.zeros(0, 3), sj.zeros(0, 3), reduction="batchmean")
    assert y.isnan().item() if hasattr(y, "isnan") else y.item() != y.item()
