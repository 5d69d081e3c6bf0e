"""Convolution as im2col plus one batched matrix product, with gradients of every order.

The kernels are 2-D; ``conv1d`` and ``conv_transpose1d`` run them over a height of 1, and a
transposed convolution is the input gradient of the convolution it transposes.

Every kernel window of the (padded) input is a strided view (``backend.windows``); copying the
windows into a matrix per image (im2col) turns the convolution into matrix products whose result
is already in PyTorch's NCHW layout, so no transposing copy is needed on the way in or out:

    weight (G, O/G, C/G*KH*KW) @ columns (N, G, C/G*KH*KW, OH*OW) -> (N, G, O/G, OH*OW)
                                                                  =  (N, O, OH, OW)

The output size is OH = (H + pad_top + pad_bottom - dilation * (KH - 1) - 1) // stride + 1
(``checks.output_size``, which pooling and ``sj.summary`` share).

Three operations close under differentiation, as in PyTorch: ``Conv2d``; the gradient with
respect to its input (``Conv2dInputGrad``, a transposed convolution: col2im of W^T @ gy); and the
gradient with respect to its weight (``Conv2dWeightGrad``: gy @ im2col(x)^T, summed over the
batch). Each one's backward is made of the three, so second derivatives work. The input
gradient has three algorithms (``_INPUT_GRADIENTS``: shifts, the adjoint convolution, col2im),
chosen in one place, ``_input_gradient_algorithm``, which the tests call and override to run
each on its own.

Memory: the forward pass gives its columns back at once where the weight's gradient can be made
by shifts of the input instead (stride 1, 16 channels or more per group, columns over 16 MiB);
columns kept until backward held most of ResNet-20's training memory.
"""

from __future__ import annotations

from shenjing.autograd.function import ArgumentError, Function, ShapeError
from shenjing.autograd.grad_mode import is_grad_enabled
from shenjing.autograd.tensor import Tensor
from shenjing.backend import array_module, expected_float_errors, windows
from shenjing.backend.pool import POOL
from shenjing.ops.checks import (
    computed,
    extent,
    output_size,
    pair,
    require_dtype_of,
    require_tensor,
    single,
)
from shenjing.ops.linalg import MatMul
from shenjing.ops.reduce import Sum
from shenjing.ops.shape import pad

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d"]


class _Geometry:
    """Stride, padding (top, bottom, left, right), dilation and groups of one convolution."""

    def __init__(self, stride, padding, dilation, groups):
        self.stride, self.padding, self.dilation, self.groups = stride, padding, dilation, groups

    def output_size(self, height: int, width: int, kh: int, kw: int) -> tuple[int, int]:
        top, bottom, left, right = self.padding
        return (output_size(height, kh, self.stride[0], (top, bottom), self.dilation[0]),
                output_size(width, kw, self.stride[1], (left, right), self.dilation[1]))


def _pad(xp, x, padding):
    """(N, C, H, W) -> (N, C, H + top + bottom, W + left + right), zeros around.

    A scratch array from ``POOL`` when padding is needed: give it back once done with it.
    """
    top, bottom, left, right = padding
    if top == bottom == left == right == 0:
        return x
    n, c, height, width = x.shape
    out = POOL.take(xp, (n, c, height + top + bottom, width + left + right), x.dtype)
    out[:, :, :top], out[:, :, top + height:] = 0, 0
    out[:, :, top:top + height, :left], out[:, :, top:top + height, left + width:] = 0, 0
    out[:, :, top:top + height, left:left + width] = x
    return out


