"""Data types: PyTorch's names for NumPy's dtypes, the default float type and promotion rules.

Tensors hold NumPy (or CuPy, which uses the same dtype objects) arrays, so a shenjing dtype *is* a
``numpy.dtype``: ``sj.float32 == numpy.float32`` and tensors interoperate with NumPy code directly.
"""

from __future__ import annotations

import builtins

import numpy

float16 = half = numpy.dtype("float16")
float32 = float = numpy.dtype("float32")
float64 = double = numpy.dtype("float64")
int8 = numpy.dtype("int8")
uint8 = numpy.dtype("uint8")
int16 = short = numpy.dtype("int16")
int32 = int = numpy.dtype("int32")
int64 = long = numpy.dtype("int64")
bool = numpy.dtype("bool")  # noqa: A001 - PyTorch's name

DEFAULT_INT = int64
_default_float = float32  # what Python floats and float factories give; set_default_dtype


def get_default_dtype() -> numpy.dtype:
    """The dtype of Python floats in tensors and of float factories (float32 unless set);
    ``torch.get_default_dtype``."""
    return _default_float


def set_default_dtype(d) -> None:
    """Make ``d`` (float32, float64 or float16) the dtype of Python floats, ``sj.zeros`` and
    new layers' parameters; ``torch.set_default_dtype``.

    >>> import shenjing as sj
    >>> sj.set_default_dtype(sj.float64)
    >>> sj.tensor([1.0]).dtype, sj.nn.Linear(2, 1).weight.dtype
    (dtype('float64'), dtype('float64'))
    >>> sj.set_default_dtype(sj.float32)
    """
    global _default_float
    dtype = as_dtype(d)
    if dtype not in (float16, float32, float64):
        raise TypeError(f"set_default_dtype: only floating-point types are supported as the "
                        f"default type, got {dtype}")
    _default_float = dtype


def as_dtype(dtype) -> numpy.dtype | None:
    """Normalise a dtype argument (``sj.float64``, ``numpy.float64``, ``'float64'``); keep None."""
    if dtype is None:
        return None
    try:
        return numpy.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"not a data type: {dtype!r}") from exc


def is_dtype(obj) -> bool:
    """True for a dtype or a NumPy scalar type (``sj.int32``, ``numpy.float64``), not a size."""
    return isinstance(obj, numpy.dtype) or (isinstance(obj, type)
                                             and issubclass(obj, numpy.generic))


def is_floating(dtype) -> bool:
    """True for floating-point dtypes, the only ones that carry gradients."""
    return dtype.kind == "f"


def infer_dtype(data) -> numpy.dtype:
    """The dtype ``sj.tensor(data)`` gives, following PyTorch.

    Python floats become the default float (float32, not NumPy's float64; see
    ``set_default_dtype``), Python ints int64, bools bool; NumPy arrays
    and scalars keep their own dtype.
    """
    if hasattr(data, "dtype"):
        return numpy.dtype(data.dtype)
    kind = numpy.asarray(data).dtype.kind
    if kind == "f":
        return _default_float
    if kind in "iu":
        return DEFAULT_INT
    if kind == "b":
        return bool
    raise TypeError(f"cannot make a tensor from data of type {type(data).__name__}")


def _category(dtype) -> int:
    return 2 if dtype.kind == "f" else 0 if dtype.kind == "b" else 1


def promote_types(a, b):
    """The smallest dtype both ``a`` and ``b`` convert to, by PyTorch's rules.

    A float beats any integer (int64 with float32 is float32, where NumPy says float64); within
    a category the wider type wins. Equivalent of ``torch.promote_types``.
    """
    if a == b:
        return a
    ca, cb = _category(a), _category(b)
    if ca != cb:
        return a if ca > cb else b
    if ca == 2:
        return a if a.itemsize >= b.itemsize else b
    return numpy.promote_types(a, b)


def scalar_dtype(value):
    """The dtype a Python number takes on its own: bool, int64 or the default float."""
    if isinstance(value, (builtins.bool, numpy.bool_)):
        return bool
    if isinstance(value, (builtins.int, numpy.integer)):
        return DEFAULT_INT
    return _default_float


def _combine_categories(higher, lower):
    # PyTorch's rule: an operand of a lower priority (0-d tensors below tensors with dims,
    # Python numbers below both) changes the result only if its category is higher.
    if higher is None:
        return lower
    if lower is None or higher.kind == "f":
        return higher
    if higher == bool or lower.kind == "f":
        return promote_types(higher, lower)
    return higher


def result_type(dims: list, zero_dims: list, scalars: list):
    """PyTorch's result dtype of an operation on tensors with dims, 0-d tensors and numbers."""

    def reduce(dtypes):
        result = None
        for dtype in dtypes:
            result = dtype if result is None else promote_types(result, dtype)
        return result

    return _combine_categories(reduce(dims), _combine_categories(reduce(zero_dims),
                                                                 reduce(scalars)))
