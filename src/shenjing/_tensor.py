"""``sj.Tensor``: the tensor users hold, with its operators and the methods that call the ops.

The core of a tensor (its array, its autograd state, conversions, printing and in-place changes)
is ``shenjing.autograd.tensor.TensorBase``, below the operations. This class adds everything
that delegates to ``shenjing.ops``: the operators (``x + y``, ``x @ w``, ``x[i]``, ``x < 0``),
the methods ``x.sum()``, ``x.reshape()``, ``x.exp()``, ``x.sigmoid()``, and dtype and device
moves. ``register_tensor_class`` at the bottom makes it the class of every tensor the core
creates, as ``torch.Tensor`` extends ``torch._C.TensorBase``. The module is named ``_tensor``, as
PyTorch's is, because ``sj.tensor`` is the factory function.
"""

from __future__ import annotations

import numbers

from shenjing import backend
from shenjing import creation as _creation
from shenjing.autograd import tracing
from shenjing.autograd.function import DtypeError, ShapeError
from shenjing.autograd.grad_mode import is_grad_enabled, no_grad
from shenjing.autograd.tensor import TensorBase, register_tensor_class
from shenjing.ops import activation as _activation
from shenjing.ops import bitwise as _bitwise
from shenjing.ops import compare as _compare
from shenjing.ops import cumulative as _cumulative
from shenjing.ops import elementwise as _elementwise
from shenjing.ops import indexing as _indexing
from shenjing.ops import linalg as _linalg
from shenjing.ops import products as _products
from shenjing.ops import rearrange as _rearrange
from shenjing.ops import reduce as _reduce
from shenjing.ops import rounding as _rounding
from shenjing.ops import scatter as _scatter
from shenjing.ops import shape as _shape
from shenjing.ops import sorting as _sorting
from shenjing.ops import statistics as _statistics
from shenjing.ops import transcendental as _transcendental
from shenjing.ops.checks import dim_or_axis, normalize_dim


