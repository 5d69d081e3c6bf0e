"""Matrix products."""

from __future__ import annotations

import math

from shenjing.autograd.function import Function, ShapeError
from shenjing.autograd.tensor import Tensor
from shenjing.backend import array_module
from shenjing.ops.checks import broadcast_shape, require_dtype_of, require_tensor
from shenjing.ops.reduce import Sum
from shenjing.ops.shape import Permute


class MatMul(Function):
    """Batched matrix product of tensors of at least 2 dims; batch dims broadcast."""

    compute = staticmethod(lambda xp, a, b: _stacked_matmul(xp, a, b))

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return self.compute(self.xp, a, b)

    def backward(self, gy):
        a, b = self.saved_tensors
        # (..., n, m) = (..., n, k) @ (..., k, m); broadcast batch dims are summed by the engine.
        ga = MatMul.apply(gy, _swap_last(b)) if self.needs_input_grad[0] else None
        gb = MatMul.apply(_swap_last(a), gy) if self.needs_input_grad[1] else None
        return ga, gb


def _stacked_matmul(xp, a, b):
    """``a @ b``; a stack of matrices times one matrix as one product of the stacked rows.

    NumPy runs (T, n, k) @ (k, m) as T separate products, two to three times slower than one
    (T*n, k) @ (k, m) for a stack of small matrices.
    """
    if a.ndim > 2 and b.ndim == 2:
        rows = math.prod(a.shape[:-1])
        return xp.matmul(a.reshape(rows, a.shape[-1]), b).reshape(*a.shape[:-1], b.shape[-1])
    return xp.matmul(a, b)


def _swap_last(x: Tensor) -> Tensor:
    """(..., n, k) -> (..., k, n), as a view."""
    dims = tuple(range(x.ndim - 2)) + (x.ndim - 1, x.ndim - 2)
    return Permute.apply(x, dims=dims)


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with NumPy's and PyTorch's rules for 1-D and batched operands.

    (n, k) @ (k, m) -> (n, m); (k,) @ (k,) -> (); batch dims broadcast:
    (b, n, k) @ (k, m) -> (b, n, m). Equivalent of ``torch.matmul``.

    >>> import shenjing as sj
    >>> sj.matmul(sj.ones(2, 3), sj.ones(3))
    tensor([3., 3.])
    """
    require_tensor("matmul", input)
    require_tensor("matmul", other)
    if input.ndim == 0 or other.ndim == 0:
        raise ShapeError(f"matmul: both operands need at least 1 dim, got shapes {input.shape} "
                         f"and {other.shape}")
    a = input.unsqueeze(0) if input.ndim == 1 else input
    b = other.unsqueeze(-1) if other.ndim == 1 else other
    if a.shape[-1] != b.shape[-2]:
        raise ShapeError(
            f"matmul: shapes {input.shape} and {other.shape} cannot be multiplied "
            f"({a.shape[-1]} != {b.shape[-2]})"
        )
    broadcast_shape("matmul", a.shape[:-2], b.shape[:-2])
    if a.dtype != b.dtype:
        dtype = array_module(a._data).result_type(a._data, b._data)
        a, b = a.to(dtype), b.to(dtype)
    y = MatMul.apply(a, b)
    if input.ndim == 1:
        y = y.squeeze(-2)
    if other.ndim == 1:
        y = y.squeeze(-1)
    return y


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """Product of two matrices (2-D only); equivalent of ``torch.mm``.

    >>> import shenjing as sj
    >>> sj.mm(sj.ones(2, 3), sj.ones(3, 4)).shape
    (2, 4)
    """
    if input.ndim != 2 or mat2.ndim != 2:
        raise ShapeError(f"mm: expects two matrices, got shapes {input.shape} and {mat2.shape}")
    return matmul(input, mat2)


class Linear(Function):
    """``x @ weight.T + bias`` in one operation: the affine map of a fully connected layer."""

    @staticmethod
    def compute(xp, x, weight, bias):
        y = _stacked_matmul(xp, x, weight.T)
        if bias is not None:
            y += bias  # y is fresh: add in place
        return y

    def forward(self, x, weight, bias):
        self.save_for_backward(x, weight)
        return self.compute(self.xp, x, weight, bias)

    def backward(self, gy):
        x, weight = self.saved_tensors
        gx = gw = gb = None
        if self.needs_input_grad[0]:
            gx = MatMul.apply(gy, weight) if gy.ndim >= 2 else matmul(gy, weight)
        if self.needs_input_grad[1] or self.needs_input_grad[2]:
            # batch dims flattened: (..., out) -> (N, out), (..., in) -> (N, in)
            gy2 = gy if gy.ndim == 2 else gy.reshape(-1, gy.shape[-1])
            if self.needs_input_grad[1]:
                x2 = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
                gw = TransposedMatMul.apply(gy2, x2)  # (N, out)^T @ (N, in) -> (out, in)
            if self.needs_input_grad[2]:
                gb = Sum.apply(gy2, dims=(0,), keepdim=False)
        return gx, gw, gb


class TransposedMatMul(Function):
    """``a.T @ b`` for matrices, without a separate transpose: the weight gradient of Linear."""

    @staticmethod
    def compute(xp, a, b):
        return xp.matmul(a.T, b)

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return self.compute(self.xp, a, b)

    def backward(self, gy):
        a, b = self.saved_tensors
        # y = a^T b: dL/da = b gy^T, dL/db = a gy
        ga = MatMul.apply(b, _swap_last(gy)) if self.needs_input_grad[0] else None
        gb = MatMul.apply(a, gy) if self.needs_input_grad[1] else None
        return ga, gb


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``: (..., in) -> (..., out) with weight (out, in), bias (out,).

    Equivalent of ``torch.nn.functional.linear``.

    >>> import shenjing as sj
    >>> sj.nn.functional.linear(sj.ones(2, 3), sj.ones(4, 3), sj.zeros(4)).shape
    (2, 4)
    """
    require_tensor("linear", input)
    require_tensor("linear", weight)
    if weight.ndim != 2:
        raise ShapeError(f"linear: weight must be a matrix (out, in), got shape {weight.shape}")
    if input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        raise ShapeError(f"linear: input of shape {input.shape} does not fit weight of shape "
                         f"{weight.shape}: the last input dim must be {weight.shape[1]}")
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ShapeError(f"linear: bias of shape {bias.shape} does not fit weight of shape "
                         f"{weight.shape}: expected ({weight.shape[0]},)")
    require_dtype_of("linear", "input", input, weight)
    require_dtype_of("linear", "bias", bias, weight)
    return Linear.apply(input, weight, bias)
