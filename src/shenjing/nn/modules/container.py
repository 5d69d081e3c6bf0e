"""Containers: Sequential, ModuleList, ModuleDict, ParameterList and ParameterDict."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping

from shenjing.autograd.tensor import Tensor
from shenjing.nn.modules.module import Module
from shenjing.nn.parameter import Parameter


class _ModuleSequence(Module):
    """What Sequential and ModuleList share: a list of modules registered as "0", "1", ...,
    renumbered after an insertion or a deletion as PyTorch renumbers them."""

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def _renumber(self, modules: list) -> None:
        self._modules.clear()
        for i, module in enumerate(modules):
            self.add_module(str(i), module)

    def __setitem__(self, index: int, module: Module) -> None:
        key = list(self._modules)[_index(index, len(self), type(self).__name__)]
        self.add_module(key, module)

    def __delitem__(self, index) -> None:
        modules = list(self._modules.values())
        if isinstance(index, slice):
            del modules[index]
        else:
            del modules[_index(index, len(modules), type(self).__name__)]
        self._renumber(modules)

    def pop(self, index: int = -1) -> Module:
        """Remove and return the module at ``index``."""
        module = self[index]
        del self[index]
        return module

    def insert(self, index: int, module: Module):
        """Insert ``module`` before position ``index``."""
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._renumber(modules)
        return self

    def append(self, module: Module):
        """Add ``module`` at the end."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]):
        """Add every module of ``modules`` at the end."""
        for module in modules:
            self.append(module)
        return self

    def __add__(self, other):
        if not isinstance(other, type(self)):
            raise TypeError(f"can only add a {type(self).__name__} to a {type(self).__name__}, "
                            f"got {type(other).__name__}")
        return type(self)(*self, *other) if isinstance(self, Sequential) \
            else type(self)([*self, *other])


class Sequential(_ModuleSequence):
    """Modules applied one after the other; ``torch.nn.Sequential``.

    >>> import shenjing as sj
    >>> net = sj.nn.Sequential(sj.nn.Linear(4, 3), sj.nn.ReLU(), sj.nn.Linear(3, 2))
    >>> net
    Sequential(
      (0): Linear(in_features=4, out_features=3, bias=True)
      (1): ReLU()
      (2): Linear(in_features=3, out_features=2, bias=True)
    )
    >>> net(sj.ones(5, 4)).shape, len(net), net[-1].out_features
    ((5, 2), 3, 2)
    """

    def __init__(self, *args) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], Mapping):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for index, module in enumerate(args):
                self.add_module(str(index), module)

    def forward(self, input):
        for module in self._modules.values():
            input = module(input)
        return input

    def __getitem__(self, index):
        modules = list(self._modules.items())
        if isinstance(index, slice):
            return Sequential(OrderedDict(modules[index]))
        return modules[_index(index, len(modules), "Sequential")][1]



def _index(index: int, length: int, owner: str) -> int:
    if not -length <= index < length:
        raise IndexError(f"{owner} index {index} is out of range for {length} modules")
    return index % length


