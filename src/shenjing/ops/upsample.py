"""Resizing: interpolation (nearest, linear, bilinear, trilinear) and pixel shuffle.

Interpolation is separable: each spatial dim is resampled in turn by ``Resample``, which
gathers one or two input positions per output position and weighs them. Its gradient is the
transposed map (``ResampleTranspose``, a scatter-add), whose own gradient is ``Resample`` again:
both are linear in their input, so gradients of every order come from the pair.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from shenjing.autograd import tracing
from shenjing.autograd.function import Function
from shenjing.autograd.tensor import Tensor
from shenjing.backend import array_module, scatter_add
from shenjing.backend.dtype import float32
from shenjing.ops.checks import require_tensor

__all__ = ["interpolate", "pixel_shuffle", "pixel_unshuffle"]


def _weights(w, ndim: int, dim: int, dtype):
    """(K,) weights shaped to scale the positions of ``dim`` of an ``ndim``-dim array."""
    return w.astype(dtype, copy=False).reshape((-1,) + (1,) * (ndim - 1 - dim))


def _add_sorted(xp, gx, dim: int, index, values) -> None:
    """``gx[.., index[j], ..] += values[.., j, ..]`` along ``dim`` for a sorted ``index``.

    Each run of equal positions is summed at once (``add.reduceat``) and added to its distinct
    position: a scatter-add without sorting or copying the values. An array library without
    ``reduceat`` takes the backend's scatter-add.
    """
    if not hasattr(xp.add, "reduceat"):
        scatter_add(xp.moveaxis(gx, dim, 0), (index,), xp.moveaxis(values, dim, 0))
        return
    starts = xp.flatnonzero(xp.concatenate((xp.ones(1, dtype=bool), index[1:] != index[:-1])))
    sums = xp.add.reduceat(values, starts, axis=dim)
    first, last = int(index[0]), int(index[-1])
    if starts.size == last - first + 1:  # a run of positions without gaps: a slice
        gx[(slice(None),) * dim + (slice(first, last + 1),)] += sums
    else:
        gx[(slice(None),) * dim + (index[starts],)] += sums


class Resample(Function):
    """``y[.., j, ..] = w0[j] * x[.., i0[j], ..] + w1[j] * x[.., i1[j], ..]`` along ``dim``;
    ``y[.., j, ..] = x[.., i0[j], ..]`` when ``w0`` is None (nearest). The positions are
    sorted, as every interpolation's are."""

    def forward(self, x, dim, i0, i1, w0, w1):
        xp = self.xp
        self.params = dict(dim=dim, i0=i0, i1=i1, w0=w0, w1=w1, size=x.shape[dim])
        y = xp.take(x, i0, axis=dim)
        if w0 is not None:
            y *= _weights(w0, x.ndim, dim, x.dtype)
            y += xp.take(x, i1, axis=dim) * _weights(w1, x.ndim, dim, x.dtype)
        return y

    def backward(self, gy):
        return ResampleTranspose.apply(gy, **self.params)


class ResampleTranspose(Function):
    """The transpose of ``Resample``: each output gradient position adds, weighed, into the
    input positions it was made from (repeated positions add up)."""

    def forward(self, gy, dim, i0, i1, w0, w1, size):
        xp = self.xp
        self.params = dict(dim=dim, i0=i0, i1=i1, w0=w0, w1=w1)
        gx = xp.zeros(gy.shape[:dim] + (size,) + gy.shape[dim + 1:], dtype=gy.dtype)
        if w0 is None:
            _add_sorted(xp, gx, dim, i0, gy)
        else:
            _add_sorted(xp, gx, dim, i0, gy * _weights(w0, gy.ndim, dim, gy.dtype))
            _add_sorted(xp, gx, dim, i1, gy * _weights(w1, gy.ndim, dim, gy.dtype))
        return gx

    def backward(self, ggx):
        return Resample.apply(ggx, **self.params)


# mode -> the input rank it needs (None: any of 3-D, 4-D, 5-D)
_MODES = {"nearest": None, "nearest-exact": None, "linear": 3, "bilinear": 4, "trilinear": 5}


def _per_dim(op: str, name: str, value, input: Tensor, k: int) -> list:
    """``size`` or ``scale_factor`` as one value per spatial dim."""
    if isinstance(value, (tuple, list)):
        if len(value) != k:
            raise ValueError(f"{op}: input of shape {input.shape} has {k} spatial dims but "
                             f"{name} {tuple(value)} has {len(value)}; give (N, C, d1, ..., "
                             f"dK) input and K values")
        return list(value)
    return [value] * k


