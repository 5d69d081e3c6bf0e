"""Pooling over 2-D windows: max, average and adaptive average, with gradients of every order.

The reductions loop over the KH*KW kernel positions, each one a vectorised operation on one
strided slice of the padded input (every window's pixel at that position): never over pixels,
channels or batch items. The output size follows PyTorch (``checks.output_size``, which
convolution and ``sj.summary`` share):

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
from shenjing.autograd.function import ArgumentError, Function, ShapeError
from shenjing.autograd.tensor import Tensor
from shenjing.backend import array_module, scatter_add
from shenjing.ops.checks import _copy, extent, output_size, pair, require_tensor, single
from shenjing.ops.elementwise import _zero_unless

__all__ = ["adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool2d", "avg_pool1d",
           "avg_pool2d", "max_pool1d", "max_pool2d", "max_unpool2d"]


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
                raise ArgumentError(f"{op}: {name} must be positive, got {value}")
        if min(self.padding) < 0:
            raise ArgumentError(f"{op}: padding must be non-negative, got {self.padding}")
        if any(p > k // 2 for p, k in zip(self.padding, self.kernel)):
            raise ArgumentError(f"{op}: padding {self.padding} must be at most half the "
                                f"kernel size {self.kernel}")
        self.input_size = shape[-2:]
        self.output_size = tuple(
            output_size(n, k, s, p, d, ceil_mode) for n, k, s, p, d in zip(
                self.input_size, self.kernel, self.stride, self.padding, self.dilation))
        if min(self.output_size) < 1:
            raise ShapeError(
                f"{op}: the kernel {self.kernel} (dilation {self.dilation}) is larger than the "
                f"input of shape {shape} padded by {self.padding}: the output would be "
                f"{self.output_size[0]}x{self.output_size[1]}")
        # Windows that do not overlap: each pixel belongs to at most one.
        self.disjoint = all(s >= extent(k, d) for s, d, k in zip(
            self.stride, self.dilation, self.kernel))
        # The extent the windows cover in the padded frame: more than H + 2P with ceil_mode, less
        # when the last rows belong to no window.
        self.padded_size = tuple((o - 1) * s + extent(k, d) for o, s, d, k in zip(
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
        raise ArgumentError(f"{op}: divisor_override must be a non-zero int, got "
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


# -- 1-d pooling: the 2-d kernels over a height of 1 -----------------------------------------------
def _check_input1d(op: str, input: Tensor) -> None:
    """A 2-d (C, L) or 3-d (N, C, L) input, empty at most in its batch dim."""
    require_tensor(op, input)
    if input.ndim not in (2, 3) or 0 in input.shape[-2:]:
        raise ShapeError(f"{op}: expected a non-empty 2-d (C, L) or 3-d (N, C, L) input (only "
                         f"the batch dim may be 0), got shape {input.shape}")


def _over_height_one(op: str, stride, padding, dilation):
    """A 1-d pooling's stride, padding and dilation as the 2-d ones of a height of 1."""
    if stride is not None and not (isinstance(stride, (tuple, list)) and not stride):
        stride = (1,) + single(op, "stride", stride)
    else:
        stride = None
    return stride, (0,) + single(op, "padding", padding), (1,) + single(op, "dilation",
                                                                           dilation)


def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """The maximum of each (dilated) window: (N, C, L) or (C, L) -> (..., OL).

    As ``max_pool2d`` over a height of 1 (its kernels, so its gradients): padding is -inf, and
    ``return_indices`` also gives each maximum's index along L. Equivalent of
    ``torch.nn.functional.max_pool1d``.

    >>> import shenjing as sj
    >>> from shenjing.ops.pooling import max_pool1d
    >>> max_pool1d(sj.tensor([[1.0, 3.0, 2.0, 5.0, 4.0]]), 2)
    tensor([[3., 5.]])
    """
    op = "max_pool1d"
    _check_input1d(op, input)
    kernel = (1,) + single(op, "kernel_size", kernel_size)
    stride, padding, dilation = _over_height_one(op, stride, padding, dilation)
    # (N, C, L) -> (N, C, 1, L)
    out = _max_pool2d(op, input.unsqueeze(-2), kernel, stride, padding, dilation, ceil_mode,
                      return_indices)
    if return_indices:
        return out[0].squeeze(-2), out[1].squeeze(-2)
    return out.squeeze(-2)