class ModuleList(_ModuleSequence):
    """A list of modules whose parameters are registered; ``torch.nn.ModuleList``.

    >>> import shenjing as sj
    >>> layers = sj.nn.ModuleList([sj.nn.Linear(2, 2) for _ in range(3)])
    >>> len(list(layers.parameters()))
    6
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, index):
        modules = list(self._modules.values())
        if isinstance(index, slice):
            return ModuleList(modules[index])
        return modules[_index(index, len(modules), "ModuleList")]

    def __repr__(self) -> str:
        # Runs of identical layers print once, as "(0-5): 6 x Block(...)", like PyTorch.
        reprs = [repr(m) for m in self._modules.values()]
        if not reprs:
            return "ModuleList()"
        lines, start = [], 0
        for end in range(1, len(reprs) + 1):
            if end == len(reprs) or reprs[end] != reprs[start]:
                child = reprs[start].replace("\n", "\n  ")
                label = f"{start}" if end - start == 1 else f"{start}-{end - 1}"
                count = "" if end - start == 1 else f"{end - start} x "
                lines.append(f"({label}): {count}{child}")
                start = end
        return "ModuleList(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    """A dict of modules whose parameters are registered, in insertion order;
    ``torch.nn.ModuleDict``. Built from a mapping or from ``(name, module)`` pairs.

    >>> import shenjing as sj
    >>> heads = sj.nn.ModuleDict({"digit": sj.nn.Linear(4, 10)})
    >>> heads["digit"].out_features
    10
    """

    def __init__(self, modules: Mapping[str, Module] | Iterable | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: str) -> bool:
        return key in self._modules

    def keys(self):
        """The names."""
        return self._modules.keys()

    def items(self):
        """``(name, module)`` pairs."""
        return self._modules.items()

    def values(self):
        """The modules."""
        return self._modules.values()

    def clear(self) -> None:
        """Remove every module."""
        self._modules.clear()

    def pop(self, key: str) -> Module:
        """Remove the module named ``key`` and return it."""
        module = self[key]
        del self[key]
        return module

    def update(self, modules: Mapping[str, Module] | Iterable) -> None:
        """Add (or replace) modules from a mapping or from ``(name, module)`` pairs."""
        pairs = modules.items() if isinstance(modules, Mapping) else modules
        for index, pair in enumerate(pairs):
            if not isinstance(pair, Mapping) and len(pair) != 2:
                raise ValueError(f"ModuleDict.update: element {index} should be a (name, "
                                 f"module) pair, got {len(pair)} elements")
            self[pair[0]] = pair[1]


def _as_parameter(value):
    """A tensor becomes a Parameter, as PyTorch's parameter containers do; others stay."""
    if isinstance(value, Tensor) and not isinstance(value, Parameter):
        return Parameter(value)
    return value


def _describe(value) -> str:
    """A parameter's line in a container's printed form: its kind, dtype and size."""
    if not isinstance(value, Tensor):
        return f"Object of type: {type(value).__name__}"
    kind = "Parameter" if isinstance(value, Parameter) else "Tensor"
    size = "x".join(str(n) for n in value.shape)
    device = f" ({value.device})" if getattr(value, "device", "cpu") != "cpu" else ""
    return f"{kind} containing: [shenjing.{value.dtype} of size {size}{device}]"


class ParameterList(Module):
    """A list of parameters that the module registers (as ``'0'``, ``'1'``, ...); tensors put in
    become Parameters. Equivalent of ``torch.nn.ParameterList``.

    >>> import shenjing as sj
    >>> weights = sj.nn.ParameterList([sj.ones(2, 3), sj.zeros(4)])
    >>> weights
    ParameterList(
        (0): Parameter containing: [shenjing.float32 of size 2x3]
        (1): Parameter containing: [shenjing.float32 of size 4]
    )
    >>> [name for name, _ in weights.named_parameters()]
    ['0', '1']
    """

    def __init__(self, values: Iterable | None = None) -> None:
        super().__init__()
        self._size = 0
        if values is not None:
            self.extend(values)

    def _index(self, index: int) -> int:
        if not -self._size <= index < self._size:
            raise IndexError(f"ParameterList index {index} is out of range for "
                             f"{self._size} parameters")
        return index % self._size

    def __getitem__(self, index):
        if isinstance(index, slice):
            return ParameterList([self[i] for i in range(self._size)[index]])
        return getattr(self, str(self._index(index)))

    def __setitem__(self, index: int, value) -> None:
        key = str(self._index(index))
        self._forget(key)  # a Parameter may replace an object there, or the other way round
        setattr(self, key, _as_parameter(value))

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator:
        return (self[i] for i in range(self._size))

    def __iadd__(self, values: Iterable) -> ParameterList:
        return self.extend(values)

    def __dir__(self):
        return [key for key in super().__dir__() if not key.isdigit()]

    def append(self, value) -> ParameterList:
        """Add ``value`` (a Parameter, a tensor made one, or any object) at the end."""
        self._size += 1
        self[self._size - 1] = value
        return self

    def extend(self, values: Iterable) -> ParameterList:
        """Add every element of ``values`` at the end."""
        if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
            raise TypeError(f"ParameterList.extend should be called with an iterable, got "
                            f"{type(values).__name__}")
        for value in values:
            self.append(value)
        return self

    def extra_repr(self) -> str:
        return "\n".join(f"  ({k}): {_describe(p)}" for k, p in enumerate(self))

    def __repr__(self) -> str:
        # PyTorch indents these lines twice: extra_repr's own two spaces and two more
        body = self.extra_repr().replace("\n", "\n  ")
        return f"ParameterList(\n  {body}\n)" if body else "ParameterList()"


