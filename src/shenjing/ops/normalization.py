"""Normalization: batch norm and layer norm, built from differentiable operations.

Composites of mean, var and arithmetic, so their gradients (and gradients of gradients) come from
the operations they are made of.
"""

from __future__ import annotations

from collections.abc import Sequence

from shenjing.autograd.function import ShapeError
from shenjing.autograd.grad_mode import no_grad
from shenjing.autograd.tensor import Tensor
from shenjing.backend.dtype import float16, float32
from shenjing.ops.checks import require_tensor


def _channel_shape(x: Tensor) -> tuple[int, ...]:
    """(C,) parameters broadcast over (N, C, *): shape (1, C, 1, ..., 1)."""
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def _check_dtypes(op: str, input: Tensor, **others: Tensor | None) -> bool:
    """Raise a RuntimeError, as PyTorch does, unless every tensor given has ``input``'s dtype.

    Returns True for the one mix PyTorch accepts: float16 input with float32 parameters and
    statistics (mixed precision), which is normalised in float32 and returned in float16.
    """
    given = {name: t.dtype for name, t in others.items() if t is not None}
    if input.dtype == float16 and given and all(d == float32 for d in given.values()):
        return True
    mixed = {name: dtype for name, dtype in given.items() if dtype != input.dtype}
    if mixed:
        listed = ", ".join(f"{name} of dtype {dtype}" for name, dtype in mixed.items())
        raise RuntimeError(f"{op}: input of dtype {input.dtype} and {listed} differ; convert "
                           f"the input, e.g. x.to({next(iter(mixed.values()))}), or the others")
    return False


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
    if _check_dtypes("batch_norm", input, running_mean=running_mean, running_var=running_var,
                     weight=weight, bias=bias):
        return batch_norm(input.float(), running_mean, running_var, weight, bias, training,
                          momentum, eps).to(input.dtype)
    dims = (0,) + tuple(range(2, input.ndim))
    shape = _channel_shape(input)
    count = input.numel() // input.shape[1] if input.shape[1] else 0
    if training and count == 0:
        # An empty batch has no statistics: PyTorch returns an empty output and leaves the
        # running ones as they are. Zeros of the statistics' shape keep the graph, so weight and
        # bias get zero gradients, as in PyTorch.
        mean = var = input.sum(dim=dims, keepdim=True)
    elif training:
        if count == 1:
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
    if _check_dtypes("layer_norm", input, weight=weight, bias=bias):
        return layer_norm(input.float(), normalized_shape, weight, bias, eps).to(input.dtype)
    dims = tuple(range(input.ndim - k, input.ndim))
    mean = input.mean(dim=dims, keepdim=True)
    var = input.var(dim=dims, correction=0, keepdim=True)
    y = (input - mean) / (var + eps).sqrt()
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y
