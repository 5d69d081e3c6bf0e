"""Turning what users pass (Tensors, NumPy or CuPy arrays, lists) into arrays of samples."""

from __future__ import annotations

from shenjing.autograd.function import ShapeError
from shenjing.autograd.tensor import Tensor
from shenjing.backend import CPU_MODULE, array_module


class NotFittedError(RuntimeError):
    """A classifier was asked to predict before ``fit`` gave it training data."""


def as_array(data):
    """The array behind ``data``: a Tensor's own array (no copy), an array as it is, or a list as a
    NumPy array."""
    if isinstance(data, Tensor):
        return data._data
    if hasattr(data, "shape") and hasattr(data, "dtype") and hasattr(data, "reshape"):
        return data
    return CPU_MODULE.asarray(data)


def as_samples(data, op: str, name: str = "X"):
    """``data`` as a matrix of samples (N, D), each sample flattened, and its original shape."""
    array = as_array(data)
    if array.ndim < 2:
        raise ShapeError(f"{op}: {name} must hold samples as (N, D) or (N, d1, d2, ...), got "
                         f"shape {tuple(array.shape)}")
    if array.shape[0] == 0 or array[0].size == 0:
        raise ShapeError(f"{op}: {name} of shape {tuple(array.shape)} holds no data")
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{op}: {name} must hold numbers, got dtype {array.dtype}")
    return array.reshape(array.shape[0], -1), tuple(array.shape)


def query_samples(estimator, X, op: str, fit_shape: tuple | None):
    """``X`` as samples for an ``estimator`` fitted on samples of ``fit_shape`` (None: not
    fitted yet): errors name the op when it is not fitted, or when the samples' sizes differ."""
    if fit_shape is None:
        raise NotFittedError(f"{op}: this {type(estimator).__name__} is not fitted yet; call "
                             "fit(X, y) first")
    x, shape = as_samples(X, op)
    features = CPU_MODULE.prod(fit_shape[1:], dtype=int)
    if x.shape[1] != features:
        raise ShapeError(f"{op}: X of shape {shape} has {x.shape[1]} features per sample, "
                         f"but the model was fit on samples of shape {fit_shape[1:]} "
                         f"({features} features)")
    return x


def as_labels(data, n: int, op: str, name: str = "y"):
    """``data`` as an int64 vector of ``n`` class labels."""
    array = as_array(data)
    if array.ndim != 1 or array.shape[0] != n:
        raise ShapeError(f"{op}: {name} of shape {tuple(array.shape)} must hold one label per "
                         f"sample, shape ({n},)")
    if array.dtype.kind not in "iu":
        raise TypeError(f"{op}: {name} must hold integer class labels, got dtype {array.dtype}")
    return array.astype("int64", copy=False)


def check_finite(array, op: str, name: str = "X", rows: int = 4096) -> None:
    """Raise if a float array holds NaN or infinity (checked in slices of rows: bounded memory)."""
    if array.dtype.kind != "f":
        return
    xp = array_module(array)
    for start in range(0, array.shape[0], rows):
        if not bool(xp.isfinite(array[start:start + rows]).all()):
            raise ValueError(f"{op}: {name} holds NaN or infinite values")


def encode_labels(labels):
    """The distinct labels, sorted, and each label's position among them."""
    xp = array_module(labels)
    classes, codes = xp.unique(labels, return_inverse=True)
    return classes, codes.reshape(-1)


def compute_dtype(array, dtype):
    """The float dtype to compute in: ``dtype`` if given, else float64 for float64 data and
    float32 otherwise."""
    xp = array_module(array)
    if dtype is not None:
        dtype = xp.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"dtype must be a floating-point type, got {dtype}")
        return dtype
    return xp.dtype("float64") if array.dtype == xp.dtype("float64") else xp.dtype("float32")
