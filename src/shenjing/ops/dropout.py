"""Dropout: zero random elements during training and rescale the rest (inverted dropout)."""

from __future__ import annotations

from shenjing import backend
from shenjing.autograd.tensor import Tensor
from shenjing.ops.checks import require_tensor
from shenjing.ops.elementwise import Mul


def dropout(input: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero each element with probability ``p`` and scale the others by ``1 / (1 - p)``.

    Scaling at training time keeps the expected activation unchanged, so evaluation needs no
    rescaling: outside training (or with p = 0) the input is returned as it is. The mask comes
    from shenjing's generator, so ``sj.manual_seed`` fixes it. ``F.dropout``.

    >>> import shenjing as sj
    >>> x = sj.ones(1000)
    >>> y = sj.nn.functional.dropout(x, 0.5)
    >>> sorted(set(y.tolist()))
    [0.0, 2.0]
    >>> sj.nn.functional.dropout(x, 0.5, training=False) is x
    True
    """
    require_tensor("dropout", input)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return input
    xp = backend.array_module(input._data)
    if p == 1.0:
        keep = xp.zeros(input.shape, dtype=input.dtype)
    else:
        draws = backend.generator(input.device).random(input.shape, dtype=backend.DEFAULT_FLOAT)
        keep = (draws >= p).astype(input.dtype) * input.dtype.type(1.0 / (1.0 - p))
    return Mul.apply(input, Tensor._make(keep))
