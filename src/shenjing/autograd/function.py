"""Nodes of the backward graph: ``Function`` (a differentiable operation) and ``AccumulateGrad``.

An operation is one ``Function`` subclass with ``forward`` and ``backward`` side by side:

- ``forward(self, *arrays, **params)`` computes on raw arrays (NumPy or CuPy, via ``self.xp``) and
  calls ``self.save_for_backward(...)`` with the arrays backward needs;
- ``backward(self, *grad_outputs)`` receives and returns *tensors*, one gradient per positional
  input (``None`` where there is none). Because it is written with shenjing's own differentiable
  operations, ``create_graph=True`` records the backward pass too: gradients of gradients work
  for every operation whose backward is made of operations.

``Function.apply`` runs forward and, when grad mode is on and an input requires grad, links the
outputs into the graph. Gradients of broadcast inputs are summed back to the input's shape by the
engine, so no operation has to undo broadcasting itself.
"""

from __future__ import annotations

import itertools
import weakref

from shenjing.autograd import tracing
from shenjing.autograd.anomaly import _enabled as _anomaly_enabled
from shenjing.autograd.anomaly import check_outputs
from shenjing.autograd.grad_mode import _grad_enabled
from shenjing.backend import CPU_ARRAY, CPU_MODULE, DeviceError, array_module, common_module

# The errors of a bad argument live in the backend; operations import them from here.
from shenjing.backend.errors import (  # noqa: F401
    ArgumentError,
    DtypeError,
    IndexRangeError,
    ShapeError,
)

_Tensor = None  # shenjing.autograd.tensor.Tensor, which imports this module: bound on first use


def _tensor_class():
    global _Tensor
    from shenjing.autograd.tensor import Tensor

    _Tensor = Tensor
    return Tensor


# Every node gets the next number; a node's inputs always have smaller numbers than the node, so
# visiting nodes from the largest number down is a topological order of the backward graph.
_sequence = itertools.count()


class Node:
    """A node of the backward graph: it receives gradients and passes them on along ``next_edges``.

    ``next_edges[i]`` is ``(node, output_nr)`` for the i-th input that needs a gradient, else None.
    """

    next_edges: tuple = ()
    sequence_nr: int = -1
    retained: dict | None = None  # output_nr -> weakref of a tensor that called retain_grad()

    def name(self) -> str:
        return type(self).__name__

    @property
    def next_functions(self) -> tuple:
        """``((node, output_nr), ...)`` for each input, as PyTorch's ``grad_fn.next_functions``."""
        return tuple(edge if edge is not None else (None, 0) for edge in self.next_edges)

    def __repr__(self) -> str:
        return f"<{self.name()}>"


class AccumulateGrad(Node):
    """The node of a leaf tensor that requires grad: adds the incoming gradient into ``.grad``."""

    def __init__(self, tensor):
        self.variable = weakref.ref(tensor)
        self.sequence_nr = next(_sequence)


class _Saved:
    """A tensor saved for backward, with the version it had, to detect later in-place changes."""

    __slots__ = ("tensor", "data", "output_nr", "version_counter", "version")

    def __init__(self, tensor, data, output_nr, version_counter):
        self.tensor = tensor  # an input tensor, or None for an output or a constant
        self.data = data  # the array, for outputs and constants
        self.output_nr = output_nr  # which output, or None
        self.version_counter = version_counter
        self.version = version_counter[0] if version_counter is not None else 0


