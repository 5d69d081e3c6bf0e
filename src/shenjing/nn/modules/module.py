"""Module: the base class of layers and networks, with PyTorch's registration and naming rules.

Assigning a ``Parameter`` or a ``Module`` to an attribute registers it, so ``parameters()``,
``state_dict()`` and ``train()`` find every weight and sublayer without being told. Names follow
PyTorch (``fc1.weight``, ``layers.0.bias``), so state dicts line up with PyTorch models.
"""

from __future__ import annotations

from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterator

from shenjing.autograd import tracing
from shenjing.autograd.anomaly import module_stack as _call_stack
from shenjing.autograd.grad_mode import no_grad
from shenjing.autograd.tensor import Tensor
from shenjing.backend import is_floating
from shenjing.backend.dtype import float16, float32, float64
from shenjing.nn.parameter import Parameter

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])
# The method of Tensor and Module that converts to each floating dtype, for error messages.
_CONVERTERS = {float16: "half()", float32: "float()", float64: "double()"}


class Module:
    """Base class for all layers and networks; subclass it and define ``forward``.

    Equivalent of ``torch.nn.Module``.

    >>> import shenjing as sj
    >>> class TwoLayer(sj.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.fc1 = sj.nn.Linear(4, 3)
    ...         self.fc2 = sj.nn.Linear(3, 2)
    ...     def forward(self, x):
    ...         return self.fc2(self.fc1(x).relu())
    >>> net = TwoLayer()
    >>> [name for name, _ in net.named_parameters()]
    ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']
    >>> net(sj.ones(5, 4)).shape
    (5, 2)
    """

    training: bool

    # Bumped whenever any module's parameters, buffers, submodules, mode or dtype change: a
    # compiled step checks one number per call to know that the modules it traced are unchanged.
    _changes = 0

    def __init__(self) -> None:
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args, **kwargs):
        if self._forward_pre_hooks:
            for hook in list(self._forward_pre_hooks.values()):
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        if tracing._active is not None:
            tracing._active.note_module(self)
            if self._forward_pre_hooks or self._forward_hooks:
                tracing.refuse(f"a forward hook on {type(self).__name__}",
                               "hooks run Python that a replay would skip; remove the hook "
                               "while the step is compiled")
        # The stack of running modules lets detect_anomaly name the layer an operation ran in.
        token = _call_stack.set(_call_stack.get() + (self,))
        try:
            output = self.forward(*args, **kwargs)
        finally:
            _call_stack.reset(token)
        if self._forward_hooks:
            for hook in list(self._forward_hooks.values()):
                result = hook(self, args, output)
                if result is not None:
                    output = result
        return output

    # -- registration ----------------------------------------------------------------------------
    def _check_initialised(self, name: str) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"cannot assign {name!r} before {type(self).__name__}.__init__() calls "
                "super().__init__()"
            )

    def _check_new_name(self, kind: str, name: str, registry: dict) -> None:
        """PyTorch's rules for register_*: a str without ".", not empty, and not already an
        attribute other than one of this kind (re-registering replaces it)."""
        self._check_initialised(name)
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
        if "." in name:
            raise KeyError(f'{kind} name can\'t contain ".", got: {name}')
        if name == "":
            raise KeyError(f'{kind} name can\'t be empty string ""')
        if hasattr(self, name) and name not in registry:
            raise KeyError(f"attribute '{name}' already exists")

    def __setattr__(self, name: str, value) -> None:
        Module._changes += 1
        if tracing._active is not None and isinstance(value, Tensor):
            tracing.refuse(f"keeping a tensor on {type(self).__name__}.{name}",
                           "it is set once, while tracing, and never by a replay; return the "
                           "state from the compiled function and pass it back in (as "
                           "fit_sequence carries a recurrent state)")
        if isinstance(value, Parameter):
            self._check_initialised(name)
            self._forget(name, keep=self._parameters)
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._check_initialised(name)
            self._forget(name, keep=self._modules)
            self._modules[name] = value
        elif "_parameters" in self.__dict__ and name in self._parameters:
            if value is not None:
                raise TypeError(f"cannot assign a {type(value).__name__} to parameter {name!r} "
                                "(an nn.Parameter or None is expected)")
            self._parameters[name] = None
        elif "_modules" in self.__dict__ and name in self._modules:
            if value is not None:
                raise TypeError(f"cannot assign a {type(value).__name__} to submodule {name!r} "
                                "(an nn.Module or None is expected)")
            self._modules[name] = None
        elif "_buffers" in self.__dict__ and name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign a {type(value).__name__} to buffer {name!r} "
                                "(a Tensor or None is expected)")
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str, keep: dict | None = None) -> None:
        """Unregister ``name`` everywhere but in ``keep``, the registry about to receive it: a
        replaced parameter or submodule keeps its place in ``state_dict()``, as in PyTorch."""
        Module._changes += 1
        self.__dict__.pop(name, None)
        for registry in (self._parameters, self._buffers, self._modules):
            if registry is not keep:
                registry.pop(name, None)
        self._non_persistent_buffers.discard(name)

    def __getattr__(self, name: str):
        # Called only when normal lookup fails: registered things live in the three registries.
        registries = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            registry = registries.get(key)
            if registry is not None and name in registry:
                return registry[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        Module._changes += 1
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                self._non_persistent_buffers.discard(name)
                return
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (or None, a declared but absent parameter) under ``name``."""
        self._check_new_name("parameter", name, self.__dict__.get("_parameters", {}))
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: {name!r} must be an nn.Parameter or None")
        self._forget(name, keep=self._parameters)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Register a tensor that is state but not a parameter (BatchNorm's running mean)."""
        self._check_new_name("buffer", name, self.__dict__.get("_buffers", {}))
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer: {name!r} must be a Tensor or None")
        self._forget(name, keep=self._buffers)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent_buffers.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register ``module`` as a submodule called ``name``."""
        self._check_new_name("module", name, self.__dict__.get("_modules", {}))
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {name!r} must be an nn.Module or None")
        self._forget(name, keep=self._modules)
        self._modules[name] = module

    def register_forward_hook(self, hook: Callable) -> Callable[[], None]:
        """Call ``hook(module, inputs, output)`` after each forward; returns a remover."""
        key = object()
        self._forward_hooks[key] = hook
        return lambda: self._forward_hooks.pop(key, None)

    def register_forward_pre_hook(self, hook: Callable) -> Callable[[], None]:
        """Call ``hook(module, inputs)`` before each forward; returns a remover."""
        key = object()
        self._forward_pre_hooks[key] = hook
        return lambda: self._forward_pre_hooks.pop(key, None)

    # -- walking the tree ------------------------------------------------------------------------
    def named_modules(self, memo: set | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple]:
        """``(name, module)`` for this module and every module below it (each once, unless
        ``remove_duplicate`` is False: a module registered under two names is then listed twice,
        as ``state_dict`` needs)."""
        memo = set() if memo is None else memo
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module.named_modules(memo, f"{prefix}.{name}" if prefix else name,
                                                remove_duplicate)

    def modules(self) -> Iterator[Module]:
        """This module and every module below it."""
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple]:
        """``(name, module)`` for the direct submodules."""
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        """The direct submodules."""
        for _, module in self.named_children():
            yield module

    def _named_members(self, registry: str, prefix: str, recurse: bool):
        seen = set()
        modules = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield (f"{module_prefix}.{name}" if module_prefix else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple]:
        """``(name, parameter)`` pairs, named as PyTorch names them; shared ones once."""
        return self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every learnable parameter, for an optimizer."""
        for _, parameter in self.named_parameters(recurse=recurse):
            yield parameter

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple]:
        """``(name, buffer)`` pairs."""
        return self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Every buffer (running statistics and other non-learned state)."""
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    # -- modes and gradients -------------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Training mode (dropout active, batch statistics) for this module and below."""
        if not isinstance(mode, bool):
            raise TypeError(f"train: mode must be a bool, got {mode!r}")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        Module._changes += 1
        return self

    def eval(self) -> Module:
        """Evaluation mode (dropout off, running statistics); same as ``train(False)``."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients of every parameter (to None by default, as PyTorch does)."""
        tracing.kernel(zero_grads, name="zero_grad", parameters=list(self.parameters()),
                       set_to_none=set_to_none)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Switch gradients on or off for every parameter (to freeze layers)."""
        Module._changes += 1
        for parameter in self.parameters():
            parameter.requires_grad_(requires_grad)
        return self

    def apply(self, fn: Callable[[Module], None]) -> Module:
        """Call ``fn`` on every submodule (children first) and on self; returns self."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # -- moving and converting -------------------------------------------------------------------
    def to(self, *args, **kwargs) -> Module:
        """Move or convert every parameter and buffer in place: ``model.to('cuda')``, ``.double()``.

        Floating-point buffers follow a dtype change; integer buffers (counters) keep theirs.
        """
        Module._changes += 1
        with no_grad():
            for module in self.modules():
                for parameter in module._parameters.values():
                    if parameter is not None:
                        parameter._data = _converted(parameter, args, kwargs)._data
                        if parameter.grad is not None:
                            parameter.grad = _converted(parameter.grad, args, kwargs)
                for name, buffer in module._buffers.items():
                    if buffer is not None:
                        module._buffers[name] = _converted(buffer, args, kwargs)
        return self

    def float(self) -> Module:
        """Convert floating-point parameters and buffers to float32."""
        from shenjing.backend.dtype import float32

        return self.to(float32)

    def double(self) -> Module:
        """Convert floating-point parameters and buffers to float64."""
        from shenjing.backend.dtype import float64

        return self.to(float64)

    def cpu(self) -> Module:
        """Move every parameter and buffer to the CPU."""
        return self.to("cpu")

    def cuda(self, device: int | None = None) -> Module:
        """Move every parameter and buffer to a CUDA GPU (needs CuPy)."""
        return self.to("cuda" if device is None else f"cuda:{device}")

    def _check_dtype(self, input: Tensor, name: str = "input",
                     error: type[Exception] = RuntimeError, mixed_precision: bool = False) -> None:
        """Raise ``error`` unless ``input`` has the dtype of this layer's parameters.

        PyTorch refuses to mix dtypes in a layer (a silent cast would hide a float64 or integer
        tensor fed by mistake, and cost a copy each call); so do we, naming the layer, both
        dtypes and the fix. The reference dtype is the first parameter's, else the first
        floating-point buffer's (BatchNorm without affine); a layer with neither takes any.
        ``mixed_precision`` accepts float16 input in a float32 layer, as PyTorch's normalisation
        layers do.
        """
        # Called on every forward: the first parameter decides, without building lists.
        kind = "parameters"
        reference = next((p for p in self._parameters.values() if p is not None), None)
        if reference is None:
            kind = "buffers"
            reference = next((b for b in self._buffers.values()
                              if b is not None and is_floating(b.dtype)), None)
        if reference is None or not isinstance(input, Tensor) or input.dtype == reference.dtype:
            return  # no dtype to match, or not a tensor (which the operation itself refuses)
        if mixed_precision and input.dtype == float16 and reference.dtype == float32:
            return
        expected = reference.dtype
        target = _CONVERTERS.get(expected, f"to({expected})")
        variable = "x" if name == "input" else name
        fix = f"convert the {name} with {variable}.{target}"
        if is_floating(input.dtype) and input.dtype in _CONVERTERS:
            fix += f" or the model with model.{_CONVERTERS[input.dtype]}"
        raise error(f"{self!r}: {name} of dtype {input.dtype} does not match the layer's "
                    f"{expected} {kind}; {fix}")

    # -- state -----------------------------------------------------------------------------------
    def state_dict(self, prefix: str = "", keep_vars: bool = False) -> OrderedDict:
        """Every parameter and persistent buffer by name, as ``torch.nn.Module.state_dict``.

        The tensors share memory with the module's (detached unless ``keep_vars``).
        """
        state: OrderedDict = OrderedDict()
        # Every name a tensor is reachable by, as PyTorch lists it (shared modules included).
        for module_prefix, module in self.named_modules(prefix=prefix.rstrip("."),
                                                        remove_duplicate=False):
            dot = f"{module_prefix}." if module_prefix else ""
            for name, parameter in module._parameters.items():
                if parameter is not None:
                    state[dot + name] = parameter if keep_vars else parameter.detach()
            for name, buffer in module._buffers.items():
                if buffer is not None and name not in module._non_persistent_buffers:
                    state[dot + name] = buffer if keep_vars else buffer.detach()
        return state

    def load_state_dict(self, state_dict, strict: bool = True) -> IncompatibleKeys:
        """Copy tensors from ``state_dict`` into this module's parameters and buffers, in place.

        With ``strict``, missing or unexpected keys raise; a shape mismatch always raises,
        naming the key and both shapes. Returns the missing and unexpected keys.
        """
        own = self.state_dict(keep_vars=True)
        missing = [key for key in own if key not in state_dict]
        unexpected = [key for key in state_dict if key not in own]
        errors = []
        if strict and (missing or unexpected):
            if missing:
                errors.append(f"missing keys: {', '.join(missing)}")
            if unexpected:
                errors.append(f"unexpected keys: {', '.join(unexpected)}")
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            array = value._data if isinstance(value, Tensor) else value
            shape = tuple(getattr(array, "shape", ()))
            if shape != target.shape:
                errors.append(f"size mismatch for {key}: the checkpoint has shape {shape}, the "
                              f"model has shape {target.shape}")
        if errors:
            raise RuntimeError(f"error loading state_dict into {type(self).__name__}: "
                               + "; ".join(errors))
        with no_grad():
            for key, target in own.items():
                if key in state_dict:
                    value = state_dict[key]
                    target.copy_(value if isinstance(value, Tensor) else Tensor(value))
        return IncompatibleKeys(missing, unexpected)

    # -- printing ----------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The arguments shown between the parentheses of this module's repr."""
        return ""

    def __repr__(self) -> str:
        lines = []
        for name, module in self._modules.items():
            child = repr(module).replace("\n", "\n  ")
            lines.append(f"({name}): {child}")
        extra = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({extra})"
        head = f"{type(self).__name__}({extra}" if extra else f"{type(self).__name__}("
        return head + "\n  " + "\n  ".join(lines) + "\n)"


def zero_grads(*, parameters, set_to_none: bool) -> None:
    """Set each parameter's gradient to None, or to zeros in place; a kernel, so that a compiled
    step clears them again on every replay."""
    for parameter in parameters:
        if parameter.grad is None:
            continue
        if set_to_none:
            parameter.grad = None
        else:
            parameter.grad = parameter.grad.detach()
            parameter.grad.zero_()


def _converted(tensor: Tensor, args, kwargs) -> Tensor:
    """``tensor.to(*args, **kwargs)``, except that only floating-point tensors change dtype."""
    from shenjing.backend import is_floating

    if is_floating(tensor.dtype):
        return tensor.to(*args, **kwargs)
    devices = [a for a in args if isinstance(a, str) or type(a).__name__ == "Device"]
    device = kwargs.get("device")
    return tensor.to(devices[0]) if devices else tensor.to(device=device) if device else tensor
