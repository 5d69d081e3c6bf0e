"""Normalization: batch norm and layer norm, built from differentiable operations.

Composites of mean, var and arithmetic, so their gradients (and gradients of gradients) come from
the operations they are made of.
"""

from __future__ import annotations

from collections.abc import Sequence

from shenjing.autograd.function import ShapeError
from shenjing.autograd.grad_mode import no_grad
from shenjing.autograd.tensor import Tensor
from shenjing.ops.checks import require_tensor


def _channel_shape(x: Tensor) -> tuple[int, ...]:
    """(C,) parameters broadcast over (N, C, *): shape (1, C, 1, ..., 1)."""
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float | None = 0.1,
               eps: float = 1e-5) -> Tensor:
    """Normalise each channel of (N, C, *) by batch statistics (training) or running ones.

    In training the running statistics are updated in place: ``running = (1 - momentum) *
    running + momentum * batch`` with the unbiased batch variance (a cumulative average when
    momentum is None, which needs ``num_batches_tracked`` and is done by the module).
    Equivalent of ``torch.nn.functional.batch_norm``.

    >>> import shenjing as sj
    >>> x = sj.tensor([[1.0, 10.0], [3.0, 30.0]])
    >>> sj.nn.functional.batch_norm(x, None, None, training=True)
    tensor([[-1.0000, -1.0000],
            [ 1.0000,  1.0000]])
    """
    require_tensor("batch_norm", input)
    if input.ndim < 2:
        raise ShapeError(f"batch_norm: expected input of shape (N, C, *), got {input.shape}")
    dims = (0,) + tuple(range(2, input.ndim))
    shape = _channel_shape(input)
    count = input.numel() // input.shape[1]
    if training:
        if count <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel in training, "
                             f"got input of shape {input.shape}")
        mean = input.mean(dim=dims, keepdim=True)
        var = input.var(dim=dims, correction=0, keepdim=True)
        if running_mean is not None and running_var is not None:
            with no_grad():
                factor = momentum if momentum is not None else 1.0
                running_mean.mul_(1 - factor).add_(mean.reshape(-1) * factor)
                unbiased = var.reshape(-1) * (count / (count - 1))
                running_var.mul_(1 - factor).add_(unbiased * factor)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: running_mean and running_var are needed outside "
                             "training")
        mean, var = running_mean.reshape(shape), running_var.reshape(shape)
    y = (input - mean) / (var + eps).sqrt()
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


def layer_norm(input: Tensor, normalized_shape: Sequence[int], weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise over the last dims (``normalized_shape``) of each sample; ``F.layer_norm``.

    >>> import shenjing as sj
    >>> sj.nn.functional.layer_norm(sj.tensor([[1.0, 3.0]]), (2,))
    tensor([[-1.0000,  1.0000]])
    """
    require_tensor("layer_norm", input)
    normalized_shape = tuple(normalized_shape)
    k = len(normalized_shape)
    if k == 0 or input.shape[input.ndim - k:] != normalized_shape:
        raise ShapeError(f"layer_norm: normalized_shape {normalized_shape} does not match the "
                         f"last dims of input of shape {input.shape}")
    dims = tuple(range(input.ndim - k, input.ndim))
    mean = input.mean(dim=dims, keepdim=True)
    var = input.var(dim=dims, correction=0, keepdim=True)
    y = (input - mean) / (var + eps).sqrt()
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y
