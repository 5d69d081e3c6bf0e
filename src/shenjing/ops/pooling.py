"""Pooling over 2-D windows: max, average and adaptive average, with gradients of every order.

The reductions loop over the KH*KW kernel positions, each one a vectorised operation on one
strided slice of the padded input (every window's pixel at that position): never over pixels,
channels or batch items. The output size follows PyTorch:

    OH = (H + 2P - D*(KH - 1) - 1 + (S - 1 if ceil_mode else 0)) // S + 1

and with ``ceil_mode`` a last window that would start in the right padding is dropped, so every
window starts inside the input or the left padding.

Max pooling remembers which kernel position won each window. Its gradient routes ``gy`` to those
pixels (``MaxPool2dBackward``), whose adjoint selects each window's value at them
(``MaxPool2dSelect``); average pooling's gradient spreads ``gy / divisor`` over each window
(``AvgPool2dBackward``), the adjoint of average pooling. Each pair's backward is the other, so
gradients of every order work.
"""

from __future__ import annotations

import numbers

from shenjing.autograd import tracing
from shenjing.autograd.function import Function, ShapeError
from shenjing.autograd.tensor import Tensor
from shenjing.backend import array_module
from shenjing.ops.checks import pair, require_tensor
from shenjing.ops.elementwise import _zero_unless


def _output_size(size: int, kernel: int, stride: int, padding: int, dilation: int,
                 ceil_mode: bool) -> int:
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    if ceil_mode:
        span += stride - 1
    out = span // stride + 1  # floor division rounds towards -inf, as PyTorch's div_rtn
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1  # the last window would start in the right padding
    return out


def _check_input(op: str, input: Tensor) -> None:
    """A 3-d (C, H, W) or 4-d (N, C, H, W) input, empty at most in its batch dim."""
    require_tensor(op, input)
    if input.ndim not in (3, 4) or 0 in input.shape[-3:]:
        raise ShapeError(f"{op}: expected a non-empty 3-d (C, H, W) or 4-d (N, C, H, W) input "
                         f"(only the batch dim may be 0), got shape {input.shape}")