class Function(Node):
    """Base class of differentiable operations; subclass it to add your own.

    >>> import shenjing as sj
    >>> class Square(sj.autograd.Function):
    ...     def forward(self, x):
    ...         self.save_for_backward(x)
    ...         return x * x
    ...     def backward(self, gy):
    ...         (x,) = self.saved_tensors
    ...         return 2 * x * gy
    >>> x = sj.tensor([3.0], requires_grad=True)
    >>> Square.apply(x).backward(sj.ones(1))
    >>> x.grad
    tensor([6.])
    """

    xp = CPU_MODULE  # the array module of the inputs, set by apply for each call
    # Optionally, forward's arithmetic as a plain function ``compute(xp, *arrays, **params)``
    # that forward itself calls (forward adds what backward keeps): a compiled step calls it
    # directly where nothing reads the operation object afterwards.
    compute = None
    differentiable = True  # False for operations whose outputs carry no gradient (comparisons)
    returns_view = False  # True when outputs may share memory with the first input
    broadcasts = False  # True for elementwise operations that broadcast their inputs

    needs_input_grad: tuple = ()
    input_meta: tuple = ()  # (shape, dtype) of each input that needs a gradient, else None
    output_meta: tuple = ()  # (shape, dtype) of each output, kept for multi-output operations
    _to_save: tuple | None = None
    _saved: list | None = None
    _released = False

    # -- the two methods an operation defines ---------------------------------------------------
    def forward(self, *arrays, **params):
        raise NotImplementedError(f"{type(self).__name__} does not define forward")

    def backward(self, *grad_outputs):
        raise NotImplementedError(f"{type(self).__name__} does not define backward")

    # -- helpers for those methods --------------------------------------------------------------
    def save_for_backward(self, *arrays) -> None:
        """Keep ``arrays`` (inputs, outputs or constants of forward) for backward."""
        self._to_save = arrays

    @property
    def saved_tensors(self) -> tuple:
        """The saved arrays as tensors; raises if the graph was freed or they were modified."""
        if self._released:
            raise RuntimeError(
                f"{self.name()}: trying to backward through the graph a second time, or to use "
                "saved tensors after they were freed; pass retain_graph=True to the first "
                "backward() if you need to backward through the graph again"
            )
        if self._saved is None:
            return ()
        Tensor = _Tensor or _tensor_class()

        tensors = []
        for saved in self._saved:
            if not isinstance(saved, _Saved):
                tensors.append(saved)  # a Python scalar or None
                continue
            counter = saved.version_counter
            if counter is not None and counter[0] != saved.version:
                raise RuntimeError(
                    f"{self.name()}: a tensor of shape {tuple(saved_shape(saved))} that it saved "
                    f"for backward was modified in place afterwards (it is at version "
                    f"{counter[0]}, expected version {saved.version}); use an out-of-place "
                    "operation (x = x * y instead of x *= y) or clone() the tensor first"
                )
            if saved.tensor is not None:
                tensors.append(saved.tensor)
            elif saved.output_nr is not None:
                # Rebuilt on demand so that the node does not hold its own output (no cycle).
                y = Tensor._make(saved.data, requires_grad=True, grad_fn=self,
                                 output_nr=saved.output_nr)
                y._version_counter = counter
                tensors.append(y)
            else:
                tensors.append(Tensor._make(saved.data))
        return tuple(tensors)

    def name(self) -> str:
        return type(self).__name__ + "Backward"

    def release(self) -> None:
        """Free the saved tensors; a later backward through this node raises."""
        self._saved = None
        self._released = True

    # -- running an operation -------------------------------------------------------------------
    @classmethod
    def apply(cls, *args, **params):
        """Run the operation on ``args`` (tensors and Python scalars) and record it for backward."""
        Tensor = _Tensor or _tensor_class()
        fn = cls()
        arrays = []
        any_requires_grad = False
        all_cpu = True
        for a in args:
            if isinstance(a, Tensor):
                data = a._data
                arrays.append(data)
                if a._requires_grad:
                    any_requires_grad = True
                if type(data) is not CPU_ARRAY:
                    all_cpu = False
            else:
                arrays.append(a)
        # The device check, with a fast path for the common all-NumPy case.
        fn.xp = xp = CPU_MODULE if all_cpu else common_module(fn.op_name(), arrays)
        try:
            out = fn.forward(*arrays, **params)
        except (ShapeError, DeviceError):
            raise
        except (IndexError, ValueError, TypeError) as exc:
            raise fn._explain(exc, arrays) from exc
        if type(out) is tuple:
            single, raw = False, out
        else:
            single, raw = True, (out,)
        # NumPy returns scalars for 0-d results: tensors always hold arrays.
        outs = [y if type(y) is xp.ndarray else array_module(y).asarray(y) for y in raw]
        if _anomaly_enabled.get():
            check_outputs(fn, arrays, outs)
        if tracing._active is not None:
            tracing._active.record_op(fn, args, params, raw, outs, Tensor, single)

        if any_requires_grad and cls.differentiable and _grad_enabled.get():
            needs, edges, meta = [], [], []
            for a in args:
                if isinstance(a, Tensor) and a._requires_grad:
                    needs.append(True)
                    edges.append(a._gradient_edge())
                    meta.append((a._data.shape, a._data.dtype))
                else:
                    needs.append(False)
                    edges.append(None)
                    meta.append(None)
            fn.needs_input_grad, fn.next_edges, fn.input_meta = tuple(needs), tuple(edges), meta
            fn.sequence_nr = next(_sequence)
            # Integer outputs (indices) carry no gradient and belong to no graph.
            results = [Tensor._make(y, True, fn, i) if y.dtype.kind == "f" else Tensor._make(y)
                       for i, y in enumerate(outs)]
            if not single:
                fn.output_meta = tuple((y.shape, y.dtype) for y in outs)
            if fn._to_save:
                fn._pack_saved(args, raw, results)
        else:
            results = [Tensor._make(y) for y in outs]
        fn._to_save = None
        if cls.returns_view and isinstance(args[0], Tensor):
            base = args[0]
            for y in results:
                if xp.may_share_memory(y._data, base._data):
                    y._version_counter = base._version_counter
        return results[0] if single else tuple(results)

    @classmethod
    def op_name(cls) -> str:
        return cls.__name__.lower()

    def _pack_saved(self, args, raw_outputs, outputs) -> None:
        Tensor = _Tensor or _tensor_class()
        saved = []
        for array in self._to_save:
            if array is None or not hasattr(array, "shape"):
                saved.append(array)
                continue
            for a in args:
                if isinstance(a, Tensor) and a._data is array:
                    saved.append(_Saved(a, None, None, a._version_counter))
                    break
            else:
                for raw, y in zip(raw_outputs, outputs):
                    if raw is array:
                        saved.append(_Saved(None, y._data, y._output_nr, y._version_counter))
                        break
                else:
                    constant = array_module(array).asarray(array)
                    saved.append(_Saved(None, constant, None, None))
        self._saved = saved

    def _explain(self, exc: Exception, arrays) -> Exception:
        """Turn an array library's error into one that names this operation and its inputs."""
        shapes = [tuple(a.shape) for a in arrays if hasattr(a, "shape")]
        if self.broadcasts and isinstance(exc, ValueError) and len(shapes) >= 2:
            listed = " and ".join(str(s) for s in shapes)
            return ShapeError(f"{self.op_name()}: cannot broadcast shapes {listed}")
        detail = f"{self.op_name()}: {exc} (input shapes: {', '.join(map(str, shapes))})"
        # PyTorch raises RuntimeError for all of these; each class keeps NumPy's type as a base
        if isinstance(exc, IndexError):
            return IndexRangeError(detail)
        if isinstance(exc, TypeError):
            return DtypeError(detail)
        return ArgumentError(detail)


def saved_shape(saved: _Saved) -> tuple:
    return saved.tensor.shape if saved.tensor is not None else saved.data.shape
