"""Channel dropout layer."""

from __future__ import annotations

from shenjing.autograd.tensor import Tensor
from shenjing.nn.modules.module import Module
from shenjing.ops.dropout2d import dropout2d


class Dropout2d(Module):
    """Zero whole channels of (N, C, H, W) in training, scaling the rest by ``1/(1 - p)``; the
    identity in eval mode. Equivalent of ``torch.nn.Dropout2d``.

    >>> import shenjing as sj
    >>> from shenjing.nn.modules.dropout2d import Dropout2d
    >>> layer = Dropout2d(0.5)
    >>> layer
    Dropout2d(p=0.5, inplace=False)
    >>> layer.eval()(sj.ones(1, 2, 1, 1)).tolist()
    [[[[1.0]], [[1.0]]]]
    """

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout2d: p must be in [0, 1], got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, input: Tensor) -> Tensor:
        return dropout2d(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
