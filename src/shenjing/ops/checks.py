"""Argument checks shared by operations: dims, shapes, operands. Errors name the operation."""

from __future__ import annotations

import numbers

from shenjing.autograd.function import ShapeError
from shenjing.autograd.tensor import Tensor
from shenjing.backend import DEFAULT_FLOAT, array_module, is_floating


def require_tensor(op: str, x) -> Tensor:
    """Raise a TypeError unless ``x`` is a Tensor."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")
    return x


def normalize_dim(op: str, dim, ndim: int) -> int:
    """A dim in ``[-ndim, ndim)`` as a non-negative int (0-d tensors accept 0 and -1)."""
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
        raise TypeError(f"{op}: dim must be an int, got {dim!r}")
    size = max(ndim, 1)
    if not -size <= dim < size:
        raise IndexError(
            f"{op}: dim {dim} is out of range for a tensor of {ndim} dims "
            f"(expected a dim in [{-size}, {size - 1}])"
        )
    return int(dim) % size


def normalize_dims(op: str, dim, ndim: int) -> tuple[int, ...]:
    """``dim`` (None, an int or a sequence of ints) as a sorted tuple of distinct dims.

    None and an empty sequence both mean every dim, as in PyTorch.
    """
    if dim is None or (isinstance(dim, (list, tuple)) and not dim):
        return tuple(range(ndim))
    if isinstance(dim, (list, tuple)):
        dims = tuple(normalize_dim(op, d, ndim) for d in dim)
        if len(set(dims)) != len(dims):
            raise ValueError(f"{op}: dim {tuple(dim)} names a dim more than once")
        return tuple(sorted(dims)) if ndim else ()
    return (normalize_dim(op, dim, ndim),) if ndim else ()


def broadcast_shape(op: str, *shapes) -> tuple[int, ...]:
    """The broadcast of ``shapes``, or a ShapeError naming the op and every shape."""
    result: list[int] = []
    for shape in shapes:
        for i, n in enumerate(reversed(shape)):
            if i == len(result):
                result.insert(0, n)
            else:
                m = result[-1 - i]
                if m == 1:
                    result[-1 - i] = n
                elif n != 1 and n != m:
                    listed = " and ".join(str(tuple(s)) for s in shapes)
                    raise ShapeError(f"{op}: cannot broadcast shapes {listed}")
    return tuple(result)


def as_operand(op: str, value, like: Tensor):
    """A binary operation's other operand: Tensors and scalars as they are, the rest as tensors."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, numbers.Number):
        # NumPy scalars act as Python numbers do in PyTorch: they do not widen a tensor's dtype.
        return value.item() if hasattr(value, "item") else value
    if hasattr(value, "shape") or isinstance(value, (list, tuple)):
        xp = array_module(like._data)
        return Tensor._make(xp.asarray(value))
    raise TypeError(f"{op}: unsupported operand of type {type(value).__name__}")


def promote(x, y):
    """PyTorch's type promotion where it differs from NumPy's, by category.

    An integer tensor meeting a Python float becomes float32 (NumPy: float64); an integer tensor
    meeting a float tensor takes that tensor's float dtype (NumPy: float32 + int64 = float64).
    """
    x_float = isinstance(x, float) or (isinstance(x, Tensor) and is_floating(x.dtype))
    y_float = isinstance(y, float) or (isinstance(y, Tensor) and is_floating(y.dtype))
    if x_float == y_float:
        return x, y
    if isinstance(x, Tensor) and not x_float:
        x = x.to(y.dtype if isinstance(y, Tensor) else DEFAULT_FLOAT)
    if isinstance(y, Tensor) and not y_float:
        y = y.to(x.dtype if isinstance(x, Tensor) else DEFAULT_FLOAT)
    return x, y
