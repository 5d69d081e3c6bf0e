"""Normalisation layers: BatchNorm1d, BatchNorm2d and LayerNorm."""

from __future__ import annotations

from collections.abc import Sequence

from shenjing.autograd.tensor import Tensor
from shenjing.backend import is_floating
from shenjing.backend.dtype import int64
from shenjing.creation import ones, tensor, zeros
from shenjing.nn.modules.module import Module
from shenjing.nn.parameter import Parameter
from shenjing.ops.normalization import batch_norm, layer_norm


class BatchNorm1d(Module):
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

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in self._input_dims or input.shape[1] != self.num_features:
            raise ValueError(
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

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


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
