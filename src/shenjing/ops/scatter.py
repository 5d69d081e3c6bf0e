"""Writing along an index and selecting by index or mask: scatter and its reductions, the
``index_*`` family, take, take_along_dim, masked_select and nonzero.

Every write is described by one *key*, the NumPy index that says where each element of ``src``
goes (``y[key] = src``): for ``scatter`` along dim 1 of (N, C) it is ``(rows, index)`` with
``rows`` an open grid; for ``index_add`` along dim 0 it is ``(index,)``. Reading the same key
(``gy[key]``, a gather) is the adjoint of the write, so each gradient is a gather or a masked
copy of the output gradient: differentiable operations, and second derivatives come with them.
"""

from __future__ import annotations

import numbers

from shenjing.autograd import tracing
from shenjing.autograd.function import Function, IndexRangeError, ShapeError
from shenjing.autograd.grad_mode import no_grad
from shenjing.autograd.tensor import Tensor
from shenjing.backend import array_module
from shenjing.backend import scatter_add as _scatter_add_array
from shenjing.ops.checks import (
    _copy,
    broadcast_shape,
    computed,
    dim_or_axis,
    normalize_dim,
    require_tensor,
)
from shenjing.ops.elementwise import where
from shenjing.ops.indexing import GetItem, gather, masked_fill
from shenjing.ops.shape import broadcast_to, reshape

__all__ = [
    "argwhere",
    "index_add",
    "index_add_",
    "index_copy",
    "index_copy_",
    "index_fill",
    "index_fill_",
    "index_select",
    "masked_select",
    "nonzero",
    "scatter",
    "scatter_",
    "scatter_add",
    "scatter_add_",
    "scatter_reduce",
    "scatter_reduce_",
    "take",
    "take_along_dim",
]

# Functions with the tensor first that PyTorch also has as ``torch.Tensor.<name>``.
METHODS = ("argwhere", "index_add", "index_copy", "index_fill", "index_select", "masked_select",
           "nonzero", "scatter", "scatter_add", "scatter_reduce", "take", "take_along_dim",
           "index_add_", "index_copy_", "index_fill_", "scatter_", "scatter_add_",
           "scatter_reduce_")


# -- keys: where each source element goes --------------------------------------------------------
def _check_range(index, *, op: str, dim: int, size: int, low: int = 0) -> None:
    """Every index in [low, size); a kernel, so that compiled steps check each batch's."""
    if index.size and (index.min() < low or index.max() >= size):
        bad = index[(index < low) | (index >= size)].flat[0]
        raise IndexRangeError(f"{op}: index {int(bad)} is out of bounds for dim {dim} with size "
                              f"{size}")


def _require_index(op: str, index) -> None:
    require_tensor(op, index)
    if index.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: expected an integer index tensor (int64), got {index.dtype}")


def _flat_index(index):
    return index.reshape(-1).copy()


def _along_key(index: Tensor, dim: int, size: int, op: str) -> tuple:
    """The key of a scatter along ``dim``: ``index`` there, an open grid in the other dims.

    out[i][index[i][j]] = src[i][j] for dim 1: key = (arange(N)[:, None], index).
    """
    xp = array_module(index._data)
    tracing.kernel(_check_range, index, op=op, dim=dim, size=size, name=f"{op}: check")
    return tuple(
        tracing.kernel(_copy, index) if d == dim
        else tracing.constant(xp.arange(n).reshape((-1,) + (1,) * (index.ndim - 1 - d)))
        for d, n in enumerate(index.shape)
    )


def _dim_key(op: str, input: Tensor, dim: int, index: Tensor) -> tuple:
    """The key of an ``index_*`` op: all of every dim but ``dim``, where ``index`` (1-d) picks."""
    _require_index(op, index)
    if index.ndim > 1:
        raise IndexError(f"{op}: index must be a vector (0-d or 1-d), got shape {index.shape}")
    size = input.shape[dim] if input.ndim else 1
    tracing.kernel(_check_range, index, op=op, dim=dim, size=size, name=f"{op}: check")
    return (slice(None),) * dim + (tracing.kernel(_flat_index, index),)


