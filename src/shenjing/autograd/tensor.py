"""The core of a tensor: an array (NumPy or CuPy) plus what automatic differentiation needs.

A tensor that ``requires_grad`` records, for every operation applied to it, a node of the backward
graph (``grad_fn``). ``backward()`` walks that graph from the output to the leaves and leaves each
leaf's gradient in ``.grad``.

``TensorBase`` holds the data, the autograd state, conversions to Python and NumPy, printing and
the in-place methods; it knows nothing of operations. The class users hold, ``sj.Tensor``, is
defined above the operations in ``shenjing._tensor``: it subclasses ``TensorBase``, adds the
operators and the methods that delegate to ``shenjing.ops``, and registers itself here with
``register_tensor_class``, so that every tensor the core makes (``_make``, the constructor) is an
``sj.Tensor``. PyTorch splits ``torch.Tensor`` from its core ``torch._C.TensorBase`` the same way.

While ``sj.compile`` traces a step, reading a value into Python is refused and in-place methods
run their array work through ``tracing.kernel`` so that a replay repeats it.
"""

from __future__ import annotations

import weakref

import numpy

from shenjing import backend
from shenjing.autograd import tracing
from shenjing.autograd.function import AccumulateGrad, ArgumentError, DtypeError, ShapeError
from shenjing.autograd.grad_mode import is_grad_enabled

# Why reading values is refused while tracing (see tracing.refuse).
_READS = ("it reads a value into Python, so the trace would bake this step's value into every "
          "replay")


