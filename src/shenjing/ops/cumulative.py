"""Cumulative operations along one dim: cumsum, cumprod, cummax, cummin, logcumsumexp.

Each output element ``y[..., j, ...]`` depends on the input elements ``0..j`` of its slice along
``dim``; a 0-d tensor is a slice of one element, as in PyTorch. Integer and bool inputs of
cumsum and cumprod give int64, unless ``dtype=`` asks for another type (the input is converted
to it first).
"""

from __future__ import annotations

from shenjing.autograd import tracing
from shenjing.autograd.function import Function
from shenjing.autograd.grad_mode import is_grad_enabled
from shenjing.autograd.tensor import Tensor
from shenjing.backend import DEFAULT_INT, array_module, as_dtype, expected_float_errors
from shenjing.ops.checks import dim_or_axis, normalize_dim, require_tensor
from shenjing.ops.elementwise import clone, where
from shenjing.ops.reduce import ValuesIndices

__all__ = ["cummax", "cummin", "cumprod", "cumsum", "logcumsumexp"]

# Names that are also methods of a tensor: x.cumsum(0) is sj.cumsum(x, 0).
METHODS = tuple(__all__)


def _accumulator(dtype):
    """The dtype a running sum or product is kept in: float64 for float32 and float16, as
    PyTorch does on the CPU (1e30 * 1e30 * 0 is then 0, not inf * 0 = NaN)."""
    return "float64" if dtype.kind == "f" else dtype


def _reversed(xp, fn, x, dim):
    """``fn`` run from the end of ``dim`` to its start: flip, run, flip back."""
    return xp.flip(fn(xp.flip(x, axis=dim)), axis=dim)


# -- cumsum --------------------------------------------------------------------------------------
class CumSum(Function):
    """Running sum along ``dim``; ``reverse`` sums from the end (the gradient of a cumsum)."""

    @staticmethod
    def compute(xp, x, dim, reverse):
        with expected_float_errors(xp):  # a running sum may reach inf or NaN, as PyTorch's
            # dtype given: NumPy would widen int32 to int64.
            acc = _accumulator(x.dtype)
            if reverse:
                y = _reversed(xp, lambda a: xp.cumsum(a, axis=dim, dtype=acc), x, dim)
            else:
                y = xp.cumsum(x, axis=dim, dtype=acc)
            return y.astype(x.dtype, copy=False)

    def forward(self, x, dim, reverse):
        self.dim, self.reverse = dim, reverse
        return self.compute(self.xp, x, dim, reverse)

    def backward(self, gy):
        # y_j = sum_{i<=j} x_i, so dL/dx_i = sum_{j>=i} gy_j: a cumsum the other way.
        return CumSum.apply(gy, dim=self.dim, reverse=not self.reverse)


def _prepare(op: str, input, dim, dtype) -> tuple[Tensor, int]:
    """The input in its result dtype (int64 for integers and bools, or ``dtype``) and the dim."""
    require_tensor(op, input)
    dim = normalize_dim(op, dim, input.ndim)
    dtype = as_dtype(dtype)
    if dtype is None and input.dtype.kind in "biu":
        dtype = DEFAULT_INT  # as torch.cumsum: no overflow of small integer types
    if dtype is not None and dtype != input.dtype:
        input = input.to(dtype)
    return input, dim


def _on_slices(fn, input: Tensor, dim: int):
    """``fn(x, dim)``, with a 0-d input seen as one element of shape (1,) (PyTorch's rule)."""
    if input.ndim:
        return fn(input, dim)
    out = fn(input.reshape(1), 0)
    if isinstance(out, tuple):
        return type(out)(*(t.reshape(()) for t in out))
    return out.reshape(())


