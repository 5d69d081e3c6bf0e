"""Convolution layers: Conv1d, Conv2d and their transposes, ConvTranspose1d and ConvTranspose2d."""

from __future__ import annotations

from shenjing.autograd.function import ShapeError
from shenjing.autograd.tensor import Tensor
from shenjing.creation import empty
from shenjing.nn import init
from shenjing.nn.modules.module import Module
from shenjing.nn.parameter import Parameter
from shenjing.ops.checks import pair, single
from shenjing.ops.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d


class _ConvNd(Module):
    """What every convolution layer shares: its arguments, weight, bias, errors and printing.

    A subclass names its function (``_function``), its number of spatial dims (``_dims``) and
    whether it is transposed, whose weight is (C_in, C_out/groups, *kernel) rather than
    (C_out, C_in/groups, *kernel), as in PyTorch.
    """

    _dims = 2
    _transposed = False

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 output_padding=0, *, dtype=None, device=None) -> None:
        super().__init__()
        name = type(self).__name__
        size = pair if self._dims == 2 else single
        if padding_mode != "zeros":
            raise ValueError(f"{name}: padding_mode {padding_mode!r} is not supported (only "
                             "'zeros'); pad with sj.nn.functional.pad first")
        if groups < 1 or in_channels % groups or out_channels % groups:
            raise ValueError(f"{name}: in_channels {in_channels} and out_channels "
                             f"{out_channels} must be divisible by groups={groups}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = size(name, "kernel_size", kernel_size)
        self.stride = size(name, "stride", stride)
        self.padding = padding if isinstance(padding, str) else size(name, "padding", padding)
        self.dilation, self.padding_mode = size(name, "dilation", dilation), padding_mode
        self.output_padding = size(name, "output_padding", output_padding)
        if min(self.kernel_size) < 1 or min(self.stride) < 1 or min(self.dilation) < 1:
            raise ValueError(f"{name}: kernel_size {self.kernel_size}, stride {self.stride} and "
                             f"dilation {self.dilation} must be positive")
        if isinstance(padding, str) and (self._transposed or padding not in ("same", "valid")):
            allowed = "" if self._transposed else ", 'same' or 'valid'"
            raise ValueError(f"{name}: padding must be an int or a tuple{allowed}, got "
                             f"{padding!r}")
        if padding == "same" and min(self.stride) != 1:
            raise ValueError(f"{name}: padding='same' needs stride 1, got stride {self.stride}")
        shape = ((in_channels, out_channels // groups) if self._transposed
                 else (out_channels, in_channels // groups))
        self.weight = Parameter(empty(*shape, *self.kernel_size, dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(empty(out_channels, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in the weight's
        size(1) * kernel size (C_in/groups for a convolution, C_out/groups for a transpose)."""
        init.layer_defaults_(self.weight, self.bias)

    def _run(self, fn, *args):
        try:
            return fn(*args)
        except ShapeError as exc:  # name the layer, not only the function
            raise ShapeError(f"{self!r}: {exc}") from None
        except (ValueError, TypeError, RuntimeError) as exc:
            raise type(exc)(f"{self!r}: {exc}") from None

    def extra_repr(self) -> str:
        zeros, ones = (0,) * self._dims, (1,) * self._dims
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != zeros:
            text += f", padding={self.padding}"
        if self.dilation != ones:
            text += f", dilation={self.dilation}"
        if self.output_padding != zeros:
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text


class _Conv(_ConvNd):
    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros", *,
                 dtype=None, device=None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, dtype=dtype, device=device)

    def forward(self, input: Tensor) -> Tensor:
        self._check_dtype(input)
        function = conv2d if self._dims == 2 else conv1d
        return self._run(function, input, self.weight, self.bias, self.stride, self.padding,
                         self.dilation, self.groups)


class Conv2d(_Conv):
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


class Conv1d(_Conv):
    """A 1-D convolution layer: (N, C_in, L) -> (N, C_out, OL), with learned kernels.

    Weight (C_out, C_in/groups, K) and bias (C_out,), initialised and laid out as PyTorch's.
    ``padding`` is an int, ``'valid'`` or ``'same'``. Equivalent of ``torch.nn.Conv1d``
    (padding_mode 'zeros').

    >>> import shenjing as sj
    >>> from shenjing.nn.modules.conv import Conv1d
    >>> layer = Conv1d(4, 8, 3, padding="same")
    >>> layer
    Conv1d(4, 8, kernel_size=(3,), stride=(1,), padding=same)
    >>> layer(sj.ones(2, 4, 50)).shape
    (2, 8, 50)
    """

    _dims = 1


class _ConvTranspose(_ConvNd):
    _transposed = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1,
                 padding_mode: str = "zeros", *, dtype=None, device=None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, output_padding, dtype=dtype, device=device)

    def _output_padding(self, input: Tensor, output_size) -> tuple[int, ...]:
        """The output_padding that gives ``output_size`` (the last dims of it), as PyTorch."""
        if output_size is None:
            return self.output_padding
        name, dims = type(self).__name__, self._dims
        size = tuple(output_size)[-dims:]
        if len(size) != dims:
            raise ValueError(f"{name}: output_size must have {dims} or {dims + 2} elements, "
                             f"got {output_size!r}")
        padding = []
        for d in range(dims):
            n = input.shape[input.ndim - dims + d]
            smallest = ((n - 1) * self.stride[d] - 2 * self.padding[d]
                        + self.dilation[d] * (self.kernel_size[d] - 1) + 1)
            if not smallest <= size[d] < smallest + self.stride[d]:
                raise ValueError(f"{name}: requested an output size of {tuple(size)}, but valid "
                                 f"sizes for input of shape {input.shape} range from "
                                 f"{smallest} to {smallest + self.stride[d] - 1} in dim {d}")
            padding.append(size[d] - smallest)
        return tuple(padding)

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        self._check_dtype(input)
        function = conv_transpose2d if self._dims == 2 else conv_transpose1d
        output_padding = self._run(self._output_padding, input, output_size)
        return self._run(function, input, self.weight, self.bias, self.stride, self.padding,
                         output_padding, self.groups, self.dilation)


class ConvTranspose2d(_ConvTranspose):
    """A 2-D transposed convolution layer: (N, C_in, H, W) -> (N, C_out, OH, OW), with
    OH = (H - 1) * stride - 2 * padding + dilation * (KH - 1) + output_padding + 1.

    The adjoint of a ``Conv2d`` with the same arguments: it upsamples where the convolution
    downsamples. Weight (C_in, C_out/groups, KH, KW) and bias (C_out,), initialised and laid
    out as PyTorch's; ``forward(input, output_size)`` picks the output_padding that gives
    ``output_size``. Equivalent of ``torch.nn.ConvTranspose2d`` (padding_mode 'zeros').

    >>> import shenjing as sj
    >>> layer = sj.nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1)
    >>> layer
    ConvTranspose2d(16, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), output_padding=(1, 1))
    >>> layer(sj.ones(2, 16, 7, 7)).shape
    (2, 8, 14, 14)
    """


class ConvTranspose1d(_ConvTranspose):
    """A 1-D transposed convolution layer: (N, C_in, L) -> (N, C_out, OL), with
    OL = (L - 1) * stride - 2 * padding + dilation * (K - 1) + output_padding + 1.

    Weight (C_in, C_out/groups, K) and bias (C_out,), as PyTorch's. Equivalent of
    ``torch.nn.ConvTranspose1d`` (padding_mode 'zeros').

    >>> import shenjing as sj
    >>> from shenjing.nn.modules.conv import ConvTranspose1d
    >>> layer = ConvTranspose1d(4, 2, 4, stride=2, padding=1)
    >>> layer
    ConvTranspose1d(4, 2, kernel_size=(4,), stride=(2,), padding=(1,))
    >>> layer(sj.ones(1, 4, 10)).shape
    (1, 2, 20)
    """

    _dims = 1
