"""Recording a static graph: run a step eagerly once and note every array operation it performs.

While a ``Trace`` is active, three kinds of call are written down, in the order they run:

- every ``Function.apply`` (forward operations and the operations backward is made of): the
  operation's class, its inputs and its parameters;
- every *kernel*: a function on raw arrays that the engine, the optimizers and in-place tensor
  methods run outside an operation (accumulating a gradient, a parameter update, a random draw),
  passed through ``kernel()`` here so that it is recorded too;
- reads of values into Python (``item()``, ``bool(t)``, ``numpy()``), which cannot be part of a
  static graph and are refused with ``TraceError``.

Arrays are followed by identity: each array an operation or kernel returns becomes a numbered
value of the program, and a later call that receives it refers to that number. An array the
trace has never seen is either state that existed before the step (a parameter, a buffer, a
gradient: read afresh on every replay) or a constant made inside the step (``sj.tensor``); an
array computed by raw code outside any recorded call cannot be replayed, so it raises
``TraceError`` instead of being baked in as a stale value. ``shenjing.static`` turns the trace
into a replayable ``Program`` and guards it.
"""

from __future__ import annotations

import contextlib
import os
import traceback
import weakref

from shenjing.backend import random

_active = None  # the Trace being recorded, or None (one trace at a time, on one thread)
_Tensor = None


class TraceError(RuntimeError):
    """Code inside ``sj.compile`` that a static graph cannot replay; the message says where."""


def active():
    """The trace being recorded, or None."""
    return _active


def refuse(what: str, why: str) -> None:
    """Raise ``TraceError`` naming the user's line if a trace is being recorded."""
    if _active is not None:
        raise TraceError(f"sj.compile: {what} at {user_location()} cannot be part of a static "
                         f"graph: {why}")


_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_CORE = tuple(os.path.join(_PACKAGE, part)
              for part in ("autograd", "ops", "static", "backend", "nn", "optim", "_tensor.py",
                           "creation.py"))


def user_location() -> str:
    """``file:line (function)`` of the innermost frame outside shenjing's core."""
    for frame in reversed(traceback.extract_stack()[:-1]):
        if not frame.filename.startswith(_CORE):
            return f"{frame.filename}:{frame.lineno} ({frame.name})"
    return "an unknown line"


# -- what a recorded program is made of ----------------------------------------------------------
class Value:
    """A value of the program: an input, a piece of state, a constant or a call's result."""

    __slots__ = ("index", "kind", "source", "shape", "dtype", "label")

    def __init__(self, index, kind, source=None, shape=None, dtype=None, label=None):
        self.index = index  # the slot it occupies when the program runs
        self.kind = kind  # "input", "state", "constant", "result", "instance", "attr"
        self.source = source  # state: the tensor; constant: the array or object
        self.shape, self.dtype = shape, dtype
        self.label = label

    def __repr__(self) -> str:
        return f"%{self.label or self.index}"


class Call:
    """One recorded call: an operation's forward, or a kernel on raw arrays."""

    __slots__ = ("kind", "target", "name", "args", "params", "outputs", "instance", "location",
                 "as_array", "mutates", "xp", "fresh", "unpack")

    def __init__(self, kind, target, name, args, params, outputs, location):
        self.kind = kind  # "op", "kernel" or "attr"
        self.target = target  # the Function class, the kernel, or the attribute's name
        self.name = name
        self.args = args  # Values, or Python literals
        self.params = params  # name -> Value, literal, or tuple of them
        self.outputs = outputs  # Values
        self.instance = None  # the Value holding the Function object, when later calls use it
        self.location = location
        self.as_array = ()  # output positions the call returned as NumPy scalars
        self.mutates = None  # the Value a kernel changes in place, if any
        self.xp = None  # an operation's array module
        self.fresh = ()  # per output: True when it shares no memory with the inputs
        self.unpack = False  # an operation whose forward returns a tuple