@dim_or_axis
def cumsum(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Running sum along ``dim``: ``y[j] = x[0] + ... + x[j]``; equivalent of ``torch.cumsum``.

    Integer and bool inputs give int64 unless ``dtype`` says otherwise.

    >>> import shenjing as sj
    >>> sj.cumsum(sj.tensor([[1, 2, 3], [4, 5, 6]]), dim=1)
    tensor([[ 1,  3,  6],
            [ 4,  9, 15]])
    """
    input, dim = _prepare("cumsum", input, dim, dtype)
    return _on_slices(lambda x, d: CumSum.apply(x, dim=d, reverse=False), input, dim)


# -- cumprod -------------------------------------------------------------------------------------
class CumProd(Function):
    """Running product along ``dim``, with a gradient that is right where inputs are zero."""

    def forward(self, x, dim):
        self.dim = dim
        acc = _accumulator(x.dtype)
        with expected_float_errors(self.xp):
            y = self.xp.cumprod(x, axis=dim, dtype=acc).astype(x.dtype, copy=False)
        self.save_for_backward(x, y)
        return y

    def backward(self, gy):
        x, y = self.saved_tensors
        if x.shape[self.dim] == 1:  # y = x: even an infinite x has gradient gy (PyTorch)
            return gy
        if not is_grad_enabled():
            # One kernel that looks for zeros each time it runs (each batch, when compiled).
            return Tensor._make(tracing.kernel(_cumprod_gradient, gy, x, y, dim=self.dim,
                                               name="cumprod gradient"))
        tracing.refuse("cumprod's gradient with create_graph",
                       "whether the input holds a zero decides the operations recorded")
        if not (x._data == 0).any():
            # dL/dx_k = sum_{j>=k} gy_j y_j / x_k when no factor is zero
            return CumSum.apply(gy * y, dim=self.dim, reverse=True) / x
        return _cumprod_gradient_of_zeros(gy, x, self.dim)


def _cumprod_gradient(gy, x, y, *, dim):
    """dL/dx of a cumprod on arrays, zeros allowed, in O(n) (PyTorch's algorithm).

    With z the first zero of a slice: for k < z, sum_{j>=k} gy_j y_j / x_k (the terms j >= z
    are 0); for k = z, y_{z-1} * sum_{z<=j<z2} gy_j prod_{z<i<=j} x_i, z2 the second zero; for
    k > z, 0: every product through k also runs through x_z = 0.
    """
    xp = array_module(x)
    with expected_float_errors(xp):
        w = gy * y
        is_zero = x == 0
        if not is_zero.any():
            return _reversed(xp, lambda a: xp.cumsum(a, axis=dim), w, dim) / x
        count = xp.cumsum(is_zero, axis=dim)  # zeros so far, this one included
        before = count == 0
        suffix = _reversed(xp, lambda a: xp.cumsum(a, axis=dim), xp.where(before, w, 0), dim)
        gx = xp.where(before, suffix / xp.where(before, x, 1), 0)
        first = is_zero & (count == 1)
        between = (count == 1) & ~first
        # y_{z-1}: the products up to each element, itself excluded (1 for the first).
        head = (slice(None),) * dim
        ones = xp.ones_like(y[head + (slice(0, 1),)])
        shifted = xp.concatenate([ones, y[head + (slice(0, -1),)]], axis=dim)
        after = xp.cumprod(xp.where(between, x, 1), axis=dim)
        total = (after * xp.where(count == 1, gy, 0)).sum(axis=dim, keepdims=True)
        return xp.where(first, total * shifted, gx).astype(x.dtype, copy=False)


def _cumprod_gradient_of_zeros(gy: Tensor, x: Tensor, dim: int) -> Tensor:
    """dL/dx of a cumprod from differentiable operations, zeros allowed, in O(n^2) per slice.

    dL/dx_k = sum_{j>=k} gy_j prod_{i<=j, i!=k} x_i: the running products of a matrix whose
    row k is x with x_k replaced by 1. No division, so its derivatives are exact at zeros too.
    """
    xp = array_module(x._data)
    n = x.shape[dim]
    xm, gm = x.transpose(dim, -1), gy.transpose(dim, -1)  # (..., n)
    eye = Tensor._make(xp.eye(n, dtype=bool))
    upper = Tensor._make(xp.triu(xp.ones((n, n), dtype=bool)))  # j >= k
    rows = where(eye, 1.0, xm.unsqueeze(-2).expand(*xm.shape[:-1], n, n))  # (..., k, i)
    products = CumProd.apply(rows, dim=rows.ndim - 1)  # (..., k, j)
    gx = (products * where(upper, gm.unsqueeze(-2), 0.0)).sum(-1)  # (..., k)
    return gx.transpose(dim, -1)


@dim_or_axis
def cumprod(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Running product along ``dim``: ``y[j] = x[0] * ... * x[j]``; equivalent of
    ``torch.cumprod``. The gradient is exact where inputs are zero, as PyTorch's.

    >>> import shenjing as sj
    >>> sj.cumprod(sj.tensor([1.0, 2.0, 0.0, 4.0]), dim=0)
    tensor([1., 2., 0., 0.])
    """
    input, dim = _prepare("cumprod", input, dim, dtype)
    return _on_slices(lambda x, d: CumProd.apply(x, dim=d), input, dim)


# -- cummax and cummin ---------------------------------------------------------------------------
class CumExtremeIndex(Function):
    """The index of the running maximum (or minimum) along ``dim``; no gradient.

    Ties take the latest index and a NaN wins from where it appears (each later NaN takes
    over), as in PyTorch.
    """

    differentiable = False

    def forward(self, x, dim, ufunc):
        xp = self.xp
        y = getattr(xp, ufunc).accumulate(x, axis=dim)  # NaN propagates in maximum/minimum
        hit = x == y
        if x.dtype.kind == "f":
            hit |= xp.isnan(x)
        shape = [1] * x.ndim
        shape[dim] = -1
        positions = xp.arange(x.shape[dim], dtype="int64").reshape(shape)
        return xp.maximum.accumulate(xp.where(hit, positions, 0), axis=dim)


def _cum_extreme(op: str, ufunc: str, input: Tensor, dim: int):
    require_tensor(op, input)
    dim = normalize_dim(op, dim, input.ndim)

    def run(x, d):
        indices = CumExtremeIndex.apply(x, dim=d, ufunc=ufunc)
        # The gradient goes to the element whose index is returned, as in PyTorch.
        return ValuesIndices(x.gather(d, indices), indices)

    return _on_slices(run, input, dim)


@dim_or_axis
def cummax(input: Tensor, dim: int):
    """Running maximum along ``dim`` and its index, ``(values, indices)``; ``torch.cummax``.

    Ties take the latest index; the gradient goes to the indexed element.

    >>> import shenjing as sj
    >>> sj.cummax(sj.tensor([1.0, 3.0, 2.0, 3.0]), dim=0)
    ValuesIndices(values=tensor([1., 3., 3., 3.]), indices=tensor([0, 1, 1, 3]))
    """
    return _cum_extreme("cummax", "maximum", input, dim)


@dim_or_axis
def cummin(input: Tensor, dim: int):
    """Running minimum along ``dim`` and its index, ``(values, indices)``; ``torch.cummin``.

    >>> import shenjing as sj
    >>> sj.cummin(sj.tensor([2.0, 1.0, 3.0]), dim=0).indices
    tensor([0, 1, 1])
    """
    return _cum_extreme("cummin", "minimum", input, dim)


# -- logcumsumexp --------------------------------------------------------------------------------
class LogCumSumExp(Function):
    """``log(cumsum(exp(x)))`` along ``dim`` without overflow; ``reverse`` runs from the end."""

    def forward(self, x, dim, reverse):
        self.dim, self.reverse = dim, reverse
        xp = self.xp
        # Each step is log(exp(a) + exp(b)) = max + log1p(exp(-|a - b|)): exact for any range.
        with expected_float_errors(xp):
            if reverse:
                y = _reversed(xp, lambda a: xp.logaddexp.accumulate(a, axis=dim), x, dim)
            else:
                y = xp.logaddexp.accumulate(x, axis=dim)
        self.save_for_backward(x, y)
        return y

    def backward(self, gy):
        x, y = self.saved_tensors
        # dL/dx_k = sum_{j>=k} gy_j exp(x_k - y_j), summed in log space from the end, positive
        # and negative gy apart (PyTorch's formula, after TensorFlow's).
        # log(0) stand-in, far below any value yet an eighth of the lowest float, so that the
        # sums and differences of a few never overflow (in this gradient's own gradient).
        lowest = float(array_module(gy._data).finfo(gy.dtype).min) / 8
        # log|gy| where gy is not 0; elsewhere the log of 1, which neither sum selects: no
        # log(0), and no 0 * inf in the gradient of this gradient.
        log_abs = where(gy == 0, 1.0, gy.abs()).log()
        positive = where(gy > 0, log_abs, lowest)
        negative = where(gy < 0, log_abs, lowest)
        back = not self.reverse
        # An infinite x meets the -inf of an infinite y here: inf - inf is NaN, PyTorch's
        # answer too, and expected (no warning).
        with expected_float_errors(array_module(gy._data)):
            up = (LogCumSumExp.apply(positive - y, dim=self.dim, reverse=back) + x).exp()
            down = (LogCumSumExp.apply(negative - y, dim=self.dim, reverse=back) + x).exp()
            return up - down


@dim_or_axis
def logcumsumexp(input: Tensor, dim: int) -> Tensor:
    """``log(cumsum(exp(input), dim))``, stable for any range; ``torch.logcumsumexp``.

    Floating-point inputs only, as in PyTorch.

    >>> import shenjing as sj
    >>> sj.logcumsumexp(sj.tensor([0.0, 0.0, 100.0]), dim=0)
    tensor([  0.0000,   0.6931, 100.0000])
    """
    require_tensor("logcumsumexp", input)
    if input.dtype.kind != "f":
        raise NotImplementedError(f"logcumsumexp: not implemented for {input.dtype} tensors; "
                                  "it takes floating-point tensors")
    dim = normalize_dim("logcumsumexp", dim, input.ndim)
    if input.ndim == 0:  # log(exp(x)) is x, with gradient gy even where x is infinite (PyTorch)
        return clone(input)
    return _on_slices(lambda x, d: LogCumSumExp.apply(x, dim=d, reverse=False), input, dim)
