"""Making tensors: from data, filled with constants, ranges, and random numbers.

Float tensors are float32 unless a dtype is given; random numbers come from the generators that
``sj.manual_seed`` seeds.
"""

from __future__ import annotations

import numbers

from shenjing import backend
from shenjing.autograd import tracing
from shenjing.autograd.function import ArgumentError
from shenjing.autograd.tensor import Tensor


def _size(op: str, size) -> tuple[int, ...]:
    """Accept both f(2, 3) and f((2, 3))."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    if not all(isinstance(n, numbers.Integral) and not isinstance(n, bool) for n in size):
        raise TypeError(f"{op}: sizes must be ints, got {size!r}")
    if any(n < 0 for n in size):
        raise ArgumentError(f"{op}: sizes must be non-negative, got {tuple(size)}")
    return tuple(int(n) for n in size)


def _finish(array, requires_grad: bool) -> Tensor:
    t = Tensor._make(array)
    if requires_grad:
        t.requires_grad = True  # checks that the dtype can carry gradients
    return t


def _made(name: str, build, requires_grad: bool) -> Tensor:
    """The tensor of the array ``build()`` makes. Run as a kernel, so that a compiled step makes
    it again (draws it again, for random ones) on every replay instead of reusing the first."""
    return _finish(tracing.kernel(build, name=name), requires_grad)


def _module(device):
    return backend.module_for(backend.as_device(device))


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor copied from ``data`` (nested lists, numbers, arrays); ``torch.tensor``.

    Python floats give float32, ints int64, bools bool; arrays keep their dtype.

    >>> import shenjing as sj
    >>> sj.tensor([[1, 2], [3, 4]]).dtype, sj.tensor(2.5).dtype
    (dtype('int64'), dtype('float32'))
    """
    return Tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)


def from_numpy(array) -> Tensor:
    """A tensor sharing memory with a NumPy array; equivalent of ``torch.from_numpy``.

    >>> import numpy as np, shenjing as sj
    >>> sj.from_numpy(np.arange(3))
    tensor([0, 1, 2])
    """
    if not hasattr(array, "dtype") or not hasattr(array, "shape"):
        raise TypeError(f"from_numpy: expected a NumPy array, got {type(array).__name__}")
    return Tensor._make(array)


