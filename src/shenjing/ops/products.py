"""Products named by their shapes: dot, inner, outer, mv, bmm, addmm, baddbmm, tensordot.

Each checks the shapes its PyTorch twin requires (``bmm`` takes 3-D tensors only, ``dot`` 1-D)
and is then a matmul, a product and a sum, so gradients and second derivatives come from those
operations.
"""

from __future__ import annotations

import math

from shenjing.autograd.function import Function, ShapeError
from shenjing.autograd.tensor import Tensor
from shenjing.ops.checks import broadcast_shape, normalize_dim, require_tensor
from shenjing.ops.elementwise import _zeros_like
from shenjing.ops.linalg import matmul
from shenjing.ops.shape import permute, reshape


def _require_ndim(op: str, ndim: int, **tensors) -> None:
    for name, t in tensors.items():
        require_tensor(op, t)
        if t.ndim != ndim:
            raise ShapeError(f"{op}: {name} must be {ndim}-D, got shape {t.shape}")


def dot(input: Tensor, tensor: Tensor) -> Tensor:
    """Sum of the products of two 1-D tensors of one length; ``torch.dot``.

    >>> import shenjing as sj
    >>> sj.dot(sj.tensor([1.0, 2.0]), sj.tensor([3.0, 4.0]))
    tensor(11.)
    """
    _require_ndim("dot", 1, input=input, tensor=tensor)
    if input.shape != tensor.shape:
        raise ShapeError(f"dot: inputs of shapes {input.shape} and {tensor.shape} must have the "
                         "same length")
    return matmul(input, tensor)


def inner(input: Tensor, other: Tensor) -> Tensor:
    """Products summed over the last dim of both: ``(..., n)`` and ``(..., n)``; ``torch.inner``.

    >>> import shenjing as sj
    >>> sj.inner(sj.ones(2, 3), sj.ones(4, 3)).shape
    (2, 4)
    """
    require_tensor("inner", input)
    require_tensor("inner", other)
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise ShapeError(f"inner: the last dims of shapes {input.shape} and {other.shape} "
                         "must match")
    # (a..., n) . (b..., n) -> (a..., b...); B spelled out, as -1 is ambiguous when n is 0
    b = reshape(other, (math.prod(other.shape[:-1]), other.shape[-1]))  # (B, n)
    y = matmul(input, permute(b, (1, 0)))  # (a..., B)
    return reshape(y, input.shape[:-1] + other.shape[:-1])


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """``input[i] * vec2[j]`` for two 1-D tensors, an (n, m) matrix; ``torch.outer``.

    >>> import shenjing as sj
    >>> sj.outer(sj.tensor([1.0, 2.0]), sj.tensor([1.0, 10.0, 100.0]))
    tensor([[  1.,  10., 100.],
            [  2.,  20., 200.]])
    """
    _require_ndim("outer", 1, input=input, vec2=vec2)
    return input.unsqueeze(1) * vec2


ger = outer  # PyTorch's older name


def mv(input: Tensor, vec: Tensor) -> Tensor:
    """Matrix (n, m) times vector (m,); ``torch.mv``."""
    _require_ndim("mv", 2, input=input)
    _require_ndim("mv", 1, vec=vec)
    return matmul(input, vec)


def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """Batches of matrix products, (b, n, m) @ (b, m, p), with no broadcasting; ``torch.bmm``.

    >>> import shenjing as sj
    >>> sj.bmm(sj.ones(4, 2, 3), sj.ones(4, 3, 5)).shape
    (4, 2, 5)
    """
    _require_ndim("bmm", 3, input=input, mat2=mat2)
    if input.shape[0] != mat2.shape[0]:
        raise ShapeError(f"bmm: batch sizes of shapes {input.shape} and {mat2.shape} differ")
    return matmul(input, mat2)


class Unread(Function):
    """``product`` as it is, and a zero gradient for ``input``, which it never reads.

    ``beta * input`` with beta = 0, as PyTorch's addmm computes it: a NaN in input does not
    spread, and input's gradient is zeros, not None.
    """

    returns_view = True

    def forward(self, product, input):
        self.save_for_backward(input)
        return product

    def backward(self, gy):
        (input,) = self.saved_tensors
        return gy, (_zeros_like(input) if self.needs_input_grad[1] else None)


