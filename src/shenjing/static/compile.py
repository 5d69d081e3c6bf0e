"""``sj.compile``: trace a function once (define-and-run), then replay its static graph.

The first call with a new kind of input runs the function eagerly, as usual, while a trace
notes every array operation it performs: forward, backward, gradient clipping and the optimizer's
updates alike (``shenjing.autograd.tracing``). The trace becomes a ``Program``, a flat list of
array calls. Later calls check that what the trace assumed still holds (the guards) and replay
the program on the new inputs, with no tensors, graph building or per-op checks.

What a trace must not bake in is read again on every replay: parameters, buffers and gradients
(whatever their values now), optimizer hyper-parameters and state (a scheduler's learning rate),
random draws (each replay draws afresh from the generator, in eager's order). What it assumes is
guarded: the inputs' shapes, dtypes and devices, grad mode, the modules' train/eval mode and
structure, the parameters' shapes, dtypes and ``requires_grad``; a miss traces again, up to
``cache_size`` variants, after which the function runs eagerly with a warning, as
``torch.compile`` does.
"""

from __future__ import annotations

import functools
import inspect
import warnings

from shenjing.autograd import tracing
from shenjing.autograd.grad_mode import _grad_enabled
from shenjing.autograd.tensor import Tensor
from shenjing.backend import get_default_dtype
from shenjing.nn.modules.module import Module
from shenjing.static.entry import MISS, entry_function
from shenjing.static.program import Program

TraceError = tracing.TraceError


def compile(fn=None, *, cache_size: int = 8):  # noqa: A001 - PyTorch's name
    """Compile ``fn`` (a training step, or a module's forward) into a replayed static graph.

    ``fn`` takes tensors (and Python values, nested in tuples, lists and dicts) and returns the
    same. Code that needs a value in Python (``loss.item()``, ``if x > 0``), shapes that depend
    on data, or raw array code raise ``TraceError`` naming the line. Equivalent of
    ``torch.compile``; works as a decorator too.

    >>> import shenjing as sj
    >>> net = sj.nn.Linear(3, 1)
    >>> opt = sj.optim.SGD(net.parameters(), lr=0.1)
    >>> @sj.compile
    ... def step(x, y):
    ...     opt.zero_grad()
    ...     loss = ((net(x) - y) ** 2).mean()
    ...     loss.backward()
    ...     opt.step()
    ...     return loss
    >>> x, y = sj.ones(4, 3), sj.zeros(4, 1)
    >>> losses = [step(x, y) for _ in range(3)]
    >>> losses[2] < losses[0]
    tensor(True)
    """
    if fn is None:
        return functools.partial(compile, cache_size=cache_size)
    if isinstance(fn, CompiledFunction):
        return fn
    if not callable(fn):
        raise TypeError(f"compile: expected a function or module, got {type(fn).__name__}")
    return CompiledFunction(fn, cache_size)