class Tensor(TensorBase):
    """A multi-dimensional array that can record operations for automatic differentiation.

    Make tensors with ``sj.tensor``, ``sj.zeros``, ``sj.randn`` and friends. Equivalent of
    ``torch.Tensor``.

    >>> import shenjing as sj
    >>> x = sj.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad
    tensor([[2., 4.],
            [6., 8.]])
    """

    __slots__ = ()
    # NumPy defers to Tensor's reflected operators: ndarray * Tensor gives a Tensor.
    __array_ufunc__ = None
    # Hashed by identity (dict keys, sets), though == compares elementwise.
    __hash__ = TensorBase.__hash__

    # -- shape, dtype and device -------------------------------------------------------------------
    @dim_or_axis
    def size(self, dim: int | None = None):
        """The shape, or the size of one dim; equivalent of ``torch.Tensor.size``."""
        if dim is None:
            return self.shape
        return self.shape[normalize_dim("size", dim, self.ndim)]

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    def to(self, *args, dtype=None, device=None, non_blocking: bool = False, copy: bool = False,
           memory_format=None) -> Tensor:
        """Convert dtype and/or move to a device: ``x.to(sj.float64)``, ``x.to('cuda')``.

        Returns self when nothing changes (a copy with ``copy=True``); gradients flow through.
        ``non_blocking`` and ``memory_format`` are accepted for PyTorch code: copies here are
        synchronous and every tensor is row-major. Equivalent of ``Tensor.to``.
        """
        for arg in args:
            if isinstance(arg, (str, backend.Device)):
                device = arg
            elif isinstance(arg, TensorBase):
                dtype, device = arg.dtype, arg.device
            else:
                dtype = arg
        t = self
        if device is not None and backend.as_device(device) != self.device:
            t = _elementwise.to_device(t, backend.as_device(device))
        dtype = backend.as_dtype(dtype)
        if dtype is not None and dtype != t.dtype:
            if backend.is_floating(dtype):
                t = _elementwise.Cast.apply(t, dtype=dtype)
            else:  # integer and bool results carry no grad
                t = Tensor._make(tracing.kernel(_astype, t, name="to", dtype=dtype))
        return _elementwise.clone(t) if copy and t is self else t

    def cpu(self) -> Tensor:
        """This tensor on the CPU."""
        return self.to("cpu")

    def cuda(self, device: int | None = None) -> Tensor:
        """This tensor on a CUDA GPU (needs CuPy)."""
        return self.to(backend.Device("cuda", device))

    def float(self) -> Tensor:
        """This tensor as float32."""
        return self.to(backend.dtype.float32)

    def double(self) -> Tensor:
        """This tensor as float64."""
        return self.to(backend.dtype.float64)

    def half(self) -> Tensor:
        """This tensor as float16."""
        return self.to(backend.dtype.float16)

    def long(self) -> Tensor:
        """This tensor as int64."""
        return self.to(backend.dtype.int64)

    def int(self) -> Tensor:
        """This tensor as int32."""
        return self.to(backend.dtype.int32)

    def bool(self) -> Tensor:
        """This tensor as bool."""
        return self.to(backend.dtype.bool)

    def type_as(self, other: Tensor) -> Tensor:
        """This tensor with ``other``'s dtype."""
        return self.to(other.dtype)

    def byte(self) -> Tensor:
        """This tensor as uint8."""
        return self.to(backend.dtype.uint8)

    def char(self) -> Tensor:
        """This tensor as int8."""
        return self.to(backend.dtype.int8)

    def short(self) -> Tensor:
        """This tensor as int16."""
        return self.to(backend.dtype.int16)

    def type(self, dtype=None):
        """The type's name (``'shenjing.FloatTensor'``), or this tensor converted to ``dtype``
        (a dtype, or a name such as ``'torch.DoubleTensor'``); ``torch.Tensor.type``."""
        if dtype is None:
            name = _TYPE_NAMES.get(self.dtype)
            if name is None:
                raise TypeError(f"type: no tensor type name for dtype {self.dtype}")
            cuda = "cuda." if self.device.type == "cuda" else ""
            return f"shenjing.{cuda}{name}"
        if isinstance(dtype, str):
            module, _, name = dtype.rpartition(".")
            wanted = {v: k for k, v in _TYPE_NAMES.items()}.get(name)
            if wanted is None or module.split(".")[0] not in ("shenjing", "torch"):
                raise ValueError(f"type: invalid type {dtype!r} (expected a name such as "
                                 "'torch.FloatTensor')")
            t = self.to(wanted)
            return t.cuda() if module.endswith(".cuda") else t
        return self.to(dtype)

    def is_floating_point(self) -> bool:
        """True if the dtype is a floating-point type."""
        return self.dtype.kind == "f"

    def element_size(self) -> int:
        """Bytes per element."""
        return self.dtype.itemsize

    def nelement(self) -> int:
        """The number of elements (``numel``)."""
        return self.numel()

    def ndimension(self) -> int:
        """The number of dims (``dim``)."""
        return self.ndim

    @property
    def is_cuda(self) -> bool:
        """True if the tensor lives on a GPU."""
        return self.device.type == "cuda"

    def get_device(self) -> int:
        """The GPU's index, or -1 on the CPU."""
        return -1 if self.device.type == "cpu" else self.device.index

    @dim_or_axis
    def stride(self, dim: int | None = None):
        """Elements (not bytes) to step over to move one index along each dim."""
        strides = tuple(s // self.dtype.itemsize for s in self._data.strides)
        return strides if dim is None else strides[normalize_dim("stride", dim, self.ndim)]

    def is_contiguous(self, memory_format=None) -> bool:
        """True if the elements are laid out in row-major order without gaps."""
        return bool(self._data.flags.c_contiguous)

    def pin_memory(self) -> Tensor:
        """This tensor (page-locked host memory only matters to a CUDA copy; CuPy manages it)."""
        return self

    def share_memory_(self) -> Tensor:
        """This tensor (worker processes are not used, so nothing needs sharing)."""
        return self

    def positive(self) -> Tensor:
        """This tensor (``+x``)."""
        return self

    # -- new tensors with this tensor's dtype and device: x.new_zeros(2, 3) ------------------------
    def new_tensor(self, data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        """``sj.tensor(data)`` with this tensor's dtype and device unless given."""
        return _creation.tensor(data, dtype=dtype or self.dtype, device=device or self.device,
                                requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        """``sj.zeros(size)`` with this tensor's dtype and device unless given."""
        return _creation.zeros(*size, dtype=dtype or self.dtype, device=device or self.device,
                               requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        """``sj.ones(size)`` with this tensor's dtype and device unless given."""
        return _creation.ones(*size, dtype=dtype or self.dtype, device=device or self.device,
                              requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        """``sj.empty(size)`` with this tensor's dtype and device unless given."""
        return _creation.empty(*size, dtype=dtype or self.dtype, device=device or self.device,
                               requires_grad=requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None,
                 requires_grad: bool = False) -> Tensor:
        """``sj.full(size, fill_value)`` with this tensor's dtype and device unless given."""
        return _creation.full(size, fill_value, dtype=dtype or self.dtype,
                              device=device or self.device, requires_grad=requires_grad)

    def __format__(self, spec: str) -> str:
        # format(loss, ".4f") formats a 0-d tensor's number, as in PyTorch
        if self.ndim == 0:
            return format(self.item(), spec)
        if spec:
            raise TypeError(f"unsupported format string {spec!r} passed to a tensor of shape "
                            f"{self.shape} (only 0-d tensors format as numbers)")
        return str(self)

    def __contains__(self, element) -> bool:
        if not isinstance(element, (TensorBase, numbers.Number)):  # NumPy scalars are Numbers
            raise RuntimeError(f"Tensor.__contains__ only supports a tensor or a number, got "
                               f"{type(element).__name__}")
        return bool((self == element).any())

    # -- augmented assignment: x += y --------------------------------------------------------------
    def _augmented(self, op, inplace_op, other):
        # Python's x += y: in place when no graph is recorded. On a tensor recorded in a graph,
        # the out-of-place result, so that model code such as `out += identity` keeps working
        # (PyTorch would rewrite the graph instead). A leaf that requires grad raises, as in
        # PyTorch: `w -= lr * w.grad` belongs inside `with sj.no_grad():`.
        tracked = is_grad_enabled() and (
            self._requires_grad or (isinstance(other, TensorBase) and other._requires_grad)
        )
        if tracked and not (self.grad_fn is None and self._requires_grad):
            return op(self, other)
        return inplace_op(other)

    def __iadd__(self, other):
        return self._augmented(_elementwise.add, self.add_, other)

    def __isub__(self, other):
        return self._augmented(_elementwise.sub, self.sub_, other)

    def __imul__(self, other):
        return self._augmented(_elementwise.mul, self.mul_, other)

    def __itruediv__(self, other):
        return self._augmented(_elementwise.div, self.div_, other)

    # -- operators ---------------------------------------------------------------------------------
    def __add__(self, other):
        return _elementwise.add(self, other)

    def __radd__(self, other):
        return _elementwise.add(other, self)

    def __sub__(self, other):
        return _elementwise.sub(self, other)

    def __rsub__(self, other):
        return _elementwise.sub(other, self)

    def __mul__(self, other):
        return _elementwise.mul(self, other)

    def __rmul__(self, other):
        return _elementwise.mul(other, self)

    def __truediv__(self, other):
        return _elementwise.div(self, other)

    def __rtruediv__(self, other):
        return _elementwise.div(other, self)

    def __pow__(self, exponent):
        return _elementwise.pow(self, exponent)

    def __rpow__(self, base):
        return _elementwise.pow(base, self)

    def __neg__(self):
        return _elementwise.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _elementwise.abs(self)

    def __matmul__(self, other):
        return _linalg.matmul(self, other)

    def __rmatmul__(self, other):
        return _linalg.matmul(other, self)

    def __eq__(self, other):  # type: ignore[override]
        return _compare.eq(self, other)

    def __ne__(self, other):  # type: ignore[override]
        return _compare.ne(self, other)

    def __lt__(self, other):
        return _compare.lt(self, other)

    def __le__(self, other):
        return _compare.le(self, other)

    def __gt__(self, other):
        return _compare.gt(self, other)

    def __ge__(self, other):
        return _compare.ge(self, other)

    def __and__(self, other):
        return _bitwise.bitwise_and(self, other)

    def __or__(self, other):
        return _bitwise.bitwise_or(self, other)

    def __xor__(self, other):
        return _bitwise.bitwise_xor(self, other)

    def __invert__(self):
        if self.dtype.kind == "f":  # PyTorch's operator raises TypeError, its bitwise_not not
            raise TypeError(f"~ (operator.invert) is only implemented on integer and bool "
                            f"tensors, got {self.dtype}")
        return _bitwise.bitwise_not(self)

    def __floordiv__(self, other):
        return _rounding.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return _rounding.floor_divide(other, self)

    def __mod__(self, other):
        return _rounding.remainder(self, other)

    def __rmod__(self, other):
        return _rounding.remainder(other, self)

    def __rand__(self, other):
        return _bitwise.bitwise_and(other, self)

    def __ror__(self, other):
        return _bitwise.bitwise_or(other, self)

    def __rxor__(self, other):
        return _bitwise.bitwise_xor(other, self)

    def __lshift__(self, other):
        return _bitwise.bitwise_left_shift(self, other)

    def __rlshift__(self, other):
        return _bitwise.bitwise_left_shift(other, self)

    def __rshift__(self, other):
        return _bitwise.bitwise_right_shift(self, other)

    def __rrshift__(self, other):
        return _bitwise.bitwise_right_shift(other, self)

    def __getitem__(self, key):
        return _indexing.getitem(self, key)

    def __setitem__(self, key, value) -> None:
        self._check_inplace("setitem", value)
        try:
            key = _indexing._as_key(backend.array_module(self._data), key, self.shape)
            tracing.kernel(_setitem, self, key, value, mutates=self, name="setitem")
        except (ValueError, IndexError) as exc:
            array = value._data if isinstance(value, TensorBase) else value
            kind = IndexError if isinstance(exc, IndexError) else ShapeError  # as PyTorch's
            raise kind(f"setitem: {exc} (tensor shape {self.shape}, value shape "
                       f"{getattr(array, 'shape', ())})") from None

    # -- methods that delegate to shenjing.ops -----------------------------------------------------
    def add(self, other, *, alpha=1):
        """See ``sj.add``."""
        return _elementwise.add(self, other, alpha=alpha)

    def sub(self, other, *, alpha=1):
        """See ``sj.sub``."""
        return _elementwise.sub(self, other, alpha=alpha)

    def mul(self, other):
        """See ``sj.mul``."""
        return _elementwise.mul(self, other)

    def div(self, other, *, rounding_mode=None):
        """See ``sj.div``."""
        return _elementwise.div(self, other, rounding_mode=rounding_mode)

    divide = div

    def true_divide(self, other):
        """See ``sj.true_divide``."""
        return _elementwise.true_divide(self, other)

    def pow(self, exponent):
        """See ``sj.pow``."""
        return _elementwise.pow(self, exponent)

    def neg(self):
        """See ``sj.neg``."""
        return _elementwise.neg(self)

    def exp(self):
        """See ``sj.exp``."""
        return _elementwise.exp(self)

    def log(self):
        """See ``sj.log``."""
        return _elementwise.log(self)

    def log1p(self):
        """See ``sj.log1p``."""
        return _elementwise.log1p(self)

    def sqrt(self):
        """See ``sj.sqrt``."""
        return _elementwise.sqrt(self)

    def abs(self):
        """See ``sj.abs``."""
        return _elementwise.abs(self)

    def sign(self):
        """See ``sj.sign``."""
        return _elementwise.sign(self)

    def erf(self):
        """See ``sj.erf``."""
        return _elementwise.erf(self)

    def sin(self):
        """See ``sj.sin``."""
        return _elementwise.sin(self)

    def cos(self):
        """See ``sj.cos``."""
        return _elementwise.cos(self)

    def clamp(self, min=None, max=None):  # noqa: A002
        """See ``sj.clamp``."""
        return _elementwise.clamp(self, min, max)

    clip = clamp

    def maximum(self, other):
        """See ``sj.maximum``."""
        return _elementwise.maximum(self, other)

    def minimum(self, other):
        """See ``sj.minimum``."""
        return _elementwise.minimum(self, other)

    def where(self, condition, other):
        """``sj.where(condition, self, other)``."""
        return _elementwise.where(condition, self, other)

    def clone(self):
        """See ``sj.clone``."""
        return _elementwise.clone(self)

    def contiguous(self, memory_format=None):
        """A C-contiguous tensor with the same values (self if already contiguous);
        ``memory_format`` is accepted for PyTorch code (every layout here is row-major)."""
        if self._data.flags.c_contiguous:
            return self
        return _elementwise.clone(self)

    def sigmoid(self):
        """See ``sj.sigmoid``."""
        return _activation.sigmoid(self)

    def tanh(self):
        """See ``sj.tanh``."""
        return _activation.tanh(self)

    def relu(self):
        """See ``sj.relu``."""
        return _activation.relu(self)

    @dim_or_axis
    def softmax(self, dim):
        """See ``sj.softmax``."""
        return _activation.softmax(self, dim)

    @dim_or_axis
    def log_softmax(self, dim):
        """See ``sj.log_softmax``."""
        return _activation.log_softmax(self, dim)

    @dim_or_axis
    def sum(self, dim=None, keepdim=False, *, dtype=None):
        """See ``sj.sum``."""
        return _reduce.sum(self, dim, keepdim, dtype=dtype)

    @dim_or_axis
    def mean(self, dim=None, keepdim=False):
        """See ``sj.mean``."""
        return _reduce.mean(self, dim, keepdim)

    @dim_or_axis
    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """See ``sj.var``."""
        return _reduce.var(self, dim, unbiased, keepdim, correction=correction)

    @dim_or_axis
    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """See ``sj.std``."""
        return _reduce.std(self, dim, unbiased, keepdim, correction=correction)

    @dim_or_axis
    def max(self, dim=None, keepdim=False):
        """See ``sj.max``."""
        return _reduce.max(self, dim, keepdim)

    @dim_or_axis
    def min(self, dim=None, keepdim=False):
        """See ``sj.min``."""
        return _reduce.min(self, dim, keepdim)

    @dim_or_axis
    def amax(self, dim=None, keepdim=False):
        """See ``sj.amax``."""
        return _reduce.amax(self, dim, keepdim)

    @dim_or_axis
    def amin(self, dim=None, keepdim=False):
        """See ``sj.amin``."""
        return _reduce.amin(self, dim, keepdim)

    @dim_or_axis
    def logsumexp(self, dim, keepdim=False):
        """See ``sj.logsumexp``."""
        return _reduce.logsumexp(self, dim, keepdim)

    @dim_or_axis
    def prod(self, dim=None, keepdim=False, *, dtype=None):
        """See ``sj.prod``."""
        return _reduce.prod(self, dim, keepdim, dtype=dtype)

    @dim_or_axis
    def argmax(self, dim=None, keepdim=False):
        """See ``sj.argmax``."""
        return _reduce.argmax(self, dim, keepdim)

    @dim_or_axis
    def argmin(self, dim=None, keepdim=False):
        """See ``sj.argmin``."""
        return _reduce.argmin(self, dim, keepdim)

    @dim_or_axis
    def all(self, dim=None, keepdim=False):
        """See ``sj.all``."""
        return _compare.all(self, dim, keepdim)

    @dim_or_axis
    def any(self, dim=None, keepdim=False):
        """See ``sj.any``."""
        return _compare.any(self, dim, keepdim)

    def reshape(self, *shape):
        """See ``sj.reshape``."""
        return _shape.reshape(self, *shape)

    def view(self, *shape):
        """See ``sj.view``."""
        return _shape.view(self, *shape)

    def view_as(self, other):
        """``self.view(other.shape)``."""
        return _shape.view(self, other.shape)

    def reshape_as(self, other):
        """``self.reshape(other.shape)``."""
        return _shape.reshape(self, other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        """See ``sj.flatten``."""
        return _shape.flatten(self, start_dim, end_dim)

    @dim_or_axis
    def squeeze(self, dim=None):
        """See ``sj.squeeze``."""
        return _shape.squeeze(self, dim)

    @dim_or_axis
    def unsqueeze(self, dim):
        """See ``sj.unsqueeze``."""
        return _shape.unsqueeze(self, dim)

    def transpose(self, dim0, dim1):
        """See ``sj.transpose``."""
        return _shape.transpose(self, dim0, dim1)

    def permute(self, *dims):
        """See ``sj.permute``."""
        return _shape.permute(self, *dims)

    def t(self):
        """See ``sj.t``."""
        return _shape.t(self)

    @property
    def T(self):
        """All dims reversed (the transpose, for a matrix)."""
        return _shape.permute(self, tuple(reversed(range(self.ndim))))

    @property
    def mT(self):
        """The last two dims swapped: a batch of transposed matrices."""
        return _shape.transpose(self, -2, -1)

    def expand(self, *sizes):
        """See ``sj.expand``."""
        return _shape.expand(self, *sizes)

    def expand_as(self, other):
        """``self.expand(other.shape)``."""
        return _shape.expand(self, other.shape)

    def broadcast_to(self, shape):
        """See ``sj.broadcast_to``."""
        return _shape.broadcast_to(self, shape)

    @dim_or_axis
    def split(self, split_size_or_sections, dim=0):
        """See ``sj.split``."""
        return _shape.split(self, split_size_or_sections, dim)

    @dim_or_axis
    def chunk(self, chunks, dim=0):
        """See ``sj.chunk``."""
        return _shape.chunk(self, chunks, dim)

    @dim_or_axis
    def gather(self, dim, index):
        """See ``sj.gather``."""
        return _indexing.gather(self, dim, index)

    def masked_fill(self, mask, value):
        """See ``sj.masked_fill``."""
        return _indexing.masked_fill(self, mask, value)

    def matmul(self, other):
        """See ``sj.matmul``."""
        return _linalg.matmul(self, other)

    def eq(self, other):
        """See ``sj.eq``."""
        return _compare.eq(self, other)

    def ne(self, other):
        """See ``sj.ne``."""
        return _compare.ne(self, other)

    def lt(self, other):
        """See ``sj.lt``."""
        return _compare.lt(self, other)

    def le(self, other):
        """See ``sj.le``."""
        return _compare.le(self, other)

    def gt(self, other):
        """See ``sj.gt``."""
        return _compare.gt(self, other)

    def ge(self, other):
        """See ``sj.ge``."""
        return _compare.ge(self, other)

    def isnan(self):
        """See ``sj.isnan``."""
        return _compare.isnan(self)

    def isfinite(self):
        """See ``sj.isfinite``."""
        return _compare.isfinite(self)

    def isinf(self):
        """See ``sj.isinf``."""
        return _compare.isinf(self)

    def logical_and(self, other):
        """See ``sj.logical_and``."""
        return _compare.logical_and(self, other)

    def logical_or(self, other):
        """See ``sj.logical_or``."""
        return _compare.logical_or(self, other)

    def logical_xor(self, other):
        """See ``sj.logical_xor``."""
        return _compare.logical_xor(self, other)

    def logical_not(self):
        """See ``sj.logical_not``."""
        return _compare.logical_not(self)

    def mm(self, mat2):
        """See ``sj.mm``."""
        return _linalg.mm(self, mat2)

    def negative(self):
        """See ``sj.negative``."""
        return _elementwise.negative(self)


# The legacy type names of Tensor.type(): x.type() == 'shenjing.FloatTensor'.
_TYPE_NAMES = {backend.dtype.float32: "FloatTensor", backend.dtype.float64: "DoubleTensor",
               backend.dtype.float16: "HalfTensor", backend.dtype.int64: "LongTensor",
               backend.dtype.int32: "IntTensor", backend.dtype.int16: "ShortTensor",
               backend.dtype.int8: "CharTensor", backend.dtype.uint8: "ByteTensor",
               backend.dtype.bool: "BoolTensor"}


# -- questions PyTorch also asks as functions: sj.is_tensor(x), sj.numel(x) ----------------------
def is_tensor(obj) -> bool:
    """True if ``obj`` is a shenjing tensor (a Parameter too); ``torch.is_tensor``."""
    return isinstance(obj, TensorBase)


def is_floating_point(input) -> bool:
    """True if ``input`` holds floating-point numbers; ``torch.is_floating_point``."""
    return input.dtype.kind == "f"


def numel(input) -> int:
    """The number of elements of ``input``; ``torch.numel``."""
    return input.numel()


# -- kernels: array work outside an operation, run through tracing.kernel so a replay repeats it
def _astype(x, dtype):
    return x.astype(dtype)


def _setitem(x, key, value) -> None:
    x[key] = value


# -- in place: x.exp_() is the operation's result written back into x -----------------------------
def _in_place(name: str):
    def method(self, *args, **kwargs):
        self._check_inplace(name + "_")  # refused on tensors recorded in a graph, as add_
        with no_grad():
            result = getattr(self, name)(*args, **kwargs)
        # PyTorch casts within a kind (int64 into int32); a float into an integer tensor, or
        # anything but a bool into a bool tensor, it refuses
        if (result.dtype.kind == "f" and self.dtype.kind != "f") or (
                self.dtype.kind == "b" and result.dtype.kind != "b"):
            raise DtypeError(f"{name}_: the result's type {result.dtype} can't be cast to the "
                             f"tensor's type {self.dtype}")
        return self.copy_(result)

    method.__name__ = name + "_"
    method.__doc__ = f"``x.{name}(...)`` written into ``x``; refused on a tensor in a graph."
    return method


for _name in ("abs", "acos", "asin", "atan", "ceil", "cos", "cosh", "exp", "expm1", "floor",
              "frac", "lerp", "log", "log1p", "log2", "log10", "masked_fill", "neg", "pow",
              "reciprocal", "relu", "round", "rsqrt", "sigmoid", "sign", "sin", "sinh", "sqrt",
              "square", "tan", "tanh", "trunc", "fmod", "remainder", "clip"):
    if not hasattr(Tensor, _name + "_"):
        setattr(Tensor, _name + "_", _in_place(_name))


# -- methods that are an operation with the tensor first: x.cumsum(0) is sj.cumsum(x, 0) ----------
# Each ops module that lists such functions in a METHODS tuple is named here.
_METHOD_MODULES = (
    _activation,
    _bitwise,
    _compare,
    _cumulative,
    _products,
    _rearrange,
    _rounding,
    _scatter,
    _sorting,
    _statistics,
    _transcendental,
)
for _module in _METHOD_MODULES:
    for _name in _module.METHODS:
        setattr(Tensor, _name, getattr(_module, _name))

register_tensor_class(Tensor)
