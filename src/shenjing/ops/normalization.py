"""Normalization: batch, layer, group and instance norm, built from differentiable operations.

Normalising by batch statistics is one operation, ``Normalize``, whose backward is made of
differentiable operations, so gradients of every order come from the operations used.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from shenjing.autograd.function import Function, ShapeError
from shenjing.autograd.grad_mode import no_grad
from shenjing.autograd.tensor import Tensor
from shenjing.backend import expected_float_errors
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


class Normalize(Function):
    """``y = (x - mean) * s`` over ``dims`` with ``s = 1 / sqrt(var + eps)`` and the population
    variance: batch and layer norm before their affine part. Returns ``(y, mean, var, s)``,
    the statistics with ``dims`` kept.

    The sums are accumulated in float64, and the inverse root is taken of the variance in x's
    dtype, as PyTorch 2.13 does on the CPU: a channel of float32 values near 1e30 has variance
    inf, s = 0 and y = 0 (the bias, after the affine part). Backward is PyTorch's formula,
    ``s (gy - mean(gy) - y mean(gy y))``, finite there, where differentiating the composite of
    var, sqrt and division met inf * 0 = NaN.
    One operation, made of differentiable ones in backward (gradients of every order), that
    keeps only its output and statistics for backward. The sums run in float64 (a temporary
    float64 array of x's deviations, freed before the output is made), as PyTorch's CPU kernels
    accumulate.
    """

    def forward(self, x, dims, eps):
        xp = self.xp
        self.dims = dims
        mean = xp.mean(x, axis=dims, keepdims=True, dtype="float64")
        squares = xp.subtract(x, mean)  # float64
        xp.multiply(squares, squares, out=squares)
        var = xp.mean(squares, axis=dims, keepdims=True)
        del squares
        with expected_float_errors(xp):  # a variance beyond x's dtype is inf, as in PyTorch
            var = var.astype(x.dtype, copy=False)
        s = 1.0 / xp.sqrt(var + eps)
        mean = mean.astype(x.dtype, copy=False)
        y = xp.subtract(x, mean)
        y *= s
        self.save_for_backward(y, mean, s)
        return y, mean, var, s

    def backward(self, gy, g_mean, g_var, g_s):
        y, mean, s = self.saved_tensors
        dims = self.dims
        n = y.numel() // max(mean.numel(), 1)
        # y and s are functions of x (this node's outputs), so these expressions differentiate
        # to the higher derivatives as well.
        gx = (gy - gy.mean(dim=dims, keepdim=True)
              - y * (gy * y).mean(dim=dims, keepdim=True)) * s
        # The statistics' gradients (zeros unless one is used with its graph: the running
        # statistics are updated without one): d mean/dx_i = 1 / n, d var/dx_i = 2 y_i / (s n),
        # d s/dx_i = -s^2 y_i / n. s^2 underflows float32 where s is 1e-30, so the factors meet
        # in an order that keeps each product representable.
        factor = None
        if _given(g_var):
            factor = g_var * (2.0 / n) / s
        if _given(g_s):
            term = (g_s * s) * (s * (-1.0 / n))
            factor = term if factor is None else factor + term
        if factor is not None:
            gx = gx + y * factor
        if _given(g_mean):
            gx = gx + g_mean * (1.0 / n)
        return gx


def _given(g: Tensor) -> bool:
    """Whether a statistic's gradient matters: the engine gives constant zeros for unused ones."""
    return g.requires_grad or bool(g._data.any())


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
        mean = input.sum(dim=dims, keepdim=True)
        y = input - mean
    elif training:
        if count == 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel in training, "
                             f"got input of shape {input.shape}")
        y, mean, var, _ = Normalize.apply(input, dims=dims, eps=eps)
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
        inverse_std = 1.0 / (running_var.reshape(shape) + eps).sqrt()
        y = (input - running_mean.reshape(shape)) * inverse_std
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
    y = Normalize.apply(input, dims=dims, eps=eps)[0]
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise each sample of (N, C, *) over groups of ``C // num_groups`` channels and
    their positions, then scale and shift each channel (Wu & He, 2018).

    Independent of the batch, so the same in training and evaluation.
    Equivalent of ``torch.nn.functional.group_norm``.

    >>> import shenjing as sj
    >>> sj.nn.functional.group_norm(sj.tensor([[1.0, 3.0, 10.0, 30.0]]), 2)
    tensor([[-1.0000,  1.0000, -1.0000,  1.0000]])
    """
    require_tensor("group_norm", input)
    if input.ndim < 2:
        raise RuntimeError(f"group_norm: expected input of shape (N, C, *), got {input.shape}")
    C = input.shape[1]
    if num_groups <= 0 or C % num_groups:
        raise RuntimeError(f"group_norm: the {C} channels of input of shape {input.shape} are "
                           f"not divisible into num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.shape != (C,):
            raise RuntimeError(f"group_norm: expected {name} of shape ({C},) for input of "
                               f"shape {input.shape}, got {t.shape}")
    if _check_dtypes("group_norm", input, weight=weight, bias=bias):
        return group_norm(input.float(), num_groups, weight, bias, eps).to(input.dtype)
    N, group = input.shape[0], C // num_groups * math.prod(input.shape[2:])
    # (N, C, *) -> (N, G, C // G * prod(*)): each group's channels and positions in one row
    y = Normalize.apply(input.reshape(N, num_groups, group), dims=(2,), eps=eps)[0]
    y = y.reshape(input.shape)
    shape = _channel_shape(input)
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel of each sample of (N, C, *) over its positions (Ulyanov et al.,
    2016), then scale and shift each channel.

    With ``use_input_stats`` the running statistics, when given, are updated in place with the
    batch's average of the instances' mean and unbiased variance; without, they normalise.
    Equivalent of ``torch.nn.functional.instance_norm``.

    >>> import shenjing as sj
    >>> sj.nn.functional.instance_norm(sj.tensor([[[1.0, 3.0], [10.0, 30.0]]]))
    tensor([[[-1.0000,  1.0000],
             [-1.0000,  1.0000]]])
    """
    require_tensor("instance_norm", input)
    if input.ndim < 2:
        raise RuntimeError(f"instance_norm: expected input of shape (N, C, *), got "
                           f"{input.shape}")
    if _check_dtypes("instance_norm", input, running_mean=running_mean,
                     running_var=running_var, weight=weight, bias=bias):
        return instance_norm(input.float(), running_mean, running_var, weight, bias,
                             use_input_stats, momentum, eps).to(input.dtype)
    shape = _channel_shape(input)
    dims = tuple(range(2, input.ndim))
    count = math.prod(input.shape[2:])  # positions per instance
    if use_input_stats:
        if count <= 1:
            raise ValueError(f"instance_norm: expected more than 1 spatial element when "
                             f"training, got input of shape {input.shape}")
        if not dims:  # no position dim: PyTorch raises above, as every count is 1
            dims = (1,)
        y, mean, var, _ = Normalize.apply(input, dims=dims, eps=eps)
        if running_mean is not None or running_var is not None:
            with no_grad():
                # (N, C, 1, ...) -> (C,): the batch's average of the instances' statistics
                if running_mean is not None:
                    batch_mean = mean.reshape(mean.shape[:2]).mean(dim=0)
                    running_mean.mul_(1 - momentum).add_(batch_mean * momentum)
                if running_var is not None:
                    unbiased = var.reshape(var.shape[:2]) * (count / (count - 1))
                    running_var.mul_(1 - momentum).add_(unbiased.mean(dim=0) * momentum)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("instance_norm: running_mean and running_var are needed when "
                             "use_input_stats is False")
        inverse_std = 1.0 / (running_var.reshape(shape) + eps).sqrt()
        y = (input - running_mean.reshape(shape)) * inverse_std
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y