def _check_scatter(op: str, input: Tensor, dim: int, index: Tensor, src: Tensor | None):
    """PyTorch's shape rules for scatter and gather: index has input's (and src's) number of
    dims, is no larger than src in any dim and no larger than input outside ``dim``."""
    _require_index(op, index)
    if src is not None and src.dtype != input.dtype:
        raise RuntimeError(f"{op}: expected src of the dtype of input, got {src.dtype} and "
                           f"{input.dtype}")
    if index.ndim != input.ndim or (src is not None and src.ndim != input.ndim):
        given = "" if src is None else f" and src of shape {src.shape}"
        raise RuntimeError(f"{op}: index of shape {index.shape}{given} must have as many dims "
                           f"as input of shape {input.shape}")
    for d, n in enumerate(index.shape):
        if (d != dim and n > input.shape[d]) or (src is not None and n > src.shape[d]):
            given = "" if src is None else f" and src of shape {src.shape}"
            raise RuntimeError(f"{op}: index of shape {index.shape} must be no larger than input "
                               f"of shape {input.shape} apart from dim {dim}{given}")


def _fit_src(src: Tensor, index: Tensor) -> Tensor:
    """The part of ``src`` that ``index`` uses (its leading corner, as in PyTorch)."""
    if src.shape == index.shape:
        return src
    return src[tuple(slice(0, n) for n in index.shape)]


# -- writes --------------------------------------------------------------------------------------
class Put(Function):
    """``y = x`` with ``y[key] = src``; the last write wins where the key repeats."""

    def forward(self, x, src, key):
        self.key = key
        y = x.copy()
        y[key] = src
        return y

    def backward(self, gy):
        gx = PutValue.apply(gy, key=self.key, value=0) if self.needs_input_grad[0] else None
        gsrc = GetItem.apply(gy, key=self.key) if self.needs_input_grad[1] else None
        return gx, gsrc


class PutValue(Function):
    """``y = x`` with ``y[key] = value`` for a number ``value``."""

    def forward(self, x, key, value):
        self.key = key
        y = x.copy()
        y[key] = value
        return y

    def backward(self, gy):
        return PutValue.apply(gy, key=self.key, value=0)


class ScatterAdd(Function):
    """``y = x`` with ``y[key] += src``, repeated keys adding up."""

    def forward(self, x, src, key):
        self.key = key
        y = x.copy()
        _scatter_add_array(y, key, src)
        return y

    def backward(self, gy):
        gsrc = GetItem.apply(gy, key=self.key) if self.needs_input_grad[1] else None
        return gy, gsrc


def _reduce_at(xp, reduce: str):
    """The unbuffered in-place reduction ``ufunc.at`` that ``reduce`` scatters with (NumPy's;
    CuPy's ``ufunc.at`` is not exercised by the tests, which run without a GPU)."""
    return {"prod": xp.multiply, "amax": xp.maximum, "amin": xp.minimum}[reduce].at