class Trace:
    """The record of one eager run: values, calls, and the state and modules it touched."""

    def __init__(self):
        self.values: list[Value] = []
        self.calls: list[Call] = []
        self.inputs: list[Value] = []
        self.state: list[Value] = []
        self.modules: list = []
        self.guarded: list = []
        self._module_ids: set = set()
        self._known: dict[int, tuple] = {}  # id(object) -> (Value, weakref or the object)
        # Tensors made while tracing, by Tensor._make and by the constructor (id -> weakref:
        # a WeakSet would compare tensors with ==, which is an operation).
        self._made: dict[int, weakref.ref] = {}
        self._grads: dict[int, weakref.ref] = {}  # .grad tensors read while tracing
        self._constants: dict[int, weakref.ref] = {}
        self._attrs: dict[int, tuple] = {}  # id(array) -> (call, attribute, array)
        self._instances: dict[int, tuple] = {}  # id(function) -> (call, weakref of it)

    # -- values ------------------------------------------------------------------------------
    def _new(self, kind, obj=None, source=None, label=None) -> Value:
        shape = getattr(obj, "shape", None)
        dtype = getattr(obj, "dtype", None)
        v = Value(len(self.values), kind, source, shape, dtype, label)
        self.values.append(v)
        if obj is not None:
            self._remember(obj, v)
        return v

    def _remember(self, obj, value: Value) -> None:
        self._known[id(obj)] = (value, _reference(obj))

    def _lookup(self, obj):
        entry = self._known.get(id(obj))
        if entry is None:
            return None
        value, ref = entry
        return value if _target(ref) is obj else None

    def add_input(self, tensor, label: str) -> Value:
        v = self._new("input", tensor._data, label=label)
        self.inputs.append(v)
        return v

    def value_of_tensor(self, t) -> Value:
        """The value a tensor argument refers to; state or constant the first time it is seen."""
        array = t._data
        v = self._lookup(array) or self._attr_value(array)
        if v is not None:
            return v
        if _holds(self._grads, t):
            raise TraceError(
                f"sj.compile: {user_location()} reads a .grad of shape {tuple(array.shape)} that "
                "was computed before the compiled function began (the last step's); a replay "
                "would read that one again, not the gradient then. Read .grad after this step's "
                "backward(), or pass the value in as an argument"
            )
        if _holds(self._made, t):
            raise TraceError(
                f"sj.compile: an operation at {user_location()} received a tensor of shape "
                f"{tuple(array.shape)} that was computed outside shenjing's operations (raw array "
                "code wrapped into a Tensor); a static graph cannot replay it. Compute it with "
                "shenjing operations, or pass it to the compiled function as an argument"
            )
        if _holds(self._constants, t):
            return self._new("constant", array, source=array)
        v = self._new("state", array, source=t)
        self.state.append(v)
        return v

    def value_of_array(self, array) -> Value:
        """The value a raw array argument refers to; unknown arrays cannot be replayed."""
        v = self._lookup(array) or self._attr_value(array)
        if v is None:
            raise TraceError(
                f"sj.compile: an array of shape {tuple(getattr(array, 'shape', ()))} used at "
                f"{user_location()} was computed outside shenjing's operations, so a static "
                "graph cannot replay it; compute it with shenjing operations"
            )
        return v

    def _attr_value(self, array):
        entry = self._attrs.get(id(array))
        if entry is None or _target(entry[2]) is not array:
            return None
        call, name, _ = entry
        v = self._new("attr", array, label=None)
        attr_call = Call("attr", name, f"getattr .{name}", (self.instance_of(call),), {}, (v,),
                         call.location)
        self.calls.append(attr_call)
        return v

    def instance_of(self, call: Call) -> Value:
        if call.instance is None:
            call.instance = self._new("instance")
        return call.instance

    # -- arguments ----------------------------------------------------------------------------
    def _arg(self, a, tensor_type):
        if isinstance(a, tensor_type):
            return self.value_of_tensor(a)
        if hasattr(a, "shape") and hasattr(a, "dtype") and not isinstance(a, type):
            return self.value_of_array(a)  # an array or NumPy scalar: it must be known
        entry = self._instances.get(id(a))
        if entry is not None and entry[1]() is a:
            return self.instance_of(entry[0])
        if type(a) is tuple or type(a) is list:
            mapped = [self._arg(x, tensor_type) for x in a]
            return tuple(mapped) if type(a) is tuple else mapped
        return a

    # -- recording ----------------------------------------------------------------------------
    def record_op(self, fn, args, params, raw_outputs, outputs, tensor_type,
                  single: bool = True) -> None:
        """Note ``Function.apply``: ``fn`` ran on ``args`` and gave ``outputs`` (arrays)."""
        call = Call("op", type(fn), fn.op_name(),
                    tuple(self._arg(a, tensor_type) for a in args),
                    {k: self._arg(v, tensor_type) for k, v in params.items()},
                    (), user_location())
        call.xp = fn.xp
        call.unpack = not single  # forward returned a tuple (of one, perhaps)
        call.as_array = tuple(i for i, (raw, y) in enumerate(zip(raw_outputs, outputs))
                              if raw is not y)
        call.outputs = tuple(self._new("result", y) for y in outputs)
        inputs = [a._data for a in args if isinstance(a, tensor_type)]
        call.fresh = tuple(not any(fn.xp.may_share_memory(y, a) for a in inputs)
                           for y in outputs)
        self.calls.append(call)
        self._instances[id(fn)] = (call, weakref.ref(fn))
        # Arrays the operation keeps on itself (a mask, saved intermediates) may be read by
        # later calls (its backward): they are reached through the object at replay.
        for name, value in vars(fn).items():
            if name in ("xp", "_saved", "needs_input_grad", "next_edges", "input_meta"):
                continue
            items = enumerate(value) if type(value) in (tuple, list) else ((None, value),)
            for i, item in items:
                if hasattr(item, "shape") and hasattr(item, "dtype") and \
                        self._lookup(item) is None:
                    self._attrs[id(item)] = (call, name if i is None else f"{name}[{i}]",
                                             _reference(item))

    def record_kernel(self, fn, name, args, params, result, tensor_type, mutates=None) -> None:
        # Parameters are passed by reference, so a replay reads them live (a group's lr); a
        # value this step computed would be the first step's forever.
        for key, value in params.items():
            array = value._data if isinstance(value, tensor_type) else value
            v = self._lookup(array) if hasattr(array, "shape") else None
            if v is not None and v.kind == "input" and name == "accumulate_grad":
                raise TraceError(f"sj.compile: backward at {user_location()} accumulates a "
                                 "gradient into the .grad of an input of the compiled "
                                 "function, which a replay could not follow to the next call's "
                                 "input; return the gradient with sj.autograd.grad instead")
            if v is not None and v.kind in ("result", "attr", "input"):
                raise TraceError(f"sj.compile: {name} at {user_location()} takes a value of "
                                 f"this step as its parameter {key!r}, which a replay would "
                                 "not update; pass it as an argument")
        call = Call("kernel", fn, name, tuple(self._arg(a, tensor_type) for a in args),
                    dict(params), (), user_location())
        if mutates is not None:
            call.mutates = self._arg(mutates, tensor_type)
            if isinstance(call.mutates, Value) and call.mutates.kind == "constant":
                raise TraceError(
                    f"sj.compile: {name} at {user_location()} changes in place a tensor made "
                    "from data inside the compiled function (sj.tensor); every replay would "
                    "start from the changed values. Make it with sj.zeros, sj.ones or sj.full "
                    "(made anew on each replay), or pass it in as an argument")
        results = result if type(result) is tuple else (result,)
        if result is not None:
            call.outputs = tuple(self._new("result", y) if hasattr(y, "shape") else None
                                 for y in results)
        self.calls.append(call)

    def note_made(self, tensor) -> None:
        self._made[id(tensor)] = weakref.ref(tensor)

    def note_grad(self, tensor) -> None:
        self._grads[id(tensor)] = weakref.ref(tensor)

    def note_constant(self, tensor) -> None:
        self._constants[id(tensor)] = weakref.ref(tensor)

    def note_guard(self, obj) -> None:
        """Note an object whose ``_guard_key()`` a replay must find unchanged (an optimizer:
        its groups and state are passed to the recorded updates by reference)."""
        if all(o is not obj for o in self.guarded):
            self.guarded.append(obj)

    def note_module(self, module) -> None:
        if id(module) not in self._module_ids:
            self._module_ids.add(id(module))
            self.modules.append(module)


