"""Operations that move, repeat or pick out elements: flip, roll, repeat, tile, triangles,
diagonals, sliding windows, meshgrid, narrow and movedim.

Where an operation is a rearrangement the existing ones express (repeat as reshape, broadcast and
reshape; unfold as indexing with a window grid), it is built from them, so that its gradient and
second derivative come with them. The rest are one Function each, whose backward is the
operation's adjoint: a flip flips back, a roll rolls back, a diagonal is put back on zeros.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

from shenjing.autograd import tracing
from shenjing.autograd.function import ArgumentError, Function
from shenjing.autograd.tensor import Tensor
from shenjing.backend import array_module
from shenjing.ops.checks import dim_or_axis, normalize_dim, require_tensor
from shenjing.ops.indexing import GetItem
from shenjing.ops.shape import broadcast_to, permute, reshape, unsqueeze

__all__ = [
    "diag",
    "diag_embed",
    "diagonal",
    "flip",
    "fliplr",
    "flipud",
    "meshgrid",
    "moveaxis",
    "movedim",
    "narrow",
    "repeat",
    "repeat_interleave",
    "roll",
    "tile",
    "tril",
    "triu",
    "unflatten",
    "unfold",
]

# Functions with the tensor first that PyTorch also has as ``torch.Tensor.<name>``.
METHODS = ("diag", "diag_embed", "diagonal", "flip", "fliplr", "flipud", "moveaxis", "movedim",
           "narrow", "repeat", "repeat_interleave", "roll", "tile", "tril", "triu", "unflatten",
           "unfold")


def _int_list(op: str, name: str, value) -> tuple[int, ...]:
    """An int or a sequence of ints as a tuple (PyTorch accepts both for dims and shifts)."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return (int(value),)
    if isinstance(value, (tuple, list)) and all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in value):
        return tuple(int(v) for v in value)
    raise TypeError(f"{op}: {name} must be an int or a sequence of ints, got {value!r}")


def _distinct_dims(op: str, dims, ndim: int) -> tuple[int, ...]:
    dims = tuple(normalize_dim(op, d, ndim) for d in _int_list(op, "dims", dims))
    for d in dims:
        if dims.count(d) > 1:
            raise RuntimeError(f"{op}: dim {d} appears multiple times in the list of dims {dims}")
    return dims


# -- flip and roll -------------------------------------------------------------------------------
class Flip(Function):
    def forward(self, x, dims):
        self.dims = dims
        return self.xp.flip(x, axis=dims).copy()  # a copy, as PyTorch's flip

    def backward(self, gy):
        return Flip.apply(gy, dims=self.dims)


def flip(input: Tensor, dims, *more_dims) -> Tensor:
    """Reverse the order of elements along ``dims``; equivalent of ``torch.flip``.

    As a method the dims may also be listed: ``x.flip(0, 1)``.

    >>> import shenjing as sj
    >>> sj.flip(sj.arange(6).reshape(2, 3), (1,))
    tensor([[2, 1, 0],
            [5, 4, 3]])
    """
    require_tensor("flip", input)
    if more_dims:
        dims = _int_list("flip", "dims", dims) + _int_list("flip", "dims", more_dims)
    dims = _distinct_dims("flip", dims, input.ndim)
    if input.ndim == 0 or not dims:
        return input.clone()
    return Flip.apply(input, dims=dims)


def fliplr(input: Tensor) -> Tensor:
    """Flip left-right: reverse dim 1 of a tensor of at least 2 dims; ``torch.fliplr``.

    >>> import shenjing as sj
    >>> sj.fliplr(sj.tensor([[1, 2], [3, 4]]))
    tensor([[2, 1],
            [4, 3]])
    """
    require_tensor("fliplr", input)
    if input.ndim < 2:
        raise RuntimeError(f"fliplr: input must be >= 2-d, got shape {input.shape}")
    return flip(input, (1,))


