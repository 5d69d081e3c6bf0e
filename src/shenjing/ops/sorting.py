"""Sorting and order statistics: sort, argsort, topk, kthvalue, median, nanmedian, mode, msort.

Each operation finds *indices* with a non-differentiable operation and picks the values with
``gather``, so the gradient goes back to the chosen positions exactly as PyTorch's does (and
second derivatives come for free: gather's backward is a scatter-add, whose backward is gather).
NaN sorts above +inf, as in PyTorch; ties keep their input order (a stable sort).
"""

from __future__ import annotations

from collections import namedtuple

from shenjing.autograd.function import Function
from shenjing.autograd.tensor import Tensor
from shenjing.backend import array_module
from shenjing.ops.checks import computed, dim_or_axis, normalize_dim, require_tensor
from shenjing.ops.elementwise import where

__all__ = ["argsort", "kthvalue", "median", "mode", "msort", "nanmedian", "sort", "topk"]

# Tensor methods (x.sort(), x.topk(3), ...): every function here is one in PyTorch.
METHODS = ("argsort", "kthvalue", "median", "mode", "msort", "nanmedian", "sort", "topk")

# What these operations return, named as torch.return_types names them.
SortResult = namedtuple("sort", ["values", "indices"])
TopkResult = namedtuple("topk", ["values", "indices"])
KthvalueResult = namedtuple("kthvalue", ["values", "indices"])
MedianResult = namedtuple("median", ["values", "indices"])
NanmedianResult = namedtuple("nanmedian", ["values", "indices"])
ModeResult = namedtuple("mode", ["values", "indices"])


def _stable_argsort(xp, x, dim: int, descending: bool):
    """Indices that sort ``x`` along ``dim``, ties in input order, NaN above everything."""
    if not descending:
        return xp.argsort(x, axis=dim, kind="stable").astype("int64", copy=False)
    # Sorting the reversed input ascending and reading the result backwards keeps equal
    # elements in input order and puts NaN first, as PyTorch's descending sort does; negating
    # the values would do neither (nor work for unsigned and bool tensors).
    n = x.shape[dim]
    order = xp.flip(xp.argsort(xp.flip(x, axis=dim), axis=dim, kind="stable"), axis=dim)
    return (n - 1 - order).astype("int64", copy=False)


class ArgSort(Function):
    """The int64 indices that sort ``x`` along ``dim`` (stable); no gradient."""

    differentiable = False

    def forward(self, x, dim, descending):
        return _stable_argsort(self.xp, x, dim, descending)


class SelectIndex(Function):
    """The index along ``dim`` (kept, size 1) of one order statistic; no gradient.

    ``how`` is "kth" (the ``k``-th smallest, 1-based), "median" (the lower median; the first
    NaN if the slice has one), "nanmedian" (the lower median of the non-NaN values) or "mode"
    (the smallest of the most frequent values, at its last occurrence, as PyTorch's CPU mode).
    """

    differentiable = False

    def forward(self, x, dim, how, k):
        xp = self.xp
        order = _stable_argsort(xp, x, dim, descending=False)
        if how == "kth":
            return xp.take(order, [k - 1], axis=dim)
        if how == "mode":
            return _mode_index(xp, x, order, dim)
        position = _median_position(xp, x, dim, how)
        return xp.take_along_axis(order, position, axis=dim)