def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """The mean of each window: (N, C, L) or (C, L) -> (..., OL).

    As ``avg_pool2d`` over a height of 1: padding is zeros, counted in the divisor when
    ``count_include_pad``. Equivalent of ``torch.nn.functional.avg_pool1d``.

    >>> import shenjing as sj
    >>> from shenjing.ops.pooling import avg_pool1d
    >>> avg_pool1d(sj.tensor([[1.0, 3.0, 2.0, 6.0]]), 2)
    tensor([[2., 4.]])
    """
    op = "avg_pool1d"
    _check_input1d(op, input)
    kernel = (1,) + single(op, "kernel_size", kernel_size)
    stride, padding, _ = _over_height_one(op, stride, padding, 1)
    return _avg_pool2d(op, input.unsqueeze(-2), kernel, stride, padding, ceil_mode,
                       count_include_pad, None).squeeze(-2)


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """Average over windows chosen so that the output has length ``output_size``.

    Window i covers floor(i*L/OL) to ceil((i+1)*L/OL), as in PyTorch. (N, C, L) or (C, L) ->
    (..., OL). Equivalent of ``torch.nn.functional.adaptive_avg_pool1d``.

    >>> import shenjing as sj
    >>> from shenjing.ops.pooling import adaptive_avg_pool1d
    >>> adaptive_avg_pool1d(sj.tensor([[1.0, 2.0, 3.0, 4.0, 6.0]]), 2)
    tensor([[2.0000, 4.3333]])
    """
    op = "adaptive_avg_pool1d"
    _check_input1d(op, input)
    size = single(op, "output_size", output_size)
    return _adaptive_avg_pool2d(op, input.unsqueeze(-2), (1,) + size).squeeze(-2)


# -- values at flat indices of (H, W) planes: unpooling and adaptive max pooling -------------------
def _planes(array, trailing: int):
    """(..., *trailing dims) -> (P, n): one row a plane (sizes spelled out: P may be 0)."""
    count = area = 1
    for n in array.shape[:array.ndim - trailing]:
        count *= n
    for n in array.shape[array.ndim - trailing:]:
        area *= n
    return array.reshape(count, area)


class MaxUnpool2d(Function):
    """(..., OH, OW) values put at their flat ``indices`` in zero (..., H, W) planes.

    A repeated index keeps one value (the last), as PyTorch's CPU kernel does. The gradient
    gathers gy at the indices (``PlaneGather``), as PyTorch's does.
    """

    def forward(self, x, indices, size):
        xp = self.xp
        self.indices = indices
        values, index = _planes(x, 2), _planes(indices, 2)
        y = xp.zeros((values.shape[0], size[0] * size[1]), dtype=x.dtype)
        y[xp.arange(values.shape[0]).reshape(-1, 1), index] = values
        return y.reshape(x.shape[:-2] + tuple(size))

    def backward(self, gy):
        return PlaneGather.apply(gy, indices=self.indices)


class PlaneGather(Function):
    """(..., H, W) -> (..., OH, OW): each plane's values at the flat ``indices`` (..., OH, OW).

    The gradient of unpooling, and the adjoint of ``PlaneScatterAdd``."""

    def forward(self, x, indices):
        self.indices, self.size = indices, x.shape[-2:]
        index = _planes(indices, 2)
        y = self.xp.take_along_axis(_planes(x, 2), index, axis=1)
        return y.reshape(indices.shape)

    def backward(self, gy):
        return PlaneScatterAdd.apply(gy, indices=self.indices, size=self.size)


class PlaneScatterAdd(Function):
    """(..., OH, OW) values added at their flat ``indices`` into zero (..., H, W) planes;
    repeated indices add up. The gradient of adaptive max pooling, whose windows may share
    their maximum; its own gradient is ``PlaneGather``."""

    def forward(self, gy, indices, size):
        xp = self.xp
        self.indices = indices
        values, index = _planes(gy, 2), _planes(indices, 2)
        planes, area = values.shape[0], size[0] * size[1]
        flat = xp.zeros(planes * area, dtype=gy.dtype)
        scatter_add(flat, (index + xp.arange(planes).reshape(-1, 1) * area).reshape(-1),
                    values.reshape(-1))
        return flat.reshape(gy.shape[:-2] + tuple(size))

    def backward(self, ggx):
        return PlaneGather.apply(ggx, indices=self.indices)


def _check_plane_indices(indices, *, area: int, size: tuple) -> None:
    if indices.size and (int(indices.min()) < 0 or int(indices.max()) >= area):
        bad = indices[(indices < 0) | (indices >= area)].reshape(-1)[0]
        raise RuntimeError(f"max_unpool2d: found an invalid max index {int(bad)} (the output "
                           f"planes are {size[0]}x{size[1]})")