def _nearest_positions(xp, n: int, out: int, scale: float | None, exact: bool):
    """PyTorch's nearest source positions, in its float32 arithmetic so that ties agree."""
    step = xp.float32(1.0 / scale) if scale is not None else xp.float32(n) / xp.float32(out)
    j = xp.arange(out)
    if exact:  # (j + 0.5) * step, in double as in PyTorch's kernel
        src = xp.floor((j + 0.5) * float(step))
    else:
        src = xp.floor(j.astype(xp.float32) * step)
    return xp.minimum(src.astype(xp.int64), n - 1)


def _linear_positions(xp, n: int, out: int, scale: float | None, align_corners: bool, dtype):
    """PyTorch's two source positions and weights for each output position of a dim."""
    if align_corners:
        step = dtype((n - 1) / (out - 1)) if out > 1 else dtype(0)
        src = xp.arange(out, dtype=dtype) * step
    else:
        step = dtype(1.0 / scale) if scale is not None else dtype(n) / dtype(out)
        src = step * (xp.arange(out, dtype=dtype) + dtype(0.5)) - dtype(0.5)
        src = xp.maximum(src, dtype(0))  # positions before the first pixel's centre clamp
    i0 = xp.floor(src).astype(xp.int64)
    w1 = xp.clip(src - i0, 0, 1)
    i1 = xp.minimum(i0 + 1, n - 1)
    return i0, i1, 1 - w1, w1


