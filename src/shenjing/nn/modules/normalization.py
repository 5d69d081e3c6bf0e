"""Normalisation layers: BatchNorm1d/2d, LayerNorm, GroupNorm, InstanceNorm1d/2d."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

from shenjing.autograd.function import ShapeError
from shenjing.autograd.tensor import Tensor
from shenjing.backend import is_floating
from shenjing.backend.dtype import int64
from shenjing.creation import ones, tensor, zeros
from shenjing.nn.modules.module import Module
from shenjing.nn.parameter import Parameter
from shenjing.ops.normalization import batch_norm, group_norm, instance_norm, layer_norm


class _NormBase(Module):
    """What batch and instance norm share: per-channel weight and bias, running statistics."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, *, bias: bool = True,
                 dtype=None, device=None) -> None:
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = Parameter(ones(num_features, dtype=dtype, device=device))
        else:
            self.register_parameter("weight", None)
        if affine and bias:
            self.bias = Parameter(zeros(num_features, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, dtype=dtype, device=device))
            self.register_buffer("running_var", ones(num_features, dtype=dtype, device=device))
            self.register_buffer("num_batches_tracked", tensor(0, dtype=int64, device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_NormBase):
    """Normalise each feature of (N, C) or (N, C, L) by batch statistics while training and by
    running averages in eval mode, then scale and shift (Ioffe & Szegedy, 2015).

    Equivalent of ``torch.nn.BatchNorm1d``; buffers ``running_mean``, ``running_var`` and
    ``num_batches_tracked`` as in PyTorch.

    >>> import shenjing as sj
    >>> bn = sj.nn.BatchNorm1d(3)
    >>> bn
    BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
    >>> bn(sj.randn(8, 3)).shape
    (8, 3)
    """

    _input_dims = (2, 3)

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in self._input_dims or input.shape[1] != self.num_features:
            # PyTorch: a ValueError for the number of dims, a RuntimeError for the channels
            kind = ValueError if input.ndim not in self._input_dims else ShapeError
            raise kind(
                f"{type(self).__name__}({self.num_features}): expected input of "
                f"{' or '.join(f'{d}-D' for d in self._input_dims)} with {self.num_features} "
                f"channels in dim 1, got shape {input.shape}"
            )
        # As PyTorch: integer input has no batch norm; floats of another dtype must be converted.
        self._check_dtype(input, error=RuntimeError if is_floating(input.dtype)
                          else NotImplementedError, mixed_precision=True)
        momentum = self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.add_(1)
            if momentum is None:  # a cumulative average over all batches seen
                momentum = 1.0 / self.num_batches_tracked.item()
        # Batch statistics while training, or always when no running ones are tracked.
        use_batch_statistics = self.training or not self.track_running_stats
        return batch_norm(input, self.running_mean, self.running_var, self.weight, self.bias,
                          use_batch_statistics, momentum, self.eps)


class BatchNorm2d(BatchNorm1d):
    """Batch norm over the channels of images (N, C, H, W): statistics over N, H and W.

    Equivalent of ``torch.nn.BatchNorm2d``.

    >>> import shenjing as sj
    >>> sj.nn.BatchNorm2d(16)(sj.randn(4, 16, 5, 5)).shape
    (4, 16, 5, 5)
    """

    _input_dims = (4,)


class LayerNorm(Module):
    """Normalise each sample over its last dims, then scale and shift (Ba et al., 2016).

    Equivalent of ``torch.nn.LayerNorm``.

    >>> import shenjing as sj
    >>> sj.nn.LayerNorm(4)
    LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=True)
    """

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, *, dtype=None,
                 device=None) -> None:
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(ones(self.normalized_shape, dtype=dtype, device=device))
            if bias:
                self.bias = Parameter(zeros(self.normalized_shape, dtype=dtype, device=device))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, input: Tensor) -> Tensor:
        self._check_dtype(input, mixed_precision=True)
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class GroupNorm(Module):
    """Normalise each sample of (N, C, *) over groups of channels, then scale and shift each
    channel (Wu & He, 2018): the same in training and evaluation, for any batch size.

    Equivalent of ``torch.nn.GroupNorm``.

    >>> import shenjing as sj
    >>> norm = sj.nn.GroupNorm(2, 4)
    >>> norm
    GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)
    >>> norm(sj.randn(3, 4, 5)).shape
    (3, 4, 5)
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, device=None, dtype=None, *, bias: bool = True) -> None:
        super().__init__()
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by "
                             f"num_groups ({num_groups})")
        self.num_groups, self.num_channels = num_groups, num_channels
        self.eps, self.affine = eps, affine
        if affine:
            self.weight = Parameter(ones(num_channels, dtype=dtype, device=device))
        else:
            self.register_parameter("weight", None)
        if affine and bias:
            self.bias = Parameter(zeros(num_channels, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)

    def forward(self, input: Tensor) -> Tensor:
        self._check_dtype(input, mixed_precision=True)
        return group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, "
                f"affine={self.affine}, bias={self.bias is not None}")


class _InstanceNorm(_NormBase):
    """Instance norm over the positions of each channel of each sample; ``(C, *)`` without a
    batch dim is accepted, as in PyTorch."""

    _no_batch_dim = 2

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = False, track_running_stats: bool = False, device=None,
                 dtype=None, *, bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, bias=bias,
                         dtype=dtype, device=device)

    def forward(self, input: Tensor) -> Tensor:
        ranks = (self._no_batch_dim, self._no_batch_dim + 1)
        if input.ndim not in ranks:
            raise ValueError(f"{type(self).__name__}({self.num_features}): expected "
                             f"{ranks[0]}-D or {ranks[1]}-D input, got shape {input.shape}")
        channel_dim = input.ndim - self._no_batch_dim
        if input.shape[channel_dim] != self.num_features:
            if self.affine:
                raise ValueError(f"{type(self).__name__}({self.num_features}): expected "
                                 f"{self.num_features} channels in dim {channel_dim}, got "
                                 f"input of shape {input.shape}")
            warnings.warn(f"{type(self).__name__}({self.num_features}): input of shape "
                          f"{input.shape} has {input.shape[channel_dim]} channels in dim "
                          f"{channel_dim}; num_features is not used as affine=False",
                          stacklevel=2)
        self._check_dtype(input, mixed_precision=True)
        unbatched = input.ndim == self._no_batch_dim
        x = input.unsqueeze(0) if unbatched else input
        y = instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                          self.training or not self.track_running_stats,
                          self.momentum if self.momentum is not None else 0.0, self.eps)
        return y.squeeze(0) if unbatched else y


class InstanceNorm1d(_InstanceNorm):
    """Instance norm of (N, C, L) or (C, L): each channel of each sample over its length, with
    optional affine parameters and running statistics (both off by default, as in PyTorch).

    Equivalent of ``torch.nn.InstanceNorm1d``.

    >>> import shenjing as sj
    >>> sj.nn.InstanceNorm1d(3)
    InstanceNorm1d(3, eps=1e-05, momentum=0.1, affine=False, bias=False, track_running_stats=False)
    >>> sj.nn.InstanceNorm1d(3)(sj.randn(2, 3, 5)).shape
    (2, 3, 5)
    """


class InstanceNorm2d(_InstanceNorm):
    """Instance norm of images (N, C, H, W) or (C, H, W): each channel of each image over its
    positions (Ulyanov et al., 2016); the normalisation of style transfer.

    Equivalent of ``torch.nn.InstanceNorm2d``.

    >>> import shenjing as sj
    >>> sj.nn.InstanceNorm2d(3, affine=True)(sj.randn(2, 3, 4, 4)).shape
    (2, 3, 4, 4)
    """

    _no_batch_dim = 3
