"""Pooling layers: max, average, adaptive average and adaptive max over 1-D and 2-D windows, and
max unpooling."""

from __future__ import annotations

from shenjing.autograd.tensor import Tensor
from shenjing.nn.modules.module import Module
from shenjing.ops.checks import pair, single
from shenjing.ops.pooling import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
    max_unpool2d,
)


class _Pool(Module):
    """Runs the pooling function and names the layer in its errors."""

    def _run(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (ValueError, TypeError, RuntimeError) as exc:  # ShapeError is a ValueError
            raise type(exc)(f"{self!r}: {exc}") from None


class _MaxPool(_Pool):
    """What MaxPool1d and MaxPool2d share; each names its pooling function in ``_pool``."""

    _pool = None

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1,
                 return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input: Tensor):
        return self._run(self._pool, input, self.kernel_size, self.stride, self.padding,
                         self.dilation, ceil_mode=self.ceil_mode,
                         return_indices=self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool2d(_MaxPool):
    """The maximum of each (dilated) window: (N, C, H, W) or (C, H, W) -> (..., OH, OW).

    ``stride`` defaults to ``kernel_size``; padding is -inf; ``return_indices`` also returns
    each maximum's flat index in its (H, W) plane. Equivalent of ``torch.nn.MaxPool2d``.

    >>> import shenjing as sj
    >>> from shenjing.nn.modules.pooling import MaxPool2d
    >>> pool = MaxPool2d(2)
    >>> pool
    MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
    >>> pool(sj.ones(8, 32, 28, 28)).shape
    (8, 32, 14, 14)
    """

    _pool = staticmethod(max_pool2d)


class AvgPool2d(_Pool):
    """The mean of each window: (N, C, H, W) or (C, H, W) -> (..., OH, OW).

    ``stride`` defaults to ``kernel_size``; padding is zeros, counted in the divisor when
    ``count_include_pad``; ``divisor_override`` replaces the divisor. ``torch.nn.AvgPool2d``.

    >>> import shenjing as sj
    >>> from shenjing.nn.modules.pooling import AvgPool2d
    >>> pool = AvgPool2d(3, stride=2, padding=1)
    >>> pool
    AvgPool2d(kernel_size=3, stride=2, padding=1)
    >>> pool(sj.ones(1, 4, 7, 7)).shape
    (1, 4, 4, 4)
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override: int | None = None) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input: Tensor) -> Tensor:
        return self._run(avg_pool2d, input, self.kernel_size, self.stride, self.padding,
                         self.ceil_mode, self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _AdaptiveAvgPool(_Pool):
    """What AdaptiveAvgPool1d and AdaptiveAvgPool2d share; each names its function in ``_pool``."""

    _pool = None

    def __init__(self, output_size) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        return self._run(self._pool, input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool2d(_AdaptiveAvgPool):
    """Average over windows sized so that the output is ``output_size`` (OH, OW).

    An int means a square output; None in a pair keeps that input size. (N, C, H, W) or
    (C, H, W) -> (..., OH, OW). Equivalent of ``torch.nn.AdaptiveAvgPool2d``.

    >>> import shenjing as sj
    >>> from shenjing.nn.modules.pooling import AdaptiveAvgPool2d
    >>> pool = AdaptiveAvgPool2d((1, 1))
    >>> pool
    AdaptiveAvgPool2d(output_size=(1, 1))
    >>> pool(sj.ones(8, 64, 7, 7)).shape
    (8, 64, 1, 1)
    """

    _pool = staticmethod(adaptive_avg_pool2d)


class MaxPool1d(_MaxPool):
    """The maximum of each (dilated) window: (N, C, L) or (C, L) -> (..., OL).

    ``stride`` defaults to ``kernel_size``; padding is -inf; ``return_indices`` also returns
    each maximum's index along L. Equivalent of ``torch.nn.MaxPool1d``.

    >>> import shenjing as sj
    >>> from shenjing.nn.modules.pooling import MaxPool1d
    >>> pool = MaxPool1d(3, stride=2)
    >>> pool
    MaxPool1d(kernel_size=3, stride=2, padding=0, dilation=1, ceil_mode=False)
    >>> pool(sj.ones(8, 4, 50)).shape
    (8, 4, 24)
    """

    _pool = staticmethod(max_pool1d)


class AvgPool1d(_Pool):
    """The mean of each window: (N, C, L) or (C, L) -> (..., OL).

    ``stride`` defaults to ``kernel_size``; padding is zeros, counted in the divisor when
    ``count_include_pad``. Equivalent of ``torch.nn.AvgPool1d``.

    >>> import shenjing as sj
    >>> from shenjing.nn.modules.pooling import AvgPool1d
    >>> pool = AvgPool1d(3, stride=2, padding=1)
    >>> pool
    AvgPool1d(kernel_size=(3,), stride=(2,), padding=(1,))
    >>> pool(sj.ones(8, 4, 50)).shape
    (8, 4, 25)
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True) -> None:
        super().__init__()
        self.kernel_size = single("AvgPool1d", "kernel_size", kernel_size)
        self.stride = single("AvgPool1d", "stride", stride if stride is not None
                              else kernel_size)
        self.padding = single("AvgPool1d", "padding", padding)
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input: Tensor) -> Tensor:
        return self._run(avg_pool1d, input, self.kernel_size, self.stride, self.padding,
                         self.ceil_mode, self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool1d(_AdaptiveAvgPool):
    """Average over windows sized so that the output has length ``output_size``.

    (N, C, L) or (C, L) -> (..., OL). Equivalent of ``torch.nn.AdaptiveAvgPool1d``.

    >>> import shenjing as sj
    >>> from shenjing.nn.modules.pooling import AdaptiveAvgPool1d
    >>> pool = AdaptiveAvgPool1d(5)
    >>> pool
    AdaptiveAvgPool1d(output_size=5)
    >>> pool(sj.ones(8, 4, 50)).shape
    (8, 4, 5)
    """

    _pool = staticmethod(adaptive_avg_pool1d)


class AdaptiveMaxPool2d(_Pool):
    """The maximum over windows sized so that the output is ``output_size`` (OH, OW).

    An int means a square output; None in a pair keeps that input size; ``return_indices``
    also returns each maximum's flat index in its (H, W) plane. (N, C, H, W) or (C, H, W) ->
    (..., OH, OW). Equivalent of ``torch.nn.AdaptiveMaxPool2d``.

    >>> import shenjing as sj
    >>> from shenjing.nn.modules.pooling import AdaptiveMaxPool2d
    >>> pool = AdaptiveMaxPool2d((1, 1))
    >>> pool
    AdaptiveMaxPool2d(output_size=(1, 1))
    >>> pool(sj.ones(8, 64, 7, 7)).shape
    (8, 64, 1, 1)
    """

    def __init__(self, output_size, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, input: Tensor):
        return self._run(adaptive_max_pool2d, input, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class MaxUnpool2d(_Pool):
    """The partial inverse of ``MaxPool2d``: each value put back where its maximum was, zeros
    elsewhere. ``forward(input, indices, output_size=None)`` with the pooling's indices;
    (N, C, OH, OW) -> (N, C, H, W), H = (OH - 1) * stride - 2 * padding + kernel_size unless
    ``output_size`` says otherwise. Equivalent of ``torch.nn.MaxUnpool2d``.

    >>> import shenjing as sj
    >>> from shenjing.nn.modules.pooling import MaxPool2d, MaxUnpool2d
    >>> unpool = MaxUnpool2d(2)
    >>> unpool
    MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))
    >>> y, index = MaxPool2d(2, return_indices=True)(sj.randn(1, 3, 5, 5))
    >>> unpool(y, index, output_size=(5, 5)).shape
    (1, 3, 5, 5)
    """

    def __init__(self, kernel_size, stride=None, padding=0) -> None:
        super().__init__()
        self.kernel_size = pair("MaxUnpool2d", "kernel_size", kernel_size)
        self.stride = pair("MaxUnpool2d", "stride", stride if stride is not None
                           else kernel_size)
        self.padding = pair("MaxUnpool2d", "padding", padding)

    def forward(self, input: Tensor, indices: Tensor, output_size=None) -> Tensor:
        return self._run(max_unpool2d, input, indices, self.kernel_size, self.stride,
                         self.padding, output_size)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