class _Geometry:
    """Kernel, stride, padding, dilation and output size of one pooling over (H, W) planes."""

    def __init__(self, op: str, shape: tuple, kernel_size, stride, padding, dilation,
                 ceil_mode: bool) -> None:
        self.kernel = pair(op, "kernel_size", kernel_size)
        # stride=None (or empty, as PyTorch's functional allows) means stride=kernel_size
        empty = stride is None or (isinstance(stride, (tuple, list)) and not stride)
        self.stride = self.kernel if empty else pair(op, "stride", stride)
        self.padding = pair(op, "padding", padding)
        self.dilation = pair(op, "dilation", dilation)
        for name, value in (("kernel_size", self.kernel), ("stride", self.stride),
                            ("dilation", self.dilation)):
            if min(value) <= 0:
                raise ValueError(f"{op}: {name} must be positive, got {value}")
        if min(self.padding) < 0:
            raise ValueError(f"{op}: padding must be non-negative, got {self.padding}")
        if any(p > k // 2 for p, k in zip(self.padding, self.kernel)):
            raise ValueError(f"{op}: padding {self.padding} must be at most half the kernel "
                             f"size {self.kernel}")
        self.input_size = shape[-2:]
        self.output_size = tuple(
            _output_size(n, k, s, p, d, ceil_mode) for n, k, s, p, d in zip(
                self.input_size, self.kernel, self.stride, self.padding, self.dilation))
        if min(self.output_size) < 1:
            raise ShapeError(
                f"{op}: the kernel {self.kernel} (dilation {self.dilation}) is larger than the "
                f"input of shape {shape} padded by {self.padding}: the output would be "
                f"{self.output_size[0]}x{self.output_size[1]}")
        # Windows that do not overlap: each pixel belongs to at most one.
        self.disjoint = all(s >= d * (k - 1) + 1 for s, d, k in zip(
            self.stride, self.dilation, self.kernel))
        # The extent the windows cover in the padded frame: more than H + 2P with ceil_mode, less
        # when the last rows belong to no window.
        self.padded_size = tuple((o - 1) * s + d * (k - 1) + 1 for o, s, d, k in zip(
            self.output_size, self.stride, self.dilation, self.kernel))

    def pad(self, xp, x, fill):
        """(N, C, H, W) -> (N, C, Hp, Wp): x in a frame of ``fill`` the windows tile exactly."""
        (ph, pw), (hp, wp) = self.padding, self.padded_size
        height, width = x.shape[-2:]
        if ph == pw == 0 and hp <= height and wp <= width:
            return x[..., :hp, :wp]  # a view: no padding needed
        out = xp.full(x.shape[:-2] + (hp, wp), fill, dtype=x.dtype)
        rows, cols = min(height, hp - ph), min(width, wp - pw)
        out[..., ph:ph + rows, pw:pw + cols] = x[..., :rows, :cols]
        return out

    def unpad(self, xp, padded):
        """The adjoint of ``pad``: (N, C, Hp, Wp) -> (N, C, H, W), zeros where no window reached."""
        (ph, pw), (height, width) = self.padding, self.input_size
        hp, wp = self.padded_size
        if ph == pw == 0 and hp == height and wp == width:
            return padded
        out = xp.zeros(padded.shape[:-2] + (height, width), dtype=padded.dtype)
        rows, cols = min(height, hp - ph), min(width, wp - pw)
        out[..., :rows, :cols] = padded[..., ph:ph + rows, pw:pw + cols]
        return out

    def positions(self):
        """Each kernel position (i, j) with the slice of the padded frame its values come from."""
        (oh, ow), (sh, sw), (dh, dw) = self.output_size, self.stride, self.dilation
        for i in range(self.kernel[0]):
            for j in range(self.kernel[1]):
                rows = slice(i * dh, i * dh + (oh - 1) * sh + 1, sh)
                cols = slice(j * dw, j * dw + (ow - 1) * sw + 1, sw)
                yield i, j, (Ellipsis, rows, cols)


# -- max pooling -----------------------------------------------------------------------------------
class MaxPool2d(Function):
    """(N, C, H, W) -> the maximum of each window; remembers which kernel position won it."""

    def forward(self, x, geometry, return_indices=False):
        xp = self.xp
        fill = -xp.inf if x.dtype.kind == "f" else xp.iinfo(x.dtype).min
        padded = geometry.pad(xp, x, fill)
        y = position = None
        for k, (_, _, key) in enumerate(geometry.positions()):
            values = padded[key]
            if y is None:
                y = values.copy()
                position = xp.zeros(y.shape, dtype=xp.int16)  # the winner's k = i * KW + j
                continue
            # Strictly greater: the first maximum in row-major order wins a tie, as in PyTorch.
            # k exceeds every earlier position, so a maximum records it: branch-free, unlike a
            # masked assignment, which is many times slower on random masks.
            xp.maximum(position, xp.multiply(values > y, k, dtype=position.dtype), out=position)
            xp.maximum(y, values, out=y)  # propagates NaN, as PyTorch
        if x.dtype.kind == "f" and not xp.isfinite(y).all():
            _non_finite_winners(xp, padded, y, position, geometry)
        self.geometry, self.position = geometry, position
        if return_indices:
            return y, _flat_index(xp, position, geometry)
        return y

    def backward(self, gy, *_):
        return MaxPool2dBackward.apply(gy, position=self.position, geometry=self.geometry)


def _non_finite_winners(xp, padded, y, position, geometry) -> None:
    """The winners PyTorch picks where a window holds NaN or only -inf.

    A NaN wins, the last one in its window. A window of -inf values only points at its first
    pixel inside the input, never at the padding.
    """
    if xp.isnan(y).any():
        for k, (_, _, key) in enumerate(geometry.positions()):
            xp.copyto(position, k, where=xp.isnan(padded[key]))
    empty = xp.isneginf(y)
    if empty.any():
        first = []
        for o, s, p, d in zip(geometry.output_size, geometry.stride, geometry.padding,
                              geometry.dilation):
            start = xp.arange(o) * s - p
            first.append(xp.maximum(-(start // d), 0))  # kernel steps until inside the input
        inside = first[0].reshape(-1, 1) * geometry.kernel[1] + first[1]
        xp.copyto(position, inside.astype(position.dtype), where=empty)


def _flat_index(xp, position, geometry):
    """Each winner's flat index into its (H, W) input plane: PyTorch's ``return_indices``."""
    (oh, ow), (sh, sw), (ph, pw), (dh, dw) = (geometry.output_size, geometry.stride,
                                              geometry.padding, geometry.dilation)
    width = geometry.input_size[1]
    i, j = xp.divmod(position.astype(xp.int64), geometry.kernel[1])
    rows = (xp.arange(oh) * sh - ph).reshape(oh, 1) + i * dh
    return rows * width + (xp.arange(ow) * sw - pw) + j * dw


class MaxPool2dBackward(Function):
    """Each window's gradient goes to the pixel that won it; overlapping windows add up."""

    def forward(self, gy, position, geometry):
        xp = self.xp
        self.position, self.geometry = position, geometry
        # Windows that tile the frame exactly (stride = kernel, no dilation) write every pixel
        # below: no need to clear it first.
        tiled = geometry.stride == geometry.kernel and geometry.dilation == (1, 1)
        frame = (xp.empty if tiled else xp.zeros)(gy.shape[:-2] + geometry.padded_size,
                                                  dtype=gy.dtype)
        # One pass per kernel position, no scatter. Selected, not multiplied by the mask: an
        # infinite gy reaches its winner alone, and NaN nowhere else.
        for k, (_, _, key) in enumerate(geometry.positions()):
            if geometry.disjoint:  # every pixel in at most one window: assign
                _zero_unless(xp, position == k, gy, out=frame[key])
            else:
                frame[key] += _zero_unless(xp, position == k, gy)
        return geometry.unpad(xp, frame)

    def backward(self, ggx):
        return MaxPool2dSelect.apply(ggx, position=self.position, geometry=self.geometry)


class MaxPool2dSelect(Function):
    """Each window's value at the pixel that won it: the adjoint of ``MaxPool2dBackward``."""

    def forward(self, x, position, geometry):
        xp = self.xp
        self.position, self.geometry = position, geometry
        padded = geometry.pad(xp, x, 0)
        # Every window has one winner: each output is written by exactly one kernel position.
        y = xp.empty(position.shape, dtype=x.dtype)
        for k, (_, _, key) in enumerate(geometry.positions()):
            xp.copyto(y, padded[key], where=position == k)
        return y

    def backward(self, gy):
        return MaxPool2dBackward.apply(gy, position=self.position, geometry=self.geometry)


def _max_pool2d(op, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    _check_input(op, input)
    geometry = _Geometry(op, input.shape, kernel_size, stride, padding, dilation, ceil_mode)
    x = input.unsqueeze(0) if input.ndim == 3 else input
    if not return_indices:
        y = MaxPool2d.apply(x, geometry=geometry)
        return y.squeeze(0) if input.ndim == 3 else y
    y, index = MaxPool2d.apply(x, geometry=geometry, return_indices=True)
    return (y.squeeze(0), index.squeeze(0)) if input.ndim == 3 else (y, index)


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """The maximum of each (dilated) window: (N, C, H, W) or (C, H, W) -> (..., OH, OW).

    Padding is -inf, so it never wins. With ``return_indices`` also the position of each
    maximum as a flat index into its (H, W) plane (the first maximum on ties), as PyTorch.
    Equivalent of ``torch.nn.functional.max_pool2d``.

    >>> import shenjing as sj
    >>> from shenjing.ops.pooling import max_pool2d
    >>> x = sj.arange(16.0).reshape(1, 1, 4, 4)
    >>> max_pool2d(x, 2)
    tensor([[[[ 5.,  7.],
              [13., 15.]]]])
    >>> max_pool2d(x, 3, stride=2, padding=1, return_indices=True)[1]
    tensor([[[[ 5,  7],
              [13, 15]]]])
    """
    return _max_pool2d("max_pool2d", input, kernel_size, stride, padding, dilation, ceil_mode,
                       return_indices)


# -- average pooling -------------------------------------------------------------------------------
def _divisors(xp, geometry, count_include_pad: bool, divisor_override, dtype):
    """The number each window's sum is divided by: an (OH, OW) array, as in PyTorch.

    A window that runs past the right padding (ceil_mode) counts only up to the padding's end;
    without count_include_pad it counts only the input pixels it covers.
    """
    if divisor_override is not None:
        return divisor_override
    sizes = []
    for n, o, k, s, p in zip(geometry.input_size, geometry.output_size, geometry.kernel,
                             geometry.stride, geometry.padding):
        start = xp.arange(o) * s - p
        end = xp.minimum(start + k, n + p)
        if not count_include_pad:
            start, end = xp.maximum(start, 0), xp.minimum(end, n)
        sizes.append(end - start)
    return (sizes[0].reshape(-1, 1) * sizes[1]).astype(dtype)


class AvgPool2d(Function):
    """(N, C, H, W) -> the sum of each window divided by ``divisor`` (a number or (OH, OW))."""

    def forward(self, x, geometry, divisor):
        xp = self.xp
        self.geometry, self.divisor = geometry, divisor
        padded = geometry.pad(xp, x, 0)
        if x.dtype.kind != "f":
            padded = padded.astype(xp.int64)  # PyTorch sums integers in int64
        total = None
        for _, _, key in geometry.positions():
            if total is None:
                total = padded[key].copy()
            else:
                total += padded[key]
        if x.dtype.kind != "f":  # integer division truncating towards zero, as PyTorch's
            return xp.trunc(total / divisor).astype(x.dtype)
        return (total / divisor).astype(x.dtype, copy=False)

    def backward(self, gy):
        return AvgPool2dBackward.apply(gy, geometry=self.geometry, divisor=self.divisor)


class AvgPool2dBackward(Function):
    """The adjoint of average pooling: each window gets ``gy / divisor`` added to its pixels."""

    def forward(self, gy, geometry, divisor):
        xp = self.xp
        self.geometry, self.divisor = geometry, divisor
        share = (gy / divisor).astype(gy.dtype, copy=False)
        padded = xp.zeros(gy.shape[:-2] + geometry.padded_size, dtype=gy.dtype)
        for _, _, key in geometry.positions():
            padded[key] += share
        return geometry.unpad(xp, padded)

    def backward(self, ggx):
        return AvgPool2d.apply(ggx, geometry=self.geometry, divisor=self.divisor)


def _avg_pool2d(op, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                divisor_override):
    _check_input(op, input)
    geometry = _Geometry(op, input.shape, kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override is not None and (
            not isinstance(divisor_override, numbers.Integral) or divisor_override == 0):
        raise ValueError(f"{op}: divisor_override must be a non-zero int, got "
                         f"{divisor_override!r}")
    xp = array_module(input._data)
    dtype = input.dtype if input.dtype.kind == "f" else xp.float64
    # made from the shapes alone: a compiled step keeps it
    divisor = tracing.constant(_divisors(xp, geometry, count_include_pad, divisor_override,
                                         dtype))
    x = input.unsqueeze(0) if input.ndim == 3 else input
    y = AvgPool2d.apply(x, geometry=geometry, divisor=divisor)
    return y.squeeze(0) if input.ndim == 3 else y


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """The mean of each window: (N, C, H, W) or (C, H, W) -> (..., OH, OW).

    Padding is zeros; ``count_include_pad`` counts it in the divisor (up to the padding's end)
    and ``divisor_override`` replaces the divisor. Equivalent of
    ``torch.nn.functional.avg_pool2d``.

    >>> import shenjing as sj
    >>> from shenjing.ops.pooling import avg_pool2d
    >>> x = sj.arange(16.0).reshape(1, 1, 4, 4)
    >>> avg_pool2d(x, 2)
    tensor([[[[ 2.5000,  4.5000],
              [10.5000, 12.5000]]]])
    >>> avg_pool2d(x, 3, stride=3, padding=1, count_include_pad=False)
    tensor([[[[ 2.5000,  4.5000],
              [10.5000, 12.5000]]]])
    """
    return _avg_pool2d("avg_pool2d", input, kernel_size, stride, padding, ceil_mode,
                       count_include_pad, divisor_override)


# -- adaptive average pooling ----------------------------------------------------------------------
def _adaptive_sizes(op: str, input: Tensor, output_size) -> tuple[int, int]:
    if output_size is None or isinstance(output_size, numbers.Integral):
        output_size = (output_size, output_size)
    if not isinstance(output_size, (tuple, list)) or len(output_size) != 2:
        raise TypeError(f"{op}: output_size must be an int, None or a pair of them, got "
                        f"{output_size!r}")
    sizes = tuple(n if o is None else o for o, n in zip(output_size, input.shape[-2:]))
    if any(isinstance(o, bool) or not isinstance(o, numbers.Integral) or o < 0 for o in sizes):
        raise ValueError(f"{op}: output_size must hold non-negative ints or None, got "
                         f"{output_size!r}")
    return int(sizes[0]), int(sizes[1])


def _windows(size: int, out: int) -> list[slice]:
    """Window i covers positions floor(i*size/out) to ceil((i+1)*size/out), as in PyTorch."""
    return [slice(i * size // out, -(-(i + 1) * size // out)) for i in range(out)]


class AdaptiveAvgPool2d(Function):
    """(..., H, W) -> (..., OH, OW): the mean of each window, windows of varying size.

    The mean over a window is separable: a mean over its rows of the means over its columns.
    One slice a window row and a window column, each a vectorised mean, rather than products
    with averaging matrices, whose zeros would turn one inf or NaN into NaN everywhere.
    """

    def forward(self, x, rows, cols):
        xp = self.xp
        self.rows, self.cols, self.input_size = rows, cols, x.shape[-2:]
        by_rows = xp.empty(x.shape[:-2] + (len(rows), x.shape[-1]), dtype=x.dtype)
        for i, window in enumerate(rows):  # (..., H, W) -> (..., OH, W)
            by_rows[..., i, :] = x[..., window, :].mean(axis=-2)
        y = xp.empty(x.shape[:-2] + (len(rows), len(cols)), dtype=x.dtype)
        for j, window in enumerate(cols):  # (..., OH, W) -> (..., OH, OW)
            y[..., j] = by_rows[..., window].mean(axis=-1)
        return y

    def backward(self, gy):
        return AdaptiveAvgPool2dBackward.apply(gy, rows=self.rows, cols=self.cols,
                                               input_size=self.input_size)


class AdaptiveAvgPool2dBackward(Function):
    """The adjoint of adaptive average pooling: each window's ``gy / size`` added to its pixels."""

    def forward(self, gy, rows, cols, input_size):
        xp = self.xp
        self.rows, self.cols = rows, cols
        height, width = input_size
        by_rows = xp.zeros(gy.shape[:-1] + (width,), dtype=gy.dtype)  # (..., OH, W)
        for j, window in enumerate(cols):
            by_rows[..., window] += gy[..., j:j + 1] / (window.stop - window.start)
        gx = xp.zeros(gy.shape[:-2] + (height, width), dtype=gy.dtype)
        for i, window in enumerate(rows):
            gx[..., window, :] += by_rows[..., i:i + 1, :] / (window.stop - window.start)
        return gx

    def backward(self, ggx):
        return AdaptiveAvgPool2d.apply(ggx, rows=self.rows, cols=self.cols)


def _adaptive_avg_pool2d(op, input, output_size):
    _check_input(op, input)
    if input.dtype.kind != "f":
        raise TypeError(f"{op}: expected a float input, got {input.dtype}")
    oh, ow = _adaptive_sizes(op, input, output_size)
    height, width = input.shape[-2:]
    if (oh, ow) == (1, 1):
        return input.mean((-2, -1), keepdim=True)
    if oh and ow and height % oh == 0 and width % ow == 0:
        # Equal windows that tile the input: plain average pooling.
        kernel = (height // oh, width // ow)
        return _avg_pool2d(op, input, kernel, kernel, 0, False, True, None)
    # Windows of varying size that may overlap.
    return AdaptiveAvgPool2d.apply(input, rows=_windows(height, oh), cols=_windows(width, ow))


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Average over windows chosen so that the output has ``output_size`` (OH, OW).

    Window i covers input rows floor(i*H/OH) to ceil((i+1)*H/OH), as in PyTorch; an int means
    a square output and None keeps that input size. (N, C, H, W) or (C, H, W) -> (..., OH, OW).
    Equivalent of ``torch.nn.functional.adaptive_avg_pool2d``.

    >>> import shenjing as sj
    >>> from shenjing.ops.pooling import adaptive_avg_pool2d
    >>> x = sj.arange(9.0).reshape(1, 3, 3)
    >>> adaptive_avg_pool2d(x, 2)
    tensor([[[2., 3.],
             [5., 6.]]])
    >>> adaptive_avg_pool2d(x, (1, None))
    tensor([[[3., 4., 5.]]])
    """
    return _adaptive_avg_pool2d("adaptive_avg_pool2d", input, output_size)