class ScatterReduce(Function):
    """``y = x`` with each src element reduced into ``y[key]``: prod, mean, amax or amin.

    ``include_self=False`` leaves the written elements of ``x`` out of their reduction. The
    gradient is PyTorch's: mean divides by the count, amax and amin share among the elements
    equal to the result (self too, where it ties), prod is the product of the others.
    """

    def forward(self, x, src, key, reduce, include_self):
        self.key, self.reduce, self.include_self = key, reduce, include_self
        xp = self.xp
        y = x.copy()
        if not include_self:
            y[key] = _identity(xp, reduce, x.dtype)
        if reduce == "mean":
            count = xp.zeros(x.shape, dtype=x.dtype)
            _scatter_add_array(count, key, xp.ones(src.shape, dtype=x.dtype))
            if include_self:
                count += 1
            count[count == 0] = 1  # elements nothing is written to keep x
            _scatter_add_array(y, key, src)
            if x.dtype.kind == "f":
                y /= count
            else:
                y //= count  # PyTorch rounds an integer mean down
            self.w_self = 1 / count
            self.w_src = self.w_self[key]
        else:
            _reduce_at(xp, reduce)(y, key, src)
            if reduce in ("amax", "amin"):
                # Ties share the gradient: the self elements equal to the result, and the src
                # elements equal to their target's result, each take gy / (how many tie).
                self_ties = (x == y).astype(x.dtype)
                src_ties = (src == y[key]).astype(x.dtype)
                count = self_ties.copy()
                _scatter_add_array(count, key, src_ties)
                self.w_self = self_ties / count
                self.w_src = src_ties / count[key]
        if reduce != "prod":
            if not include_self:
                self.w_self[key] = 0
            # Where a weight is 0 the gradient is selected away, so an infinite gy gives 0 there.
            self.hit_self, self.hit_src = self.w_self != 0, self.w_src != 0
        self.save_for_backward(x, src)
        return y

    def backward(self, gy):
        key = self.key
        gx = gsrc = None
        if self.reduce == "prod":
            return self._prod_backward(gy)
        if self.needs_input_grad[0]:
            gx = where(Tensor._make(self.hit_self), gy * Tensor._make(self.w_self), 0.0)
        if self.needs_input_grad[1]:
            gsrc = GetItem.apply(gy, key=key) * Tensor._make(self.w_src)
            gsrc = where(Tensor._make(self.hit_src), gsrc, 0.0)
        return gx, gsrc

    def _prod_backward(self, gy):
        """PyTorch's product rule with zeros: the product of the others, never result / 0."""
        x, src = self.saved_tensors
        key, include_self = self.key, self.include_self
        gx = gsrc = None
        if self.needs_input_grad[0]:
            x_zero = computed(_is_zero, x)
            x_or_one = where(x_zero, 1, x)
            others = ScatterReduce.apply(x_or_one, src, key=key, reduce="prod",
                                         include_self=include_self)
            gx = gy * others / x_or_one
            if not include_self:
                gx = PutValue.apply(gx, key=key, value=0)
        if self.needs_input_grad[1]:
            # d y / d src_j is the product of the others. For a nonzero src_j that is y / src_j.
            # Where src_j is one of the only one or two src zeros on its target it is the
            # product with those zeros set to 1 (`without`), times the other zero (`partner`)
            # for a pair: written so, the second derivative (the partner's) is exact too.
            zeros = computed(_zeros_on_target, src, key, shape=x.shape)
            src_zero, lone, pair = zeros > 0, zeros == 1, zeros == 2
            y = ScatterReduce.apply(x, src, key=key, reduce="prod", include_self=include_self)
            without = ScatterReduce.apply(x, where(lone | pair, 1, src), key=key, reduce="prod",
                                          include_self=include_self)
            sums = ScatterAdd.apply(computed(_zeros, x), where(pair, src, 0), key=key)
            partner = GetItem.apply(sums, key=key) - src
            gsrc_zero = GetItem.apply(gy * without, key=key)
            gsrc = where(lone, gsrc_zero,
                         where(pair, gsrc_zero * partner,
                               GetItem.apply(gy * y, key=key) / where(src_zero, 1, src)))
            # Three or more zeros on a target: the value (0) and its first derivative are right,
            # higher ones not, and PyTorch refuses them too.
            gsrc = _NoDoubleBackward.apply(gsrc, zeros >= 3)
        return gx, gsrc


class _NoDoubleBackward(Function):
    """Identity whose backward raises where ``many`` holds anywhere (see ``_prod_backward``)."""

    def forward(self, g, many):
        self.many = many
        return g

    def backward(self, gg):
        tracing.kernel(_refuse_double_backward, self.many, name="scatter_reduce: check")
        return gg, None


