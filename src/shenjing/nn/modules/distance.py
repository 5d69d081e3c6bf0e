"""Distances between pairs of vectors as layers: ``torch.nn.CosineSimilarity`` and
``torch.nn.PairwiseDistance``."""

from __future__ import annotations

from shenjing.autograd.tensor import Tensor
from shenjing.nn.modules.module import Module
from shenjing.ops.pair_loss import pairwise_distance
from shenjing.ops.statistics import cosine_similarity


class CosineSimilarity(Module):
    """``x1 . x2 / max(||x1|| ||x2||, eps)`` along ``dim``; ``torch.nn.CosineSimilarity``.

    >>> import shenjing as sj
    >>> sj.nn.CosineSimilarity()(sj.ones(2, 3), sj.ones(2, 3))
    tensor([1.0000, 1.0000])
    """

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """``||x1 - x2 + eps||_p`` over the last dim; ``torch.nn.PairwiseDistance``."""

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
