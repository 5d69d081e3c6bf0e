"""Convolution layers."""

from __future__ import annotations

from shenjing.autograd.function import ShapeError
from shenjing.autograd.tensor import Tensor
from shenjing.creation import empty
from shenjing.nn import init
from shenjing.nn.modules.module import Module
from shenjing.nn.parameter import Parameter
from shenjing.ops.checks import pair
from shenjing.ops.conv import conv2d


class Conv2d(Module):
    """A 2-D convolution layer: (N, C_in, H, W) -> (N, C_out, OH, OW), with learned kernels.

    Weight (C_out, C_in/groups, KH, KW) and bias (C_out,) start as PyTorch's do (kaiming
    uniform with a = sqrt(5); bias U(+-1/sqrt(fan_in))), in PyTorch's layout, so weights load
    across. Equivalent of ``torch.nn.Conv2d`` (padding_mode 'zeros').

    >>> import shenjing as sj
    >>> layer = sj.nn.Conv2d(1, 32, 3, padding=1)
    >>> layer
    Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
    >>> layer(sj.ones(2, 1, 28, 28)).shape
    (2, 32, 28, 28)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros", *,
                 dtype=None, device=None) -> None:
        super().__init__()
        if padding_mode != "zeros":
            raise ValueError(f"Conv2d: padding_mode {padding_mode!r} is not supported (only "
                             "'zeros'); pad with sj.nn.functional.pad first")
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"Conv2d: in_channels {in_channels} and out_channels "
                             f"{out_channels} must be divisible by groups={groups}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = pair("Conv2d", "kernel_size", kernel_size)
        self.stride = pair("Conv2d", "stride", stride)
        self.padding = padding if isinstance(padding, str) else pair("Conv2d", "padding", padding)
        self.dilation, self.padding_mode = pair("Conv2d", "dilation", dilation), padding_mode
        if min(self.kernel_size) < 1 or min(self.stride) < 1 or min(self.dilation) < 1:
            raise ValueError(f"Conv2d: kernel_size {self.kernel_size}, stride {self.stride} and "
                             f"dilation {self.dilation} must be positive")
        if isinstance(padding, str) and padding not in ("same", "valid"):
            raise ValueError(f"Conv2d: padding must be an int, a pair, 'same' or 'valid', got "
                             f"{padding!r}")
        if padding == "same" and self.stride != (1, 1):
            raise ValueError(f"Conv2d: padding='same' needs stride 1, got stride {self.stride}")
        self.weight = Parameter(empty(out_channels, in_channels // groups, *self.kernel_size,
                                      dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(empty(out_channels, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = C_in/groups*KH*KW."""
        init.layer_defaults_(self.weight, self.bias)

    def forward(self, input: Tensor) -> Tensor:
        self._check_dtype(input)
        try:
            return conv2d(input, self.weight, self.bias, self.stride, self.padding,
                          self.dilation, self.groups)
        except ShapeError as exc:  # name the layer, not only the function
            raise ShapeError(f"{self!r}: {exc}") from None
        except (ValueError, TypeError, RuntimeError) as exc:
            raise type(exc)(f"{self!r}: {exc}") from None

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text