def flipud(input: Tensor) -> Tensor:
    """Flip up-down: reverse dim 0 of a tensor of at least 1 dim; ``torch.flipud``.

    >>> import shenjing as sj
    >>> sj.flipud(sj.tensor([1, 2, 3]))
    tensor([3, 2, 1])
    """
    require_tensor("flipud", input)
    if input.ndim < 1:
        raise RuntimeError(f"flipud: input must be >= 1-d, got shape {input.shape}")
    return flip(input, (0,))


class Roll(Function):
    def forward(self, x, shifts, dims):
        self.shifts, self.dims = shifts, dims
        return self.xp.roll(x, shifts, axis=dims)

    def backward(self, gy):
        shifts = -self.shifts if self.dims is None else tuple(-s for s in self.shifts)
        return Roll.apply(gy, shifts=shifts, dims=self.dims)


def roll(input: Tensor, shifts, dims=None) -> Tensor:
    """Shift elements circularly by ``shifts`` along ``dims`` (the flattened tensor when None).

    Equivalent of ``torch.roll``.

    >>> import shenjing as sj
    >>> sj.roll(sj.tensor([1, 2, 3, 4]), 1)
    tensor([4, 1, 2, 3])
    """
    require_tensor("roll", input)
    shifts = _int_list("roll", "shifts", shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"roll: shifts {shifts} and dims None must align: one shift rolls "
                               "the flattened tensor")
        return Roll.apply(input, shifts=shifts[0], dims=None)
    dims = tuple(normalize_dim("roll", d, input.ndim) for d in _int_list("roll", "dims", dims))
    if len(shifts) != len(dims):
        raise RuntimeError(f"roll: shifts and dims must align, got {len(shifts)} shifts "
                           f"{shifts} and {len(dims)} dims {dims}")
    if input.ndim == 0:
        return input.clone()
    return Roll.apply(input, shifts=shifts, dims=dims)


# -- repeating -----------------------------------------------------------------------------------
def repeat(input: Tensor, *sizes) -> Tensor:
    """Tile the tensor ``sizes[i]`` times along dim i (new leading dims where ``sizes`` is longer).

    Equivalent of ``torch.Tensor.repeat``.

    >>> import shenjing as sj
    >>> sj.tensor([1, 2]).repeat(2, 2)
    tensor([[1, 2, 1, 2],
            [1, 2, 1, 2]])
    """
    require_tensor("repeat", input)
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    sizes = _int_list("repeat", "sizes", tuple(sizes))
    if len(sizes) < input.ndim:
        raise RuntimeError(f"repeat: {len(sizes)} repeat sizes {sizes} are fewer than the "
                           f"{input.ndim} dims of a tensor of shape {input.shape}")
    if any(n < 0 for n in sizes):
        raise RuntimeError(f"repeat: repeat sizes must be non-negative, got {sizes}")
    shape = (1,) * (len(sizes) - input.ndim) + input.shape
    if all(n == 1 for n in sizes):
        return reshape(input.clone(), shape)  # new memory, as every repeat makes
    # (s0, s1, ...) -> (1, s0, 1, s1, ...) -> broadcast (r0, s0, r1, s1, ...) -> (r0*s0, r1*s1, ...)
    interleaved = tuple(n for s in shape for n in (1, s))
    expanded = tuple(n for r, s in zip(sizes, shape) for n in (r, s))
    y = broadcast_to(reshape(input, interleaved), expanded)
    return reshape(y, tuple(r * s for r, s in zip(sizes, shape)))


def tile(input: Tensor, dims, *more_dims) -> Tensor:
    """Like ``repeat``, but fewer ``dims`` than the tensor has repeat its last dims once.

    As a method the dims may also be listed: ``x.tile(2, 2)``. Equivalent of ``torch.tile``.

    >>> import shenjing as sj
    >>> sj.tile(sj.tensor([[1, 2]]), (2,))
    tensor([[1, 2, 1, 2]])
    >>> sj.ones(2).tile(2, 2).shape
    (2, 4)
    """
    require_tensor("tile", input)
    dims = _int_list("tile", "dims", dims)
    if more_dims:
        dims += _int_list("tile", "dims", more_dims)
    return repeat(input, (1,) * (input.ndim - len(dims)) + dims)