def constant(array):
    """Mark ``array``, made from shapes and Python values only (an index grid, a range), as a
    constant of the step being traced: a replay reuses it. Returns it."""
    if _active is not None and hasattr(array, "shape") and _active._lookup(array) is None:
        _active._new("constant", array, source=array)
    return array


def require_recorded(tensor, what: str) -> None:
    """While tracing, refuse a gradient (or other value) computed before the compiled function
    began: a replay would read that one again instead of the new step's."""
    if _active is not None and _active._lookup(tensor._data) is None:
        raise TraceError(
            f"sj.compile: {what} at {user_location()} reads a gradient computed outside the "
            "compiled function; every replay would reuse it. Compile backward() with it "
            "(zero_grad, forward, loss, backward and step in one function)")


def _reference(obj):
    """A weak reference, or the object itself for those that take none (NumPy scalars)."""
    try:
        return weakref.ref(obj)
    except TypeError:
        return obj


def _target(ref):
    return ref() if isinstance(ref, weakref.ref) else ref


def _holds(noted: dict, t) -> bool:
    ref = noted.get(id(t))
    return ref is not None and ref() is t


@contextlib.contextmanager
def paused():
    """Record nothing inside: for one-time setup that a replay must not repeat (an optimizer
    making a parameter's state on its first step, which later steps read as it is)."""
    global _active
    trace, _active = _active, None
    try:
        yield
    finally:
        _active = trace


