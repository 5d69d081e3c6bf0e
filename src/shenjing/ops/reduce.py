"""Reductions over dims: sum, mean, var, std, max/min, logsumexp, prod, argmax/argmin.

``dim`` is None (every dim), an int or a tuple of ints, negative dims count from the end, and
``keepdim=True`` keeps reduced dims with size 1, as in PyTorch.
"""

from __future__ import annotations

import math
from collections import namedtuple

from shenjing.autograd import tracing
from shenjing.autograd.function import ArgumentError, DtypeError, Function, IndexRangeError
from shenjing.autograd.grad_mode import is_grad_enabled
from shenjing.autograd.tensor import Tensor
from shenjing.backend import array_module, expected_float_errors, is_floating
from shenjing.ops.checks import (
    dim_or_axis,
    float_input,
    normalize_dim,
    normalize_dims,
    require_tensor,
)
from shenjing.ops.elementwise import maximum, minimum, where

# What max(x, dim) and min(x, dim) return, as torch.return_types.max does.
ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])


def _keepdim_shape(shape, dims) -> tuple[int, ...]:
    return tuple(1 if i in dims else n for i, n in enumerate(shape))


def _expand_back(gy: Tensor, shape, dims, keepdim: bool) -> Tensor:
    """Spread a reduced gradient back over the input's shape: (reduced) -> (input shape)."""
    if not keepdim:
        gy = gy.reshape(_keepdim_shape(shape, dims))
    return gy.expand(shape)


def _count(shape, dims) -> int:
    n = 1
    for d in dims:
        n *= shape[d]
    return n


class _Reduction(Function):
    """Keeps what every reduction's backward needs: the input shape and the reduced dims."""

    def setup(self, x, dims, keepdim):
        self.shape, self.dims, self.keepdim = x.shape, dims, keepdim


class Sum(_Reduction):
    @staticmethod
    def compute(xp, x, dims, keepdim):
        return x.sum(axis=dims, keepdims=keepdim)

    def forward(self, x, dims, keepdim):
        self.setup(x, dims, keepdim)
        return self.compute(self.xp, x, dims, keepdim)

    def backward(self, gy):
        return _expand_back(gy, self.shape, self.dims, self.keepdim)


@dim_or_axis
def sum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:  # noqa: A001
    """Sum of elements over ``dim`` (all by default); equivalent of ``torch.sum``.

    >>> import shenjing as sj
    >>> x = sj.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> sj.sum(x), sj.sum(x, dim=-1), sj.sum(x, dim=0, keepdim=True)
    (tensor(10.), tensor([3., 7.]), tensor([[4., 6.]]))
    """
    require_tensor("sum", input)
    if dtype is not None:
        input = input.to(dtype)
    return Sum.apply(input, dims=normalize_dims("sum", dim, input.ndim), keepdim=keepdim)


class Mean(_Reduction):
    def forward(self, x, dims, keepdim):
        self.setup(x, dims, keepdim)
        return x.mean(axis=dims, keepdims=keepdim)

    def backward(self, gy):
        return _expand_back(gy, self.shape, self.dims, self.keepdim) / _count(self.shape, self.dims)


