"""The few array functions where NumPy and CuPy differ or NumPy has nothing: erf, scatter-add."""

from __future__ import annotations

import contextlib
import math

import numpy

from shenjing.backend.device import array_module

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_PI = math.sqrt(math.pi)


def erf(x):
    """The error function, elementwise, accurate to about 1e-15 in float64.

    NumPy has no erf and shenjing does not depend on SciPy, so it is computed here:
    for |x| <= 2 by the series erf(x) = 2/sqrt(pi) e^(-x^2) sum_n 2^n x^(2n+1) / (2n+1)!!
    (all terms positive, so no cancellation), beyond by the continued fraction of erfc
    (Abramowitz & Stegun 7.1.14), which converges fast for large |x|.
    """
    xp = array_module(x)
    if xp is not numpy:  # CuPy ships an erf kernel
        import cupyx.scipy.special

        return cupyx.scipy.special.erf(x)
    dtype = x.dtype
    a = numpy.abs(x.astype(numpy.float64))
    out = numpy.empty_like(a)
    small = a <= 2.0
    s = a[small]
    two_s2 = 2.0 * s * s
    term = s.copy()
    total = s.copy()
    for n in range(1, 32):
        term *= two_s2 / (2 * n + 1)
        total += term
    out[small] = _TWO_OVER_SQRT_PI * numpy.exp(-s * s) * total
    big = a[~small]
    fraction = big.copy()
    for k in range(48, 0, -1):
        fraction = big + (0.5 * k) / fraction
    out[~small] = 1.0 - numpy.exp(-big * big) / (_SQRT_PI * fraction)
    return (numpy.sign(x) * out).astype(dtype, copy=False)


def scatter_add(target, index, values) -> None:
    """``target[index] += values`` where repeated indices add up (``np.add.at``), in place."""
    xp = array_module(target)
    if xp is numpy:
        rows = _row_index(target, index, values)
        if rows is None:
            numpy.add.at(target, index, values)
        elif rows.size:
            _add_rows(target, rows, values.reshape((rows.size,) + target.shape[1:]))
    else:
        import cupyx

        cupyx.scatter_add(target, index, values)


def _row_index(target, index, values):
    """``index`` as a flat array when it picks whole rows of ``target`` (an embedding's
    gradient, ``x[idx]`` of a matrix), else None."""
    if isinstance(index, tuple):
        if len(index) != 1:
            return None
        index = index[0]
    if (not isinstance(index, numpy.ndarray) or index.dtype.kind not in "iu" or target.ndim < 2
            or values.shape != index.shape + target.shape[1:]):
        return None
    return index.reshape(-1)


def _add_rows(target, rows, values) -> None:
    """``target[rows] += values`` for rows of ``values``, repeated rows adding up.

    Sorting the rows and summing each run with ``add.reduceat`` adds every distinct row once:
    ``numpy.add.at`` goes element by element and is about 8x slower for rows of 64 floats.
    """
    n = target.shape[0]
    if rows.min() < -n or rows.max() >= n:  # as numpy.add.at, instead of wrapping twice
        bad = rows[(rows < -n) | (rows >= n)][0]
        raise IndexError(f"index {bad} is out of bounds for axis 0 with size {n}")
    rows = numpy.where(rows < 0, rows + n, rows)  # -1 and n - 1 are the same row
    order = numpy.argsort(rows, kind="stable")
    ordered = rows[order]
    starts = numpy.flatnonzero(numpy.concatenate(([True], ordered[1:] != ordered[:-1])))
    target[ordered[starts]] += numpy.add.reduceat(values[order], starts, axis=0)


def expected_float_errors(xp):
    """Silence NumPy's floating-point warnings (division by zero, overflow, invalid, underflow)
    where the inf or NaN they announce is the right answer, as PyTorch's, which never warns.

    The one such wrapper: every operation whose pole, overflow or ``inf - inf`` is expected
    uses it. (CuPy never warns, so there is nothing to silence there.)
    """
    if xp is numpy:
        return numpy.errstate(all="ignore")
    return contextlib.nullcontext()


def windows(x, kernel: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int]):
    """A read-only view of every kernel window over the last two dims, without copying.

    (..., H, W) -> (..., OH, OW, KH, KW) with OH = (H - dilation_h * (KH - 1) - 1) // stride_h + 1:
    the im2col of convolution and pooling as strides of the same memory.
    """
    xp = array_module(x)
    kh, kw = kernel
    sh, sw = stride
    dh, dw = dilation
    height, width = x.shape[-2:]
    oh = (height - dh * (kh - 1) - 1) // sh + 1
    ow = (width - dw * (kw - 1) - 1) // sw + 1
    s_h, s_w = x.strides[-2:]
    shape = x.shape[:-2] + (oh, ow, kh, kw)
    strides = x.strides[:-2] + (s_h * sh, s_w * sw, s_h * dh, s_w * dw)
    if xp is numpy:
        return numpy.lib.stride_tricks.as_strided(x, shape=shape, strides=strides, writeable=False)
    return xp.lib.stride_tricks.as_strided(x, shape=shape, strides=strides)  # CuPy: no flag
