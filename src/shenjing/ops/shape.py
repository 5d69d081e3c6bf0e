"""Operations that rearrange elements: reshape, permute, expand, cat, split, stack, pad.

Most return views that share memory with their input (as NumPy and PyTorch do); their gradients
rearrange the output gradient back.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from shenjing.autograd import tracing

# SumTo and sum_to are used by the engine, so they live in autograd; re-exported as ops' names.
from shenjing.autograd.broadcast import BroadcastTo, SumTo, sum_to  # noqa: F401
from shenjing.autograd.function import ArgumentError, Function, ShapeError
from shenjing.autograd.tensor import Tensor
from shenjing.backend import array_module
from shenjing.backend.dtype import as_dtype, is_dtype
from shenjing.ops.checks import dim_or_axis, normalize_dim, promote, require_tensor


def _size_args(op: str, size) -> tuple[int, ...]:
    """Accept both f(2, 3) and f((2, 3)), as PyTorch does."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    try:
        return tuple(int(n) for n in size)
    except (TypeError, ValueError):
        raise TypeError(f"{op}: sizes must be ints, got {size!r}") from None


# -- reshape and its relatives -------------------------------------------------------------------
class Reshape(Function):
    returns_view = True

    def forward(self, x, shape):
        self.input_shape = x.shape
        return x.reshape(shape)

    def backward(self, gy):
        return gy.reshape(self.input_shape)