def _refuse_double_backward(many):
    if many.any():
        raise RuntimeError("scatter_reduce: double backward of 'prod' is unsupported for src "
                           "where three or more zeros in src are scattered to one position")


def _zeros_on_target(src, key, *, shape):
    """For each src element that is 0: how many src zeros its target gets; 0 elsewhere."""
    xp = array_module(src)
    zero = src == 0
    zeros = xp.zeros(shape, dtype=xp.int64)
    _scatter_add_array(zeros, key, zero.astype(xp.int64))
    return zeros[key] * zero


def _zeros(a):
    return array_module(a).zeros_like(a)


def _identity(xp, reduce: str, dtype):
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    big = xp.inf if dtype.kind == "f" else xp.iinfo(dtype).max
    return -big if reduce == "amax" else big


def _is_zero(a):
    return a == 0


# -- the public scatter functions ----------------------------------------------------------------
@dim_or_axis
def scatter(input: Tensor, dim: int, index: Tensor, src=None, value=None, *,
            reduce: str | None = None) -> Tensor:
    """``input`` with ``out[index[i][j]][j] = src[i][j]`` along ``dim`` (for dim 0).

    ``src`` may be a tensor or a number (``value=``). Where an index repeats, one of the writes
    wins (which one is unspecified, as in PyTorch). The gradient of ``src`` gathers the output
    gradient at ``index``; ``input``'s is zero where written. ``reduce='add'`` or
    ``'multiply'`` is ``scatter_reduce`` with ``'sum'`` or ``'prod'``. Equivalent of
    ``torch.scatter``.

    >>> import shenjing as sj
    >>> sj.zeros(2, 3).scatter(1, sj.tensor([[2], [0]]), 1.0)
    tensor([[0., 0., 1.],
            [1., 0., 0.]])
    """
    require_tensor("scatter", input)
    if src is None and value is None:
        raise TypeError("scatter: expected src (a tensor) or value (a number)")
    if src is not None and value is not None:
        raise TypeError("scatter: src and value cannot both be given")
    if src is None:
        src = value
    dim = normalize_dim("scatter", dim, input.ndim)
    if not isinstance(src, Tensor):
        if not isinstance(src, numbers.Number):
            raise TypeError(f"scatter: value must be a number, got {type(src).__name__}")
        _check_scatter("scatter", input, dim, index, None)
        if reduce is not None:
            src = computed(_full, index, value=src, dtype=input.dtype)
        else:
            key = _along_key(index, dim, input.shape[dim] if input.ndim else 1, "scatter")
            return PutValue.apply(input, key=key, value=src)
    if reduce is not None:
        reductions = {"add": "sum", "multiply": "prod"}
        if reduce not in reductions:
            raise RuntimeError(f"scatter: reduce must be 'add' or 'multiply', got {reduce!r}")
        return scatter_reduce(input, dim, index, src, reductions[reduce])
    _check_scatter("scatter", input, dim, index, src)
    key = _along_key(index, dim, input.shape[dim] if input.ndim else 1, "scatter")
    return Put.apply(input, _fit_src(src, index), key=key)


def _full(index, *, value, dtype):
    return array_module(index).full(index.shape, value, dtype=dtype)


@dim_or_axis
def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """``input`` with ``out[index[i][j]][j] += src[i][j]`` along ``dim`` (for dim 0); repeated
    indices add up. Equivalent of ``torch.scatter_add``.

    >>> import shenjing as sj
    >>> sj.zeros(3).scatter_add(0, sj.tensor([0, 2, 0]), sj.tensor([1.0, 2.0, 3.0]))
    tensor([4., 0., 2.])
    """
    require_tensor("scatter_add", input)
    require_tensor("scatter_add", src)
    dim = normalize_dim("scatter_add", dim, input.ndim)
    _check_scatter("scatter_add", input, dim, index, src)
    key = _along_key(index, dim, input.shape[dim] if input.ndim else 1, "scatter_add")
    return ScatterAdd.apply(input, _fit_src(src, index), key=key)


_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


