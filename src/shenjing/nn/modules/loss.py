"""Losses as modules, as in ``torch.nn``: the arguments are fixed at construction, ``forward``
takes ``(input, target)`` and calls the functional form in ``shenjing.ops.loss``.

Class weights given to a constructor are registered as buffers (``weight``, ``pos_weight``), so
they appear in ``state_dict()`` and move with ``.to()``, as in PyTorch.
"""

from __future__ import annotations

from shenjing.autograd.tensor import Tensor
from shenjing.nn.modules.module import Module
from shenjing.ops import loss as F
from shenjing.ops import pair_loss as P
from shenjing.ops.loss import _reduction


class _Loss(Module):
    """Base of the losses: resolves ``reduction`` (and the deprecated size_average/reduce)."""

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = _reduction(type(self).__name__, reduction, size_average, reduce)


class _WeightedLoss(_Loss):
    """A loss with an optional per-class ``weight``, held as a buffer."""

    def __init__(self, weight: Tensor | None = None, size_average=None, reduce=None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class CrossEntropyLoss(_WeightedLoss):
    """Cross-entropy from logits (class indices or probabilities); ``torch.nn.CrossEntropyLoss``.

    See ``cross_entropy`` for the shapes, weights, ``ignore_index`` and label smoothing.

    >>> import shenjing as sj
    >>> from shenjing.nn.modules.loss import CrossEntropyLoss
    >>> criterion = CrossEntropyLoss(label_smoothing=0.1)
    >>> criterion(sj.tensor([[2.0, 0.0, 0.0]]), sj.tensor([0]))
    tensor(0.3729)
    """

    def __init__(self, weight: Tensor | None = None, size_average=None, ignore_index: int = -100,
                 reduce=None, reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of class indices, given log-probabilities; ``torch.nn.NLLLoss``.

    >>> import shenjing as sj
    >>> from shenjing.nn.modules.loss import NLLLoss
    >>> NLLLoss()(sj.tensor([[-0.5, -1.0], [-2.0, -0.1]]), sj.tensor([0, 1]))
    tensor(0.3000)
    """

    def __init__(self, weight: Tensor | None = None, size_average=None, ignore_index: int = -100,
                 reduce=None, reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class MSELoss(_Loss):
    """Mean squared error; equivalent of ``torch.nn.MSELoss``.

    >>> import shenjing as sj
    >>> from shenjing.nn.modules.loss import MSELoss
    >>> MSELoss()(sj.tensor([1.0, 3.0]), sj.tensor([0.0, 0.0]))
    tensor(5.)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error; equivalent of ``torch.nn.L1Loss``.

    >>> import shenjing as sj
    >>> from shenjing.nn.modules.loss import L1Loss
    >>> L1Loss()(sj.tensor([1.0, -3.0]), sj.tensor([0.0, 0.0]))
    tensor(2.)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """Quadratic below ``beta``, linear above; equivalent of ``torch.nn.SmoothL1Loss``.

    >>> import shenjing as sj
    >>> from shenjing.nn.modules.loss import SmoothL1Loss
    >>> SmoothL1Loss(beta=0.5)(sj.tensor([0.2, 3.0]), sj.tensor([0.0, 0.0]))
    tensor(1.3950)
    """

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean",
                 beta: float = 1.0) -> None:
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """Quadratic below ``delta``, ``delta``-scaled linear above; ``torch.nn.HuberLoss``.

    >>> import shenjing as sj
    >>> from shenjing.nn.modules.loss import HuberLoss
    >>> HuberLoss(delta=2.0)(sj.tensor([1.0, 3.0]), sj.tensor([0.0, 0.0]))
    tensor(2.2500)
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities (logs clamped at -100); ``torch.nn.BCELoss``.

    >>> import shenjing as sj
    >>> from shenjing.nn.modules.loss import BCELoss
    >>> BCELoss()(sj.tensor([0.8, 0.4]), sj.tensor([1.0, 0.0]))
    tensor(0.3670)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy(input, target, weight=self.weight,
                                      reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of logits, stable for any logit; ``torch.nn.BCEWithLogitsLoss``.

    ``weight`` and ``pos_weight`` (one weight per class, for the positive examples) are buffers.

    >>> import shenjing as sj
    >>> from shenjing.nn.modules.loss import BCEWithLogitsLoss
    >>> criterion = BCEWithLogitsLoss(pos_weight=sj.tensor([2.0]))
    >>> criterion(sj.tensor([[0.0], [1e4]]), sj.tensor([[1.0], [0.0]]))
    tensor(5000.6934)
    """

    def __init__(self, weight: Tensor | None = None, size_average=None, reduce=None,
                 reduction: str = "mean", pos_weight: Tensor | None = None) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, weight=self.weight,
                                                  reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


class MultiMarginLoss(_WeightedLoss):
    """The multiclass SVM hinge loss; equivalent of ``torch.nn.MultiMarginLoss``.

    >>> import shenjing as sj
    >>> from shenjing.nn.modules.loss import MultiMarginLoss
    >>> MultiMarginLoss()(sj.tensor([[3.0, 2.5, -1.0]]), sj.tensor([0]))
    tensor(0.1667)
    """

    def __init__(self, p: int = 1, margin: float = 1.0, weight: Tensor | None = None,
                 size_average=None, reduce=None, reduction: str = "mean") -> None:
        if p not in (1, 2):
            raise ValueError(f"MultiMarginLoss: only p == 1 and p == 2 are supported, got p={p}")
        if weight is not None and weight.ndim != 1:
            raise ValueError(f"MultiMarginLoss: weight must be 1-D (one weight per class), got "
                             f"shape {weight.shape}")
        super().__init__(weight, size_average, reduce, reduction)
        self.p = p
        self.margin = margin

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.multi_margin_loss(input, target, p=self.p, margin=self.margin,
                                   weight=self.weight, reduction=self.reduction)


# -- the losses of ops/pair_loss.py ----------------------------------------------------------------
class KLDivLoss(_Loss):
    """KL divergence of a target distribution from log-probabilities; ``torch.nn.KLDivLoss``.

    ``reduction`` takes ``'batchmean'`` too, the KL divergence of the math.

    >>> import shenjing as sj
    >>> from shenjing.nn.modules.loss import KLDivLoss
    >>> KLDivLoss(reduction="batchmean")(sj.log(sj.tensor([[0.5, 0.5]])), sj.tensor([[1.0, 0.0]]))
    tensor(0.6931)
    """

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean",
                 log_target: bool = False) -> None:
        Module.__init__(self)
        if size_average is not None or reduce is not None:
            reduction = _reduction("KLDivLoss", reduction, size_average, reduce)
        elif reduction not in ("mean", "batchmean", "sum", "none"):
            raise ValueError(f"KLDivLoss: reduction must be 'mean', 'batchmean', 'sum' or 'none', "
                             f"got {reduction!r}")
        self.reduction = reduction
        self.log_target = log_target

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return P.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class CosineEmbeddingLoss(_Loss):
    """``1 - cos`` for similar pairs (target 1), ``max(0, cos - margin)`` for dissimilar ones
    (target -1); ``torch.nn.CosineEmbeddingLoss``.

    >>> import shenjing as sj
    >>> from shenjing.nn.modules.loss import CosineEmbeddingLoss
    >>> CosineEmbeddingLoss()(sj.tensor([[1.0, 0.0]]), sj.tensor([[1.0, 1.0]]), sj.tensor([1]))
    tensor(0.2929)
    """

    def __init__(self, margin: float = 0.0, size_average=None, reduce=None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return P.cosine_embedding_loss(input1, input2, target, margin=self.margin,
                                       reduction=self.reduction)


class MarginRankingLoss(_Loss):
    """``max(0, -target * (x1 - x2) + margin)``; ``torch.nn.MarginRankingLoss``.

    >>> import shenjing as sj
    >>> from shenjing.nn.modules.loss import MarginRankingLoss
    >>> MarginRankingLoss(margin=1.0)(sj.tensor([2.0]), sj.tensor([1.5]), sj.tensor([1.0]))
    tensor(0.5000)
    """

    def __init__(self, margin: float = 0.0, size_average=None, reduce=None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return P.margin_ranking_loss(input1, input2, target, margin=self.margin,
                                     reduction=self.reduction)


class TripletMarginLoss(_Loss):
    """``max(0, margin + d(a, pos) - d(a, neg))`` with the p-norm distance;
    ``torch.nn.TripletMarginLoss``.

    >>> import shenjing as sj
    >>> from shenjing.nn.modules.loss import TripletMarginLoss
    >>> a = sj.tensor([[0.0, 0.0]])
    >>> TripletMarginLoss(eps=0.0)(a, sj.tensor([[3.0, 4.0]]), sj.tensor([[1.0, 0.0]]))
    tensor(5.)
    """

    def __init__(self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6, swap: bool = False,
                 size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginLoss: margin must be greater than 0, got {margin}")
        self.margin, self.p, self.eps, self.swap = margin, p, eps, swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return P.triplet_margin_loss(anchor, positive, negative, margin=self.margin, p=self.p,
                                     eps=self.eps, swap=self.swap, reduction=self.reduction)


class HingeEmbeddingLoss(_Loss):
    """``x`` for target 1, ``max(0, margin - x)`` for target -1;
    ``torch.nn.HingeEmbeddingLoss``.

    >>> import shenjing as sj
    >>> from shenjing.nn.modules.loss import HingeEmbeddingLoss
    >>> HingeEmbeddingLoss()(sj.tensor([0.25, 0.25]), sj.tensor([1.0, -1.0]))
    tensor(0.5000)
    """

    def __init__(self, margin: float = 1.0, size_average=None, reduce=None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return P.hinge_embedding_loss(input, target, margin=self.margin,
                                      reduction=self.reduction)


class SoftMarginLoss(_Loss):
    """Two-class logistic loss ``log(1 + exp(-target * x))``; ``torch.nn.SoftMarginLoss``.

    >>> import shenjing as sj
    >>> from shenjing.nn.modules.loss import SoftMarginLoss
    >>> SoftMarginLoss()(sj.tensor([0.0]), sj.tensor([1.0]))
    tensor(0.6931)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return P.soft_margin_loss(input, target, reduction=self.reduction)


class PoissonNLLLoss(_Loss):
    """Poisson negative log-likelihood of counts; ``torch.nn.PoissonNLLLoss``.

    >>> import shenjing as sj
    >>> from shenjing.nn.modules.loss import PoissonNLLLoss
    >>> PoissonNLLLoss()(sj.tensor([0.0]), sj.tensor([2.0]))
    tensor(1.)
    """

    def __init__(self, log_input: bool = True, full: bool = False, size_average=None,
                 eps: float = 1e-8, reduce=None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_input, self.full, self.eps = log_input, full, eps

    def forward(self, log_input: Tensor, target: Tensor) -> Tensor:
        return P.poisson_nll_loss(log_input, target, log_input=self.log_input, full=self.full,
                                  eps=self.eps, reduction=self.reduction)


class GaussianNLLLoss(_Loss):
    """Gaussian negative log-likelihood with a predicted variance; ``torch.nn.GaussianNLLLoss``.

    >>> import shenjing as sj
    >>> from shenjing.nn.modules.loss import GaussianNLLLoss
    >>> GaussianNLLLoss()(sj.tensor([0.0]), sj.tensor([1.0]), sj.tensor([1.0]))
    tensor(0.5000)
    """

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean") -> None:
        super().__init__(None, None, reduction)
        self.full, self.eps = full, eps

    def forward(self, input: Tensor, target: Tensor, var: Tensor | float) -> Tensor:
        return P.gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps,
                                   reduction=self.reduction)
