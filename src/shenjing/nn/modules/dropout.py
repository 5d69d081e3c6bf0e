"""Dropout layers."""

from __future__ import annotations

from shenjing.autograd.tensor import Tensor
from shenjing.nn.modules.module import Module
from shenjing.ops.dropout import dropout


class Dropout(Module):
    """Inverted dropout in training, the identity in eval mode; ``torch.nn.Dropout``.

    >>> import shenjing as sj
    >>> layer = sj.nn.Dropout(0.5).eval()
    >>> layer(sj.ones(3))
    tensor([1., 1., 1.])
    """

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must be in [0, 1], got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, input: Tensor) -> Tensor:
        return dropout(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
