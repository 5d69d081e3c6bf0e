"""Losses as modules, as in ``torch.nn``: the arguments are fixed at construction, ``forward``
takes ``(input, target)`` and calls the functional form in ``shenjing.ops.loss``.

Class weights given to a constructor are registered as buffers (``weight``, ``pos_weight``), so
they appear in ``state_dict()`` and move with ``.to()``, as in PyTorch.
"""

from __future__ import annotations

from shenjing.autograd.tensor import Tensor
from shenjing.nn.modules.module import Module
from shenjing.ops import loss as F
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