def _im2col(xp, x, kernel, geometry):
    """(N, C, H, W) -> columns (N, G, C/G*KH*KW, OH*OW), and (OH, OW).

    Rows are ordered (channel, kernel row, kernel column), as a flattened weight (O, C/G, KH, KW);
    each row holds one kernel position's value at every output pixel, in NCHW order. The columns
    are a scratch array from ``POOL``: whoever holds them last gives them back.
    """
    n, c = x.shape[:2]
    g = geometry.groups
    padded = _pad(xp, x, geometry.padding)
    view = windows(padded, kernel, geometry.stride, geometry.dilation)
    oh, ow = view.shape[2:4]
    # (N, C, OH, OW, KH, KW) -> (N, C, KH, KW, OH, OW): one copy, the im2col
    view = view.transpose(0, 1, 4, 5, 2, 3)
    columns = POOL.take(xp, view.shape, x.dtype)
    columns[...] = view
    if padded is not x:
        POOL.give(padded)
    return columns.reshape(n, g, c // g * kernel[0] * kernel[1], oh * ow), (oh, ow)


def _col2im(xp, columns, input_shape, kernel, geometry):
    """The adjoint of im2col: add every column entry back to the input pixel it came from.

    columns (N, G, C/G*KH*KW, OH*OW) -> (N, C, H, W). A loop over the KH*KW kernel positions,
    each adding one strided slice of the padded input: not a loop over pixels.
    """
    n, c, height, width = input_shape
    kh, kw = kernel
    top, bottom, left, right = geometry.padding
    (sh, sw), (dh, dw) = geometry.stride, geometry.dilation
    oh, ow = geometry.output_size(height, width, kh, kw)
    blocks = columns.reshape(n, c, kh, kw, oh, ow)
    padded = xp.zeros((n, c, height + top + bottom, width + left + right), dtype=columns.dtype)
    for i in range(kh):
        for j in range(kw):
            padded[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                   j * dw:j * dw + sw * (ow - 1) + 1:sw] += blocks[:, :, i, j]
    if top == bottom == left == right == 0:
        return padded
    return xp.ascontiguousarray(padded[:, :, top:top + height, left:left + width])


# Images per chunk in ``_input_gradient_by_shifts``: columns of about this many bytes stay in cache
# while their blocks are added back.
_CHUNK_BYTES = 2**20


def _input_gradient_by_shifts(xp, gy, weight, input_shape, geometry):
    """The input gradient of a stride-1 convolution: the columns W^T @ gy added back by shifts.

    Each output row is widened to the padded input's width Wp, with zeros beyond OW. A kernel
    position (i, j) then reads the flattened padded input at one contiguous run of OH * Wp
    numbers from offset i*dh*Wp + j*dw, so col2im is KH*KW long additions instead of KH*KW*OH
    rows of OW; where a run wraps into the next row it adds the widened zeros' columns, which
    are zero (set to zero when a weight is infinite, which would make them NaN). Images go in
    chunks whose columns stay in cache while they are added.
    """
    n, c, height, width = input_shape
    kh, kw = weight.shape[2:]
    top, bottom, left, right = geometry.padding
    (dh, dw), groups = geometry.dilation, geometry.groups
    hp, wp = height + top + bottom, width + left + right
    o, (oh, ow) = gy.shape[1], gy.shape[2:]
    wide = POOL.take(xp, (n, o, oh, wp), gy.dtype)
    wide[..., ow:] = 0
    wide[..., :ow] = gy
    rows = wide.reshape(n, groups, o // groups, oh * wp)
    matrix = _weight_matrix(weight, groups).transpose(0, 2, 1)  # (G, C/G*KH*KW, O/G)
    padded = xp.zeros((n, c, hp * wp + (kw - 1) * dw), dtype=gy.dtype)
    chunk = max(1, _CHUNK_BYTES // (c * kh * kw * oh * wp * gy.itemsize))
    finite = bool(xp.isfinite(weight).all())
    for start in range(0, n, chunk):
        columns = xp.matmul(matrix, rows[start:start + chunk])  # (b, G, C/G*KH*KW, OH*Wp)
        if not finite:  # inf * 0 in the widened columns: NaN that the wrap would add
            columns.reshape(columns.shape[:-1] + (oh, wp))[..., ow:] = 0
        blocks = columns.reshape(-1, c, kh, kw, oh * wp)
        target = padded[start:start + chunk]
        for i in range(kh):
            for j in range(kw):
                offset = i * dh * wp + j * dw
                target[:, :, offset:offset + oh * wp] += blocks[:, :, i, j]
    POOL.give(wide)
    frame = padded[:, :, :hp * wp].reshape(n, c, hp, wp)
    return xp.ascontiguousarray(frame[:, :, top:top + height, left:left + width])


# When a stride-1 convolution's weight gradient is made by shifts rather than from im2col's
# columns kept from the forward pass. The columns hold KH*KW times the input: 75 MB for each of
# ResNet-20's first convolutions at batch 128, most of its training memory. Smaller columns are
# kept: they cost little, come back from ``POOL`` step after step, and their one product per
# image uses every BLAS thread where the shifts' narrow ones use one (MNIST's CNN was 7 %
# slower). With fewer channels per group the shifts' products are too narrow for BLAS.
_KEPT_COLUMNS_BYTES = 16 * 2**20
_SHIFTS_MIN_CHANNELS = 16


def _weight_gradient_by_shifts_fits(geometry, x_shape, weight_shape, output_size,
                                    itemsize: int) -> bool:
    n, c = x_shape[:2]
    kh, kw = weight_shape[2:]
    columns = n * c * kh * kw * output_size[0] * output_size[1] * itemsize
    return (geometry.stride == (1, 1) and c // geometry.groups >= _SHIFTS_MIN_CHANNELS
            and columns > _KEPT_COLUMNS_BYTES)


def _weight_gradient_by_shifts(xp, x, gy, weight_shape, geometry):
    """The weight gradient of a stride-1 convolution without im2col's columns.

    The padded input is laid out pixel by pixel, (N, G, Hp*Wp, C/G), and gy's rows are widened
    to its width Wp, with zeros beyond OW. Kernel position (i, j) then meets the (OH-1)*Wp + OW
    consecutive pixels from i*dh*Wp + j*dw, a plain matrix, so its gradient is one batched
    product: gy_wide (N, G, O/G, L) @ pixels (N, G, L, C/G), summed over the batch. Where a run
    wraps into the next row it meets the widened zeros; an input that is infinite or NaN there
    makes NaN that the gradient does not hold, so the caller checks the result. Holds about
    the input's and gy's size, not KH*KW times the input; on one BLAS thread about as fast as
    the columns, but its products are too narrow for BLAS to share among threads.
    """
    n, c, height, width = x.shape
    o, c_per_group, kh, kw = weight_shape
    top, bottom, left, right = geometry.padding
    (dh, dw), groups = geometry.dilation, geometry.groups
    hp, wp = height + top + bottom, width + left + right
    oh, ow = gy.shape[2:]
    pixels = POOL.take(xp, (n, groups, hp * wp, c_per_group), x.dtype)
    frame = pixels.reshape(n, groups, hp, wp, c_per_group)
    frame[:, :, :top], frame[:, :, top + height:] = 0, 0
    frame[:, :, top:top + height, :left], frame[:, :, top:top + height, left + width:] = 0, 0
    # (N, C, H, W) -> (N, G, H, W, C/G), inside the zero frame
    frame[:, :, top:top + height, left:left + width] = x.reshape(
        n, groups, c_per_group, height, width).transpose(0, 1, 3, 4, 2)
    wide = POOL.take(xp, (n, o, oh, wp), gy.dtype)
    wide[..., ow:] = 0
    wide[..., :ow] = gy
    length = (oh - 1) * wp + ow  # the last row needs no widening: runs end inside the image
    rows = wide.reshape(n, groups, o // groups, oh * wp)[..., :length]
    gw = xp.empty((kh, kw, groups, o // groups, c_per_group), dtype=gy.dtype)
    with expected_float_errors(xp):  # inf * 0 against the zero frame: NaN the caller checks
        for i in range(kh):
            for j in range(kw):
                offset = i * dh * wp + j * dw
                gw[i, j] = xp.matmul(rows, pixels[:, :, offset:offset + length]).sum(axis=0)
    POOL.give(wide, pixels)
    # (KH, KW, G, O/G, C/G) -> (O, C/G, KH, KW)
    return xp.ascontiguousarray(gw.reshape(kh, kw, o, c_per_group).transpose(2, 3, 0, 1))


def _weight_matrix(weight, groups):
    """(O, C/G, KH, KW) -> (G, O/G, C/G*KH*KW): a view, columns in the order of im2col's rows."""
    o, cg, kh, kw = weight.shape
    return weight.reshape(groups, o // groups, cg * kh * kw)


def _by_group(y, groups):
    """(N, O, OH, OW) -> (N, G, O/G, OH*OW): a view of contiguous NCHW memory."""
    n, o, oh, ow = y.shape
    return y.reshape(n, groups, o // groups, oh * ow)


def _convolve(xp, x, weight, geometry, keep_columns=False):
    """The forward convolution on arrays: im2col, then one batched matrix product, in NCHW.

    Returns the output and, with ``keep_columns``, the columns (which the weight's gradient
    needs again; the caller gives them back to ``POOL``).
    """
    columns, (oh, ow) = _im2col(xp, x, weight.shape[2:], geometry)
    y = xp.matmul(_weight_matrix(weight, geometry.groups), columns)  # (N, G, O/G, OH*OW)
    y = y.reshape(x.shape[0], weight.shape[0], oh, ow)
    if keep_columns:
        return y, columns
    _give_back(columns)
    return y, None


def _give_back(columns) -> None:
    """Return im2col's columns (a reshaped view of a ``POOL`` array) to the pool."""
    POOL.give(columns.base if columns.base is not None else columns)


def _transposed_weight(xp, weight, groups):
    """(O, C/G, KH, KW) -> (C, O/G, KH, KW), flipped in space: the kernel of the adjoint."""
    o, cg, kh, kw = weight.shape
    flipped = weight.reshape(groups, o // groups, cg, kh, kw)[..., ::-1, ::-1]
    return xp.ascontiguousarray(flipped.transpose(0, 2, 1, 3, 4)).reshape(groups * cg,
                                                                         o // groups, kh, kw)


class Conv2d(Function):
    def forward(self, x, weight, bias, geometry, keep_columns=False):
        self.geometry = geometry
        self.save_for_backward(x, weight)
        # The weight's gradient needs the columns again: keep them only if it will be computed.
        y, self.columns = _convolve(self.xp, x, weight, geometry, keep_columns)
        if bias is not None:
            y += bias.reshape(1, -1, 1, 1)
        return y

    def release(self) -> None:
        super().release()
        if self.columns is not None:
            _give_back(self.columns)
            self.columns = None

    def backward(self, gy):
        x, weight = self.saved_tensors
        gx = gw = gb = None
        if self.needs_input_grad[0]:
            gx = Conv2dInputGrad.apply(gy, weight, input_shape=x.shape, geometry=self.geometry)
        if self.needs_input_grad[1]:
            gw = Conv2dWeightGrad.apply(x, gy, weight_shape=weight.shape,
                                        geometry=self.geometry, columns=self.columns)
        if self.needs_input_grad[2]:
            gb = _channel_sums(gy)
        return gx, gw, gb


def _ones_column(like, *, rows):
    return array_module(like).ones((rows, 1), dtype=like.dtype)


def _channel_sums(gy: Tensor) -> Tensor:
    """(N, O, OH, OW) -> (O,): the bias gradient, summed over the pixels of each image as a
    product with ones (BLAS is about three times faster here than NumPy's sum over the axes
    (0, 2, 3)), then over the images. Differentiable, made of recorded operations."""
    n, o, oh, ow = gy.shape
    ones = computed(_ones_column, gy, rows=oh * ow)
    per_image = MatMul.apply(gy.reshape(n * o, oh * ow), ones)  # (N*O, 1)
    return Sum.apply(per_image.reshape(n, o), dims=(0,), keepdim=False)


def _full_padding(weight_shape, geometry) -> tuple[int, int, int, int]:
    """The padding of gy that makes the stride-1 adjoint a convolution: each side's reach of the
    kernel, less the forward padding there (negative where the padding is beyond its reach)."""
    (dh, dw), (top, bottom, left, right) = geometry.dilation, geometry.padding
    reach_h, reach_w = extent(weight_shape[2], dh) - 1, extent(weight_shape[3], dw) - 1
    return reach_h - top, reach_h - bottom, reach_w - left, reach_w - right


def _input_gradient_by_adjoint(xp, gy, weight, input_shape, geometry):
    """The input gradient of a stride-1 convolution as a convolution itself: of gy, padded to
    "full", with the flipped, transposed kernel. One matrix product, no scatter. Needs a finite
    weight: times the zeros of that padding an infinite one puts NaN on pixels its kernel
    position never meets."""
    adjoint = _Geometry((1, 1), _full_padding(weight.shape, geometry), geometry.dilation,
                        geometry.groups)
    flipped = _transposed_weight(xp, weight, geometry.groups)
    return _convolve(xp, gy, flipped, adjoint)[0]


def _input_gradient_by_col2im(xp, gy, weight, input_shape, geometry):
    """The input gradient of any convolution: the columns W^T @ gy added back by col2im."""
    # (G, C/G*KH*KW, O/G) @ (N, G, O/G, OH*OW) -> columns (N, G, C/G*KH*KW, OH*OW)
    matrix = _weight_matrix(weight, geometry.groups).transpose(0, 2, 1)
    columns = xp.matmul(matrix, _by_group(gy, geometry.groups))
    return _col2im(xp, columns, input_shape, weight.shape[2:], geometry)


# The three ways to a convolution's input gradient, by the names ``_input_gradient_algorithm``
# gives them.
_INPUT_GRADIENTS = {
    "shifts": _input_gradient_by_shifts,
    "adjoint": _input_gradient_by_adjoint,
    "col2im": _input_gradient_by_col2im,
}


def _input_gradient_algorithms(weight_shape, geometry, finite: bool = True) -> tuple[str, ...]:
    """The algorithms of ``_INPUT_GRADIENTS`` that give a right answer for this convolution.

    col2im always does; the other two need stride 1 and padding within the kernel's reach (gy
    padded to "full" with a non-negative width); the adjoint also a finite weight.
    """
    if geometry.stride != (1, 1) or min(_full_padding(weight_shape, geometry)) < 0:
        return ("col2im",)
    return ("shifts", "adjoint", "col2im") if finite else ("shifts", "col2im")


def _input_gradient_algorithm(weight_shape, geometry, finite: bool = True) -> str:
    """The one place that chooses how a convolution's input gradient is made.

    Returns a key of ``_INPUT_GRADIENTS``, the fastest of ``_input_gradient_algorithms``:

    - "shifts" when channels grow (the usual case): W^T @ gy added back by shifts is cheaper
      than the adjoint convolution, whose im2col copies KH*KW times as many numbers as gy
      holds. Not for depthwise layers (one output channel per group): a product over one
      channel is slow in NumPy.
    - "adjoint" otherwise, where the weight is finite (``finite``).
    - "col2im" for strided convolutions, padding beyond the kernel's reach, and infinite or
      NaN weights: the only one of the three that each of those leaves right.

    >>> from shenjing.ops.conv import _Geometry, _input_gradient_algorithm
    >>> same = _Geometry((1, 1), (1, 1, 1, 1), (1, 1), 1)
    >>> _input_gradient_algorithm((16, 8, 3, 3), same)  # 8 channels in, 16 out
    'shifts'
    >>> _input_gradient_algorithm((4, 8, 3, 3), same)
    'adjoint'
    >>> _input_gradient_algorithm((16, 8, 3, 3), _Geometry((2, 2), (1, 1, 1, 1), (1, 1), 1))
    'col2im'
    """
    usable = _input_gradient_algorithms(weight_shape, geometry, finite)
    per_group_in, per_group_out = weight_shape[1], weight_shape[0] // geometry.groups
    if "shifts" in usable and 1 < per_group_out and per_group_in <= per_group_out:
        return "shifts"
    return "adjoint" if "adjoint" in usable else "col2im"


class Conv2dInputGrad(Function):
    """The gradient of a convolution with respect to its input: a transposed convolution."""

    def forward(self, gy, weight, input_shape, geometry):
        self.input_shape, self.geometry = input_shape, geometry
        self.save_for_backward(gy, weight)
        xp = self.xp
        algorithm = _input_gradient_algorithm(weight.shape, geometry)
        if algorithm == "adjoint" and not bool(xp.isfinite(weight).all()):
            algorithm = _input_gradient_algorithm(weight.shape, geometry, finite=False)
        return _INPUT_GRADIENTS[algorithm](xp, gy, weight, input_shape, geometry)

    def backward(self, ggx):
        gy, weight = self.saved_tensors
        # gx is linear in gy and in the weight: its adjoints are a convolution and a weight grad.
        g_gy = g_weight = None
        if self.needs_input_grad[0]:
            g_gy = Conv2d.apply(ggx, weight, None, geometry=self.geometry)
        if self.needs_input_grad[1]:
            g_weight = Conv2dWeightGrad.apply(ggx, gy, weight_shape=weight.shape,
                                              geometry=self.geometry)
        return g_gy, g_weight


def _weight_gradient_by_windows(xp, x, gy, weight_shape, geometry):
    """The weight gradient of any convolution, each kernel position meeting only the pixels it
    really meets: for kernel position (i, j), gy's outputs whose pixel at (i, j) is inside
    the input, times those pixels, one batched product per position.

    Slower than the columns (KH*KW narrow products), and only used when they give a result
    that is not finite: an infinite gy times a zero of the padding is NaN in the columns'
    product, but no pixel there exists to multiply.
    """
    n, c, height, width = x.shape
    o, c_per_group, kh, kw = weight_shape
    top, _, left, _ = geometry.padding
    (sh, sw), (dh, dw), groups = geometry.stride, geometry.dilation, geometry.groups
    oh, ow = gy.shape[2:]
    by_group = gy.reshape(n, groups, o // groups, oh, ow)
    pixels = x.reshape(n, groups, c_per_group, height, width)
    gw = xp.zeros((groups, o // groups, c_per_group, kh, kw), dtype=gy.dtype)

    def inside(offset, stride, size, out):
        """The outputs r whose pixel r * stride + offset is in [0, size), as a range."""
        first = max(0, -(offset // stride))  # ceil(-offset / stride)
        last = min(out - 1, (size - 1 - offset) // stride)
        return first, last

    for i in range(kh):
        r0, r1 = inside(i * dh - top, sh, height, oh)
        for j in range(kw):
            c0, c1 = inside(j * dw - left, sw, width, ow)
            if r1 < r0 or c1 < c0:
                continue  # this kernel position meets padding only
            g = by_group[..., r0:r1 + 1, c0:c1 + 1]  # (N, G, O/G, R, C')
            row, col = r0 * sh + i * dh - top, c0 * sw + j * dw - left
            met = pixels[..., row:row + (r1 - r0) * sh + 1:sh, col:col + (c1 - c0) * sw + 1:sw]
            # (N, G, O/G, R, C') -> (G, O/G, N*R*C') @ (G, N*R*C', C/G) -> (G, O/G, C/G)
            g = g.transpose(1, 2, 0, 3, 4).reshape(groups, o // groups, -1)
            met = met.transpose(1, 0, 3, 4, 2).reshape(groups, -1, c_per_group)
            gw[..., i, j] = xp.matmul(g, met)
    return gw.reshape(weight_shape)


class Conv2dWeightGrad(Function):
    """The gradient of a convolution with respect to its weight: gy^T @ im2col(x), or the same
    by shifts for stride 1 and many channels; by windows where those are not finite."""

    def forward(self, x, gy, weight_shape, geometry, columns=None):
        self.weight_shape, self.geometry = weight_shape, geometry
        self.save_for_backward(x, gy)
        xp = self.xp
        if columns is None and _weight_gradient_by_shifts_fits(geometry, x.shape, weight_shape,
                                                               gy.shape[2:], x.itemsize):
            gw = _weight_gradient_by_shifts(xp, x, gy, weight_shape, geometry)
            if bool(xp.isfinite(gw).all()):
                return gw
            # Not finite: maybe NaN from an infinite pixel times a widened zero, which the
            # windows never multiply.
            return _weight_gradient_by_windows(xp, x, gy, weight_shape, geometry)
        own = columns is None  # not handed over by the forward convolution: make them
        if own:
            columns, _ = _im2col(xp, x, weight_shape[2:], geometry)
        # (N, G, O/G, OH*OW) @ (N, G, OH*OW, C/G*KH*KW), summed over the batch
        per_image = xp.matmul(_by_group(gy, geometry.groups), columns.transpose(0, 1, 3, 2))
        if own:
            _give_back(columns)
        gw = per_image.sum(axis=0).reshape(weight_shape)
        if any(geometry.padding) and not bool(xp.isfinite(gw).all()):
            # maybe NaN from an infinite gy times a zero of the padding
            return _weight_gradient_by_windows(xp, x, gy, weight_shape, geometry)
        return gw

    def backward(self, ggw):
        x, gy = self.saved_tensors
        g_x = g_gy = None
        if self.needs_input_grad[0]:
            g_x = Conv2dInputGrad.apply(gy, ggw, input_shape=x.shape, geometry=self.geometry)
        if self.needs_input_grad[1]:
            g_gy = Conv2d.apply(x, ggw, None, geometry=self.geometry)
        return g_x, g_gy


def _check_conv(op: str, input: Tensor, weight: Tensor, bias: Tensor | None, groups,
                dims: int, transposed: bool = False) -> None:
    """The shapes and dtypes of a convolution with ``dims`` spatial dims, checked on the
    arguments as given: (N, C, *size) or (C, *size) input, weight (O, C/groups, *kernel), or
    (C, O/groups, *kernel) when ``transposed``. Errors name ``op`` and the shapes."""
    require_tensor(op, input)
    require_tensor(op, weight)
    names = ("L",) if dims == 1 else ("H", "W")
    kernel = ("K",) if dims == 1 else ("KH", "KW")
    if input.ndim not in (dims + 1, dims + 2) or weight.ndim != dims + 2:
        layout = "C, O/groups" if transposed else "O, C/groups"
        raise ShapeError(f"{op}: expected input (N, C, {', '.join(names)}) or "
                         f"(C, {', '.join(names)}) and weight ({layout}, {', '.join(kernel)}), "
                         f"got shapes {input.shape} and {weight.shape}")
    c = input.shape[-dims - 1]
    if transposed:
        in_channels, out_channels = weight.shape[0], weight.shape[1] * groups
    else:
        in_channels, out_channels = weight.shape[1] * groups, weight.shape[0]
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1 or c % groups or (
            weight.shape[0] % groups):
        what = (f"{c} input channels and weight of shape {weight.shape}" if transposed
                else f"{c} input and {weight.shape[0]} output channels")
        raise ShapeError(f"{op}: {what} must both be divisible by groups={groups}")
    if c != in_channels:
        raise ShapeError(f"{op}: input of shape {input.shape} has {c} channels, but weight of "
                         f"shape {weight.shape} expects {in_channels} (groups={groups})")
    if bias is not None and bias.shape != (out_channels,):
        raise ShapeError(f"{op}: bias of shape {bias.shape} does not fit {out_channels} output "
                         f"channels")
    require_dtype_of(op, "input", input, weight)
    require_dtype_of(op, "bias", bias, weight)


def _conv2d(op: str, input: Tensor, weight: Tensor, bias, stride, padding, dilation,
            groups: int, shapes: str) -> Tensor:
    """The checked convolution of (N, C, H, W) with (O, C/groups, KH, KW); ``shapes`` describes
    the arguments as the user gave them, for errors."""
    n, c, height, width = input.shape
    kh, kw = weight.shape[2:]
    if min(stride) < 1 or min(dilation) < 1:
        raise ArgumentError(f"{op}: stride and dilation must be positive, got {shapes}")
    if padding == "same":
        if stride != (1, 1):
            raise ArgumentError(f"{op}: padding='same' needs stride 1, got {shapes}")
        total_h, total_w = extent(kh, dilation[0]) - 1, extent(kw, dilation[1]) - 1
        # an odd total is padded more on the bottom and right, as PyTorch does
        pads = (total_h // 2, total_h - total_h // 2, total_w // 2, total_w - total_w // 2)
    else:
        ph, pw = padding
        if ph < 0 or pw < 0:
            raise ArgumentError(f"{op}: padding must be non-negative, got {shapes}")
        pads = (ph, ph, pw, pw)
    geometry = _Geometry(stride, pads, dilation, groups)
    oh, ow = geometry.output_size(height, width, kh, kw)
    if oh < 1 or ow < 1:
        kernel, padded = f"{kh}x{kw}", f"{height + pads[0] + pads[1]}x{width + pads[2] + pads[3]}"
        if op.endswith("1d"):
            kernel, padded = str(kw), str(width + pads[2] + pads[3])
        raise ShapeError(f"{op}: kernel {kernel} (dilated) is larger than the padded input "
                         f"{padded} ({shapes})")
    # The weight's gradient needs im2col's columns again, unless it is made by shifts.
    keep_columns = weight.requires_grad and is_grad_enabled() and not (
        _weight_gradient_by_shifts_fits(geometry, input.shape, weight.shape, (oh, ow),
                                        input._data.itemsize))
    return Conv2d.apply(input, weight, bias, geometry=geometry, keep_columns=keep_columns)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """2-D convolution (cross-correlation) of (N, C, H, W) with weight (O, C/groups, KH, KW).

    ``padding`` is an int, a pair, ``'valid'`` (0) or ``'same'`` (output as large as the input;
    stride 1 only; an odd total is padded more on the bottom and right, as PyTorch does).
    Returns (N, O, OH, OW). Equivalent of ``torch.nn.functional.conv2d``.

    >>> import shenjing as sj
    >>> x = sj.ones(1, 1, 4, 4)
    >>> sj.nn.functional.conv2d(x, sj.ones(1, 1, 3, 3), padding=1)[0, 0]
    tensor([[4., 6., 6., 4.],
            [6., 9., 9., 6.],
            [6., 9., 9., 6.],
            [4., 6., 6., 4.]])
    """
    _check_conv("conv2d", input, weight, bias, groups, dims=2)
    stride, dilation = pair("conv2d", "stride", stride), pair("conv2d", "dilation", dilation)
    padding = 0 if padding == "valid" else padding
    if padding != "same":
        padding = pair("conv2d", "padding", padding)
    shapes = (f"input {tuple(input.shape)}, weight {tuple(weight.shape)}, stride {stride}, "
              f"padding {padding!r}, dilation {dilation}")
    unbatched = input.ndim == 3
    x = input.unsqueeze(0) if unbatched else input
    y = _conv2d("conv2d", x, weight, bias, stride, padding, dilation, groups, shapes)
    return y.squeeze(0) if unbatched else y


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """1-D convolution (cross-correlation) of (N, C, L) with weight (O, C/groups, K).

    ``padding`` is an int, ``'valid'`` (0) or ``'same'`` (stride 1 only; an odd total is padded
    more on the right). Returns (N, O, OL). Made by the 2-D kernels on a height of 1, so the
    gradients are theirs. Equivalent of ``torch.nn.functional.conv1d``.

    >>> import shenjing as sj
    >>> sj.nn.functional.conv1d(sj.ones(1, 1, 5), sj.ones(1, 1, 3), padding="same")
    tensor([[[2., 3., 3., 3., 2.]]])
    """
    _check_conv("conv1d", input, weight, bias, groups, dims=1)
    stride, dilation = single("conv1d", "stride", stride), single("conv1d", "dilation", dilation)
    padding = 0 if padding == "valid" else padding
    if padding != "same":
        padding = single("conv1d", "padding", padding)
    shapes = (f"input {tuple(input.shape)}, weight {tuple(weight.shape)}, stride {stride}, "
              f"padding {padding!r}, dilation {dilation}")
    # (N, C, L) -> (N, C, 1, L): a height of 1 that a kernel height of 1 keeps
    x = input.unsqueeze(-2) if input.ndim == 3 else input.unsqueeze(0).unsqueeze(-2)
    y = _conv2d("conv1d", x, weight.unsqueeze(-2), bias, (1,) + stride,
                padding if padding == "same" else (0,) + padding, (1,) + dilation, groups,
                shapes)
    y = y.squeeze(-2)
    return y if input.ndim == 3 else y.squeeze(0)


def _transposed_output(op: str, size: tuple, kernel: tuple, stride, padding, output_padding,
                       dilation, shapes: str) -> tuple[int, ...]:
    """Each dim of a transposed convolution's output: (size - 1) * stride - 2 * padding +
    dilation * (kernel - 1) + output_padding + 1, as in PyTorch."""
    if min(stride) < 1 or min(dilation) < 1 or min(padding) < 0 or min(output_padding) < 0:
        raise ArgumentError(f"{op}: stride and dilation must be positive, padding and "
                            f"output_padding non-negative, got {shapes}")
    if any(op_ >= max(s, d) for op_, s, d in zip(output_padding, stride, dilation)):
        raise RuntimeError(f"{op}: output padding must be smaller than either stride or "
                           f"dilation, got {shapes}")
    out = tuple((n - 1) * s - 2 * p + extent(k, d) + op_ for n, k, s, p, op_, d in zip(
        size, kernel, stride, padding, output_padding, dilation))
    if min(out) < 1:
        raise ShapeError(f"{op}: the output would be of size {out}, which is too small: {shapes}")
    return out


def _conv_transpose2d(op: str, input: Tensor, weight: Tensor, bias, stride, padding,
                      output_padding, groups: int, dilation, shapes: str) -> Tensor:
    """The checked transposed convolution of (N, C, H, W) with (C, O/groups, KH, KW).

    It is the input gradient of the convolution it transposes (``Conv2dInputGrad``, which picks
    its algorithm as for a convolution's backward): that convolution maps an image of the
    output's size to one of the input's. ``output_padding`` rows and columns at the bottom and
    right become its bottom and right padding taken back; the few beyond the padding (where
    output_padding > padding) see no window and are zeros added after.
    """
    n, c, height, width = input.shape
    kernel = weight.shape[2:]
    out = _transposed_output(op, (height, width), kernel, stride, padding, output_padding,
                             dilation, shapes)
    beyond = tuple(max(e - p, 0) for e, p in zip(output_padding, padding))
    pads = (padding[0], padding[0] - output_padding[0] + beyond[0],
            padding[1], padding[1] - output_padding[1] + beyond[1])
    inner = (n, weight.shape[1] * groups, out[0] - beyond[0], out[1] - beyond[1])
    if min(inner[2:]) < 1:
        raise ShapeError(f"{op}: no window reaches the output, which would be all zeros: "
                         f"{shapes}")
    geometry = _Geometry(stride, pads, dilation, groups)
    y = Conv2dInputGrad.apply(input, weight, input_shape=inner, geometry=geometry)
    if any(beyond):
        y = pad(y, (0, beyond[1], 0, beyond[0]))
    if bias is not None:
        y = y + bias.reshape(1, -1, 1, 1)
    return y


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """2-D transposed convolution of (N, C, H, W) with weight (C, O/groups, KH, KW).

    The adjoint of ``conv2d`` with the same weight and arguments (the gradient of a convolution
    with respect to its input), plus bias: (N, C, H, W) -> (N, O, OH, OW) with
    OH = (H - 1) * stride - 2 * padding + dilation * (KH - 1) + output_padding + 1.
    Equivalent of ``torch.nn.functional.conv_transpose2d``.

    >>> import shenjing as sj
    >>> sj.nn.functional.conv_transpose2d(sj.ones(1, 1, 2, 2), sj.ones(1, 1, 2, 2), stride=2)
    tensor([[[[1., 1., 1., 1.],
              [1., 1., 1., 1.],
              [1., 1., 1., 1.],
              [1., 1., 1., 1.]]]])
    """
    op = "conv_transpose2d"
    _check_conv(op, input, weight, bias, groups, dims=2, transposed=True)
    stride, padding = pair(op, "stride", stride), pair(op, "padding", padding)
    output_padding, dilation = pair(op, "output_padding", output_padding), pair(op, "dilation",
                                                                                dilation)
    shapes = (f"input {tuple(input.shape)}, weight {tuple(weight.shape)}, stride {stride}, "
              f"padding {padding}, output_padding {output_padding}, dilation {dilation}")
    unbatched = input.ndim == 3
    x = input.unsqueeze(0) if unbatched else input
    y = _conv_transpose2d(op, x, weight, bias, stride, padding, output_padding, groups,
                          dilation, shapes)
    return y.squeeze(0) if unbatched else y


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """1-D transposed convolution of (N, C, L) with weight (C, O/groups, K): the adjoint of
    ``conv1d``, plus bias. (N, C, L) -> (N, O, OL) with
    OL = (L - 1) * stride - 2 * padding + dilation * (K - 1) + output_padding + 1.
    Equivalent of ``torch.nn.functional.conv_transpose1d``.

    >>> import shenjing as sj
    >>> sj.nn.functional.conv_transpose1d(sj.ones(1, 1, 3), sj.ones(1, 1, 2))
    tensor([[[1., 2., 2., 1.]]])
    """
    op = "conv_transpose1d"
    _check_conv(op, input, weight, bias, groups, dims=1, transposed=True)
    stride, padding = single(op, "stride", stride), single(op, "padding", padding)
    output_padding = single(op, "output_padding", output_padding)
    dilation = single(op, "dilation", dilation)
    shapes = (f"input {tuple(input.shape)}, weight {tuple(weight.shape)}, stride {stride}, "
              f"padding {padding}, output_padding {output_padding}, dilation {dilation}")
    # (N, C, L) -> (N, C, 1, L)
    x = input.unsqueeze(-2) if input.ndim == 3 else input.unsqueeze(0).unsqueeze(-2)
    y = _conv_transpose2d(op, x, weight.unsqueeze(-2), bias, (1,) + stride, (0,) + padding,
                          (0,) + output_padding, groups, (1,) + dilation, shapes).squeeze(-2)
    return y if input.ndim == 3 else y.squeeze(0)
