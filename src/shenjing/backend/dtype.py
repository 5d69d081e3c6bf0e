"""Data types: PyTorch's names for NumPy's dtypes, the default float type and promotion rules.

Tensors hold NumPy (or CuPy, which uses the same dtype objects) arrays, so a shenjing dtype *is* a
``numpy.dtype``: ``sj.float32 == numpy.float32`` and tensors interoperate with NumPy code directly.
"""

from __future__ import annotations

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

DEFAULT_FLOAT = float32
DEFAULT_INT = int64


def as_dtype(dtype) -> numpy.dtype | None:
    """Normalise a dtype argument (``sj.float64``, ``numpy.float64``, ``'float64'``); keep None."""
    if dtype is None:
        return None
    try:
        return numpy.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"not a data type: {dtype!r}") from exc


def is_floating(dtype) -> bool:
    """True for floating-point dtypes, the only ones that carry gradients."""
    return dtype.kind == "f"


def infer_dtype(data) -> numpy.dtype:
    """The dtype ``sj.tensor(data)`` gives, following PyTorch.

    Python floats become float32 (not NumPy's float64), Python ints int64, bools bool; NumPy arrays
    and scalars keep their own dtype.
    """
    if hasattr(data, "dtype"):
        return numpy.dtype(data.dtype)
    kind = numpy.asarray(data).dtype.kind
    if kind == "f":
        return DEFAULT_FLOAT
    if kind in "iu":
        return DEFAULT_INT
    if kind == "b":
        return bool
    raise TypeError(f"cannot make a tensor from data of type {type(data).__name__}")