def _scaled_sum(op, input, product, beta, alpha):
    """``beta * input + alpha * product``, ``input`` broadcast to the product's shape. With
    beta = 0 the input is not read at all (NaN in it does not spread), as in PyTorch."""
    require_tensor(op, input)
    if broadcast_shape(op, input.shape, product.shape) != product.shape:
        raise ShapeError(f"{op}: input of shape {input.shape} does not broadcast to the "
                         f"product's shape {product.shape}")
    if alpha != 1:
        product = product * alpha
    if beta == 0:
        return Unread.apply(product, input)
    return product + (input if beta == 1 else input * beta)


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)``, input broadcast to the product; ``torch.addmm``.

    >>> import shenjing as sj
    >>> sj.addmm(sj.ones(3), sj.ones(2, 4), sj.ones(4, 3), alpha=0.5)
    tensor([[3., 3., 3.],
            [3., 3., 3.]])
    """
    _require_ndim("addmm", 2, mat1=mat1, mat2=mat2)
    return _scaled_sum("addmm", input, matmul(mat1, mat2), beta, alpha)


def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * bmm(batch1, batch2)``; ``torch.baddbmm``."""
    return _scaled_sum("baddbmm", input, bmm(batch1, batch2), beta, alpha)


def tensordot(a: Tensor, b: Tensor, dims=2) -> Tensor:
    """Sum of products over dims of ``a`` and ``b`` paired up; ``torch.tensordot``.

    ``dims`` is a count (the last ``dims`` dims of ``a`` with the first of ``b``) or two lists
    of dims. The free dims of ``a`` come first in the result, then those of ``b``.

    >>> import shenjing as sj
    >>> sj.tensordot(sj.ones(2, 3, 4), sj.ones(3, 4, 5)).shape
    (2, 5)
    >>> sj.tensordot(sj.ones(2, 3), sj.ones(3, 2), dims=([1, 0], [0, 1]))
    tensor(6.)
    """
    require_tensor("tensordot", a)
    require_tensor("tensordot", b)
    if isinstance(dims, int):
        if dims < 0 or dims > min(a.ndim, b.ndim):
            raise ShapeError(f"tensordot: dims={dims} does not fit shapes {a.shape} and "
                             f"{b.shape}")
        dims_a, dims_b = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        dims_a, dims_b = ([d] if isinstance(d, int) else list(d) for d in dims)
    dims_a = [normalize_dim("tensordot", d, a.ndim) for d in dims_a]
    dims_b = [normalize_dim("tensordot", d, b.ndim) for d in dims_b]
    if len(dims_a) != len(dims_b) or any(a.shape[i] != b.shape[j]
                                         for i, j in zip(dims_a, dims_b)):
        raise ShapeError(f"tensordot: dims {dims_a} of shape {a.shape} do not pair with dims "
                         f"{dims_b} of shape {b.shape}")
    free_a = [d for d in range(a.ndim) if d not in dims_a]
    free_b = [d for d in range(b.ndim) if d not in dims_b]
    shape_a = tuple(a.shape[d] for d in free_a)
    shape_b = tuple(b.shape[d] for d in free_b)
    k = math.prod(a.shape[d] for d in dims_a)
    # (free_a..., paired...) @ (paired..., free_b...) as one matrix product: sizes spelled
    # out, since -1 is ambiguous where a size is 0
    a2 = reshape(permute(a, free_a + dims_a), (math.prod(shape_a), k))
    b2 = reshape(permute(b, dims_b + free_b), (k, math.prod(shape_b)))
    return reshape(matmul(a2, b2), shape_a + shape_b)


__all__ = ["addmm", "baddbmm", "bmm", "dot", "ger", "inner", "mv", "outer", "tensordot"]
METHODS = ("addmm", "baddbmm", "bmm", "dot", "ger", "inner", "mv", "outer")