def _median_position(xp, x, dim: int, how: str):
    """Where the median sits in each slice's ascending order (keepdim shape, int64)."""
    n = x.shape[dim]
    # NaN sorts last: the slice's non-NaN values are the first ``count`` of its order
    count = (x == x).sum(axis=dim, keepdims=True)
    if how == "median":  # the first NaN, if there is one
        position = xp.where(count < n, count, (n - 1) // 2)
    else:
        position = xp.maximum((count - 1) // 2, 0)
    return position.astype("int64")


class MedianAll(Function):
    """The median of all elements (``how``: "median" or "nanmedian"), a 0-d tensor.

    Its gradient is shared evenly by every element equal to the median (every NaN, for a NaN
    median), as PyTorch's full median shares it; the median along a dim gives it to one index.
    """

    def forward(self, x, how):
        xp = self.xp
        flat = x.reshape(-1)
        if flat.size == 0:  # NaN, as PyTorch's median of nothing
            y = xp.full((), xp.nan, dtype=x.dtype)
        else:
            order = _stable_argsort(xp, flat, 0, descending=False)
            y = flat[order[_median_position(xp, flat, 0, how)]].reshape(())
        self.save_for_backward(x, y)
        return y

    def backward(self, gy):
        x, y = self.saved_tensors
        if x.numel() == 0:
            return computed(_zeros_like, x)
        hits = computed(_equal_or_both_nan, x, y)
        count = computed(_count_true, hits, dtype=gy.dtype)
        # Selected, not multiplied by the hits: an infinite gy gives 0, not NaN, to the others.
        return where(hits, gy / count, 0.0)


def _zeros_like(x):
    return array_module(x).zeros_like(x)


def _equal_or_both_nan(x, y):
    return (x == y) | ((x != x) & (y != y))


def _count_true(hits, *, dtype):
    return hits.sum(dtype=dtype)


def _mode_index(xp, x, order, dim: int):
    """Where the mode of each slice sits: runs of equal values in sorted order, the longest."""
    s = xp.moveaxis(xp.take_along_axis(x, order, axis=dim), dim, -1)  # (..., n) sorted values
    n = s.shape[-1]
    positions = xp.arange(n)
    starts = xp.ones(s.shape, dtype=bool)
    starts[..., 1:] = s[..., 1:] != s[..., :-1]  # NaN != NaN: each NaN is a run of its own
    ends = xp.ones(s.shape, dtype=bool)
    ends[..., :-1] = starts[..., 1:]
    # the start of each element's run, through the runs of all slices in a row (each slice
    # begins with a start): run number k of the whole array begins at the k-th start
    run = xp.cumsum(starts.reshape(-1)) - 1
    first = xp.flatnonzero(starts)[run].reshape(s.shape) % n
    lengths = xp.where(ends, positions - first + 1, 0)
    # argmax takes the first longest run, which is the smallest value among the most frequent;
    # its end is the last occurrence of that value in a stable sort
    end = xp.argmax(lengths, axis=-1)[..., None]
    index = xp.take_along_axis(xp.moveaxis(order, dim, -1), end, axis=-1)
    return xp.moveaxis(index, -1, dim)


def _pick(input: Tensor, dim: int, index: Tensor, keepdim: bool):
    """``input`` gathered at ``index`` (keepdim shape) along ``dim``: values that carry the
    gradient back to the picked positions."""
    if input.ndim == 0:
        return input, index.reshape(())
    values = input.gather(dim, index)
    if not keepdim:
        values, index = values.squeeze(dim), index.squeeze(dim)
    return values, index


def _along(op: str, input: Tensor, dim) -> tuple[Tensor, int]:
    """``input`` with at least one dim, and ``dim`` as a non-negative int."""
    require_tensor(op, input)
    dim = normalize_dim(op, dim, input.ndim)
    return (input.reshape(1) if input.ndim == 0 else input), dim


@dim_or_axis
def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False):
    """Sort along ``dim``: ``(values, indices)`` with ``values = input.gather(dim, indices)``.

    The sort is always stable (equal elements keep their order), so ``stable`` changes nothing;
    NaN sorts as the largest value. Equivalent of ``torch.sort``.

    >>> import shenjing as sj
    >>> sj.sort(sj.tensor([3.0, 1.0, 2.0]), descending=True)
    sort(values=tensor([3., 2., 1.]), indices=tensor([0, 2, 1]))
    """
    x, d = _along("sort", input, dim)
    indices = ArgSort.apply(x, dim=d, descending=bool(descending))
    values = x.gather(d, indices)
    if input.ndim == 0:
        values, indices = values.reshape(()), indices.reshape(())
    return SortResult(values, indices)


@dim_or_axis
def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False):
    """The indices that sort ``input`` along ``dim`` (stable); equivalent of ``torch.argsort``.

    >>> import shenjing as sj
    >>> sj.argsort(sj.tensor([[3.0, 1.0, 2.0]]))
    tensor([[1, 2, 0]])
    """
    x, d = _along("argsort", input, dim)
    indices = ArgSort.apply(x, dim=d, descending=bool(descending))
    return indices.reshape(()) if input.ndim == 0 else indices


def msort(input: Tensor) -> Tensor:
    """``input`` sorted along dim 0 (values only); equivalent of ``torch.msort``.

    >>> import shenjing as sj
    >>> sj.msort(sj.tensor([[2.0, 1.0], [0.0, 3.0]]))
    tensor([[0., 1.],
            [2., 3.]])
    """
    return sort(input, dim=0).values


