"""Losses that compare two inputs, or an input with a distribution: KL divergence, embedding and
ranking margins, triplets, soft margin, Poisson and Gaussian negative log-likelihood.

Names, signatures and values follow ``torch.nn.functional``, including ``reduction`` and the
deprecated ``size_average``/``reduce``. Each loss is a short composition of differentiable
operations, written as PyTorch's own (ATen's composite or Python) definition, so that values,
gradients and second derivatives agree with PyTorch's at ordinary and at extreme inputs; the
few pieces PyTorch computes specially (``xlogy(t, t)``, the p-norm of a difference, the variance
clamped without touching its gradient) are small operations of their own here.
"""

from __future__ import annotations

import math
import numbers
import warnings

from shenjing.autograd import tracing
from shenjing.autograd.function import Function, ShapeError
from shenjing.autograd.grad_mode import is_grad_enabled
from shenjing.autograd.tensor import Tensor
from shenjing.backend import expected_float_errors
from shenjing.ops.checks import broadcast_shape, computed, require_tensor
from shenjing.ops.elementwise import clamp, exp, log, log1p, minimum, sqrt, where
from shenjing.ops.loss import _reduce, _reduction, _require_float
from shenjing.ops.statistics import VectorNorm

__all__ = [
    "cosine_embedding_loss",
    "gaussian_nll_loss",
    "hinge_embedding_loss",
    "kl_div",
    "margin_ranking_loss",
    "pairwise_distance",
    "poisson_nll_loss",
    "soft_margin_loss",
    "triplet_margin_loss",
]


# -- KL divergence -------------------------------------------------------------------------------
class XLogX(Function):
    """``t * log(t)``, 0 at t = 0 (its limit): PyTorch's ``xlogy(t, t)``, the entropy term."""

    def forward(self, t):
        xp = self.xp
        self.save_for_backward(t)
        with expected_float_errors(xp):  # log(0) and 0 / 0, PyTorch's -inf and NaN
            return xp.where(t == 0, 0, t * xp.log(t)).astype(t.dtype, copy=False)

    def backward(self, gy):
        (t,) = self.saved_tensors
        return XLogXGrad.apply(t, gy)


class XLogXGrad(Function):
    """``gy * (log t + t / t)``, XLogX's gradient as PyTorch's xlogy gives it: the sum of the
    gradients for its two arguments, ``xlogy(t != 0, t)`` and ``t / t``, NaN at t = 0 and inf."""

    def forward(self, t, gy):
        xp = self.xp
        self.save_for_backward(t, gy)
        with expected_float_errors(xp):  # log(0) and 0 / 0, PyTorch's -inf and NaN
            return gy * (xp.where(t == 0, 0, xp.log(t)) + t / t)

    def backward(self, gg):
        t, gy = self.saved_tensors
        g_t = gg * gy / t if self.needs_input_grad[0] else None
        g_gy = XLogXGrad.apply(t, gg) if self.needs_input_grad[1] else None
        return g_t, g_gy


_KL_REDUCTIONS = ("mean", "batchmean", "sum", "none")


def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """KL divergence of ``target`` from the log-probabilities ``input``; ``F.kl_div``.

    Per element ``target * (log(target) - input)`` (0 where target is 0), or with
    ``log_target`` ``exp(target) * (target - input)``. ``'batchmean'`` divides the sum by the
    batch size (dim 0), the KL divergence of the math; ``'mean'`` divides by the number of
    elements and warns, as PyTorch does.

    >>> import shenjing as sj
    >>> from shenjing.ops.pair_loss import kl_div
    >>> p = sj.tensor([[0.5, 0.5], [1.0, 0.0]])
    >>> kl_div(sj.log(sj.tensor([[0.25, 0.75], [0.5, 0.5]])), p, reduction="batchmean")
    tensor(0.4185)
    """
    op = "kl_div"
    if size_average is not None or reduce is not None:
        reduction = _reduction(op, reduction, size_average, reduce)
    elif reduction not in _KL_REDUCTIONS:
        raise ValueError(f"{op}: reduction must be 'mean', 'batchmean', 'sum' or 'none', got "
                         f"{reduction!r}")
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", stacklevel=2)
    _require_float(op, "input", input)
    _require_float(op, "target", target)
    broadcast_shape(op, input.shape, target.shape)
    if log_target:
        loss = exp(target) * (target - input)
    else:
        loss = XLogX.apply(target) - target * input
    if reduction != "batchmean":
        return _reduce(loss, reduction)
    total = loss.sum()
    if input.ndim == 0:
        return total
    n = input.shape[0]
    return total * (1.0 / n) if n else total + math.nan  # a batch of none: 0 / 0, as PyTorch