def _infer_shape(op: str, shape: tuple[int, ...], x: Tensor) -> tuple[int, ...]:
    numel = x.numel()
    unknown = [i for i, n in enumerate(shape) if n == -1]
    known = math.prod(n for n in shape if n != -1)
    if len(unknown) > 1 or any(n < -1 for n in shape):
        raise ShapeError(f"{op}: invalid shape {shape} (at most one -1, no other negative size)")
    if unknown:
        if known == 0 or numel % known:
            raise ShapeError(f"{op}: shape {shape} is invalid for input of shape {x.shape} "
                             f"({numel} elements)")
        shape = shape[: unknown[0]] + (numel // known,) + shape[unknown[0] + 1:]
    elif known != numel:
        raise ShapeError(f"{op}: shape {shape} is invalid for input of shape {x.shape} "
                         f"({numel} elements)")
    return shape


def reshape(input: Tensor, *shape) -> Tensor:
    """The same elements in a new shape (one size may be -1); equivalent of ``torch.reshape``.

    >>> import shenjing as sj
    >>> sj.reshape(sj.arange(6), (2, -1))
    tensor([[0, 1, 2],
            [3, 4, 5]])
    """
    require_tensor("reshape", input)
    shape = _infer_shape("reshape", _size_args("reshape", shape), input)
    return Reshape.apply(input, shape=shape)


def view(input: Tensor, *shape) -> Tensor:
    """Like ``reshape``; kept for PyTorch code (NumPy copies where a view is impossible).

    ``x.view(dtype)`` instead reads the same bytes as another dtype, as PyTorch's does: the
    last dim grows or shrinks by the ratio of the element sizes, and the result has no gradient.

    >>> import shenjing as sj
    >>> sj.ones(2, 3).view(-1).shape
    (6,)
    >>> sj.tensor([1.0]).view(sj.int32)
    tensor([1065353216], dtype=int32)
    """
    if len(shape) == 1 and is_dtype(shape[0]):
        return _view_as_dtype(input, shape[0])
    return reshape(input, *shape)


def _view_as_dtype(input: Tensor, dtype) -> Tensor:
    require_tensor("view", input)
    dtype = as_dtype(dtype)
    old, new = input.dtype.itemsize, dtype.itemsize
    if old != new:
        if input.ndim == 0:
            raise ArgumentError(f"view: a 0-d tensor of {input.dtype} cannot be viewed as "
                                f"{dtype} (different element sizes)")
        if input._data.strides[-1] != old:
            raise ArgumentError(f"view: the last dim of shape {input.shape} must be contiguous "
                                f"to view {input.dtype} as {dtype} (different element sizes)")
        if (input.shape[-1] * old) % new:
            raise ArgumentError(f"view: the last dim of shape {input.shape} must hold a whole "
                                f"number of {dtype} elements to view {input.dtype} as {dtype}")
    return Tensor._make(tracing.kernel(_reinterpret, input, name="view", dtype=dtype))


def _reinterpret(x, *, dtype):
    return x.view(dtype)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims ``start_dim..end_dim`` into one; equivalent of ``torch.flatten``.

    >>> import shenjing as sj
    >>> sj.flatten(sj.ones(2, 3, 4), start_dim=1).shape
    (2, 12)
    """
    require_tensor("flatten", input)
    if input.ndim == 0:
        return reshape(input, 1)
    start = normalize_dim("flatten", start_dim, input.ndim)
    end = normalize_dim("flatten", end_dim, input.ndim)
    if start > end:
        raise ArgumentError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    shape = input.shape
    return reshape(input, shape[:start] + (math.prod(shape[start:end + 1]),) + shape[end + 1:])


@dim_or_axis
def squeeze(input: Tensor, dim=None) -> Tensor:
    """Remove dims of size 1 (all, or those in ``dim`` that have size 1); ``torch.squeeze``.

    >>> import shenjing as sj
    >>> sj.squeeze(sj.ones(2, 1, 3, 1)).shape, sj.squeeze(sj.ones(2, 1, 3), 0).shape
    ((2, 3), (2, 1, 3))
    """
    require_tensor("squeeze", input)
    if dim is None:
        dims = {i for i, n in enumerate(input.shape) if n == 1}
    else:
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        dims = {normalize_dim("squeeze", d, input.ndim) for d in dims}
        dims = {d for d in dims if input.ndim and input.shape[d] == 1}
    return reshape(input, tuple(n for i, n in enumerate(input.shape) if i not in dims))


@dim_or_axis
def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Insert a dim of size 1 at ``dim``; equivalent of ``torch.unsqueeze``.

    >>> import shenjing as sj
    >>> sj.unsqueeze(sj.ones(2, 3), -1).shape
    (2, 3, 1)
    """
    require_tensor("unsqueeze", input)
    dim = normalize_dim("unsqueeze", dim, input.ndim + 1)
    shape = input.shape
    return reshape(input, shape[:dim] + (1,) + shape[dim:])


# -- permuting dims ------------------------------------------------------------------------------
class Permute(Function):
    returns_view = True

    def forward(self, x, dims):
        self.dims = dims
        return x.transpose(dims)

    def backward(self, gy):
        inverse = [0] * len(self.dims)
        for position, d in enumerate(self.dims):
            inverse[d] = position
        return gy.permute(inverse)


def permute(input: Tensor, *dims) -> Tensor:
    """Reorder the dims: output dim i is input dim ``dims[i]``; equivalent of ``torch.permute``.

    >>> import shenjing as sj
    >>> sj.permute(sj.ones(2, 3, 4), (2, 0, 1)).shape
    (4, 2, 3)
    """
    require_tensor("permute", input)
    dims = _size_args("permute", dims)
    normalized = tuple(normalize_dim("permute", d, input.ndim) for d in dims)
    if sorted(normalized) != list(range(input.ndim)):
        raise ShapeError(f"permute: dims {dims} are not a permutation of the {input.ndim} dims "
                         f"of a tensor of shape {input.shape}")
    return Permute.apply(input, dims=normalized)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dims; equivalent of ``torch.transpose``.

    >>> import shenjing as sj
    >>> sj.transpose(sj.ones(2, 3, 4), 0, -1).shape
    (4, 3, 2)
    """
    require_tensor("transpose", input)
    if input.ndim == 0:
        return input
    dims = list(range(input.ndim))
    d0 = normalize_dim("transpose", dim0, input.ndim)
    d1 = normalize_dim("transpose", dim1, input.ndim)
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return Permute.apply(input, dims=tuple(dims))


def t(input: Tensor) -> Tensor:
    """Transpose a matrix (vectors and scalars are returned as they are); ``torch.t``.

    >>> import shenjing as sj
    >>> sj.t(sj.ones(2, 3)).shape
    (3, 2)
    """
    require_tensor("t", input)
    if input.ndim > 2:
        raise ShapeError(f"t: expects a tensor of at most 2 dims, got shape {input.shape}; "
                         "use transpose(dim0, dim1)")
    return transpose(input, 0, -1) if input.ndim == 2 else input


# -- broadcasting --------------------------------------------------------------------------------
def broadcast_to(input: Tensor, shape) -> Tensor:
    """A view of ``input`` broadcast to ``shape``; equivalent of ``torch.broadcast_to``.

    >>> import shenjing as sj
    >>> sj.broadcast_to(sj.tensor([1.0, 2.0]), (2, 2))
    tensor([[1., 2.],
            [1., 2.]])
    """
    require_tensor("broadcast_to", input)
    shape = tuple(int(n) for n in shape)
    if shape == input.shape:
        return input
    _check_expand("broadcast_to", input.shape, shape)
    return BroadcastTo.apply(input, shape=shape)


def _check_expand(op: str, shape: tuple, target: tuple) -> None:
    if len(target) < len(shape):
        raise ShapeError(f"{op}: cannot expand shape {shape} to fewer dims {target}")
    lead = len(target) - len(shape)
    for i, n in enumerate(shape):
        if n != 1 and n != target[lead + i]:
            raise ShapeError(
                f"{op}: the expanded size {target[lead + i]} must match the existing size {n} at "
                f"non-singleton dim {i} (input shape {shape}, target shape {target})"
            )


def expand(input: Tensor, *sizes) -> Tensor:
    """Broadcast to ``sizes`` without copying; -1 keeps a dim's size. ``torch.Tensor.expand``.

    >>> import shenjing as sj
    >>> sj.ones(3, 1).expand(-1, 4).shape
    (3, 4)
    """
    require_tensor("expand", input)
    sizes = _size_args("expand", sizes)
    lead = len(sizes) - input.ndim
    if lead < 0:
        raise ShapeError(f"expand: {len(sizes)} sizes given for a tensor of shape {input.shape}")
    target = tuple(
        input.shape[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(sizes)
    )
    if any(n < 0 for n in target):
        raise ShapeError(f"expand: -1 is not allowed for a new leading dim, got {sizes}")
    return broadcast_to(input, target)


# -- joining and splitting -----------------------------------------------------------------------
class Cat(Function):
    def forward(self, *xs, dim):
        self.dim = dim
        self.sizes = [x.shape[dim] for x in xs]
        return self.xp.concatenate(xs, axis=dim)

    def backward(self, gy):
        return split(gy, self.sizes, self.dim)


@dim_or_axis
def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along an existing dim; equivalent of ``torch.cat``.

    >>> import shenjing as sj
    >>> sj.cat([sj.zeros(1, 2), sj.ones(2, 2)]).shape
    (3, 2)
    """
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat: expected a non-empty sequence of tensors")
    for t in tensors:
        require_tensor("cat", t)
    first = tensors[0]
    if first.ndim == 0:
        raise ShapeError("cat: zero-dimensional tensors cannot be concatenated; use stack")
    dim = normalize_dim("cat", dim, first.ndim)
    for i, t in enumerate(tensors[1:], start=1):
        if t.ndim != first.ndim or any(
            a != b for d, (a, b) in enumerate(zip(first.shape, t.shape)) if d != dim
        ):
            raise ShapeError(
                f"cat: tensors must have the same shape except in dim {dim}, but tensor 0 has "
                f"shape {first.shape} and tensor {i} has shape {t.shape}"
            )
    tensors = list(promote(*tensors))
    return Cat.apply(*tensors, dim=dim)


concat = concatenate = cat


@dim_or_axis
def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join same-shaped tensors along a new dim; equivalent of ``torch.stack``.

    >>> import shenjing as sj
    >>> sj.stack([sj.zeros(2), sj.ones(2)], dim=1)
    tensor([[0., 1.],
            [0., 1.]])
    """
    tensors = list(tensors)
    if not tensors:
        raise ArgumentError("stack: expected a non-empty sequence of tensors")
    for i, t in enumerate(tensors):
        require_tensor("stack", t)
        if t.shape != tensors[0].shape:
            raise ShapeError(f"stack: expects tensors of equal shape, but tensor 0 has shape "
                             f"{tensors[0].shape} and tensor {i} has shape {t.shape}")
    dim = normalize_dim("stack", dim, tensors[0].ndim + 1)
    return cat([unsqueeze(t, dim) for t in tensors], dim)


class Split(Function):
    returns_view = True

    def forward(self, x, sizes, dim):
        self.dim = dim
        bounds, total = [], 0
        for n in sizes[:-1]:
            total += n
            bounds.append(total)
        return tuple(self.xp.split(x, bounds, axis=dim))

    def backward(self, *gys):
        return cat(gys, self.dim)


@dim_or_axis
def split(tensor: Tensor, split_size_or_sections, dim: int = 0) -> tuple[Tensor, ...]:
    """Split into pieces of a given size (the last may be smaller) or of listed sizes.

    Equivalent of ``torch.split``.

    >>> import shenjing as sj
    >>> [p.shape for p in sj.split(sj.ones(5, 2), 2)]
    [(2, 2), (2, 2), (1, 2)]
    """
    require_tensor("split", tensor)
    dim = normalize_dim("split", dim, tensor.ndim)
    n = tensor.shape[dim]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        if size <= 0:
            raise ArgumentError(f"split: split_size must be positive, got {size}")
        sizes = [size] * (n // size) + ([n % size] if n % size else [])
        sizes = sizes or [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise ShapeError(f"split: sizes {sizes} do not add up to {n}, the size of dim {dim} "
                             f"of a tensor of shape {tensor.shape}")
    return Split.apply(tensor, sizes=sizes, dim=dim)


@dim_or_axis
def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """Split into ``chunks`` pieces of equal size (the last may be smaller); ``torch.chunk``.

    >>> import shenjing as sj
    >>> [p.shape for p in sj.chunk(sj.ones(4, 6), 3, dim=1)]
    [(4, 2), (4, 2), (4, 2)]
    """
    require_tensor("chunk", input)
    if chunks <= 0:
        raise ArgumentError(f"chunk: chunks must be positive, got {chunks}")
    dim = normalize_dim("chunk", dim, input.ndim)
    size = -(-input.shape[dim] // chunks)  # ceil, as PyTorch: may return fewer chunks
    return split(input, max(size, 1), dim)


# -- padding -------------------------------------------------------------------------------------
class ConstantPad(Function):
    def forward(self, x, widths, value):
        self.crop = tuple(slice(before, before + n) for (before, _), n in zip(widths, x.shape))
        return self.xp.pad(x, widths, mode="constant", constant_values=value)

    def backward(self, gy):
        return gy[self.crop]


_PAD_MODES = ("constant", "reflect", "replicate", "circular")

# PyTorch pads the last 1, 2 or 3 dims in the non-constant modes, of inputs with or without a
# batch dim: padding length -> the input ranks accepted.
_NON_CONSTANT_RANKS = {2: (2, 3), 4: (3, 4), 6: (4, 5)}


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant",
        value: float | None = None) -> Tensor:
    """Pad the last dims: ``pad = (left, right, top, bottom, ...)`` starting from the last dim.

    Modes ``'constant'`` (with ``value``, 0 by default), ``'reflect'``, ``'replicate'`` and
    ``'circular'``; a negative width crops instead. As in PyTorch, the non-constant modes pad
    the last 1, 2 or 3 dims of an input with one or two more, and reflect padding must be
    smaller than the dim.
    Equivalent of ``torch.nn.functional.pad``.

    >>> import shenjing as sj
    >>> sj.nn.functional.pad(sj.ones(1, 2), (1, 0))
    tensor([[0., 1., 1.]])
    >>> sj.nn.functional.pad(sj.arange(4.0).reshape(1, 4), (2, -1), mode="reflect")
    tensor([[2., 1., 0., 1., 2.]])
    """
    require_tensor("pad", input)
    pad = [int(p) for p in pad]
    if len(pad) % 2:
        raise RuntimeError(f"pad: padding {tuple(pad)} must have an even length")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError(f"pad: padding {tuple(pad)} must have a length of at most "
                           f"2 * ndim = {2 * input.ndim} for input of shape {input.shape}")
    if mode not in _PAD_MODES:
        raise NotImplementedError(f"pad: unknown mode {mode!r}; expected 'constant', "
                                  "'reflect', 'replicate' or 'circular'")
    if mode != "constant" and value:
        raise RuntimeError(f"pad: {mode} padding takes no value, got value={value}")
    if mode != "constant" and input.ndim not in _NON_CONSTANT_RANKS.get(len(pad), ()):
        raise NotImplementedError(
            f"pad: {mode} padding {tuple(pad)} of length {len(pad)} is not supported for input "
            f"of shape {input.shape}; supported: length 2 for 2-D or 3-D input, 4 for 3-D or "
            "4-D, 6 for 4-D or 5-D")
    widths = [(0, 0)] * input.ndim
    for i in range(len(pad) // 2):
        widths[input.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    if mode == "constant":
        # Crop first (basic indexing, a view), then pad what is left.
        crop = []
        for d, (before, after) in enumerate(widths):
            n = input.shape[d]
            start, stop = max(-before, 0), n - max(-after, 0)
            if stop < start:
                raise RuntimeError(f"pad: negative padding {(before, after)} crops more than "
                                   f"the size {n} of dim {d} of input of shape {input.shape}")
            crop.append(slice(start, stop))
        if any(before < 0 or after < 0 for before, after in widths):
            input = input[tuple(crop)]
        widths = [(max(before, 0), max(after, 0)) for before, after in widths]
        return ConstantPad.apply(input, widths=widths, value=0 if value is None else value)
    # Non-constant modes copy input elements: index each dim with the positions it copies, so
    # that indexing's backward adds the gradient of every copy back to its source.
    xp = array_module(input._data)
    index = [_pad_positions(xp, mode, input.shape, d, before, after)
             for d, (before, after) in enumerate(widths)]
    return input[tuple(tracing.constant(i) for i in xp.ix_(*index))]


def _pad_positions(xp, mode: str, shape: tuple, d: int, before: int, after: int):
    """The positions of dim ``d`` that the padded (or cropped) output copies, in order."""
    n = shape[d]
    if mode == "circular":
        # PyTorch crops first, then wraps around what is left, at most once.
        start, stop = max(-before, 0), n - max(-after, 0)
        m = stop - start
        if m < 0 or max(before, after) > m:
            raise RuntimeError(f"pad: circular padding {(before, after)} wraps around dim {d} "
                               f"of input of shape {shape} more than once")
        return xp.arange(-max(before, 0), m + max(after, 0)) % max(m, 1) + start
    size = n + before + after
    if size < 1:
        raise RuntimeError(f"pad: {mode} padding {(before, after)} leaves no element of dim "
                           f"{d} of input of shape {shape} (output size {size})")
    if mode == "reflect" and (before >= n or after >= n):
        raise RuntimeError(f"pad: reflect padding {(before, after)} must be smaller than the "
                           f"size {n} of dim {d} of input of shape {shape}")
    # Output position j copies input position j - before, reflected or clamped into [0, n).
    positions = xp.arange(-before, n + after)
    if mode == "replicate":
        return xp.clip(positions, 0, n - 1)
    positions = xp.abs(positions)
    return xp.where(positions > n - 1, 2 * (n - 1) - positions, positions)
