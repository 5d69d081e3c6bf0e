"""Indexing: ``x[key]`` (basic and integer-array), gather and masked_fill.

The gradient of indexing scatters the output gradient back to the indexed positions and *adds*
where an index repeats, so ``x[[0, 0]]`` passes twice the gradient to ``x[0]``.
"""

from __future__ import annotations

import numbers

from shenjing.autograd.function import Function, ShapeError
from shenjing.autograd.tensor import Tensor
from shenjing.backend import array_module, scatter_add
from shenjing.ops.checks import broadcast_shape, normalize_dim, require_tensor
from shenjing.ops.elementwise import where


def _is_basic(key: tuple) -> bool:
    """True when ``key`` holds only ints, slices, None and Ellipsis: the result is a view."""
    return all(
        isinstance(k, (slice, type(None), type(Ellipsis)))
        or (isinstance(k, numbers.Integral) and not isinstance(k, bool))
        for k in key
    )


def _as_key(xp, key) -> tuple:
    """An indexing key with tensors and lists turned into arrays, always as a tuple."""
    if not isinstance(key, tuple):
        key = (key,)
    converted = []
    for k in key:
        if isinstance(k, Tensor):
            k = k._data
        elif isinstance(k, list):
            k = xp.asarray(k)
        if hasattr(k, "dtype") and k.dtype.kind not in "biu":
            raise IndexError(f"index: tensors used as indices must be integer or bool, "
                             f"got {k.dtype}")
        if hasattr(k, "dtype") and k.dtype.kind == "b" and k.ndim:
            converted.extend(k.nonzero())  # a mask selects the positions where it is True
        else:
            converted.append(k)
    return tuple(converted)


class GetItem(Function):
    def forward(self, x, key):
        self.input_shape, self.key = x.shape, key
        return x[key]

    def backward(self, gy):
        return IndexBackward.apply(gy, shape=self.input_shape, key=self.key)


class GetItemView(GetItem):
    """Basic indexing (ints, slices): the result shares memory with the input."""

    returns_view = True


class IndexBackward(Function):
    """Scatter a gradient into zeros of the indexed tensor's shape, adding at repeated indices."""

    def forward(self, gy, shape, key):
        self.key = key
        gx = self.xp.zeros(shape, dtype=gy.dtype)
        if _is_basic(key):
            gx[key] = gy
        else:
            scatter_add(gx, key, gy)
        return gx

    def backward(self, ggx):
        return ggx[self.key]


def getitem(input: Tensor, key) -> Tensor:
    """``input[key]`` with NumPy's rules: ints, slices, None, ..., integer and bool arrays.

    >>> import shenjing as sj
    >>> x = sj.arange(6.0).reshape(2, 3)
    >>> x[1], x[:, [0, 2]]
    (tensor([3., 4., 5.]), tensor([[0., 2.],
            [3., 5.]]))
    """
    key = _as_key(array_module(input._data), key)
    op = GetItemView if _is_basic(key) else GetItem
    return op.apply(input, key=key)


def gather(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """Pick ``out[i][j] = input[index[i][j]][j]`` along ``dim`` (for dim 0); ``torch.gather``.

    ``index`` has the same number of dims as ``input`` and is no larger in the other dims.

    >>> import shenjing as sj
    >>> x = sj.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> sj.gather(x, 1, sj.tensor([[0, 0], [1, 0]]))
    tensor([[1., 1.],
            [4., 3.]])
    """
    require_tensor("gather", input)
    require_tensor("gather", index)
    if index.dtype.kind not in "iu":
        raise TypeError(f"gather: index must be an integer tensor, got {index.dtype}")
    dim = normalize_dim("gather", dim, input.ndim)
    if index.ndim != input.ndim:
        raise ShapeError(f"gather: index of shape {index.shape} must have as many dims as input "
                         f"of shape {input.shape}")
    for d, (n, m) in enumerate(zip(index.shape, input.shape)):
        if d != dim and n > m:
            raise ShapeError(f"gather: index of shape {index.shape} is larger than input of "
                             f"shape {input.shape} in dim {d}")
    xp = array_module(input._data)
    if index.numel() and (index._data.min() < 0 or index._data.max() >= input.shape[dim]):
        bad = index._data[(index._data < 0) | (index._data >= input.shape[dim])].flat[0]
        raise IndexError(f"gather: index {int(bad)} is out of bounds for dim {dim} with size "
                         f"{input.shape[dim]}")
    # out[i, j, k] = input[i, index[i, j, k], k] for dim 1: an open grid for the other dims
    key = tuple(
        index._data if d == dim
        else xp.arange(n).reshape((-1,) + (1,) * (index.ndim - 1 - d))
        for d, n in enumerate(index.shape)
    )
    return GetItem.apply(input, key=key)


def masked_fill(input: Tensor, mask: Tensor, value) -> Tensor:
    """``input`` with ``value`` wherever the bool ``mask`` (broadcast) holds; ``masked_fill``.

    >>> import shenjing as sj
    >>> x = sj.tensor([1.0, -2.0, 3.0])
    >>> sj.masked_fill(x, x < 0, 0.0)
    tensor([1., 0., 3.])
    """
    require_tensor("masked_fill", input)
    require_tensor("masked_fill", mask)
    if mask.dtype.kind != "b":
        raise TypeError(f"masked_fill: mask must be a bool tensor, got {mask.dtype}")
    if broadcast_shape("masked_fill", mask.shape, input.shape) != input.shape:
        raise ShapeError(f"masked_fill: mask of shape {mask.shape} does not broadcast to input "
                         f"of shape {input.shape}")
    if isinstance(value, Tensor) and value.ndim != 0:
        raise ShapeError(f"masked_fill: value must be a 0-dim tensor, got shape {value.shape}")
    if isinstance(value, Tensor) and value.dtype != input.dtype:
        value = value.to(input.dtype)
    return where(mask, value, input)