class TensorBase:
    """The core of every tensor: data, autograd state, conversions, printing, in-place changes.

    Not made directly: every tensor is an ``sj.Tensor``, the subclass that adds the operators.
    ``isinstance(x, TensorBase)`` holds for every tensor, which is how operations check their
    arguments. Equivalent of ``torch._C.TensorBase``.

    >>> import shenjing as sj
    >>> x = sj.tensor([1.0, 2.0])
    >>> type(x) is sj.Tensor, isinstance(x, TensorBase)
    (True, True)
    """

    __slots__ = (
        "_data",  # the array: numpy.ndarray or cupy.ndarray
        "_requires_grad",
        "_grad",  # .grad: a Tensor, None, or the bare array a compiled step put there
        "grad_fn",  # the node that made this tensor, None for leaves
        "_output_nr",  # which output of grad_fn this tensor is
        "_version_counter",  # [n]: bumped by in-place changes, shared with views
        "_accumulator",  # the AccumulateGrad node of a leaf that requires grad
        "_retains_grad",
        "__weakref__",
    )

    def __new__(cls, *args, **kwargs):
        # The core makes the registered public class (sj.Tensor); subclasses make themselves.
        return object.__new__(_Tensor if cls is TensorBase else cls)

    def __init__(self, data, dtype=None, device=None, requires_grad: bool = False):
        if isinstance(data, TensorBase):
            if tracing._active is not None:
                tracing.refuse("sj.tensor(a tensor)",
                               "it copies this step's values into a constant; use t.clone(), "
                               "t.detach() or t.to(dtype)")
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
        self._grad = None
        self.grad_fn = None
        self._output_nr = 0
        self._version_counter = [0]
        self._accumulator = None
        self._retains_grad = False
        self.requires_grad = requires_grad  # checks that the dtype can carry gradients
        if tracing._active is not None:
            tracing._active.note_constant(self)  # made inside the step: replayed as is

    @classmethod
    def _make(cls, array, requires_grad: bool = False, grad_fn=None, output_nr: int = 0):
        """Wrap an array without copying or checks: the fast path used by operations."""
        t = object.__new__(_Tensor if cls is TensorBase else cls)
        t._data = array
        t._requires_grad = requires_grad
        t._grad = None
        t.grad_fn = grad_fn
        t._output_nr = output_nr
        t._version_counter = [0]
        t._accumulator = None
        t._retains_grad = False
        if tracing._active is not None:  # raw array code's tensors are told apart from ops'
            tracing._active.note_made(t)
        return t

    # -- the gradient of a leaf -------------------------------------------------------------------
    @property
    def grad(self):
        """The gradient that backward accumulated into this leaf: a Tensor, or None.

        A compiled step stores the bare array (``static/program.py``): most training loops never
        read ``.grad`` between steps, so the Tensor around it is made here, on the first read.
        """
        g = self._grad
        if g is not None and not isinstance(g, TensorBase):
            g = self._grad = TensorBase._make(g)
        if tracing._active is not None and g is not None:
            tracing._active.note_grad(g)  # an operation given it must find it recorded
        return g

    @grad.setter
    def grad(self, value) -> None:
        if value is not None and not isinstance(value, TensorBase):
            raise TypeError("assigned grad expected to be a Tensor or None but got grad of type "
                            f"{type(value).__name__}")
        self._grad = value

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

    def requires_grad_(self, requires_grad: bool = True) -> TensorBase:
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

    def detach(self) -> TensorBase:
        """A tensor sharing this one's data, outside the graph; equivalent of ``detach``."""
        t = TensorBase._make(self._data)
        t._version_counter = self._version_counter
        return t

    @property
    def data(self) -> TensorBase:
        """This tensor's data as a tensor outside the graph (no version tracking, as in PyTorch)."""
        return TensorBase._make(self._data)

    @data.setter
    def data(self, value) -> None:
        if tracing._active is not None:
            tracing.refuse("setting x.data", "it changes the data outside the graph, so a replay "
                           "would not repeat it")
        self._data = value._data if isinstance(value, TensorBase) else value

    # -- conversions ----------------------------------------------------------------------------
    def numpy(self, *, force: bool = False):
        """The data as a NumPy array sharing memory; equivalent of ``torch.Tensor.numpy``.

        ``force=True`` also takes a tensor that requires grad or lives on a GPU (a copy then)."""
        if tracing._active is not None:
            tracing.refuse("x.numpy()", _READS)
        if force:
            return backend.to_device(self._data, backend.CPU)
        if self._requires_grad:
            raise RuntimeError(
                "can't call numpy() on a tensor that requires grad; use tensor.detach().numpy()"
            )
        if self.device.type != "cpu":
            raise TypeError(f"can't convert a tensor on {self.device} to NumPy; use .cpu() first")
        return self._data

    def __array__(self, dtype=None, copy=None):
        if tracing._active is not None:
            tracing.refuse("numpy.asarray(x)", _READS)
        array = backend.to_device(self._data, backend.CPU)
        if dtype is not None:
            array = array.astype(dtype, copy=False)
        return array.copy() if copy else array

    def item(self):
        """The value of a one-element tensor as a Python number; equivalent of ``item``."""
        if tracing._active is not None:
            tracing.refuse("x.item()", _READS)
        if self._data.size != 1:
            raise ArgumentError(
                f"item: only one-element tensors can be converted to Python scalars, got shape "
                f"{self.shape}"
            )
        return self._data.item()

    def tolist(self):
        """The data as nested Python lists (a number for 0-d tensors)."""
        if tracing._active is not None:
            tracing.refuse("x.tolist()", _READS)
        return self._data.tolist()

    def __bool__(self) -> bool:
        if tracing._active is not None:
            tracing.refuse("bool(x)", _READS)
        if self._data.size != 1:
            raise RuntimeError(
                f"the truth value of a tensor with {self._data.size} elements is ambiguous; "
                "use .any() or .all()"
            )
        return bool(self._data.item())

    def __float__(self) -> float:
        if tracing._active is not None:
            tracing.refuse("float(x)", _READS)
        return float(self.item())

    def __int__(self) -> int:
        if tracing._active is not None:
            tracing.refuse("int(x)", _READS)
        return int(self.item())

    def __index__(self) -> int:
        if tracing._active is not None:
            tracing.refuse("x used as an index", _READS)
        if self.dtype.kind not in "iu" or self._data.size != 1:
            raise TypeError("only one-element integer tensors can be used as an index")
        return int(self._data.item())

    # -- printing --------------------------------------------------------------------------------
    def __repr__(self) -> str:
        extras = []
        if self.device != backend.CPU:
            extras.append(f"device='{self.device}'")
        if self.dtype not in (backend.get_default_dtype(), backend.DEFAULT_INT, backend.dtype.bool):
            extras.append(f"dtype={self.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn={self.grad_fn!r}")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        body = _format_array(backend.to_device(self._data, backend.CPU))
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    # -- in-place changes --------------------------------------------------------------------------
    def _check_inplace(self, op: str, *others) -> None:
        if not is_grad_enabled():
            return
        tracked = self._requires_grad or any(
            isinstance(o, TensorBase) and o._requires_grad for o in others
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

    def _inplace(self, op: str, ufunc: str, other, alpha=1) -> TensorBase:
        self._check_inplace(op, other)
        value = other._data if isinstance(other, TensorBase) else other
        if isinstance(other, TensorBase):
            backend.common_module(op, (self._data, value))
        try:
            tracing.kernel(_ufunc_into, self, other, mutates=self, name=op, ufunc=ufunc,
                           alpha=alpha)
        except (ValueError, TypeError) as exc:
            shape = getattr(value, "shape", ())
            kind = DtypeError if isinstance(exc, TypeError) else ShapeError
            raise kind(f"{op}: cannot apply to a tensor of shape {self.shape} and "
                       f"{self.dtype} with an operand of shape {shape}: {exc}") from None
        return self

    def add_(self, other, *, alpha=1) -> TensorBase:
        """``self += alpha * other`` in place."""
        return self._inplace("add_", "add", other, alpha)

    def sub_(self, other, *, alpha=1) -> TensorBase:
        """``self -= alpha * other`` in place."""
        return self._inplace("sub_", "subtract", other, alpha)

    def mul_(self, other) -> TensorBase:
        """``self *= other`` in place."""
        return self._inplace("mul_", "multiply", other)

    def div_(self, other) -> TensorBase:
        """``self /= other`` in place."""
        return self._inplace("div_", "divide", other)

    def copy_(self, src) -> TensorBase:
        """Copy ``src`` (broadcast, converted to this dtype) into self in place."""
        self._check_inplace("copy_", src)
        try:
            tracing.kernel(_copy_into, self, src, mutates=self, name="copy_")
        except ValueError as exc:
            shape = getattr(src._data if isinstance(src, TensorBase) else src, "shape", ())
            raise ShapeError(f"copy_: cannot copy a tensor of shape {shape} into one of shape "
                             f"{self.shape}") from exc
        return self

    def fill_(self, value) -> TensorBase:
        """Set every element to ``value`` in place."""
        self._check_inplace("fill_", value)
        tracing.kernel(_fill, self, value, mutates=self, name="fill_")
        return self

    def zero_(self) -> TensorBase:
        """Set every element to zero in place."""
        return self.fill_(0)

    def clamp_(self, min=None, max=None) -> TensorBase:  # noqa: A002 - PyTorch's names
        """Clamp every element to ``[min, max]`` in place."""
        self._check_inplace("clamp_")
        tracing.kernel(_clip_into, self, min, max, mutates=self, name="clamp_")
        return self

    def uniform_(self, a: float = 0.0, b: float = 1.0) -> TensorBase:
        """Fill with samples from U(a, b) in place, drawn from shenjing's generator."""
        self._check_inplace("uniform_")
        tracing.kernel(_uniform_into, self, a, b, mutates=self, name="uniform_")
        return self

    def normal_(self, mean: float = 0.0, std: float = 1.0) -> TensorBase:
        """Fill with samples from N(mean, std^2) in place, drawn from shenjing's generator."""
        self._check_inplace("normal_")
        tracing.kernel(_normal_into, self, mean, std, mutates=self, name="normal_")
        return self


def register_tensor_class(cls: type) -> None:
    """Make ``cls``, a subclass of ``TensorBase``, the class of every tensor the core creates.

    Called once, by ``shenjing._tensor`` when it defines ``sj.Tensor``: the core sits below the
    operations and cannot import the class that delegates to them.
    """
    global _Tensor
    if not (isinstance(cls, type) and issubclass(cls, TensorBase)):
        raise TypeError(f"register_tensor_class: expected a subclass of TensorBase, got {cls!r}")
    _Tensor = cls


_Tensor: type = TensorBase  # the class the core makes; sj.Tensor once shenjing._tensor is imported

# The name the rest of shenjing imports for isinstance checks and type hints: every tensor is an
# instance of it, whatever its class (sj.Tensor, nn.Parameter).
Tensor = TensorBase


# -- kernels: the array work of in-place methods, run through tracing.kernel so a replay repeats it
def _ufunc_into(x, y, ufunc: str, alpha=1) -> None:
    xp = backend.array_module(x)
    getattr(xp, ufunc)(x, y if alpha == 1 else y * alpha, out=x)


def _copy_into(x, src) -> None:
    x[...] = backend.to_device(src, backend.device_of(x))


def _fill(x, value) -> None:
    x[...] = value


def _clip_into(x, low, high) -> None:
    backend.array_module(x).clip(x, low, high, out=x)


def _uniform_into(x, a, b) -> None:
    # The generator is fetched on every call, so each replay draws fresh numbers.
    gen = backend.generator(backend.device_of(x))
    x[...] = gen.uniform(a, b, size=x.shape).astype(x.dtype, copy=False)


def _normal_into(x, mean, std) -> None:
    gen = backend.generator(backend.device_of(x))
    x[...] = gen.normal(mean, std, size=x.shape).astype(x.dtype, copy=False)


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