class CompiledFunction:
    """A function with its traced programs, one per kind of input (see ``sj.compile``)."""

    def __init__(self, fn, cache_size: int = 8) -> None:
        if cache_size < 1:
            raise ValueError(f"compile: cache_size must be at least 1, got {cache_size}")
        self.fn = fn
        self.cache_size = cache_size
        self._cache: dict = {}
        self._last: _Variant | None = None
        self.traces = 0  # how many times the function was traced
        self._warned = False
        functools.update_wrapper(self, fn, updated=())

    def __call__(self, *args, **kwargs):
        last = self._last
        if last is not None and not kwargs and last.entry is not None:
            # The common case, a training loop calling again with tensors like the last ones:
            # the last variant's entry checks them and its guards, and replays (entry.py).
            result = last.entry(args)
            if result is not MISS:
                return result
        arrays: list = []
        if kwargs:
            key = (_signature((args, kwargs)), _grad_enabled.get(), get_default_dtype())
            _collect_arrays((args, kwargs), arrays)
        else:
            # The common case, flat tensor arguments: the key and the arrays in one pass.
            kinds = []
            for a in args:
                if isinstance(a, Tensor):
                    d = a._data
                    arrays.append(d)
                    kinds.append((d.shape, d.dtype, type(d), a._requires_grad))
                else:
                    kinds.append(_signature(a))
                    _collect_arrays(a, arrays)
            key = ((tuple, *kinds), _grad_enabled.get(), get_default_dtype())
        if _repeats(arrays):
            # The same array passed twice is one value of the trace: key the pattern too.
            first = {}
            key = (key, tuple(first.setdefault(id(a), i) for i, a in enumerate(arrays)))
        variants = self._cache.get(key, ())
        for variant in variants:
            if variant.guards_hold():
                self._last = variant
                return self._replay(variant, arrays)
        if sum(map(len, self._cache.values())) >= self.cache_size:
            if not self._warned:
                self._warned = True
                name = getattr(self.fn, "__name__", type(self.fn).__name__)
                warnings.warn(f"sj.compile: {name} was traced {self.traces} times and "
                              f"its cache holds {self.cache_size} variants; running it eagerly "
                              "from now on (inputs of changing shape? pass cache_size=)",
                              RuntimeWarning, stacklevel=2)
            return self.fn(*args, **kwargs)
        result, variant = self._trace(args, kwargs)
        if not kwargs and all(isinstance(a, Tensor) for a in args) and not _repeats(arrays):
            variant.enter_with(key[0][1:], key[1], key[2])  # kinds, grad mode, default dtype
        self._cache.setdefault(key, []).append(variant)
        self._last = variant
        return result

    @staticmethod
    def _replay(variant, arrays):
        try:
            results = variant.program.run(arrays, variant.states)
        except Exception as exc:
            variant.program.annotate(exc)
            raise
        return _rebuild(variant.structure, results)

    @property
    def graph(self) -> Program:
        """The static graph of the last call: print it to see one line per array operation."""
        if self._last is None:
            raise RuntimeError("compile: the function has not been called yet, so there is no "
                               "graph; call it once first")
        return self._last.program

    @property
    def code(self) -> str:
        """The Python that a replay runs, generated from the graph."""
        return self.graph.code

    @property
    def entry_code(self) -> str | None:
        """The Python that checks a call of the last variant's kind and replays it (None
        where calls take the general path: keyword or nested arguments)."""
        if self._last is None:
            raise RuntimeError("compile: the function has not been called yet, so there is no "
                               "entry; call it once first")
        return self._last.entry_code

    def _trace(self, args, kwargs):
        trace = tracing.Trace()
        labels: dict[int, str] = {}
        inputs = []
        for label, t in _tensors_in((args, kwargs), _argument_names(self.fn, args, kwargs)):
            inputs.append(t)
            labels[trace.add_input(t, label).index] = label
        self.traces += 1
        with _recording(trace):
            result = self.fn(*args, **kwargs)
        outputs = []
        structure = _structure_of(result, trace, outputs)
        for module in trace.modules:
            for name, t in module.named_parameters():
                labels.setdefault(_index_of(trace, t), name)
            for name, t in module.named_buffers():
                labels.setdefault(_index_of(trace, t), name)
        labels.pop(None, None)
        program = Program(trace, outputs, labels)
        return result, _Variant(program, structure, trace.modules, trace.guarded)


class _Variant:
    """One traced program with the guards it was traced under."""

    def __init__(self, program: Program, structure, modules, guarded=()) -> None:
        self.program = program
        self.structure = structure
        self.modules = list(modules)
        self.states = [v.source for v in program.state]
        self.changes = Module._changes
        self.expected = self._facts()
        self.arrays = [t._data for t in self.states]
        self.guarded = list(guarded)
        self.guarded_keys = [o._guard_key() for o in self.guarded]
        self.entry = self.entry_code = None  # traced with tensors only: entry.py's function

    def enter_with(self, kinds, grad_mode, default_dtype) -> None:
        """Write the entry for calls with tensors of ``kinds``, as this variant was traced."""
        self.entry_code, self.entry = entry_function(
            self, kinds, grad_mode, default_dtype, functools.partial(_rebuild, self.structure))

    def _facts(self) -> tuple:
        # A module's plain settings (Dropout's p, BatchNorm's momentum) are baked into the trace.
        return (tuple(tuple((k, v) for k, v in vars(m).items() if type(v) in _SETTINGS)
                      for m in self.modules),
                tuple((t._data.shape, t._data.dtype, t._requires_grad) for t in self.states),
                tuple(id(v) for m in self.modules
                      for v in (*m._parameters.values(), *m._buffers.values(),
                                *m._modules.values())))

    def guards_hold(self) -> bool:
        for o, key in zip(self.guarded, self.guarded_keys):
            if o._guard_key() != key:
                return False
        if Module._changes != self.changes:
            return self.modules_unchanged()
        for t, a, (_, _, requires_grad) in zip(self.states, self.arrays, self.expected[1]):
            if t._requires_grad != requires_grad:
                return False
            if t._data is not a:
                return self.states_unchanged()
        return True

    def modules_unchanged(self) -> bool:
        """Something about some module changed: are the ones this trace used the same?"""
        if self._facts() != self.expected:
            return False
        self.changes = Module._changes
        return True

    def states_unchanged(self) -> bool:
        """A parameter's or buffer's array was replaced (load_state_dict, ``.data =``): are
        the new arrays of the kinds traced? Then they are the ones to expect from now on."""
        for t, (shape, dtype, requires_grad) in zip(self.states, self.expected[1]):
            a = t._data
            if a.shape != shape or a.dtype != dtype or t._requires_grad != requires_grad:
                return False
        self.arrays[:] = [t._data for t in self.states]  # in place: the entry reads this list
        return True