@dim_or_axis
def scatter_reduce(input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                   include_self: bool = True) -> Tensor:
    """Reduce each ``src[i][j]`` into ``out[index[i][j]][j]`` (dim 0) with ``reduce``: 'sum',
    'prod', 'mean', 'amax' or 'amin'. With ``include_self=False`` the written elements of
    ``input`` are left out of the reduction. Equivalent of ``torch.scatter_reduce``.

    >>> import shenjing as sj
    >>> x = sj.tensor([0.0, 10.0])
    >>> x.scatter_reduce(0, sj.tensor([0, 0, 1]), sj.tensor([1.0, 3.0, 5.0]), "amax")
    tensor([ 3., 10.])
    >>> x.scatter_reduce(0, sj.tensor([0, 0, 1]), sj.tensor([1.0, 3.0, 5.0]), "mean",
    ...                  include_self=False)
    tensor([2., 5.])
    """
    require_tensor("scatter_reduce", input)
    require_tensor("scatter_reduce", src)
    if reduce not in _REDUCTIONS:
        raise RuntimeError(f"scatter_reduce: reduce must be one of {', '.join(_REDUCTIONS)}, "
                           f"got {reduce!r}")
    dim = normalize_dim("scatter_reduce", dim, input.ndim)
    _check_scatter("scatter_reduce", input, dim, index, src)
    key = _along_key(index, dim, input.shape[dim] if input.ndim else 1, "scatter_reduce")
    src = _fit_src(src, index)
    if reduce == "sum" and include_self:
        return ScatterAdd.apply(input, src, key=key)
    if reduce == "sum":
        return ScatterAdd.apply(PutValue.apply(input, key=key, value=0), src, key=key)
    return ScatterReduce.apply(input, src, key=key, reduce=reduce, include_self=include_self)


# -- index_* -------------------------------------------------------------------------------------
@dim_or_axis
def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """The slices of ``dim`` that ``index`` (0-d or 1-d) names, in its order; repeats allowed.

    Equivalent of ``torch.index_select``.

    >>> import shenjing as sj
    >>> sj.index_select(sj.arange(6).reshape(2, 3), 1, sj.tensor([2, 0]))
    tensor([[2, 0],
            [5, 3]])
    """
    require_tensor("index_select", input)
    dim = normalize_dim("index_select", dim, input.ndim)
    key = _dim_key("index_select", input, dim, index)
    if input.ndim == 0:
        return reshape(GetItem.apply(reshape(input, 1), key=key), index.shape)
    return GetItem.apply(input, key=key)


def _check_source(op: str, input: Tensor, dim: int, index: Tensor, source: Tensor) -> None:
    require_tensor(op, source)
    if source.dtype != input.dtype:
        raise RuntimeError(f"{op}: source of dtype {source.dtype} and input of dtype "
                           f"{input.dtype} differ")
    expected = input.shape[:dim] + (index.numel(),) + input.shape[dim + 1:]
    if input.ndim == 0:
        expected = (index.numel(),) if source.ndim else ()
    if source.shape != expected:
        raise RuntimeError(f"{op}: source of shape {source.shape} does not fit input of shape "
                           f"{input.shape} with {index.numel()} indices along dim {dim} "
                           f"(expected shape {expected})")


def _as_row(input: Tensor, source: Tensor, fn):
    """``fn`` on 1-d views of a 0-d ``input`` and ``source``, the result 0-d again."""
    return reshape(fn(reshape(input, 1), reshape(source, -1)), ())


@dim_or_axis
def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha=1) -> Tensor:
    """``input`` with ``alpha * source`` added to the slices of ``dim`` that ``index`` names;
    repeated indices add up. Equivalent of ``torch.index_add``.

    >>> import shenjing as sj
    >>> sj.zeros(3, 2).index_add(0, sj.tensor([0, 0]), sj.ones(2, 2), alpha=2)
    tensor([[4., 4.],
            [0., 0.],
            [0., 0.]])
    """
    require_tensor("index_add", input)
    dim = normalize_dim("index_add", dim, input.ndim)
    key = _dim_key("index_add", input, dim, index)
    _check_source("index_add", input, dim, index, source)
    if alpha != 1:
        source = source * alpha
    if input.ndim == 0:
        return _as_row(input, source, lambda x, s: ScatterAdd.apply(x, s, key=key))
    return ScatterAdd.apply(input, source, key=key)