def _repeated_positions(repeats, *, size: int):
    """Each position ``i`` of a dim of ``size``, ``repeats[i]`` times; checks the repeats."""
    xp = array_module(repeats)
    if repeats.size == 1:  # one count (0-d or 1-element) is broadcast, as in PyTorch
        repeats = xp.full(size, repeats.reshape(()))
    if repeats.shape != (size,):
        raise RuntimeError(f"repeat_interleave: repeats must have the same size as input along "
                           f"dim, got {repeats.shape[0]} repeats for a dim of size {size}")
    if repeats.size and repeats.min() < 0:
        raise RuntimeError("repeat_interleave: repeats can not be negative")
    return xp.repeat(xp.arange(size), repeats)


@dim_or_axis
def repeat_interleave(input: Tensor, repeats=None, dim: int | None = None, *,
                      output_size: int | None = None) -> Tensor:
    """Repeat each element ``repeats`` times (an int, or a tensor of one count per element).

    Along ``dim``, or over the flattened tensor when ``dim`` is None. With a tensor of counts
    the output's shape depends on their values, so a compiled step refuses it. Called with one
    integer tensor alone, it repeats ``arange(len(input))`` ``input`` times. ``output_size``
    is accepted and not needed (PyTorch uses it to skip a device sync). Equivalent of
    ``torch.repeat_interleave``.

    >>> import shenjing as sj
    >>> sj.repeat_interleave(sj.tensor([1, 2]), 2)
    tensor([1, 1, 2, 2])
    >>> sj.repeat_interleave(sj.tensor([[1, 2], [3, 4]]), sj.tensor([1, 2]), dim=0)
    tensor([[1, 2],
            [3, 4],
            [3, 4]])
    """
    require_tensor("repeat_interleave", input)
    if repeats is None:  # repeat_interleave(counts): arange(len(counts)) repeated counts times
        if input.ndim != 1 or input.dtype.kind not in "iu":
            raise RuntimeError(f"repeat_interleave: repeats must be a 1-d integer tensor, got "
                               f"shape {input.shape} and dtype {input.dtype}")
        tracing.refuse("repeat_interleave with a tensor of repeats",
                       "the output's length is the sum of the repeats")
        return Tensor._make(_repeated_positions(input._data, size=input.shape[0]))
    if dim is None:
        input, dim = reshape(input, -1), 0
    dim = normalize_dim("repeat_interleave", dim, input.ndim)
    if input.ndim == 0:
        input = reshape(input, 1)
    if isinstance(repeats, Tensor) and repeats.ndim == 0 and not tracing.active():
        repeats = int(repeats.item())
    if isinstance(repeats, Tensor):
        if repeats.dtype.kind not in "iu" or repeats.ndim > 1:
            raise RuntimeError(f"repeat_interleave: repeats must be a 0-d or 1-d integer tensor, "
                               f"got shape {repeats.shape} and dtype {repeats.dtype}")
        tracing.refuse("repeat_interleave with a tensor of repeats",
                       "the output's length is the sum of the repeats")
        positions = _repeated_positions(repeats._data, size=input.shape[dim])
        return GetItem.apply(input, key=(slice(None),) * dim + (positions,))
    if isinstance(repeats, bool) or not isinstance(repeats, numbers.Integral):
        raise TypeError(f"repeat_interleave: repeats must be an int or a tensor, got {repeats!r}")
    if repeats < 0:
        raise RuntimeError(f"repeat_interleave: repeats must be non-negative, got {repeats}")
    # (..., n, ...) -> (..., n, 1, ...) -> broadcast (..., n, r, ...) -> (..., n*r, ...)
    shape = input.shape
    y = unsqueeze(input, dim + 1)
    y = broadcast_to(y, shape[:dim + 1] + (int(repeats),) + shape[dim + 1:])
    return reshape(y, shape[:dim] + (shape[dim] * int(repeats),) + shape[dim + 1:])


# -- triangles and diagonals ---------------------------------------------------------------------
class Triangle(Function):
    """The lower (``upper=False``) or upper triangle of the last two dims; the rest zeroed."""

    def forward(self, x, diagonal, upper):
        self.diagonal, self.upper = diagonal, upper
        return (self.xp.triu if upper else self.xp.tril)(x, diagonal)

    def backward(self, gy):
        return Triangle.apply(gy, diagonal=self.diagonal, upper=self.upper)