def start(trace: Trace) -> None:
    global _active
    if _active is not None:
        raise TraceError("sj.compile: a compiled function was called while another one was "
                         "being traced; nesting compiled functions is not supported")
    _active = trace
    random.seeding_hook = _refuse_seeding


def stop() -> None:
    global _active
    _active = None
    random.seeding_hook = None


def _refuse_seeding(what: str) -> None:
    refuse(what, "seeding happens once, while tracing; a replay would draw on from where the "
                 "generator is instead of starting again. Seed outside the compiled function")


def kernel(fn, *args, name: str | None = None, mutates=None, **params):
    """Run ``fn(*arrays, **params)`` on raw arrays and record the call while tracing.

    Tensor arguments are passed to ``fn`` as their arrays. This is the one way for code outside
    an operation to compute with arrays inside a step that may be compiled: the engine's gradient
    sums, optimizer updates, random draws and in-place tensor methods all come through here, so
    a replay runs them again instead of reusing the first run's values. ``mutates`` names the
    tensor that ``fn`` changes in place: its version is bumped here, the one place.
    """
    global _active, _Tensor
    Tensor = _Tensor
    if Tensor is None:  # autograd.tensor imports this module: bound on first use
        from shenjing.autograd.tensor import Tensor

        _Tensor = Tensor
    arrays = [a._data if isinstance(a, Tensor) else a for a in args]
    trace = _active
    if trace is None:
        result = fn(*arrays, **params)
    else:
        _active = None  # what the kernel does inside is part of the kernel, not recorded again
        try:
            result = fn(*arrays, **params)
        finally:
            _active = trace
        trace.record_kernel(fn, name or getattr(fn, "__name__", "kernel"), args, params, result,
                            Tensor, mutates)
    if isinstance(mutates, Tensor):
        mutates._version_counter[0] += 1  # changed in place: saved copies of it are stale
    return result