@dim_or_axis
def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """``input`` with the slices of ``dim`` that ``index`` names replaced by ``source``'s.

    Equivalent of ``torch.index_copy``.

    >>> import shenjing as sj
    >>> sj.zeros(3).index_copy(0, sj.tensor([2, 0]), sj.tensor([5.0, 6.0]))
    tensor([6., 0., 5.])
    """
    require_tensor("index_copy", input)
    dim = normalize_dim("index_copy", dim, input.ndim)
    key = _dim_key("index_copy", input, dim, index)
    _check_source("index_copy", input, dim, index, source)
    if input.ndim == 0:
        return _as_row(input, source, lambda x, s: Put.apply(x, s, key=key))
    return Put.apply(input, source, key=key)


def _dim_mask(index, *, shape, dim):
    """True in the slices of ``dim`` that ``index`` names."""
    xp = array_module(index)
    picked = xp.zeros(shape[dim] if shape else 1, dtype=bool)
    picked[index.reshape(-1)] = True
    return picked.reshape((-1,) + (1,) * (len(shape) - 1 - dim)) if shape else picked[0]


@dim_or_axis
def index_fill(input: Tensor, dim: int, index: Tensor, value) -> Tensor:
    """``input`` with ``value`` (a number or a 0-d tensor) in the slices of ``dim`` that
    ``index`` names. Equivalent of ``torch.index_fill``.

    >>> import shenjing as sj
    >>> sj.zeros(2, 3).index_fill(1, sj.tensor([0, 2]), -1.0)
    tensor([[-1.,  0., -1.],
            [-1.,  0., -1.]])
    """
    require_tensor("index_fill", input)
    dim = normalize_dim("index_fill", dim, input.ndim)
    _dim_key("index_fill", input, dim, index)  # checks the index
    if isinstance(value, Tensor) and value.ndim != 0:
        raise RuntimeError(f"index_fill: only supports a 0-dim value tensor, got shape "
                           f"{value.shape}")
    mask = computed(_dim_mask, index, shape=input.shape, dim=dim)
    return masked_fill(input, mask, value)


# -- in place: the out-of-place result copied into the tensor --------------------------------------
def _in_place(op: str, fn, input: Tensor, *args, **kwargs) -> Tensor:
    """``fn(input, ...)`` written into ``input``. As every in-place change here, refused on a
    tensor that a recorded graph holds (use the out-of-place form there)."""
    require_tensor(op, input)
    input._check_inplace(op, *(a for a in args if isinstance(a, Tensor)))
    with no_grad():
        y = fn(input, *args, **kwargs)
    return input.copy_(y)


@dim_or_axis
def scatter_(input: Tensor, dim: int, index: Tensor, src=None, value=None, *,
             reduce: str | None = None) -> Tensor:
    """``scatter`` in place; equivalent of ``torch.Tensor.scatter_``.

    >>> import shenjing as sj
    >>> sj.zeros(2, 3).scatter_(1, sj.tensor([[2], [0]]), 1.0)  # one-hot rows
    tensor([[0., 0., 1.],
            [1., 0., 0.]])
    """
    return _in_place("scatter_", scatter, input, dim, index, src, value, reduce=reduce)