@dim_or_axis
def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):  # noqa: A002
    """The ``k`` largest (or smallest) elements along ``dim``: ``(values, indices)``.

    The result is always sorted (PyTorch leaves the order unspecified when ``sorted=False``);
    ties keep their input order. Equivalent of ``torch.topk``.

    >>> import shenjing as sj
    >>> sj.topk(sj.tensor([1.0, 4.0, 2.0, 3.0]), 2)
    topk(values=tensor([4., 3.]), indices=tensor([1, 3]))
    """
    x, d = _along("topk", input, dim)
    if not 0 <= k <= x.shape[d]:
        raise RuntimeError(f"topk: selected index k = {k} out of range for dim {d} of size "
                           f"{x.shape[d]} (input shape {input.shape})")
    order = ArgSort.apply(x, dim=d, descending=bool(largest))
    indices = order[(slice(None),) * d + (slice(0, k),)]
    values = x.gather(d, indices)
    if input.ndim == 0:
        values, indices = values.reshape(()), indices.reshape(())
    return TopkResult(values, indices)


def _order_statistic(op: str, result, input: Tensor, dim, keepdim: bool, how: str, k=0):
    x, d = _along(op, input, dim)
    if x.shape[d] == 0:
        raise IndexError(f"{op}: cannot compute over dim {d} of size 0 (input shape "
                         f"{input.shape})")
    index = SelectIndex.apply(x, dim=d, how=how, k=k)
    if input.ndim == 0:
        return result(input, index.reshape(()))
    return result(*_pick(x, d, index, keepdim))


@dim_or_axis
def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False):
    """The ``k``-th smallest element along ``dim`` (1-based): ``(values, indices)``.

    Equivalent of ``torch.kthvalue``; among equal values, which index is returned may differ.

    >>> import shenjing as sj
    >>> sj.kthvalue(sj.tensor([3.0, 1.0, 2.0]), 2)
    kthvalue(values=tensor(2.), indices=tensor(2))
    """
    x, d = _along("kthvalue", input, dim)
    if not 1 <= k <= x.shape[d]:
        raise RuntimeError(f"kthvalue: selected number k = {k} out of range for dim {d} of "
                           f"size {x.shape[d]} (input shape {input.shape})")
    return _order_statistic("kthvalue", KthvalueResult, input, dim, keepdim, "kth", k)


@dim_or_axis
def median(input: Tensor, dim=None, keepdim: bool = False):
    """The lower median: of all elements (a tensor), or ``(values, indices)`` along ``dim``.

    For an even count the lower of the two middle values, not their mean; NaN if the slice
    holds one. Equivalent of ``torch.median``.

    >>> import shenjing as sj
    >>> sj.median(sj.tensor([4.0, 1.0, 3.0, 2.0]))
    tensor(2.)
    >>> sj.median(sj.tensor([[4.0, 1.0, 3.0]]), dim=1)
    median(values=tensor([3.]), indices=tensor([2]))
    """
    return _median("median", MedianResult, input, dim, keepdim)


@dim_or_axis
def nanmedian(input: Tensor, dim=None, keepdim: bool = False):
    """``median`` that ignores NaN (NaN only where a slice is all NaN); ``torch.nanmedian``.

    >>> import shenjing as sj
    >>> sj.nanmedian(sj.tensor([float("nan"), 1.0, 3.0, 2.0]))
    tensor(2.)
    """
    return _median("nanmedian", NanmedianResult, input, dim, keepdim)


def _median(op: str, result, input: Tensor, dim, keepdim: bool):
    require_tensor(op, input)
    if dim is None:
        if input.numel() == 0 and input.dtype.kind != "f":
            # PyTorch returns NaN cast to the dtype, a value that differs between dtypes
            raise IndexError(f"{op}: cannot compute the median of an empty {input.dtype} "
                             "tensor (of a float one it is NaN)")
        return MedianAll.apply(input, how=op)
    return _order_statistic(op, result, input, dim, keepdim, op)


@dim_or_axis
def mode(input: Tensor, dim: int = -1, keepdim: bool = False):
    """The most frequent value along ``dim`` (the smallest among equally frequent ones) and the
    index of its last occurrence: ``(values, indices)``. Equivalent of ``torch.mode``.

    >>> import shenjing as sj
    >>> sj.mode(sj.tensor([2.0, 1.0, 2.0, 3.0, 1.0]))
    mode(values=tensor(1.), indices=tensor(4))
    """
    return _order_statistic("mode", ModeResult, input, dim, keepdim, "mode")