def zeros(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros; equivalent of ``torch.zeros``.

    >>> import shenjing as sj
    >>> sj.zeros(2, 3).shape
    (2, 3)
    """
    xp, shape = _module(device), _size("zeros", size)
    dtype = backend.as_dtype(dtype) or backend.get_default_dtype()
    return _made("zeros", lambda: xp.zeros(shape, dtype=dtype), requires_grad)


def ones(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones; equivalent of ``torch.ones``.

    >>> import shenjing as sj
    >>> sj.ones(2)
    tensor([1., 1.])
    """
    xp, shape = _module(device), _size("ones", size)
    dtype = backend.as_dtype(dtype) or backend.get_default_dtype()
    return _made("ones", lambda: xp.ones(shape, dtype=dtype), requires_grad)


def empty(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor whose memory is not initialised; equivalent of ``torch.empty``.

    >>> import shenjing as sj
    >>> sj.empty(2, 3).shape
    (2, 3)
    """
    xp, shape = _module(device), _size("empty", size)
    dtype = backend.as_dtype(dtype) or backend.get_default_dtype()
    return _made("empty", lambda: xp.empty(shape, dtype=dtype), requires_grad)


def _fill_dtype(value):
    if isinstance(value, bool):
        return backend.dtype.bool
    if isinstance(value, numbers.Integral):
        return backend.DEFAULT_INT
    return backend.get_default_dtype()


def full(size, fill_value, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value`` (its dtype follows the value); ``torch.full``.

    >>> import shenjing as sj
    >>> sj.full((2,), 7), sj.full((2,), 0.5)
    (tensor([7, 7]), tensor([0.5000, 0.5000]))
    """
    xp = _module(device)
    size = _size("full", size if isinstance(size, (tuple, list)) else (size,))
    if isinstance(fill_value, Tensor):
        tracing.refuse("sj.full with a tensor fill value",
                       "its value would be this step's on every replay; use "
                       "sj.ones(size) * value")
    dtype = backend.as_dtype(dtype) or _fill_dtype(fill_value)
    return _made("full", lambda: xp.full(size, fill_value, dtype=dtype), requires_grad)


def arange(start, end=None, step=1, *, dtype=None, device=None,
           requires_grad: bool = False) -> Tensor:
    """Values from ``start`` up to (not including) ``end`` by ``step``; ``torch.arange``.

    Integers give int64, any float gives float32.

    >>> import shenjing as sj
    >>> sj.arange(4), sj.arange(0, 1, 0.25)
    (tensor([0, 1, 2, 3]), tensor([0.0000, 0.2500, 0.5000, 0.7500]))
    """
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ArgumentError("arange: step must be non-zero")
    integral = all(isinstance(v, numbers.Integral) for v in (start, end, step))
    dtype = backend.as_dtype(dtype) or (
        backend.DEFAULT_INT if integral else backend.get_default_dtype())
    xp = _module(device)
    return _made("arange", lambda: xp.arange(start, end, step).astype(dtype, copy=False),
                 requires_grad)


def linspace(start, end, steps: int, *, dtype=None, device=None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive; ``torch.linspace``.

    >>> import shenjing as sj
    >>> sj.linspace(0, 1, 5)
    tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000])
    """
    if steps < 0:
        raise ArgumentError(f"linspace: steps must be non-negative, got {steps}")
    dtype = backend.as_dtype(dtype) or backend.get_default_dtype()
    xp = _module(device)
    return _made("linspace", lambda: xp.linspace(start, end, steps).astype(dtype, copy=False),
                 requires_grad)


def eye(n: int, m: int | None = None, *, dtype=None, device=None,
        requires_grad: bool = False) -> Tensor:
    """An ``n x m`` matrix with ones on the diagonal; equivalent of ``torch.eye``.

    >>> import shenjing as sj
    >>> sj.eye(2)
    tensor([[1., 0.],
            [0., 1.]])
    """
    dtype = backend.as_dtype(dtype) or backend.get_default_dtype()
    xp = _module(device)
    return _made("eye", lambda: xp.eye(n, m, dtype=dtype), requires_grad)


def _float_dtype(op: str, dtype):
    dtype = backend.as_dtype(dtype) or backend.get_default_dtype()
    if dtype.kind != "f":
        raise TypeError(f"{op}: random floats need a floating-point dtype, got {dtype}")
    return dtype


def rand(*size, generator=None, dtype=None, device=None,
         requires_grad: bool = False) -> Tensor:
    """Uniform random numbers in [0, 1); equivalent of ``torch.rand``.

    >>> import shenjing as sj
    >>> _ = sj.manual_seed(0)
    >>> x = sj.rand(1000)
    >>> bool((x >= 0).all() and (x < 1).all())
    True
    """
    device = backend.as_device(device)
    dtype = _float_dtype("rand", dtype)
    shape = _size("rand", size)
    return _made("rand", lambda: backend.draws_from(generator, device).random(
        shape, dtype=dtype if dtype.itemsize >= 4 else None).astype(dtype, copy=False),
        requires_grad)


def randn(*size, generator=None, dtype=None, device=None,
          requires_grad: bool = False) -> Tensor:
    """Standard normal random numbers; equivalent of ``torch.randn``.

    >>> import shenjing as sj
    >>> sj.randn(2, 3).shape
    (2, 3)
    """
    device = backend.as_device(device)
    dtype = _float_dtype("randn", dtype)
    shape = _size("randn", size)
    return _made("randn", lambda: backend.draws_from(generator, device).standard_normal(
        shape, dtype=dtype if dtype.itemsize >= 4 else None).astype(dtype, copy=False),
        requires_grad)


def randint(*args, size=None, generator=None, dtype=None, device=None) -> Tensor:
    """Random integers in [low, high): ``randint(high, size)`` or ``randint(low, high, size)``.

    Equivalent of ``torch.randint``.

    >>> import shenjing as sj
    >>> x = sj.randint(0, 10, (100,))
    >>> bool(((x >= 0) & (x < 10)).all()), x.dtype
    (True, dtype('int64'))
    """
    if size is None and args and isinstance(args[-1], (tuple, list)):
        *args, size = args
    if size is None or len(args) not in (1, 2):
        raise TypeError("randint: expected randint(high, size) or randint(low, high, size)")
    low, high = (0, args[0]) if len(args) == 1 else args
    if high <= low:
        raise ArgumentError(f"randint: high ({high}) must be greater than low ({low})")
    device = backend.as_device(device)
    dtype = backend.as_dtype(dtype) or backend.DEFAULT_INT
    shape = _size("randint", (size,))
    return _made("randint", lambda: backend.draws_from(generator, device).integers(
        low, high, size=shape).astype(dtype, copy=False), False)


def randperm(n: int, *, generator=None, dtype=None, device=None) -> Tensor:
    """A random permutation of ``0 .. n-1``; equivalent of ``torch.randperm``.

    >>> import shenjing as sj
    >>> sorted(sj.randperm(5).tolist())
    [0, 1, 2, 3, 4]
    """
    device = backend.as_device(device)
    dtype = backend.as_dtype(dtype) or backend.DEFAULT_INT
    return _made("randperm", lambda: backend.draws_from(generator, device).permutation(n).astype(
        dtype, copy=False), False)


def _like(input: Tensor, dtype, device):
    return (backend.as_dtype(dtype) or input.dtype, device if device is not None else input.device)


def zeros_like(input: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Zeros with the shape (and by default dtype and device) of ``input``; ``zeros_like``.

    >>> import shenjing as sj
    >>> sj.zeros_like(sj.ones(2, dtype=sj.float64))
    tensor([0., 0.], dtype=float64)
    """
    dtype, device = _like(input, dtype, device)
    return zeros(input.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def ones_like(input: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Ones with the shape (and by default dtype and device) of ``input``; ``ones_like``.

    >>> import shenjing as sj
    >>> sj.ones_like(sj.zeros(2, 1)).shape
    (2, 1)
    """
    dtype, device = _like(input, dtype, device)
    return ones(input.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def empty_like(input: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Uninitialised memory shaped like ``input``; equivalent of ``torch.empty_like``.

    >>> import shenjing as sj
    >>> sj.empty_like(sj.zeros(3)).shape
    (3,)
    """
    dtype, device = _like(input, dtype, device)
    return empty(input.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(input: Tensor, fill_value, *, dtype=None, device=None,
              requires_grad: bool = False) -> Tensor:
    """``fill_value`` everywhere, shaped like ``input``; equivalent of ``torch.full_like``.

    >>> import shenjing as sj
    >>> sj.full_like(sj.zeros(2), 3.0)
    tensor([3., 3.])
    """
    dtype, device = _like(input, dtype, device)
    return full(input.shape, fill_value, dtype=dtype, device=device, requires_grad=requires_grad)


def rand_like(input: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Uniform [0, 1) random numbers shaped like ``input``; equivalent of ``torch.rand_like``.

    >>> import shenjing as sj
    >>> sj.rand_like(sj.zeros(2, 2)).shape
    (2, 2)
    """
    dtype, device = _like(input, dtype, device)
    return rand(input.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def randn_like(input: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Standard normal random numbers shaped like ``input``; equivalent of ``torch.randn_like``.

    >>> import shenjing as sj
    >>> sj.randn_like(sj.zeros(2, 2)).shape
    (2, 2)
    """
    dtype, device = _like(input, dtype, device)
    return randn(input.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def randint_like(input: Tensor, low: int, high: int | None = None, *, dtype=None,
                 device=None) -> Tensor:
    """Random integers in [low, high) shaped like ``input``; ``torch.randint_like``.

    >>> import shenjing as sj
    >>> sj.randint_like(sj.zeros(3), 5).shape
    (3,)
    """
    if high is None:
        low, high = 0, low
    dtype, device = _like(input, dtype, device)
    return randint(low, high, input.shape, dtype=dtype, device=device)