def interpolate(input: Tensor, size: int | Sequence[int] | None = None,
                scale_factor: float | Sequence[float] | None = None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resize the spatial dims of (N, C, d1, ..., dK) to ``size`` or by ``scale_factor``.

    Modes ``'nearest'`` and ``'nearest-exact'`` (K = 1, 2, 3), ``'linear'`` (K = 1),
    ``'bilinear'`` (K = 2) and ``'trilinear'`` (K = 3); ``align_corners`` maps the corner
    pixels' centres onto each other instead of their outer edges. As in PyTorch, a
    ``scale_factor`` sets the sampling step (unless ``recompute_scale_factor``) and the output
    size is ``floor(d * scale_factor)``. Equivalent of ``torch.nn.functional.interpolate``.

    >>> import shenjing as sj
    >>> x = sj.tensor([[[1.0, 2.0]]])
    >>> sj.nn.functional.interpolate(x, scale_factor=2)
    tensor([[[1., 1., 2., 2.]]])
    >>> sj.nn.functional.interpolate(x, size=3, mode="linear", align_corners=True)
    tensor([[[1.0000, 1.5000, 2.0000]]])
    """
    op = "interpolate"
    require_tensor(op, input)
    if mode in ("nearest", "nearest-exact", "area") and align_corners is not None:
        raise ValueError(f"{op}: align_corners can only be set with the interpolating modes "
                         f"linear, bilinear, bicubic and trilinear, not {mode!r}")
    k = input.ndim - 2
    if size is not None and scale_factor is not None:
        raise ValueError(f"{op}: only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError(f"{op}: either size or scale_factor should be defined")
    if size is not None and recompute_scale_factor:
        raise ValueError(f"{op}: recompute_scale_factor is not meaningful with an explicit "
                         "size")
    if input.ndim not in (3, 4, 5) or mode not in _MODES:
        raise NotImplementedError(
            f"{op}: only 3-D, 4-D and 5-D input with the modes {', '.join(_MODES)} are "
            f"supported, got input of shape {input.shape} and mode {mode!r}")
    if _MODES[mode] is not None and input.ndim != _MODES[mode]:
        raise NotImplementedError(f"{op}: got {input.ndim}-D input of shape {input.shape}, but "
                                  f"{mode} mode needs {_MODES[mode]}-D input")
    if antialias:
        raise NotImplementedError(f"{op}: antialias=True is not supported")
    if not mode.startswith("nearest") and input.dtype.kind != "f":
        raise NotImplementedError(f"{op}: {mode} mode needs floating-point input, got "
                                  f"{input.dtype} (PyTorch also takes uint8 images: convert "
                                  "them with x.float())")
    spatial = input.shape[2:]
    if size is not None:
        out = [int(s) for s in _per_dim(op, "size", size, input, k)]
        scales = [None] * k
    else:
        factors = [float(s) for s in _per_dim(op, "scale_factor", scale_factor, input, k)]
        out = [math.floor(n * s) for n, s in zip(spatial, factors)]
        scales = [None] * k if recompute_scale_factor else factors
    if min(spatial) <= 0 or min(out) <= 0:
        raise RuntimeError(f"{op}: input and output sizes should be greater than 0, got input "
                           f"of shape {input.shape} and output size {tuple(out)}")
    xp = array_module(input._data)
    y = input
    # PyTorch's kernels copy a dim whose size is unchanged, whatever the scale factor, in the
    # linear modes and in 2-D nearest (not in 1-D and 3-D nearest, nor in nearest-exact).
    copies_same_size = mode in ("linear", "bilinear", "trilinear") or (
        mode == "nearest" and input.ndim == 4)
    for d, (n, m, scale) in enumerate(zip(spatial, out, scales), start=2):
        if n == m and copies_same_size:
            continue
        if mode.startswith("nearest"):
            i0 = _nearest_positions(xp, n, m, scale, exact=mode == "nearest-exact")
            i1 = w0 = w1 = None
        else:
            dtype = xp.float64 if input.dtype.itemsize > float32.itemsize else xp.float32
            i0, i1, w0, w1 = _linear_positions(xp, n, m, scale, bool(align_corners), dtype)
            i1, w0, w1 = (tracing.constant(a) for a in (i1, w0, w1))
        # made from the shapes alone: a compiled step keeps them
        y = Resample.apply(y, dim=d, i0=tracing.constant(i0), i1=i1, w0=w0, w1=w1)
    return input.clone() if y is input else y


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """Move channels into space: (*, C * r * r, H, W) -> (*, C, H * r, W * r) with
    ``r = upscale_factor``; the upsampling of sub-pixel convolution (Shi et al., 2016).

    Equivalent of ``torch.nn.functional.pixel_shuffle``.

    >>> import shenjing as sj
    >>> sj.nn.functional.pixel_shuffle(sj.arange(4.0).reshape(1, 4, 1, 1), 2)
    tensor([[[[0., 1.],
              [2., 3.]]]])
    """
    require_tensor("pixel_shuffle", input)
    r = int(upscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_shuffle: expected input of at least 3 dims (*, C, H, W), "
                           f"got shape {input.shape}")
    *batch, C, H, W = input.shape
    if r <= 0 or C % (r * r):
        raise RuntimeError(f"pixel_shuffle: the {C} channels (dim -3) of input of shape "
                           f"{input.shape} are not divisible by upscale_factor**2 = {r * r}")
    b = len(batch)
    # (*, C, r, r, H, W) -> (*, C, H, r, W, r) -> (*, C, H * r, W * r)
    y = input.reshape(*batch, C // (r * r), r, r, H, W)
    y = y.permute(*range(b), b, b + 3, b + 1, b + 4, b + 2)
    return y.reshape(*batch, C // (r * r), H * r, W * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """Move space into channels: (*, C, H * r, W * r) -> (*, C * r * r, H, W) with
    ``r = downscale_factor``; the inverse of ``pixel_shuffle``.

    Equivalent of ``torch.nn.functional.pixel_unshuffle``.

    >>> import shenjing as sj
    >>> sj.nn.functional.pixel_unshuffle(sj.arange(4.0).reshape(1, 1, 2, 2), 2).flatten()
    tensor([0., 1., 2., 3.])
    """
    require_tensor("pixel_unshuffle", input)
    r = int(downscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_unshuffle: expected input of at least 3 dims (*, C, H, W), "
                           f"got shape {input.shape}")
    *batch, C, H, W = input.shape
    if r <= 0 or H % r or W % r:
        raise RuntimeError(f"pixel_unshuffle: the height and width {(H, W)} of input of shape "
                           f"{input.shape} are not divisible by downscale_factor = {r}")
    b = len(batch)
    # (*, C, H, r, W, r) -> (*, C, r, r, H, W) -> (*, C * r * r, H, W)
    y = input.reshape(*batch, C, H // r, r, W // r, r)
    y = y.permute(*range(b), b, b + 2, b + 4, b + 1, b + 3)
    return y.reshape(*batch, C * r * r, H // r, W // r)