@dim_or_axis
def scatter_add_(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """``scatter_add`` in place; equivalent of ``torch.Tensor.scatter_add_``.

    >>> import shenjing as sj
    >>> sj.zeros(2).scatter_add_(0, sj.tensor([1, 1]), sj.ones(2))
    tensor([0., 2.])
    """
    return _in_place("scatter_add_", scatter_add, input, dim, index, src)


@dim_or_axis
def scatter_reduce_(input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                    include_self: bool = True) -> Tensor:
    """``scatter_reduce`` in place; equivalent of ``torch.Tensor.scatter_reduce_``.

    >>> import shenjing as sj
    >>> sj.zeros(2).scatter_reduce_(0, sj.tensor([1, 1]), sj.tensor([2.0, 5.0]), "amax")
    tensor([0., 5.])
    """
    return _in_place("scatter_reduce_", scatter_reduce, input, dim, index, src, reduce,
                     include_self=include_self)


@dim_or_axis
def index_add_(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha=1) -> Tensor:
    """``index_add`` in place; equivalent of ``torch.Tensor.index_add_``.

    >>> import shenjing as sj
    >>> sj.zeros(3).index_add_(0, sj.tensor([2, 2]), sj.ones(2))
    tensor([0., 0., 2.])
    """
    return _in_place("index_add_", index_add, input, dim, index, source, alpha=alpha)


@dim_or_axis
def index_fill_(input: Tensor, dim: int, index: Tensor, value) -> Tensor:
    """``index_fill`` in place; equivalent of ``torch.Tensor.index_fill_``.

    >>> import shenjing as sj
    >>> sj.zeros(3).index_fill_(0, sj.tensor([1]), 7.0)
    tensor([0., 7., 0.])
    """
    return _in_place("index_fill_", index_fill, input, dim, index, value)


@dim_or_axis
def index_copy_(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """``index_copy`` in place; equivalent of ``torch.Tensor.index_copy_``.

    >>> import shenjing as sj
    >>> sj.zeros(3).index_copy_(0, sj.tensor([0]), sj.tensor([4.0]))
    tensor([4., 0., 0.])
    """
    return _in_place("index_copy_", index_copy, input, dim, index, source)


# -- selecting by index --------------------------------------------------------------------------
def _wrapped(index, *, size):
    """Flat positions in [-size, size) as positions in [0, size), checked."""
    if index.size and (index.min() < -size or index.max() >= size):
        bad = index[(index < -size) | (index >= size)].flat[0]
        raise IndexRangeError(f"take: index {int(bad)} is out of range for a tensor of {size} "
                              "elements")
    flat = index.reshape(-1)
    return flat + (flat < 0) * size


def take(input: Tensor, index: Tensor) -> Tensor:
    """The elements of the flattened ``input`` at ``index`` (negative counts from the end), in
    the shape of ``index``. Equivalent of ``torch.take``.

    >>> import shenjing as sj
    >>> sj.take(sj.tensor([[1, 2], [3, 4]]), sj.tensor([0, -1]))
    tensor([1, 4])
    """
    require_tensor("take", input)
    _require_index("take", index)
    positions = tracing.kernel(_wrapped, index, size=input.numel(), name="take: positions")
    return reshape(GetItem.apply(reshape(input, -1), key=(positions,)), index.shape)


@dim_or_axis
def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    """``gather`` after broadcasting ``input`` and ``indices`` in every dim but ``dim``; the
    flattened tensors when ``dim`` is None. Picks the values that ``argmax``/``argsort`` with
    ``keepdim`` point at. Equivalent of ``torch.take_along_dim``.

    >>> import shenjing as sj
    >>> x = sj.tensor([[10, 30, 20], [60, 40, 50]])
    >>> sj.take_along_dim(x, x.argmax(1, keepdim=True), dim=1)
    tensor([[30],
            [60]])
    """
    require_tensor("take_along_dim", input)
    _require_index("take_along_dim", indices)
    if dim is None:
        return gather(reshape(input, -1), 0, reshape(indices, -1))
    dim = normalize_dim("take_along_dim", dim, input.ndim)
    if input.ndim != indices.ndim:
        raise RuntimeError(f"take_along_dim: input of shape {input.shape} and indices of shape "
                           f"{indices.shape} must have the same number of dims")
    # Broadcast in every dim but dim, where each keeps its own size.
    shape = _broadcast_or_raise("take_along_dim", input.shape[:dim] + (1,) + input.shape[dim + 1:],
                                indices.shape[:dim] + (1,) + indices.shape[dim + 1:])
    x_shape = shape[:dim] + (input.shape[dim],) + shape[dim + 1:]
    i_shape = shape[:dim] + (indices.shape[dim],) + shape[dim + 1:]
    # With a dim, PyTorch counts negative indices from the end (gather does not).
    indices = computed(_wrapped_along, indices, size=input.shape[dim] if input.ndim else 1,
                       dim=dim)
    return gather(broadcast_to(input, x_shape), dim, broadcast_to(indices, i_shape))


def _wrapped_along(index, *, size, dim):
    """Indices in [-size, size) as indices in [0, size), checked."""
    if index.size and (index.min() < -size or index.max() >= size):
        bad = index[(index < -size) | (index >= size)].flat[0]
        raise IndexRangeError(f"take_along_dim: index {int(bad)} is out of bounds for dim {dim} "
                              f"with size {size}")
    return index + (index < 0) * size


def _broadcast_or_raise(op: str, *shapes) -> tuple[int, ...]:
    """The broadcast shape, or PyTorch's RuntimeError (ShapeError is a ValueError)."""
    try:
        return broadcast_shape(op, *shapes)
    except ShapeError as error:
        raise RuntimeError(str(error)) from None


# -- selecting by mask: shapes that depend on the data -------------------------------------------
def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The elements of ``input`` where the bool ``mask`` holds (both broadcast), as a 1-d tensor.

    Its length depends on the mask's values, so a compiled step refuses it. Equivalent of
    ``torch.masked_select``.

    >>> import shenjing as sj
    >>> x = sj.tensor([[1.0, -2.0], [-3.0, 4.0]])
    >>> sj.masked_select(x, x > 0)
    tensor([1., 4.])
    """
    require_tensor("masked_select", input)
    require_tensor("masked_select", mask)
    if mask.dtype.kind != "b":
        raise RuntimeError(f"masked_select: expected a bool mask, got {mask.dtype}")
    shape = _broadcast_or_raise("masked_select", input.shape, mask.shape)
    tracing.refuse("masked_select", "the output's length is how many elements the mask selects")
    if not shape:  # a 0-d pair: as 1-element vectors
        shape = (1,)
    return broadcast_to(input, shape)[broadcast_to(mask, shape)]


def nonzero(input: Tensor, *, as_tuple: bool = False):
    """The indices of the non-zero elements: an int64 tensor (count, ndim), or with
    ``as_tuple=True`` one 1-d tensor of indices per dim. Its shape depends on the values, so a
    compiled step refuses it. Equivalent of ``torch.nonzero``.

    >>> import shenjing as sj
    >>> sj.nonzero(sj.tensor([[0, 1], [2, 0]]))
    tensor([[0, 1],
            [1, 0]])
    >>> sj.nonzero(sj.tensor([0, 3, 4]), as_tuple=True)
    (tensor([1, 2]),)
    """
    require_tensor("nonzero", input)
    tracing.refuse("nonzero", "the output's shape depends on how many elements are non-zero")
    xp = array_module(input._data)
    data = input._data
    if as_tuple:
        found = xp.nonzero(data.reshape(1) if data.ndim == 0 else data)
        return tuple(Tensor._make(i.astype(xp.int64)) for i in found)
    return Tensor._make(xp.argwhere(data).astype(xp.int64))


def argwhere(input: Tensor) -> Tensor:
    """The indices of the non-zero elements as an int64 tensor (count, ndim); refused in a
    compiled step. Equivalent of ``torch.argwhere``.

    >>> import shenjing as sj
    >>> sj.argwhere(sj.tensor([0.0, 1.5, 2.0]))
    tensor([[1],
            [2]])
    """
    require_tensor("argwhere", input)
    return nonzero(input)