@dim_or_axis
def mean(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Mean of elements over ``dim`` (all by default); equivalent of ``torch.mean``.

    >>> import shenjing as sj
    >>> sj.mean(sj.tensor([[1.0, 2.0], [3.0, 4.0]]), dim=1)
    tensor([1.5000, 3.5000])
    """
    require_tensor("mean", input)
    if not is_floating(input.dtype):
        raise DtypeError(f"mean: input must be a floating-point tensor, got {input.dtype}")
    return Mean.apply(input, dims=normalize_dims("mean", dim, input.ndim), keepdim=keepdim)


def _correction(op: str, unbiased, correction) -> float:
    if unbiased is not None and correction is not None:
        raise ValueError(f"{op}: give either unbiased or correction, not both")
    if unbiased is not None:
        return 1 if unbiased else 0
    return 1 if correction is None else correction


class Var(_Reduction):
    def forward(self, x, dims, keepdim, correction):
        self.setup(x, dims, keepdim)
        self.correction = correction
        self.save_for_backward(x)
        return _moment(self.xp.var, x, dims, correction, keepdim)

    def backward(self, gy):
        (x,) = self.saved_tensors
        n = _count(self.shape, self.dims) - self.correction
        # d var / dx_i = 2 (x_i - mean) / (N - correction)
        centered = x - x.mean(dim=self.dims, keepdim=True)
        factor = 2.0 / n if n else math.inf  # no degrees of freedom left: NaN, as in PyTorch
        return _expand_back(gy, self.shape, self.dims, self.keepdim) * centered * factor


def _moment(function, x, dims, correction, keepdim: bool):
    """``var`` or ``std`` over ``dims``, accumulated in float64 as PyTorch does on the CPU: the
    squares of float32 values above 1.8e19 overflow float32, not their variance."""
    y = function(x, axis=dims, ddof=correction, keepdims=keepdim, dtype="float64")
    return y.astype(x.dtype, copy=False)


@dim_or_axis
def var(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """Variance over ``dim`` with Bessel's correction by default; equivalent of ``torch.var``.

    ``correction`` is subtracted from the element count (1: unbiased, 0: population variance).

    >>> import shenjing as sj
    >>> sj.var(sj.tensor([1.0, 2.0, 3.0, 4.0]))
    tensor(1.6667)
    """
    require_tensor("var", input)
    if not is_floating(input.dtype):
        raise DtypeError(f"var: input must be a floating-point tensor, got {input.dtype}")
    return Var.apply(input, dims=normalize_dims("var", dim, input.ndim), keepdim=keepdim,
                     correction=_correction("var", unbiased, correction))


class Std(_Reduction):
    def forward(self, x, dims, keepdim, correction):
        self.setup(x, dims, keepdim)
        self.correction = correction
        y = _moment(self.xp.std, x, dims, correction, keepdim)
        self.save_for_backward(x, y)
        return y

    def backward(self, gy):
        x, y = self.saved_tensors
        n = _count(self.shape, self.dims) - self.correction
        # d std / dx_i = (x_i - mean) / ((N - correction) std); zero where std == 0, as in PyTorch
        g_over_std = where(y == 0, 0.0, gy / y)
        centered = x - x.mean(dim=self.dims, keepdim=True)
        factor = 1.0 / n if n else math.inf
        return _expand_back(g_over_std, self.shape, self.dims, self.keepdim) * centered * factor


@dim_or_axis
def std(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """Standard deviation over ``dim`` (corrected by default); equivalent of ``torch.std``.

    >>> import shenjing as sj
    >>> sj.std(sj.tensor([1.0, 2.0, 3.0, 4.0]), correction=0)
    tensor(1.1180)
    """
    require_tensor("std", input)
    if not is_floating(input.dtype):
        raise DtypeError(f"std: input must be a floating-point tensor, got {input.dtype}")
    return Std.apply(input, dims=normalize_dims("std", dim, input.ndim), keepdim=keepdim,
                     correction=_correction("std", unbiased, correction))


class Amax(_Reduction):
    def forward(self, x, dims, keepdim):
        self.setup(x, dims, keepdim)
        y = x.max(axis=dims, keepdims=keepdim)
        self.save_for_backward(x, y)
        return y

    def backward(self, gy):
        x, y = self.saved_tensors
        return _spread_over_ties(self, gy, x, y)


class Amin(_Reduction):
    def forward(self, x, dims, keepdim):
        self.setup(x, dims, keepdim)
        y = x.min(axis=dims, keepdims=keepdim)
        self.save_for_backward(x, y)
        return y

    def backward(self, gy):
        x, y = self.saved_tensors
        return _spread_over_ties(self, gy, x, y)


def _spread_over_ties(fn: _Reduction, gy: Tensor, x: Tensor, y: Tensor) -> Tensor:
    """The gradient of a max or min, shared evenly by the elements that tie for it (PyTorch)."""
    shape = _keepdim_shape(fn.shape, fn.dims)
    hits, count = (Tensor._make(a) for a in tracing.kernel(_ties, x, y, shape=shape,
                                                          dims=fn.dims, name="ties"))
    if not fn.keepdim:
        gy = gy.reshape(count.shape)
    # Divided even where every count is 1 (exact then): whether a batch has ties is data, which
    # a compiled step must not depend on.
    gy = gy / count
    # Selected, not multiplied by the hits: an infinite gy gives 0, not NaN, to the others.
    return where(hits, gy, 0.0)


def _ties(x, y, *, shape, dims):
    """Where x equals its slice's max (or min), and how many do, per slice (keepdim shape)."""
    xp = array_module(x)
    y_full = y.reshape(shape)
    # A NaN result came from the NaNs in its slice: they share the gradient, as PyTorch's max().
    hits = (x == y_full) | (xp.isnan(x) & xp.isnan(y_full))
    return hits, hits.sum(axis=dims, keepdims=True, dtype=x.dtype)


@dim_or_axis
def amax(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Maximum over ``dim``; ties share the gradient evenly. Equivalent of ``torch.amax``.

    >>> import shenjing as sj
    >>> sj.amax(sj.tensor([[1.0, 5.0], [7.0, 2.0]]), dim=1)
    tensor([5., 7.])
    """
    require_tensor("amax", input)
    dims = normalize_dims("amax", dim, input.ndim)
    _require_nonempty("amax", input, dims, every=dim is None or dim in ((), []))
    return Amax.apply(input, dims=dims, keepdim=keepdim)


@dim_or_axis
def amin(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Minimum over ``dim``; ties share the gradient evenly. Equivalent of ``torch.amin``.

    >>> import shenjing as sj
    >>> sj.amin(sj.tensor([[1.0, 5.0], [7.0, 2.0]]), dim=0)
    tensor([1., 2.])
    """
    require_tensor("amin", input)
    dims = normalize_dims("amin", dim, input.ndim)
    _require_nonempty("amin", input, dims, every=dim is None or dim in ((), []))
    return Amin.apply(input, dims=dims, keepdim=keepdim)


def _require_nonempty(op: str, x: Tensor, dims: tuple, every: bool) -> None:
    """A max, min or arg-reduction needs at least one element in every slice it reduces.

    PyTorch's types: an IndexError for a dim of size 0, and for all of an empty tensor a
    RuntimeError (an IndexError for the arg-reductions).
    """
    if every and x.numel() == 0:
        error = IndexRangeError if op.startswith("arg") else ArgumentError
        raise error(f"{op}: cannot reduce all of an empty tensor of shape {x.shape}; give a "
                    "dim whose size is not 0")
    for d in dims:
        if x.shape[d] == 0:
            raise IndexRangeError(f"{op}: cannot reduce over dim {d} of size 0 in a tensor of "
                                  f"shape {x.shape}")


class ArgMax(Function):
    differentiable = False

    def forward(self, x, dim, keepdim):
        return self.xp.argmax(x, axis=dim, keepdims=keepdim)


class ArgMin(Function):
    differentiable = False

    def forward(self, x, dim, keepdim):
        return self.xp.argmin(x, axis=dim, keepdims=keepdim)


def _arg_reduction(op: str, cls, input: Tensor, dim, keepdim: bool) -> Tensor:
    require_tensor(op, input)
    if dim is None:  # the index into the flattened tensor
        _require_nonempty(op, input, (), every=True)
        flat = cls.apply(input.reshape(-1), dim=0, keepdim=False)
        return flat.reshape((1,) * input.ndim) if keepdim else flat
    dim = normalize_dim(op, dim, input.ndim)
    _require_nonempty(op, input, (dim,) if input.ndim else (), every=not input.ndim)
    return cls.apply(input, dim=dim, keepdim=keepdim)


@dim_or_axis
def argmax(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the first maximum over ``dim`` (of the flattened tensor if None); ``torch.argmax``.

    >>> import shenjing as sj
    >>> sj.argmax(sj.tensor([[1.0, 5.0], [7.0, 2.0]]), dim=1)
    tensor([1, 0])
    """
    return _arg_reduction("argmax", ArgMax, input, dim, keepdim)


@dim_or_axis
def argmin(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the first minimum over ``dim`` (of the flattened tensor if None); ``torch.argmin``.

    >>> import shenjing as sj
    >>> sj.argmin(sj.tensor([[1.0, 5.0], [7.0, 2.0]]), dim=0)
    tensor([0, 1])
    """
    return _arg_reduction("argmin", ArgMin, input, dim, keepdim)


def _max_or_min(op, input, dim, keepdim, full_reduction, index_of, elementwise):
    require_tensor(op, input)
    if isinstance(dim, Tensor):  # torch.max(a, b) is the elementwise maximum
        return elementwise(input, dim)
    if dim is None:
        if keepdim:
            raise ValueError(f"{op}: keepdim needs a dim")
        return full_reduction(input)
    dim = normalize_dim(op, dim, input.ndim)
    indices = index_of(input, dim, keepdim=True)
    # The gradient goes to the element whose index is returned, as in PyTorch.
    values = input.gather(dim, indices) if input.ndim else input
    if not keepdim:
        values, indices = values.squeeze(dim), indices.squeeze(dim)
    return ValuesIndices(values, indices)


@dim_or_axis
def max(input: Tensor, dim=None, keepdim: bool = False):  # noqa: A001 - PyTorch's name
    """The maximum: of all elements, or ``(values, indices)`` over ``dim``; ``torch.max``.

    ``max(a, b)`` with a tensor ``b`` is the elementwise maximum.

    >>> import shenjing as sj
    >>> x = sj.tensor([[1.0, 5.0], [7.0, 2.0]])
    >>> sj.max(x)
    tensor(7.)
    >>> sj.max(x, dim=1)
    ValuesIndices(values=tensor([5., 7.]), indices=tensor([1, 0]))
    """
    return _max_or_min("max", input, dim, keepdim, amax, argmax, maximum)


@dim_or_axis
def min(input: Tensor, dim=None, keepdim: bool = False):  # noqa: A001 - PyTorch's name
    """The minimum: of all elements, or ``(values, indices)`` over ``dim``; ``torch.min``.

    >>> import shenjing as sj
    >>> sj.min(sj.tensor([[1.0, 5.0], [7.0, 2.0]]), dim=0).values
    tensor([1., 2.])
    """
    return _max_or_min("min", input, dim, keepdim, amin, argmin, minimum)


class LogSumExp(_Reduction):
    def forward(self, x, dims, keepdim):
        self.setup(x, dims, keepdim)
        xp = self.xp
        if any(x.shape[d] == 0 for d in dims):  # the log of an empty sum
            shape = _keepdim_shape(x.shape, dims) if keepdim else [
                n for i, n in enumerate(x.shape) if i not in dims]
            y = xp.full(shape, -xp.inf, dtype=x.dtype)
            self.save_for_backward(x, y)
            return y
        # Subtract the max so that exp cannot overflow; an all -inf slice keeps -inf.
        m = x.max(axis=dims, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)
        with expected_float_errors(xp):  # log(0) = -inf for an all -inf slice
            y = xp.log(xp.exp(x - m).sum(axis=dims, keepdims=True)) + m
        if not keepdim:
            y = y.reshape([n for i, n in enumerate(x.shape) if i not in dims])
        self.save_for_backward(x, y)
        return y

    def backward(self, gy):
        x, y = self.saved_tensors
        # d/dx logsumexp(x) = softmax(x) = exp(x - logsumexp(x))
        softmax = (x - _expand_back(y, self.shape, self.dims, self.keepdim)).exp()
        return _expand_back(gy, self.shape, self.dims, self.keepdim) * softmax


@dim_or_axis
def logsumexp(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    """``log(sum(exp(input), dim))`` computed without overflow; equivalent of ``torch.logsumexp``.

    >>> import shenjing as sj
    >>> sj.logsumexp(sj.tensor([1000.0, 1000.0]), dim=0)
    tensor(1000.6932)
    """
    input = float_input("logsumexp", input)
    return LogSumExp.apply(input, dims=normalize_dims("logsumexp", dim, input.ndim),
                           keepdim=keepdim)


class Prod(_Reduction):
    def forward(self, x, dims, keepdim):
        self.setup(x, dims, keepdim)
        y = x.prod(axis=dims, keepdims=keepdim)
        self.save_for_backward(x, y)
        return y

    def backward(self, gy):
        x, y = self.saved_tensors
        if x.ndim == 0:  # the product of nothing else is 1, even where x is infinite
            return gy
        gy_full = _expand_back(gy, self.shape, self.dims, self.keepdim)
        y_full = _expand_back(y, self.shape, self.dims, self.keepdim)
        if not is_grad_enabled():
            # One kernel that looks for zeros each time it runs (each batch, when compiled).
            return Tensor._make(tracing.kernel(_prod_gradient, gy_full, x, y_full,
                                               dims=self.dims, name="prod gradient"))
        tracing.refuse("prod's gradient with create_graph",
                       "whether the input holds a zero decides the operations recorded")
        if not (x._data == 0).any():
            # d/dx_i prod(x) = prod(x) / x_i when no factor is zero
            return gy_full * y_full / x
        raise NotImplementedError(
            "prod: gradients of gradients are not supported for inputs containing zeros"
        )


def _prod_gradient(gy, x, y, *, dims):
    """d/dx_i prod(x) times gy: prod(x) / x_i when no factor is zero, else the product of the
    others (zeros allowed)."""
    if not (x == 0).any():
        return gy * y / x
    return gy * _products_of_others(array_module(x), x, dims)


def _products_of_others(xp, x, dims):
    """For each element, the product of the other elements it is reduced with (zeros allowed).

    Exclusive products from the left and from the right, so nothing is divided by zero.
    """
    kept = [d for d in range(x.ndim) if d not in dims]
    moved = xp.transpose(x, kept + list(dims))  # (kept..., reduced...)
    flat = moved.reshape(moved.shape[: len(kept)] + (-1,))  # (kept..., R)
    ones = xp.ones(flat.shape[:-1] + (1,), dtype=x.dtype)
    left = xp.cumprod(xp.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    right = xp.cumprod(xp.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    others = (left * right).reshape(moved.shape)
    inverse = [0] * x.ndim
    for position, d in enumerate(kept + list(dims)):
        inverse[d] = position
    return xp.transpose(others, inverse)


@dim_or_axis
def prod(input: Tensor, dim: int | None = None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Product of elements over ``dim`` (all by default); equivalent of ``torch.prod``.

    >>> import shenjing as sj
    >>> sj.prod(sj.tensor([[1.0, 2.0], [3.0, 4.0]]), dim=1)
    tensor([ 2., 12.])
    """
    require_tensor("prod", input)
    if dtype is not None:
        input = input.to(dtype)
    dims = normalize_dims("prod", dim, input.ndim)
    return Prod.apply(input, dims=dims, keepdim=keepdim)

