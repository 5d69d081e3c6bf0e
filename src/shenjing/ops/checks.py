"""Argument checks shared by operations: dims, shapes, operands. Errors name the operation."""

from __future__ import annotations

import functools
import numbers

from shenjing.autograd import tracing
from shenjing.autograd.function import ArgumentError, ShapeError
from shenjing.autograd.tensor import Tensor
from shenjing.backend import array_module, get_default_dtype
from shenjing.backend.dtype import result_type as dtype_result_type
from shenjing.backend.dtype import scalar_dtype


def require_tensor(op: str, x) -> Tensor:
    """Raise a TypeError unless ``x`` is a Tensor."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")
    return x


def require_dtype_of(op: str, name: str, x: Tensor | None, weight: Tensor,
                     weight_name: str = "weight") -> None:
    """Raise a RuntimeError, as PyTorch does, unless ``x`` (the op's ``name``; None passes) has
    the dtype of ``weight``: mixed dtypes are refused, never cast silently."""
    if x is not None and x.dtype != weight.dtype:
        raise RuntimeError(f"{op}: {name} of dtype {x.dtype} and {weight_name} of dtype "
                           f"{weight.dtype} differ; convert the {name}, e.g. with "
                           f".to({weight_name}.dtype)")


_NUMPY_NAMES = (("axis", "dim"), ("keepdims", "keepdim"))


def dim_or_axis(fn):
    """Let ``fn`` take NumPy's ``axis=`` for its ``dim=`` (and ``keepdims=`` for its
    ``keepdim=``), as PyTorch accepts both."""

    @functools.wraps(fn)
    def accepting_axis(*args, **kwargs):
        for numpy_name, name in _NUMPY_NAMES if kwargs else ():  # most calls pass no keywords
            if numpy_name in kwargs:
                if name in kwargs:
                    raise TypeError(f"{fn.__name__}() got both {name} and {numpy_name}; pass "
                                    "one of them")
                kwargs[name] = kwargs.pop(numpy_name)
        return fn(*args, **kwargs)

    return accepting_axis


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
            raise ArgumentError(f"{op}: dim {tuple(dim)} names a dim more than once")
        return tuple(sorted(dims)) if ndim else ()
    return (normalize_dim(op, dim, ndim),) if ndim else ()


def pair(op: str, name: str, value) -> tuple[int, int]:
    """An int or a sequence of one or two ints as a pair of ints (height, width), as PyTorch
    accepts kernel sizes, strides, paddings and dilations."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value), int(value)
    if isinstance(value, (tuple, list)) and len(value) in (1, 2) and all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in value):
        return int(value[0]), int(value[-1])
    raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")


# -- sliding windows: convolution, pooling and sj.summary share one formula -----------------------
def extent(kernel: int, dilation: int = 1) -> int:
    """The input pixels one window spans along a dim: a kernel of K with gaps of D - 1."""
    return dilation * (kernel - 1) + 1


def output_size(size: int, kernel: int, stride: int = 1, padding=0, dilation: int = 1,
                 ceil_mode: bool = False) -> int:
    """The number of windows along one dim: the output-size formula of convolution and pooling.

    ``padding`` is an int (both sides) or a pair (before, after). The one place the formula is
    written: convolution and pooling use it, and ``sj.summary`` its ``extent``.

        out = (size + before + after - extent + (stride - 1 if ceil_mode else 0)) // stride + 1

    With ``ceil_mode`` a last window that would start in the after-padding is dropped, as in
    PyTorch's pooling, so every window starts inside the input or the before-padding.

    >>> output_size(28, 3, stride=2, padding=1), output_size(5, 2, stride=2, ceil_mode=True)
    (14, 3)
    """
    before, after = (padding, padding) if isinstance(padding, int) else padding
    span = size + before + after - extent(kernel, dilation)
    if ceil_mode:
        span += stride - 1
    out = span // stride + 1  # floor division rounds towards -inf, as PyTorch's div_rtn
    if ceil_mode and (out - 1) * stride >= size + before:
        out -= 1  # the last window would start in the after-padding
    return out


def single(op: str, name: str, value) -> tuple[int]:
    """An int or a sequence of one int, as 1-d layers accept sizes."""
    if isinstance(value, (tuple, list)) and len(value) != 1:
        raise TypeError(f"{op}: {name} must be an int or a 1-tuple, got {value!r}")
    return (pair(op, name, value)[0],)


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
        return computed(_asarray, like, value=value, dtype=None)
    raise TypeError(f"{op}: unsupported operand of type {type(value).__name__}")


def result_type(*operands):
    """The dtype PyTorch gives an operation on ``operands`` (tensors and Python numbers).

    Categories bool < integer < float; a 0-d tensor or a Python number changes the dtype of
    tensors with dims only when its category is higher (float32 tensor * float64 0-d tensor is
    float32; an int tensor * 2.5 is float32). NumPy's rules differ, hence this function.
    """
    dims, zero_dims, scalars = [], [], []
    for x in operands:
        if isinstance(x, Tensor):
            (dims if x.ndim else zero_dims).append(x.dtype)
        elif x is not None:
            scalars.append(scalar_dtype(x))
    return dtype_result_type(dims, zero_dims, scalars)


def promote(*operands):
    """``operands`` with every tensor converted to their common dtype (numbers left as they are)."""
    tensors = [x for x in operands if isinstance(x, Tensor)]
    first = tensors[0].dtype
    if first.kind == "f" and all(t.dtype == first for t in tensors):
        return operands  # the common case: float tensors of one dtype, which numbers keep
    dtype = result_type(*operands)
    return tuple(x.to(dtype) if isinstance(x, Tensor) and x.dtype != dtype else x
                 for x in operands)


def float_input(op: str, x: Tensor) -> Tensor:
    """The input of a float-valued function (exp, sigmoid...): integers and bools become float32."""
    require_tensor(op, x)
    return x if x.dtype.kind == "f" else x.to(get_default_dtype())


def computed(fn, *args, **params) -> Tensor:
    """``fn`` on the arrays of ``args`` (a mask, a sign, a constant that backward needs), as a
    tensor that needs no gradient. Run through ``tracing.kernel``, so that a compiled step
    computes it again from each replay's values; ``params`` are fixed Python values."""
    return Tensor._make(tracing.kernel(fn, *args, **params))


def _copy(a):
    return a.copy()


def _asarray(like, *, value, dtype):
    return array_module(like).asarray(value, dtype=dtype)