_SETTINGS = (bool, int, float, str, tuple, type(None))


class _recording:
    """Make ``trace`` the active one for the duration of a ``with``."""

    def __init__(self, trace) -> None:
        self.trace = trace

    def __enter__(self):
        tracing.start(self.trace)

    def __exit__(self, *exc):
        tracing.stop()
        return False


# -- arguments and results -------------------------------------------------------------------------
def _repeats(arrays: list) -> bool:
    """Whether one array is passed more than once (one value of the trace, keyed apart)."""
    return len(arrays) > 1 and len({id(a) for a in arrays}) < len(arrays)


def _signature(obj):
    """What a trace depends on in the arguments: tensors' kinds, and Python values themselves."""
    if isinstance(obj, Tensor):
        a = obj._data
        return (a.shape, a.dtype, type(a), obj._requires_grad)
    if type(obj) in (tuple, list):
        return (type(obj),) + tuple(_signature(x) for x in obj)
    if type(obj) is dict:
        return tuple((k, _signature(v)) for k, v in obj.items())
    if obj is None or type(obj) in (int, float, bool, str):
        return obj
    if hasattr(obj, "__array__") and hasattr(obj, "shape"):
        raise TypeError("compile: pass tensors, not raw arrays, to a compiled function (got an "
                        f"array of shape {obj.shape})")
    return ("object", id(obj))


def _argument_names(fn, args, kwargs) -> list[str]:
    if isinstance(fn, Module):
        fn = fn.forward  # its parameters' names (input), not __call__'s (args)
    try:
        bound = inspect.signature(fn).bind(*args, **kwargs)
        return list(bound.arguments)
    except (TypeError, ValueError):
        return [f"arg{i}" for i in range(len(args))] + list(kwargs)


def _tensors_in(obj, names):
    """(label, tensor) for every tensor in the arguments, in a fixed order."""
    args, kwargs = obj
    found = []

    def walk(x, label):
        if isinstance(x, Tensor):
            found.append((label, x))
        elif type(x) in (tuple, list):
            for i, item in enumerate(x):
                walk(item, f"{label}_{i}")
        elif type(x) is dict:
            for k, item in x.items():
                walk(item, f"{label}_{k}")

    for i, a in enumerate(args):
        walk(a, names[i] if i < len(names) else f"arg{i}")
    for k, a in kwargs.items():
        walk(a, k)
    return found


def _collect_arrays(x, out: list) -> None:
    if isinstance(x, Tensor):
        out.append(x._data)
    elif type(x) in (tuple, list):
        for item in x:
            _collect_arrays(item, out)
    elif type(x) is dict:
        for item in x.values():
            _collect_arrays(item, out)


def _structure_of(result, trace, outputs: list):
    """The shape of the result with each tensor replaced by the position of its value."""
    if isinstance(result, Tensor):
        if result.grad_fn is not None and not result.grad_fn._released and _grad_enabled.get():
            raise TraceError(
                "sj.compile: the function returns a tensor that still has a backward graph "
                f"(grad_fn={result.grad_fn!r}), but the backward pass is not part of the compiled "
                "function. Compile the whole training step (forward, loss, backward(), "
                "optimizer.step()), or run the forward under sj.no_grad()"
            )
        outputs.append(trace.value_of_tensor(result))
        return ("tensor", len(outputs) - 1, result.dtype)
    if type(result) in (tuple, list):
        return (type(result), [_structure_of(x, trace, outputs) for x in result])
    if type(result) is dict:
        return (dict, [(k, _structure_of(v, trace, outputs)) for k, v in result.items()])
    return ("value", result)


def _rebuild(structure, results):
    kind = structure[0]
    if kind == "tensor":
        return Tensor._make(results[structure[1]])
    if kind == "value":
        return structure[1]
    if kind is dict:
        return {k: _rebuild(s, results) for k, s in structure[1]}
    return kind(_rebuild(s, results) for s in structure[1])


def _index_of(trace, t):
    v = trace._lookup(t._data)
    return v.index if v is not None else None


__all__ = ["compile", "CompiledFunction", "TraceError"]