def _triangle(op: str, input: Tensor, diagonal: int, upper: bool) -> Tensor:
    require_tensor(op, input)
    if input.ndim < 2:
        raise RuntimeError(f"{op}: input tensor must have at least 2 dimensions, got shape "
                           f"{input.shape}")
    return Triangle.apply(input, diagonal=int(diagonal), upper=upper)


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dims, on and below ``diagonal``; ``torch.tril``.

    >>> import shenjing as sj
    >>> sj.tril(sj.ones(2, 3))
    tensor([[1., 0., 0.],
            [1., 1., 0.]])
    """
    return _triangle("tril", input, diagonal, upper=False)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two dims, on and above ``diagonal``; ``torch.triu``.

    >>> import shenjing as sj
    >>> sj.triu(sj.ones(2, 3), diagonal=1)
    tensor([[0., 1., 1.],
            [0., 0., 1.]])
    """
    return _triangle("triu", input, diagonal, upper=True)


def _diagonal_positions(xp, n1: int, n2: int, offset: int):
    """Row and column of each element of the ``offset`` diagonal of an (n1, n2) matrix."""
    length = max(0, min(n1 + min(offset, 0), n2 - max(offset, 0)))
    i = xp.arange(length)
    return i + max(-offset, 0), i + max(offset, 0)


class Diagonal(Function):
    """The ``offset`` diagonal of dims ``dim1`` and ``dim2``, as the last dim of the output."""

    def forward(self, x, offset, dim1, dim2):
        self.shape, self.offset, self.dim1, self.dim2 = x.shape, offset, dim1, dim2
        return self.xp.diagonal(x, offset, dim1, dim2).copy()  # NumPy's view is read-only

    def backward(self, gy):
        return DiagEmbed.apply(gy, shape=self.shape, offset=self.offset, dim1=self.dim1,
                               dim2=self.dim2)


class DiagEmbed(Function):
    """Zeros of ``shape`` with ``v`` (..., L) on the ``offset`` diagonal of ``dim1``, ``dim2``."""

    def forward(self, v, shape, offset, dim1, dim2):
        self.offset, self.dim1, self.dim2 = offset, dim1, dim2
        xp = self.xp
        y = xp.zeros(shape, dtype=v.dtype)
        rows, cols = _diagonal_positions(xp, shape[dim1], shape[dim2], offset)
        # A view with dim1, dim2 last, where the other dims are in v's order.
        xp.moveaxis(y, (dim1, dim2), (-2, -1))[..., rows, cols] = v
        return y

    def backward(self, gy):
        return Diagonal.apply(gy, offset=self.offset, dim1=self.dim1, dim2=self.dim2)


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The ``offset`` diagonal of dims ``dim1`` and ``dim2``, appended as the last dim.

    ``offset > 0`` is above the main diagonal. Equivalent of ``torch.diagonal`` (which returns a
    view; this returns a copy).

    >>> import shenjing as sj
    >>> sj.diagonal(sj.arange(9).reshape(3, 3), 1)
    tensor([1, 5])
    """
    require_tensor("diagonal", input)
    d1 = normalize_dim("diagonal", dim1, input.ndim)
    d2 = normalize_dim("diagonal", dim2, input.ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal: dimensions cannot be identical, got dim1 {dim1} and dim2 "
                           f"{dim2} for a tensor of shape {input.shape}")
    return Diagonal.apply(input, offset=int(offset), dim1=d1, dim2=d2)


_diagonal_of = diagonal  # for diag, whose argument named diagonal hides the function


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Matrices whose ``offset`` diagonal (in output dims ``dim1``, ``dim2``) is the last dim.

    (..., n) -> (..., n + |offset|, n + |offset|) for the default dims. Equivalent of
    ``torch.diag_embed``.

    >>> import shenjing as sj
    >>> sj.diag_embed(sj.tensor([[1, 2]]))
    tensor([[[1, 0],
             [0, 2]]])
    """
    require_tensor("diag_embed", input)
    ndim = input.ndim + 1
    d1 = normalize_dim("diag_embed", dim1, ndim)
    d2 = normalize_dim("diag_embed", dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diag_embed: dimensions cannot be identical, got dim1 {dim1} and "
                           f"dim2 {dim2}")
    n = (input.shape[-1] if input.ndim else 1) + abs(int(offset))
    rest = list(input.shape[:-1])
    shape = []
    for d in range(ndim + 1):
        if d in (d1, d2):
            shape.append(n)
        elif rest:
            shape.append(rest.pop(0))
    if input.ndim == 0:
        input = reshape(input, 1)
    return DiagEmbed.apply(input, shape=tuple(shape), offset=int(offset), dim1=d1, dim2=d2)


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """A vector -> the square matrix with it on the ``diagonal``; a matrix -> that diagonal.

    Equivalent of ``torch.diag``.

    >>> import shenjing as sj
    >>> sj.diag(sj.tensor([1, 2]))
    tensor([[1, 0],
            [0, 2]])
    >>> sj.diag(sj.arange(4).reshape(2, 2))
    tensor([0, 3])
    """
    require_tensor("diag", input)
    if input.ndim == 1:
        return diag_embed(input, diagonal, 0, 1)
    if input.ndim == 2:
        return _diagonal_of(input, diagonal, 0, 1)
    raise RuntimeError(f"diag: supports 1-d or 2-d tensors, got shape {input.shape}")


