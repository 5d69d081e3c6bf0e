"""Indexing: ``x[key]`` (basic and integer-array), gather and masked_fill.

The gradient of indexing scatters the output gradient back to the indexed positions and *adds*
where an index repeats, so ``x[[0, 0]]`` passes twice the gradient to ``x[0]``.
"""

from __future__ import annotations

import numbers

from shenjing.autograd import tracing
from shenjing.autograd.function import DtypeError, Function, IndexRangeError, ShapeError
from shenjing.autograd.tensor import Tensor
from shenjing.backend import array_module, scatter_add
from shenjing.ops.checks import (
    _asarray,
    _copy,
    broadcast_shape,
    computed,
    dim_or_axis,
    normalize_dim,
    require_tensor,
)
from shenjing.ops.elementwise import where


def _is_basic(key: tuple) -> bool:
    """True when ``key`` holds only ints, slices, None and Ellipsis: the result is a view."""
    return all(
        isinstance(k, (slice, type(None), type(Ellipsis)))
        or (isinstance(k, numbers.Integral) and not isinstance(k, bool))
        for k in key
    )


def _list_index(*, xp, value):
    return xp.asarray(value)


def _is_int(k) -> bool:
    return isinstance(k, numbers.Integral) and not isinstance(k, bool)


def _as_key(xp, key, shape: tuple) -> tuple:
    """An indexing key as a tuple of ints, slices, None, Ellipsis and integer arrays.

    Tensors and lists become arrays (copied, so that changing an index tensor later cannot change
    a gradient); a bool mask becomes the integer positions where it holds, after checking that it
    has the shape of the dims it indexes.
    """
    if not isinstance(key, tuple):
        key = (key,)
    key = tuple(tracing.kernel(_copy, k) if isinstance(k, Tensor)
                else tracing.kernel(_list_index, xp=xp, value=k) if isinstance(k, list)
                else k for k in key)
    consumed = sum(k.ndim if _is_mask(k) else 0 if k is None or k is Ellipsis else 1 for k in key)
    converted, dim = [], 0
    for k in key:
        if k is Ellipsis:
            dim += len(shape) - consumed
        elif hasattr(k, "dtype"):
            if k.dtype.kind not in "biu":
                raise IndexError(f"index: tensors used as indices must be integer or bool, "
                                 f"got {k.dtype}")
            if _is_mask(k):
                tracing.refuse("indexing with a boolean mask",
                               "the result's shape depends on how many elements the mask selects")
                covered = shape[dim:dim + k.ndim]
                if k.shape != covered:
                    raise IndexError(f"index: a mask of shape {k.shape} does not match the shape "
                                     f"{covered} of the dims it indexes in a tensor of shape "
                                     f"{shape} (from dim {dim})")
                converted.extend(k.nonzero())  # the positions where the mask holds
                dim += k.ndim
                continue
            dim += 1
        elif k is not None:
            dim += 1
        converted.append(k)
    return tuple(converted)


def _is_mask(k) -> bool:
    return hasattr(k, "dtype") and k.dtype.kind == "b" and k.ndim > 0


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
    key = _as_key(array_module(input._data), key, input.shape)
    if _is_basic(key):
        return GetItemView.apply(input, key=key)
    if any(_is_int(k) for k in key):
        # PyTorch applies ints as basic indexing first, so x[1, :, idx] has shape (4, len(idx))
        # for x of shape (3, 4, 5); NumPy would treat 1 as an array and put len(idx) first.
        basic = []
        rest = []
        for k in key:
            if _is_int(k):
                basic.append(k)
            elif k is None:
                basic.append(None)
                rest.append(slice(None))
            else:
                basic.append(k if k is Ellipsis else slice(None))
                rest.append(k)
        input = GetItemView.apply(input, key=tuple(basic))
        key = tuple(rest)
    return GetItem.apply(input, key=key)


def _check_gather_index(index, *, dim: int, size: int) -> None:
    """Every index in [0, size); a kernel, so compiled steps check each batch's."""
    if index.size and (index.min() < 0 or index.max() >= size):
        bad = index[(index < 0) | (index >= size)].flat[0]
        raise IndexRangeError(f"gather: index {int(bad)} is out of bounds for dim {dim} with "
                              f"size {size}")


@dim_or_axis
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
    if input.ndim == 0:
        raise ShapeError("gather: input must have at least 1 dim, got a 0-d tensor")
    if index.dtype.kind not in "iu":
        raise DtypeError(f"gather: index must be an integer tensor, got {index.dtype} of shape "
                         f"{index.shape}")
    dim = normalize_dim("gather", dim, input.ndim)
    if index.ndim != input.ndim:
        raise ShapeError(f"gather: index of shape {index.shape} must have as many dims as input "
                         f"of shape {input.shape}")
    for d, (n, m) in enumerate(zip(index.shape, input.shape)):
        if d != dim and n > m:
            raise ShapeError(f"gather: index of shape {index.shape} is larger than input of "
                             f"shape {input.shape} in dim {d}")
    xp = array_module(input._data)
    tracing.kernel(_check_gather_index, index, dim=dim, size=input.shape[dim],
                   name="gather: check")
    # out[i, j, k] = input[i, index[i, j, k], k] for dim 1: an open grid for the other dims
    key = tuple(
        tracing.kernel(_copy, index) if d == dim
        else tracing.constant(xp.arange(n).reshape((-1,) + (1,) * (index.ndim - 1 - d)))
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
        raise DtypeError(f"masked_fill: mask must be a bool tensor, got {mask.dtype} of shape "
                         f"{mask.shape}")
    if broadcast_shape("masked_fill", mask.shape, input.shape) != input.shape:
        raise ShapeError(f"masked_fill: mask of shape {mask.shape} does not broadcast to input "
                         f"of shape {input.shape}")
    if isinstance(value, Tensor) and value.ndim != 0:
        raise ShapeError(f"masked_fill: value must be a 0-dim tensor, got shape {value.shape}")
    if isinstance(value, Tensor):
        value = value if value.dtype == input.dtype else value.to(input.dtype)
    else:  # the fill value takes the input's dtype (0.5 in an integer tensor is 0), as in PyTorch
        value = computed(_asarray, input, value=value, dtype=input.dtype)
    return where(mask, value, input)