# -- margins of pairs ----------------------------------------------------------------------------
_EPSILON = 1e-12  # PyTorch's, added to each squared magnitude of cosine_embedding_loss


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                          size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """``1 - cos(x1, x2)`` where target is 1, ``max(0, cos(x1, x2) - margin)`` where it is -1;
    ``F.cosine_embedding_loss``.

    Inputs (N, D) with target (N,), or (D,) with a 0-d target; the cosine is over D.

    >>> import shenjing as sj
    >>> from shenjing.ops.pair_loss import cosine_embedding_loss
    >>> a = sj.tensor([[1.0, 0.0], [1.0, 1.0]])
    >>> b = sj.tensor([[0.0, 1.0], [1.0, 1.0]])
    >>> cosine_embedding_loss(a, b, sj.tensor([1, -1]), reduction="none")
    tensor([1., 1.])
    """
    op = "cosine_embedding_loss"
    reduction = _reduction(op, reduction, size_average, reduce)
    _require_float(op, "input1", input1)
    _require_float(op, "input2", input2)
    require_tensor(op, target)
    if target.ndim > 1:
        raise RuntimeError(f"{op}: 0D or 1D target tensor expected, multi-target not supported "
                           f"(target of shape {target.shape})")
    expected = 2 if target.ndim == 1 else 1
    if input1.ndim != expected or input2.ndim != expected:
        raise RuntimeError(f"{op}: {target.ndim}D target tensor expects {expected}D input "
                           f"tensors, but found inputs with sizes {input1.shape} and "
                           f"{input2.shape}.")
    dim = expected - 1  # (N, D) -> (N,), (D,) -> ()
    prod_sum = (input1 * input2).sum(dim)
    mag_square1 = (input1 * input1).sum(dim) + _EPSILON
    mag_square2 = (input2 * input2).sum(dim) + _EPSILON
    cos = prod_sum / sqrt(mag_square1 * mag_square2)
    pos = where(target == 1, 1 - cos, 0.0)
    neg = where(target == -1, clamp(cos - margin, min=0.0), 0.0)
    return _reduce(pos + neg, reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                        size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """``max(0, -target * (x1 - x2) + margin)``: x1 should rank above x2 where target is 1,
    below where it is -1; ``F.margin_ranking_loss``.

    >>> import shenjing as sj
    >>> from shenjing.ops.pair_loss import margin_ranking_loss
    >>> x1, x2 = sj.tensor([2.0, 0.0]), sj.tensor([1.0, 1.0])
    >>> margin_ranking_loss(x1, x2, sj.tensor([1.0, 1.0]), margin=0.5, reduction="none")
    tensor([0.0000, 1.5000])
    """
    op = "margin_ranking_loss"
    reduction = _reduction(op, reduction, size_average, reduce)
    for x in (input1, input2, target):
        require_tensor(op, x)
    if not input1.ndim == input2.ndim == target.ndim:
        raise RuntimeError(f"{op}: All input tensors should have same dimension but got sizes: "
                           f"input1: {input1.shape}, input2: {input2.shape}, target: "
                           f"{target.shape}")
    broadcast_shape(op, input1.shape, input2.shape, target.shape)
    return _reduce(clamp(-target * (input1 - input2) + margin, min=0.0), reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, size_average=None,
                         reduce=None, reduction: str = "mean") -> Tensor:
    """``x`` where target is 1, ``max(0, margin - x)`` where it is -1 (x a distance, say);
    ``F.hinge_embedding_loss``.

    >>> import shenjing as sj
    >>> from shenjing.ops.pair_loss import hinge_embedding_loss
    >>> d = sj.tensor([0.3, 0.3, 2.0])
    >>> hinge_embedding_loss(d, sj.tensor([1.0, -1.0, -1.0]), reduction="none")
    tensor([0.3000, 0.7000, 0.0000])
    """
    op = "hinge_embedding_loss"
    reduction = _reduction(op, reduction, size_average, reduce)
    _require_float(op, "input", input)
    require_tensor(op, target)
    broadcast_shape(op, input.shape, target.shape)
    margin_clamp = where(target != 1, clamp(margin - input, min=0.0), 0.0)
    return _reduce(margin_clamp + where(target != -1, input, 0.0), reduction)


def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """Two-class logistic loss ``log(1 + exp(-target * x))``, target 1 or -1;
    ``F.soft_margin_loss``.

    Computed as PyTorch does, exp then log1p: it overflows to inf where PyTorch's does.

    >>> import shenjing as sj
    >>> from shenjing.ops.pair_loss import soft_margin_loss
    >>> soft_margin_loss(sj.tensor([2.0, 0.0]), sj.tensor([1.0, -1.0]), reduction="none")
    tensor([0.1269, 0.6931])
    """
    op = "soft_margin_loss"
    reduction = _reduction(op, reduction, size_average, reduce)
    _require_float(op, "input", input)
    require_tensor(op, target)
    if broadcast_shape(op, input.shape, target.shape) != input.shape:
        raise ShapeError(f"{op}: target of shape {target.shape} does not broadcast to the "
                         f"input's shape {input.shape}")
    if target.requires_grad and is_grad_enabled():
        raise RuntimeError(f"{op}: not differentiable with respect to the target (as in "
                           "PyTorch); pass target.detach()")
    return _reduce(log1p(exp(-input * target)), reduction)


# -- triplets ------------------------------------------------------------------------------------
def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """``||x1 - x2 + eps||_p`` over the last dim; ``F.pairwise_distance``. A vector norm
    (``torch.linalg.vector_norm``, with its gradients), for any p, inf and -inf included.

    >>> import shenjing as sj
    >>> sj.nn.functional.pairwise_distance(sj.zeros(2, 3), sj.ones(2, 3), eps=0.0)
    tensor([1.7321, 1.7321])
    """
    require_tensor("pairwise_distance", x1)
    require_tensor("pairwise_distance", x2)
    d = x1 - x2 + eps
    return VectorNorm.apply(d, p=float(p), dims=(max(d.ndim - 1, 0),), keepdim=keepdim)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0,
                        p: float = 2, eps: float = 1e-6, swap: bool = False, size_average=None,
                        reduce=None, reduction: str = "mean") -> Tensor:
    """``max(0, margin + d(a, pos) - d(a, neg))`` with d the p-norm distance over the last dim;
    ``F.triplet_margin_loss``.

    ``swap`` (Balntas et al. 2016) takes ``d(pos, neg)`` as the negative distance where it is
    smaller. Inputs (N, D) or (D,); p any number (inf the largest difference), as in PyTorch.

    >>> import shenjing as sj
    >>> from shenjing.ops.pair_loss import triplet_margin_loss
    >>> a, pos, neg = sj.tensor([[0.0, 0.0]]), sj.tensor([[3.0, 4.0]]), sj.tensor([[1.0, 0.0]])
    >>> triplet_margin_loss(a, pos, neg, eps=0.0)
    tensor(5.)
    """
    op = "triplet_margin_loss"
    reduction = _reduction(op, reduction, size_average, reduce)
    if margin <= 0:
        raise ValueError(f"{op}: margin must be greater than 0, got {margin}")
    if isinstance(p, bool) or not isinstance(p, numbers.Real):
        raise TypeError(f"{op}: p must be a number, got {p!r}")
    for name, x in (("anchor", anchor), ("positive", positive), ("negative", negative)):
        _require_float(op, name, x)
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(f"{op}: The anchor, positive, and negative tensors are expected to "
                           f"have the same number of dimensions, but got: anchor {anchor.ndim}D, "
                           f"positive {positive.ndim}D, and negative {negative.ndim}D inputs")
    if anchor.ndim == 0:
        raise RuntimeError(f"{op}: inputs must have a dim to take distances over, got 0-d "
                           "tensors")
    broadcast_shape(op, anchor.shape, positive.shape, negative.shape)
    dist_pos = pairwise_distance(anchor, positive, p, eps)
    dist_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        dist_neg = minimum(dist_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce(clamp(margin + dist_pos - dist_neg, min=0.0), reduction)


# -- negative log-likelihoods --------------------------------------------------------------------
def _at_most_one(t):
    return t <= 1


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
                     size_average=None, eps: float = 1e-8, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of counts ``target`` under a Poisson of rate ``input``;
    ``F.poisson_nll_loss``.

    ``exp(x) - target * x`` with ``log_input`` (x the log-rate), else
    ``x - target * log(x + eps)``. ``full`` adds Stirling's approximation of
    ``log(target!)``, ``t log t - t + log(2 pi t) / 2``, where target > 1.

    >>> import shenjing as sj
    >>> from shenjing.ops.pair_loss import poisson_nll_loss
    >>> poisson_nll_loss(sj.tensor([0.0, 1.0]), sj.tensor([1.0, 3.0]), reduction="none")
    tensor([ 1.0000, -0.2817])
    """
    op = "poisson_nll_loss"
    reduction = _reduction(op, reduction, size_average, reduce)
    _require_float(op, "input", input)
    require_tensor(op, target)
    broadcast_shape(op, input.shape, target.shape)
    if log_input:
        loss = exp(input) - target * input
    else:
        loss = input - target * log(input + eps)
    if full:
        # PyTorch masks the term where target <= 1; the log's argument is masked here too, so
        # that log(0) and log of a negative count are never taken (their gradient is 0 there)
        small = computed(_at_most_one, target)
        safe = where(small, 1.0, target)
        stirling = safe * log(safe) - safe + 0.5 * log(2 * math.pi * safe)
        loss = loss + where(small, 0.0, stirling)
    return _reduce(loss, reduction)


class ClampedValue(Function):
    """``max(v, eps)`` whose gradient passes as if unclamped: PyTorch clamps the variance of
    ``gaussian_nll_loss`` in place under ``no_grad``."""

    def forward(self, v, eps):
        return self.xp.maximum(v, eps).astype(v.dtype, copy=False)

    def backward(self, gy):
        return gy


def _check_var(v, *, op: str) -> None:
    """No negative variance; a kernel, so that a compiled step checks every batch."""
    if (v < 0).any():
        raise ValueError(f"{op}: var has negative entry/entries")


def gaussian_nll_loss(input: Tensor, target: Tensor, var: Tensor | float, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of ``target`` under a normal of mean ``input`` and variance
    ``var``: ``(log(max(var, eps)) + (input - target)^2 / max(var, eps)) / 2``;
    ``F.gaussian_nll_loss``.

    ``var`` has the input's shape, or one dim fewer (the last), or size 1 in one dim
    (homoscedastic), or is a number. ``full`` adds ``log(2 pi) / 2``.

    >>> import shenjing as sj
    >>> from shenjing.ops.pair_loss import gaussian_nll_loss
    >>> gaussian_nll_loss(sj.tensor([0.0, 2.0]), sj.tensor([1.0, 2.0]), sj.tensor([1.0, 1.0]))
    tensor(0.2500)
    """
    op = "gaussian_nll_loss"
    _require_float(op, "input", input)
    require_tensor(op, target)
    if isinstance(var, numbers.Real) and not isinstance(var, bool):
        if var < 0:
            raise ValueError(f"{op}: var has negative entry/entries")
        var_value = max(float(var), eps)
        if reduction not in ("none", "mean", "sum"):
            raise ValueError(f"{op}: {reduction} is not valid")
        loss = 0.5 * (math.log(var_value) + (input - target) ** 2 / var_value)
    else:
        require_tensor(op, var)
        tracing.kernel(_check_var, var, op=op, name=f"{op}: check var")
        if var.shape != input.shape:
            if input.shape[:-1] == var.shape:
                var = var.unsqueeze(-1)  # homoscedastic: one variance for the last dim
            elif not (input.ndim == var.ndim and sum(
                    v for i, v in zip(input.shape, var.shape) if i != v) == 1):
                raise ValueError(f"{op}: var is of incorrect size: var of shape {var.shape} for "
                                 f"input of shape {input.shape}")
        if reduction not in ("none", "mean", "sum"):
            raise ValueError(f"{op}: {reduction} is not valid")
        var = ClampedValue.apply(var, eps=eps)
        loss = 0.5 * (log(var) + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)
