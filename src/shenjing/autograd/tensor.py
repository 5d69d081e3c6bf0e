"""The Tensor: an array (NumPy or CuPy) plus what automatic differentiation needs.

A tensor that ``requires_grad`` records, for every operation applied to it, a node of the backward
graph (``grad_fn``). ``backward()`` walks that graph from the output to the leaves and leaves each
leaf's gradient in ``.grad``. Operators and methods delegate to the functions in ``shenjing.ops``,
where each operation and its gradient are defined together.
"""

from __future__ import annotations

import weakref

import numpy

from shenjing import backend
from shenjing.autograd.function import AccumulateGrad
from shenjing.autograd.grad_mode import is_grad_enabled


class Tensor:
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

    __slots__ = (
        "_data",  # the array: numpy.ndarray or cupy.ndarray
        "_requires_grad",
        "grad",  # the accumulated gradient of a leaf, a Tensor, or None
        "grad_fn",  # the node that made this tensor, None for leaves
        "_output_nr",  # which output of grad_fn this tensor is
        "_version_counter",  # [n]: bumped by in-place changes, shared with views
        "_accumulator",  # the AccumulateGrad node of a leaf that requires grad
        "_retains_grad",
        "__weakref__",
    )
    # NumPy defers to Tensor's reflected operators: ndarray * Tensor gives a Tensor.
    __array_ufunc__ = None

    def __init__(self, data, dtype=None, device=None, requires_grad: bool = False):
        if isinstance(data, Tensor):
            data = data._data
        dtype = backend.as_dtype(dtype)
        target = backend.as_device(device) if device is not None else None
        if target is None:
            target = backend.device_of(data) if hasattr(data, "shape") else backend.CPU
        xp = backend.module_for(target)
        if hasattr(data, "shape") and backend.device_of(data) != target:
            data = backend.to_device(data, target)
        array = xp.array(data, dtype=dtype or backend.infer_dtype(data), copy=True)
        self._data = array
        self._requires_grad = False
        self.grad = None
        self.grad_fn = None
        self._output_nr = 0
        self._version_counter = [0]
        self._accumulator = None
        self._retains_grad = False
        self.requires_grad = requires_grad  # checks that the dtype can carry gradients

    @classmethod
    def _make(cls, array, requires_grad: bool = False, grad_fn=None, output_nr: int = 0):
        """Wrap an array without copying or checks: the fast path used by operations."""
        t = object.__new__(cls)
        t._data = array
        t._requires_grad = requires_grad
        t.grad = None
        t.grad_fn = grad_fn
        t._output_nr = output_nr
        t._version_counter = [0]
        t._accumulator = None
        t._retains_grad = False
        return t

    # -- what a tensor is --------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        """The size of each dim, a tuple."""
        return self._data.shape

    @property
    def ndim(self) -> int:
        """The number of dims."""
        return self._data.ndim

    @property
    def dtype(self):
        """The element type, a NumPy dtype (``sj.float32`` is ``numpy.dtype('float32')``)."""
        return self._data.dtype

    @property
    def device(self) -> backend.Device:
        """Where the data lives: ``device(type='cpu')`` or a CUDA device."""
        return backend.device_of(self._data)

    def size(self, dim: int | None = None):
        """The shape, or the size of one dim; equivalent of ``torch.Tensor.size``."""
        if dim is None:
            return self.shape
        from shenjing.ops.checks import normalize_dim

        return self.shape[normalize_dim("size", dim, self.ndim)]

    def dim(self) -> int:
        """The number of dims; equivalent of ``torch.Tensor.dim``."""
        return self._data.ndim

    def numel(self) -> int:
        """The number of elements."""
        return int(self._data.size)

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    # -- autograd state --------------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        """Whether operations on this tensor are recorded for backward."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        if self.grad_fn is not None and not flag:
            raise RuntimeError(
                "requires_grad can only be switched off on leaf tensors; use detach() to get a "
                "tensor that does not require grad"
            )
        if flag and not backend.is_floating(self.dtype):
            raise RuntimeError(f"only floating-point tensors can require grad, got {self.dtype}")
        self._requires_grad = bool(flag)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place and return self; equivalent of ``requires_grad_``."""
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        """True for tensors not made by a recorded operation (parameters, inputs, constants)."""
        return self.grad_fn is None

    @property
    def _version(self) -> int:
        """How many times this tensor's memory was changed in place (shared with its views)."""
        return self._version_counter[0]

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in ``.grad`` after backward; ``retain_grad``."""
        if not self._requires_grad:
            raise RuntimeError("retain_grad: the tensor does not require grad")
        if self.grad_fn is None or self._retains_grad:
            return
        if self.grad_fn.retained is None:
            self.grad_fn.retained = {}
        self.grad_fn.retained[self._output_nr] = weakref.ref(self)
        self._retains_grad = True

    @property
    def retains_grad(self) -> bool:
        """True once ``retain_grad()`` was called on this non-leaf tensor."""
        return self._retains_grad

    def _gradient_edge(self) -> tuple:
        """The (node, output_nr) that receives this tensor's gradient."""
        if self.grad_fn is not None:
            return self.grad_fn, self._output_nr
        if self._accumulator is None:
            self._accumulator = AccumulateGrad(self)
        return self._accumulator, 0

    def backward(self, gradient=None, retain_graph=None, create_graph: bool = False) -> None:
        """Accumulate the gradient of this tensor with respect to the leaves into their ``.grad``.

        ``gradient`` is d(loss)/d(self), needed unless self is a scalar. The graph is freed
        afterwards unless ``retain_graph``; ``create_graph`` records the backward pass so that
        gradients can be differentiated again. Equivalent of ``torch.Tensor.backward``.
        """
        from shenjing.autograd.engine import backward

        backward(self, gradient, retain_graph=retain_graph, create_graph=create_graph)

    def detach(self) -> Tensor:
        """A tensor sharing this one's data, outside the graph; equivalent of ``detach``."""
        t = Tensor._make(self._data)
        t._version_counter = self._version_counter
        return t

    @property
    def data(self) -> Tensor:
        """This tensor's data as a tensor outside the graph (no version tracking, as in PyTorch)."""
        return Tensor._make(self._data)

    @data.setter
    def data(self, value) -> None:
        self._data = value._data if isinstance(value, Tensor) else value

    # -- conversions ----------------------------------------------------------------------------
    def numpy(self):
        """The data as a NumPy array sharing memory; equivalent of ``torch.Tensor.numpy``."""
        if self._requires_grad:
            raise RuntimeError(
                "can't call numpy() on a tensor that requires grad; use tensor.detach().numpy()"
            )
        if self.device.type != "cpu":
            raise TypeError(f"can't convert a tensor on {self.device} to NumPy; use .cpu() first")
        return self._data

    def __array__(self, dtype=None, copy=None):
        array = backend.to_device(self._data, backend.CPU)
        if dtype is not None:
            array = array.astype(dtype, copy=False)
        return array.copy() if copy else array

    def item(self):
        """The value of a one-element tensor as a Python number; equivalent of ``item``."""
        if self._data.size != 1:
            raise ValueError(
                f"item: only one-element tensors can be converted to Python scalars, got shape "
                f"{self.shape}"
            )
        return self._data.item()

    def tolist(self):
        """The data as nested Python lists (a number for 0-d tensors)."""
        return self._data.tolist()

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"the truth value of a tensor with {self._data.size} elements is ambiguous; "
                "use .any() or .all()"
            )
        return bool(self._data.item())

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.dtype.kind not in "iu" or self._data.size != 1:
            raise TypeError("only one-element integer tensors can be used as an index")
        return int(self._data.item())

    def to(self, *args, dtype=None, device=None) -> Tensor:
        """Convert dtype and/or move to a device: ``x.to(sj.float64)``, ``x.to('cuda')``.

        Returns self when nothing changes; gradients flow through. Equivalent of ``Tensor.to``.
        """
        for arg in args:
            if isinstance(arg, (str, backend.Device)):
                device = arg
            elif isinstance(arg, Tensor):
                dtype, device = arg.dtype, arg.device
            else:
                dtype = arg
        t = self
        if device is not None and backend.as_device(device) != self.device:
            from shenjing.ops.elementwise import to_device

            t = to_device(t, backend.as_device(device))
        dtype = backend.as_dtype(dtype)
        if dtype is not None and dtype != t.dtype:
            from shenjing.ops.elementwise import Cast

            if backend.is_floating(dtype):
                t = Cast.apply(t, dtype=dtype)
            else:
                t = Tensor._make(t._data.astype(dtype))  # integer and bool results carry no grad
        return t

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

    # -- printing --------------------------------------------------------------------------------
    def __repr__(self) -> str:
        extras = []
        if self.device != backend.CPU:
            extras.append(f"device='{self.device}'")
        if self.dtype not in (backend.DEFAULT_FLOAT, backend.DEFAULT_INT, backend.dtype.bool):
            extras.append(f"dtype={self.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn={self.grad_fn!r}")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        body = _format_array(backend.to_device(self._data, backend.CPU))
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    __hash__ = object.__hash__

    # -- in-place changes --------------------------------------------------------------------------
    def _check_inplace(self, op: str, *others) -> None:
        if not is_grad_enabled():
            return
        tracked = self._requires_grad or any(
            isinstance(o, Tensor) and o._requires_grad for o in others
        )
        if not tracked:
            return
        if self.grad_fn is None and self._requires_grad:
            raise RuntimeError(
                f"{op}: a leaf tensor that requires grad cannot be changed in place while grad "
                "mode is on; update it inside `with sj.no_grad():`"
            )
        raise RuntimeError(
            f"{op}: in-place operations on tensors recorded in a graph are not supported; "
            "use the out-of-place form (x = x + y) or wrap the change in `with sj.no_grad():`"
        )

    def _inplace(self, op: str, ufunc: str, other) -> Tensor:
        self._check_inplace(op, other)
        xp = backend.array_module(self._data)
        value = other._data if isinstance(other, Tensor) else other
        if isinstance(other, Tensor):
            backend.common_module(op, (self._data, value))
        try:
            getattr(xp, ufunc)(self._data, value, out=self._data)
        except (ValueError, TypeError) as exc:
            shape = getattr(value, "shape", ())
            kind = TypeError if isinstance(exc, TypeError) else ValueError
            raise kind(f"{op}: cannot apply to a tensor of shape {self.shape} and "
                       f"{self.dtype} with an operand of shape {shape}: {exc}") from None
        self._version_counter[0] += 1
        return self

    def add_(self, other, *, alpha=1) -> Tensor:
        """``self += alpha * other`` in place."""
        return self._inplace("add_", "add", other if alpha == 1 else other * alpha)

    def sub_(self, other, *, alpha=1) -> Tensor:
        """``self -= alpha * other`` in place."""
        return self._inplace("sub_", "subtract", other if alpha == 1 else other * alpha)

    def mul_(self, other) -> Tensor:
        """``self *= other`` in place."""
        return self._inplace("mul_", "multiply", other)

    def div_(self, other) -> Tensor:
        """``self /= other`` in place."""
        return self._inplace("div_", "divide", other)

    def copy_(self, src) -> Tensor:
        """Copy ``src`` (broadcast, converted to this dtype) into self in place."""
        self._check_inplace("copy_", src)
        value = src._data if isinstance(src, Tensor) else src
        if isinstance(src, Tensor):
            value = backend.to_device(value, self.device)
        try:
            self._data[...] = value
        except ValueError as exc:
            raise ValueError(f"copy_: cannot copy a tensor of shape {getattr(value, 'shape', ())}"
                             f" into one of shape {self.shape}") from exc
        self._version_counter[0] += 1
        return self

    def fill_(self, value) -> Tensor:
        """Set every element to ``value`` in place."""
        self._check_inplace("fill_", value)
        self._data[...] = value._data if isinstance(value, Tensor) else value
        self._version_counter[0] += 1
        return self

    def zero_(self) -> Tensor:
        """Set every element to zero in place."""
        return self.fill_(0)

    def clamp_(self, min=None, max=None) -> Tensor:  # noqa: A002 - PyTorch's names
        """Clamp every element to ``[min, max]`` in place."""
        self._check_inplace("clamp_")
        backend.array_module(self._data).clip(self._data, min, max, out=self._data)
        self._version_counter[0] += 1
        return self

    def uniform_(self, a: float = 0.0, b: float = 1.0) -> Tensor:
        """Fill with samples from U(a, b) in place, drawn from shenjing's generator."""
        self._check_inplace("uniform_")
        gen = backend.generator(self.device)
        self._data[...] = gen.uniform(a, b, size=self.shape).astype(self.dtype, copy=False)
        self._version_counter[0] += 1
        return self

    def normal_(self, mean: float = 0.0, std: float = 1.0) -> Tensor:
        """Fill with samples from N(mean, std^2) in place, drawn from shenjing's generator."""
        self._check_inplace("normal_")
        gen = backend.generator(self.device)
        self._data[...] = gen.normal(mean, std, size=self.shape).astype(self.dtype, copy=False)
        self._version_counter[0] += 1
        return self

    def __setitem__(self, key, value) -> None:
        self._check_inplace("setitem", value)
        from shenjing.ops.indexing import _as_key

        xp = backend.array_module(self._data)
        array = value._data if isinstance(value, Tensor) else value
        try:
            self._data[_as_key(xp, key, self.shape)] = array
        except (ValueError, IndexError) as exc:
            raise type(exc)(f"setitem: {exc} (tensor shape {self.shape}, value shape "
                            f"{getattr(array, 'shape', ())})") from None
        self._version_counter[0] += 1

    def _augmented(self, op, inplace_op, other):
        # Python's x += y: in place when no graph is recorded. On a tensor recorded in a graph,
        # the out-of-place result, so that model code such as `out += identity` keeps working
        # (PyTorch would rewrite the graph instead). A leaf that requires grad raises, as in
        # PyTorch: `w -= lr * w.grad` belongs inside `with sj.no_grad():`.
        tracked = is_grad_enabled() and (
            self._requires_grad or (isinstance(other, Tensor) and other._requires_grad)
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
        return _compare.logical_and(self, other)

    def __or__(self, other):
        return _compare.logical_or(self, other)

    def __xor__(self, other):
        return _compare.logical_xor(self, other)

    def __invert__(self):
        if self.dtype.kind != "b":
            raise TypeError(f"~ is defined for bool tensors only, got {self.dtype}")
        return _compare.logical_not(self)

    def __getitem__(self, key):
        return _indexing.getitem(self, key)

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

    def div(self, other):
        """See ``sj.div``."""
        return _elementwise.div(self, other)

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

    def contiguous(self):
        """A C-contiguous tensor with the same values (self if already contiguous)."""
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

    def softmax(self, dim):
        """See ``sj.softmax``."""
        return _activation.softmax(self, dim)

    def log_softmax(self, dim):
        """See ``sj.log_softmax``."""
        return _activation.log_softmax(self, dim)

    def sum(self, dim=None, keepdim=False, *, dtype=None):
        """See ``sj.sum``."""
        return _reduce.sum(self, dim, keepdim, dtype=dtype)

    def mean(self, dim=None, keepdim=False):
        """See ``sj.mean``."""
        return _reduce.mean(self, dim, keepdim)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """See ``sj.var``."""
        return _reduce.var(self, dim, unbiased, keepdim, correction=correction)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """See ``sj.std``."""
        return _reduce.std(self, dim, unbiased, keepdim, correction=correction)

    def max(self, dim=None, keepdim=False):
        """See ``sj.max``."""
        return _reduce.max(self, dim, keepdim)

    def min(self, dim=None, keepdim=False):
        """See ``sj.min``."""
        return _reduce.min(self, dim, keepdim)

    def amax(self, dim=None, keepdim=False):
        """See ``sj.amax``."""
        return _reduce.amax(self, dim, keepdim)

    def amin(self, dim=None, keepdim=False):
        """See ``sj.amin``."""
        return _reduce.amin(self, dim, keepdim)

    def logsumexp(self, dim, keepdim=False):
        """See ``sj.logsumexp``."""
        return _reduce.logsumexp(self, dim, keepdim)

    def prod(self, dim=None, keepdim=False, *, dtype=None):
        """See ``sj.prod``."""
        return _reduce.prod(self, dim, keepdim, dtype=dtype)

    def argmax(self, dim=None, keepdim=False):
        """See ``sj.argmax``."""
        return _reduce.argmax(self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        """See ``sj.argmin``."""
        return _reduce.argmin(self, dim, keepdim)

    def all(self):
        """True if every element is true (a bool tensor)."""
        return Tensor._make(backend.array_module(self._data).asarray(self._data.all()))

    def any(self):
        """True if some element is true (a bool tensor)."""
        return Tensor._make(backend.array_module(self._data).asarray(self._data.any()))

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

    def squeeze(self, dim=None):
        """See ``sj.squeeze``."""
        return _shape.squeeze(self, dim)

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

    def split(self, split_size_or_sections, dim=0):
        """See ``sj.split``."""
        return _shape.split(self, split_size_or_sections, dim)

    def chunk(self, chunks, dim=0):
        """See ``sj.chunk``."""
        return _shape.chunk(self, chunks, dim)

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


def _format_array(array) -> str:
    """Print as PyTorch does: 4 decimals, or scientific notation when magnitudes differ widely."""
    options = {"precision": 4, "floatmode": "maxprec_equal"}
    if array.dtype.kind == "f":
        magnitudes = numpy.abs(array[numpy.isfinite(array) & (array != 0)])
        if (magnitudes != numpy.round(magnitudes)).any():
            options["floatmode"] = "fixed"  # 4 decimals unless every value is whole
        if magnitudes.size:
            largest, smallest = magnitudes.max(), magnitudes.min()
            if largest > 1e8 or smallest < 1e-4 or largest / smallest > 1e3:
                options = {"formatter": {"float_kind": lambda v: f"{v:.4e}"}}
    return numpy.array2string(array, separator=", ", prefix="tensor(", **options)


# Operations import Tensor, so the modules its methods delegate to are imported after it exists.
from shenjing.ops import activation as _activation  # noqa: E402
from shenjing.ops import compare as _compare  # noqa: E402
from shenjing.ops import elementwise as _elementwise  # noqa: E402
from shenjing.ops import indexing as _indexing  # noqa: E402
from shenjing.ops import linalg as _linalg  # noqa: E402
from shenjing.ops import reduce as _reduce  # noqa: E402
from shenjing.ops import shape as _shape  # noqa: E402