def _unpool_size(op: str, input: Tensor, kernel, stride, padding, output_size) -> tuple:
    """The (H, W) of unpooling: (OH - 1) * stride - 2 * padding + kernel, or ``output_size``
    (its last two numbers) within a stride of that, as in PyTorch."""
    default = tuple((n - 1) * s - 2 * p + k for n, s, p, k in zip(input.shape[-2:], stride,
                                                                    padding, kernel))
    if output_size is None:
        return default
    size = tuple(output_size)
    if len(size) not in (2, 4) or not all(isinstance(n, numbers.Integral) for n in size):
        raise ValueError(f"{op}: output_size must be 2 or 4 ints, got {output_size!r}")
    size = tuple(int(n) for n in size[-2:])
    for d, (n, m, s) in enumerate(zip(size, default, stride)):
        if not m - s <= n <= m + s:
            raise ValueError(f"{op}: invalid output_size {size} (dim {d} must be between "
                             f"{m - s} and {m + s}) for input of shape {input.shape}")
    return size


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """The partial inverse of ``max_pool2d``: each value put back where its maximum was.

    ``indices`` are ``max_pool2d(..., return_indices=True)``'s, flat into each (H, W) plane;
    everything else is zero. (N, C, OH, OW) or (C, OH, OW) -> (..., H, W) with
    H = (OH - 1) * stride - 2 * padding + kernel_size, or ``output_size``.
    Equivalent of ``torch.nn.functional.max_unpool2d``.

    >>> import shenjing as sj
    >>> from shenjing.ops.pooling import max_pool2d, max_unpool2d
    >>> y, index = max_pool2d(sj.tensor([[[1.0, 2.0], [4.0, 3.0]]]), 2, return_indices=True)
    >>> max_unpool2d(y, index, 2)
    tensor([[[0., 0.],
             [4., 0.]]])
    """
    op = "max_unpool2d"
    _check_input(op, input)
    require_tensor(op, indices)
    if indices.dtype != "int64":
        raise RuntimeError(f"{op}: indices must be int64, got {indices.dtype}")
    if indices.shape != input.shape:
        raise RuntimeError(f"{op}: indices of shape {indices.shape} must have the input's "
                           f"shape {input.shape}")
    kernel = pair(op, "kernel_size", kernel_size)
    empty = stride is None or (isinstance(stride, (tuple, list)) and not stride)
    stride = kernel if empty else pair(op, "stride", stride)
    size = _unpool_size(op, input, kernel, stride, pair(op, "padding", padding), output_size)
    if min(size) < 1:
        raise ShapeError(f"{op}: the output would be {size[0]}x{size[1]} for input of shape "
                         f"{input.shape}")
    # Kernels: a compiled step checks and copies every batch's indices too.
    tracing.kernel(_check_plane_indices, indices, area=size[0] * size[1], size=size,
                   name="max_unpool2d: check")
    return MaxUnpool2d.apply(input, indices=tracing.kernel(_copy, indices), size=size)


class AdaptiveMaxPool2d(Function):
    """(..., H, W) -> the maximum of each window, windows of varying size, and its flat index.

    One window at a time (OH * OW of them, each vectorised over the planes). NaN wins, the last
    in its window, and a window of -inf points at its first pixel, as in PyTorch.
    """

    def forward(self, x, rows, cols):
        xp = self.xp
        self.size = x.shape[-2:]
        width = x.shape[-1]
        y = xp.empty(x.shape[:-2] + (len(rows), len(cols)), dtype=x.dtype)
        index = xp.empty(y.shape, dtype=xp.int64)
        for i, r in enumerate(rows):
            for j, c in enumerate(cols):
                span = c.stop - c.start
                window = x[..., r, c].reshape(x.shape[:-2] + ((r.stop - r.start) * span,))
                k = window.argmax(axis=-1)
                if x.dtype.kind == "f":
                    nan = xp.isnan(window)
                    last = window.shape[-1] - 1 - nan[..., ::-1].argmax(axis=-1)
                    k = xp.where(nan.any(axis=-1), last, k)
                y[..., i, j] = xp.take_along_axis(window, k[..., None], axis=-1)[..., 0]
                index[..., i, j] = (r.start + k // span) * width + c.start + k % span
        self.index = index
        return y, index

    def backward(self, gy, *_):
        return PlaneScatterAdd.apply(gy, indices=self.index, size=self.size)


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """The maximum over windows chosen so that the output has ``output_size`` (OH, OW).

    Windows as ``adaptive_avg_pool2d``'s (they may overlap); with ``return_indices`` also each
    maximum's flat index into its (H, W) plane. (N, C, H, W) or (C, H, W) -> (..., OH, OW).
    Equivalent of ``torch.nn.functional.adaptive_max_pool2d``.

    >>> import shenjing as sj
    >>> from shenjing.ops.pooling import adaptive_max_pool2d
    >>> adaptive_max_pool2d(sj.arange(9.0).reshape(1, 3, 3), 2)
    tensor([[[4., 5.],
             [7., 8.]]])
    """
    op = "adaptive_max_pool2d"
    _check_input(op, input)
    oh, ow = _adaptive_sizes(op, input, output_size)
    if oh < 1 or ow < 1:
        raise ShapeError(f"{op}: output_size {output_size!r} must be positive (input of shape "
                         f"{input.shape})")
    height, width = input.shape[-2:]
    y, index = AdaptiveMaxPool2d.apply(input, rows=_windows(height, oh),
                                       cols=_windows(width, ow))
    return (y, index) if return_indices else y
