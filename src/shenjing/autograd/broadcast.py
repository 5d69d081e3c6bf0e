"""Broadcasting and its inverse, the one place where gradients are summed back to an input's shape.

An operation that broadcasts its inputs returns gradients of the broadcast shape; the engine sums
each back down with ``sum_to`` before handing it on, so no operation undoes broadcasting itself.
``SumTo`` and ``BroadcastTo`` are each other's gradient, so gradients of gradients work too. They
live in autograd because the engine needs them; ``shenjing.ops.shape`` re-exports them beside the
public ``broadcast_to`` and ``expand``.
"""

from __future__ import annotations

from shenjing.autograd.function import Function
from shenjing.autograd.tensor import TensorBase


class BroadcastTo(Function):
    returns_view = True

    def forward(self, x, shape):
        self.input_shape = x.shape
        return self.xp.broadcast_to(x, shape)

    def backward(self, gy):
        return sum_to(gy, self.input_shape)


class SumTo(Function):
    def forward(self, x, shape):
        self.input_shape = x.shape
        lead = x.ndim - len(shape)
        dims = tuple(range(lead)) + tuple(
            lead + i for i, n in enumerate(shape) if n == 1 and x.shape[lead + i] != 1
        )
        y = x.sum(axis=dims, keepdims=True) if dims else x
        return y.reshape(shape) if lead else y

    def backward(self, gy):
        # gy has the summed shape, which broadcasts to the input's by construction.
        return BroadcastTo.apply(gy, shape=self.input_shape)


def sum_to(input: TensorBase, shape) -> TensorBase:
    """Sum ``input`` down to ``shape``, the inverse of broadcasting (used for gradients).

    >>> import shenjing as sj
    >>> sum_to(sj.ones(2, 3), (1, 3))
    tensor([[2., 2., 2.]])
    """
    shape = tuple(shape)
    if input.shape == shape:
        return input
    return SumTo.apply(input, shape=shape)
