"""Dropout: zero random elements during training and rescale the rest (inverted dropout)."""

from __future__ import annotations

from shenjing import backend
from shenjing.autograd import tracing
from shenjing.autograd.function import Function
from shenjing.autograd.tensor import Tensor
from shenjing.ops.checks import require_tensor
from shenjing.ops.elementwise import _zero_unless


class Dropout(Function):
    """``x * scale`` where the bool mask ``keep`` (it broadcasts to x) holds, 0 elsewhere.

    Selected, not multiplied by a 0/scale mask: a dropped element is 0 and passes no gradient
    even when it or its gradient is infinite (a product would give NaN). The operation is
    linear in x and its own adjoint, so backward is dropout of ``gy`` with the same mask.
    """

    def forward(self, x, keep, scale):
        self.keep, self.scale = keep, scale
        if not scale:  # p = 1: nothing is kept
            return self.xp.zeros(x.shape, dtype=x.dtype)
        y = x * x.dtype.type(scale)
        return _zero_unless(self.xp, keep, y, out=y)

    def backward(self, gy):
        return Dropout.apply(gy, keep=self.keep, scale=self.scale)


def _keep_mask(x, *, p: float, shape: tuple):
    """True where an element is kept: a fresh draw from shenjing's generator each call (a
    kernel, so that every replay of a compiled step draws its own mask, in eager's order)."""
    if p == 1.0:
        return backend.array_module(x).zeros(shape, dtype=bool)
    # float32 draws whatever the default dtype: the same seed gives the same masks
    draws = backend.generator(backend.device_of(x)).random(shape, dtype=backend.dtype.float32)
    return draws >= p


def _drop(input: Tensor, p: float, mask_shape: tuple) -> Tensor:
    """Drop with probability ``p`` by a mask of ``mask_shape``, which broadcasts to the input."""
    keep = tracing.kernel(_keep_mask, input, p=p, shape=mask_shape, name="dropout_mask")
    return Dropout.apply(input, keep=keep, scale=1.0 / (1.0 - p) if p < 1.0 else 0.0)


def dropout(input: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero each element with probability ``p`` and scale the others by ``1 / (1 - p)``.

    Scaling at training time keeps the expected activation unchanged, so evaluation needs no
    rescaling: outside training (or with p = 0) the input is returned as it is. The mask comes
    from shenjing's generator, so ``sj.manual_seed`` fixes it. A dropped element is exactly 0,
    even an infinite one (PyTorch's product gives NaN there). ``F.dropout``.

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
    return _drop(input, p, input.shape)