# -- shapes, windows and grids -------------------------------------------------------------------
@dim_or_axis
def unflatten(input: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:
    """Split dim ``dim`` into ``sizes`` (one may be -1); equivalent of ``torch.unflatten``.

    >>> import shenjing as sj
    >>> sj.unflatten(sj.ones(2, 6), 1, (3, -1)).shape
    (2, 3, 2)
    """
    require_tensor("unflatten", input)
    dim = normalize_dim("unflatten", dim, input.ndim)
    sizes = _int_list("unflatten", "sizes", sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    n = input.shape[dim] if input.ndim else 1
    known = math.prod(s for s in sizes if s != -1)
    if sizes.count(-1) > 1 or any(s < -1 for s in sizes) or (
            n != known if -1 not in sizes else known == 0 or n % known):
        raise RuntimeError(f"unflatten: sizes {list(sizes)} don't multiply up to the size of dim "
                           f"{dim} ({n}) of a tensor of shape {input.shape}")
    sizes = tuple(n // known if s == -1 else s for s in sizes)
    return reshape(input, input.shape[:dim] + sizes + input.shape[dim + 1:])


def unfold(input: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """Every window of ``size`` elements along ``dimension``, ``step`` apart, as a new last dim.

    (..., n, ...) -> (..., (n - size) // step + 1, ..., size). Equivalent of
    ``torch.Tensor.unfold`` (which returns a view; this returns a copy).

    >>> import shenjing as sj
    >>> sj.arange(5).unfold(0, 2, 2)
    tensor([[0, 1],
            [2, 3]])
    """
    require_tensor("unfold", input)
    dim = normalize_dim("unfold", dimension, input.ndim)
    n = input.shape[dim] if input.ndim else 1
    if size < 0 or size > n:
        raise RuntimeError(f"unfold: maximum size for dim {dim} of a tensor of shape "
                           f"{input.shape} is {n}, but size is {size}")
    if step <= 0:
        raise RuntimeError(f"unfold: step is {step} but must be > 0")
    if input.ndim == 0:
        return reshape(input, 1)
    xp = array_module(input._data)
    count = (n - size) // step + 1
    # (count, size) positions: window k holds k*step .. k*step + size - 1
    windows = tracing.constant(xp.arange(count)[:, None] * step + xp.arange(size))
    y = GetItem.apply(input, key=(slice(None),) * dim + (windows,))  # (..., count, size, ...)
    return movedim(y, dim + 1, -1)


def meshgrid(*tensors, indexing: str = "ij") -> tuple[Tensor, ...]:
    """Coordinate grids from 1-d tensors: with ``indexing='ij'`` output k varies along dim k.

    ``'xy'`` swaps the first two dims, as NumPy's default. Equivalent of ``torch.meshgrid``.

    >>> import shenjing as sj
    >>> sj.meshgrid(sj.tensor([1, 2]), sj.tensor([3, 4, 5]), indexing="ij")[1]
    tensor([[3, 4, 5],
            [3, 4, 5]])
    """
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        tensors = tuple(tensors[0])
    if not tensors:
        raise RuntimeError("meshgrid: expects a non-empty list of tensors")
    if indexing not in ("ij", "xy"):
        raise ArgumentError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    for t in tensors:
        require_tensor("meshgrid", t)
        if t.ndim > 1:
            raise RuntimeError(f"meshgrid: expects 0-d or 1-d tensors, got shape {t.shape}")
        if t.dtype != tensors[0].dtype:
            raise RuntimeError(f"meshgrid: expects all tensors to have the same dtype, got "
                               f"{tensors[0].dtype} and {t.dtype}")
    sizes = [t.numel() for t in tensors]
    swap = indexing == "xy" and len(tensors) >= 2
    if swap:  # 'xy' is 'ij' of the first two inputs swapped, their grids swapped back
        sizes[0], sizes[1] = sizes[1], sizes[0]
        tensors = (tensors[1], tensors[0]) + tuple(tensors[2:])
    grids = []
    for k, t in enumerate(tensors):
        shape = [1] * len(tensors)
        shape[k] = sizes[k]
        grids.append(broadcast_to(reshape(t, tuple(shape)), tuple(sizes)))
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


@dim_or_axis
def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """Elements ``start .. start + length - 1`` of dim ``dim``; equivalent of ``torch.narrow``.

    >>> import shenjing as sj
    >>> sj.narrow(sj.arange(6).reshape(2, 3), 1, 1, 2)
    tensor([[1, 2],
            [4, 5]])
    """
    require_tensor("narrow", input)
    if input.ndim == 0:
        raise RuntimeError("narrow: cannot be applied to a 0-dim tensor")
    dim = normalize_dim("narrow", dim, input.ndim)
    if isinstance(start, Tensor):
        start = start.item()
    n = input.shape[dim]
    if not -n <= start <= n:
        raise IndexError(f"narrow: start {start} is out of range for dim {dim} of size {n} "
                         f"(expected a start in [{-n}, {n}])")
    start = start % n if start < 0 else start
    if length < 0 or start + length > n:
        raise RuntimeError(f"narrow: start ({start}) + length ({length}) exceeds the size {n} "
                           f"of dim {dim} of a tensor of shape {input.shape}")
    return input[(slice(None),) * dim + (slice(start, start + length),)]


def movedim(input: Tensor, source, destination) -> Tensor:
    """Move dims ``source`` to positions ``destination``; the others keep their order.

    Equivalent of ``torch.movedim``.

    >>> import shenjing as sj
    >>> sj.movedim(sj.ones(2, 3, 4), 0, -1).shape
    (3, 4, 2)
    """
    require_tensor("movedim", input)
    source = _int_list("movedim", "source", source)
    destination = _int_list("movedim", "destination", destination)
    if len(source) != len(destination):
        raise RuntimeError(f"movedim: invalid source or destination dims: source {source} has "
                           f"{len(source)} dims but destination {destination} has "
                           f"{len(destination)}")
    ndim = input.ndim
    src = tuple(normalize_dim("movedim", d, ndim) for d in source)
    dst = tuple(normalize_dim("movedim", d, ndim) for d in destination)
    for name, dims, given in (("source", src, source), ("destination", dst, destination)):
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({list(given)})")
    if ndim == 0:
        return input
    order = [None] * ndim
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(d for d in range(ndim) if d not in src)
    order = tuple(next(rest) if d is None else d for d in order)
    return permute(input, order)


def moveaxis(input: Tensor, source, destination) -> Tensor:
    """Alias of ``movedim``; equivalent of ``torch.moveaxis``.

    >>> import shenjing as sj
    >>> sj.moveaxis(sj.ones(2, 3, 4), (0, 1), (1, 2)).shape
    (4, 2, 3)
    """
    return movedim(input, source, destination)