class _MissingKey(KeyError, AttributeError):
    """A missing key: PyTorch's parameter dict raises AttributeError, dict users expect
    KeyError; both catch it."""


class ParameterDict(Module):
    """A dict of parameters that the module registers under their keys, in insertion order;
    tensors put in become Parameters. Equivalent of ``torch.nn.ParameterDict``.

    >>> import shenjing as sj
    >>> scales = sj.nn.ParameterDict({"a": sj.ones(2)})
    >>> scales["b"] = sj.zeros(3)
    >>> [(name, p.shape) for name, p in scales.named_parameters()]
    [('a', (2,)), ('b', (3,))]
    """

    def __init__(self, parameters: Mapping | Iterable | None = None) -> None:
        super().__init__()
        self._keys: dict[str, None] = {}
        if parameters is not None:
            self.update(parameters)

    def _check_key(self, key) -> None:
        if not isinstance(key, str):
            raise TypeError(f"ParameterDict: a key must be a string, got {key!r} of type "
                            f"{type(key).__name__}")

    def __getitem__(self, key: str):
        self._check_key(key)
        if key not in self._keys:
            raise _MissingKey(key)
        return getattr(self, key)

    def __setitem__(self, key: str, value) -> None:
        self._check_key(key)
        self._keys[key] = None
        self._forget(key)
        setattr(self, key, _as_parameter(value))

    def __delitem__(self, key: str) -> None:
        self._check_key(key)
        if key not in self._keys:
            raise _MissingKey(key)
        del self._keys[key]
        delattr(self, key)

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._keys))

    def __contains__(self, key) -> bool:
        return key in self._keys

    def keys(self):
        """The keys, in insertion order."""
        return self._keys.keys()

    def items(self):
        """``(key, parameter)`` pairs."""
        return [(key, self[key]) for key in self._keys]

    def values(self):
        """The parameters."""
        return [self[key] for key in self._keys]

    def get(self, key: str, default=None):
        """The parameter under ``key``, or ``default``."""
        return self[key] if key in self._keys else default

    def pop(self, key: str):
        """Remove the parameter under ``key`` and return it."""
        value = self[key]
        del self[key]
        return value

    def setdefault(self, key: str, default=None):
        """The parameter under ``key``, first set to ``default`` if missing."""
        if key not in self._keys:
            self[key] = default
        return self[key]

    def clear(self) -> None:
        """Remove every parameter."""
        for key in list(self._keys):
            del self[key]

    def update(self, values: Mapping | Iterable) -> None:
        """Add (or replace) parameters from a mapping or from ``(key, value)`` pairs."""
        pairs = values.items() if isinstance(values, Mapping) else values
        for index, pair in enumerate(pairs):
            if len(pair) != 2:
                raise ValueError(f"ParameterDict.update: element {index} should be a (key, "
                                 f"value) pair, got {len(pair)} elements")
            self[pair[0]] = pair[1]

    def extra_repr(self) -> str:
        return "\n".join(f"  ({k}): {_describe(p)}" for k, p in self.items())

    def __repr__(self) -> str:
        # PyTorch indents these lines twice: extra_repr's own two spaces and two more
        body = self.extra_repr().replace("\n", "\n  ")
        return f"ParameterDict(\n  {body}\n)" if body else "ParameterDict()"
