"""Optimizer: the base class that holds parameter groups and per-parameter state.

An optimizer owns a list of parameter groups (dicts with a ``"params"`` list and hyperparameters,
missing ones filled from ``defaults``) and ``state``, a dict from parameter to that parameter's
running buffers. ``Optimizer.step`` is the one loop every optimizer shares; a subclass gives only
its paper's rule: ``_init_state`` makes a parameter's buffers on its first step and ``_update``
changes the parameter's array in place. Each update runs as one ``tracing.kernel`` call, so a
step recorded by ``sj.compile`` replays it, re-reading the learning rate and the other options
from the group on every call.

State holds only Tensors, Python numbers, bools, None, strings, lists and dicts, so that a state
dict can be written without pickle; ``state_dict()`` returns a snapshot in PyTorch's layout.
"""

from __future__ import annotations

import numbers
import warnings
from collections import defaultdict
from collections.abc import Callable
from itertools import chain
from typing import Any

from shenjing import backend
from shenjing.autograd import tracing
from shenjing.autograd.grad_mode import enable_grad
from shenjing.autograd.tensor import Tensor


class Optimizer:
    """Base class of all optimizers; subclasses define ``_update`` (and ``_init_state``).

    ``params`` is an iterable of tensors, of ``(name, tensor)`` pairs, or of dicts (parameter
    groups: ``{"params": [...], "lr": ...}``) whose missing options come from ``defaults``.
    Equivalent of ``torch.optim.Optimizer``.

    A subclass writes its rule on arrays: ``_update(x, g, *, state, group)`` changes the
    parameter's array ``x`` in place given the gradient's array ``g``, reading every option from
    ``group`` and its buffers (as arrays) and step count from ``state`` when it is called, never
    before: a compiled step calls it again with the same dicts, after schedulers have changed
    them. A subclass may still override ``step`` itself, as in PyTorch.

    >>> import shenjing as sj
    >>> from shenjing.optim import SGD
    >>> w = sj.tensor([1.0, 2.0], requires_grad=True)
    >>> opt = SGD([w], lr=0.5)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w
    tensor([0., 0.], requires_grad=True)
    >>> opt.zero_grad()
    >>> w.grad is None
    True
    """

    def __init__(self, params, defaults: dict[str, Any]) -> None:
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                f"dicts, but got a {type(params).__name__}"
            )
        self.defaults = defaults
        self._changes = 0  # bumped when groups or state are replaced: compiled steps check it
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        groups = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def __repr__(self) -> str:
        lines = [self.__class__.__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {key}: {group[key]}" for key in sorted(group) if key != "params")
        return "\n".join(lines) + "\n)"

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (fine-tuning, unfreezing layers).

        Options the group leaves out come from the optimizer's defaults. Equivalent of
        ``torch.optim.Optimizer.add_param_group``.

        >>> import shenjing as sj
        >>> from shenjing.optim import SGD
        >>> a, b = sj.zeros(2, requires_grad=True), sj.zeros(3, requires_grad=True)
        >>> opt = SGD([a], lr=0.1)
        >>> opt.add_param_group({"params": [b], "lr": 0.01})
        >>> [g["lr"] for g in opt.param_groups]
        [0.1, 0.01]
        """
        self._changes += 1
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets changes between runs; use a list instead"
            )
        else:
            params = list(params)
        tensors, names = [], []
        for param in params:
            if isinstance(param, tuple):
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        group = dict(param_group)
        group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError(
                    "all optimizer params should be with/without names. Some param names are "
                    "missing"
                )
            group["param_names"] = names
        for param in tensors:
            if not isinstance(param, Tensor):
                raise TypeError(
                    "optimizer can only optimize Tensors, but one of the params is "
                    f"{type(param).__name__}"
                )
            if not (param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        ids = [id(p) for p in tensors]
        if len(set(ids)) != len(ids):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; each is "
                "updated as many times as it appears",
                stacklevel=3,
            )
        seen = set()
        for other in self.param_groups:
            seen.update(id(p) for p in other["params"])
            if ("param_names" in group) != ("param_names" in other):
                kind = "with names" if "param_names" in group else "without names"
                raise ValueError(
                    "all optimizer param groups should be with/without names. cannot add param "
                    f"group {kind} to the optimizer"
                )
        if not seen.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients of all optimized tensors: to None (default) or to zeros.

        Runs as a kernel, so that a compiled step clears them again on every replay. Equivalent
        of ``torch.optim.Optimizer.zero_grad``.
        """
        tracing.kernel(_zero_grads, name="zero_grad", optimizer=self, set_to_none=set_to_none)

    def step(self, closure: Callable[[], Any] | None = None):
        """Update every parameter that has a gradient once; returns the closure's loss, if any.

        Each parameter's state is made on its first step (``_init_state``); then the rule
        (``_update``) runs on its arrays as one recorded kernel, and its version is bumped.
        """
        loss = self._closure_loss(closure)
        trace = tracing._active
        if trace is not None:
            trace.note_guard(self)  # a compiled step traces again after a load
        update = self._update
        name = f"{type(self).__name__.lower()}.update"
        makes_state = type(self)._init_state is not Optimizer._init_state
        states = self.state
        for group in self.param_groups:
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                state = states[p]
                if makes_state and not state:
                    with tracing.paused():  # made once: replays find it made
                        self._init_state(state, p, group)
                if trace is None:  # the same rule, without the recording wrapper
                    update(p._data, grad._data, state=_StateArrays(state), group=group)
                    p._version_counter[0] += 1
                else:  # the kernel bumps the version of what it changes
                    tracing.require_recorded(grad, f"{type(self).__name__}.step()")
                    tracing.kernel(update, p, grad, name=name, mutates=p,
                                   state=_StateArrays(state), group=group)
        return loss

    def _guard_key(self) -> tuple:
        """What a compiled step's recorded updates hold by reference: the groups and state."""
        return (self._changes, id(self.state), len(self.state), id(self.param_groups),
                tuple(map(id, self.param_groups)))

    # scalar buffers that keep their own dtype when loaded (NAdam's float32 momentum product),
    # so that a resumed run continues bit for bit; PyTorch casts them to the parameter's dtype
    _kept_dtype: tuple[str, ...] = ()

    def _init_state(self, state: dict[str, Any], p: Tensor, group: dict[str, Any]) -> None:
        """Fill the empty ``state`` of parameter ``p`` before its first update (default: none)."""

    @staticmethod
    def _update(x, g, *, state, group) -> None:
        """The rule: change the parameter's array ``x`` in place, given the gradient's ``g``."""
        raise NotImplementedError("an Optimizer subclass defines _update (or overrides step)")

    def _closure_loss(self, closure):
        """Run the closure (forward and backward) with grad mode on and return its loss."""
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # -- saving and loading ------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state as ``{"state": {...}, "param_groups": [...]}``, PyTorch's layout.

        ``state`` maps each parameter's integer index (counted over the groups in order) to its
        buffers; each group lists its parameters by those indices. The result is a snapshot:
        it shares no tensors or lists with the live optimizer (tuples become lists). Equivalent
        of ``torch.optim.Optimizer.state_dict``.

        >>> import shenjing as sj
        >>> from shenjing.optim import SGD
        >>> w = sj.ones(2, requires_grad=True)
        >>> opt = SGD([w], lr=0.1, momentum=0.9)
        >>> w.sum().backward()
        >>> opt.step()
        >>> sd = opt.state_dict()
        >>> sd["state"]
        {0: {'momentum_buffer': tensor([1., 1.])}}
        >>> sd["param_groups"][0]["params"]
        [0]
        """
        mapping: dict[int, int] = {}
        start = 0
        groups = []
        for group in self.param_groups:
            packed = {k: _snapshot(v) for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                mapping.setdefault(id(p), i)
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            groups.append(packed)
        # a parameter whose optimizer keeps no state (SGD without momentum) is left out, as in
        # PyTorch, though step() has made an empty entry for it
        state = {
            (mapping[id(k)] if isinstance(k, Tensor) else k): _snapshot(v)
            for k, v in self.state.items()
            if v
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state dict made by ``state_dict()`` (of an optimizer over matching parameters).

        Buffers are copied and converted to each parameter's dtype and device; integer keys may
        arrive as strings (as after a JSON round trip). Equivalent of
        ``torch.optim.Optimizer.load_state_dict``.
        """
        self._changes += 1
        groups = self.param_groups
        saved_groups = state_dict["param_groups"]
        if len(groups) != len(saved_groups):
            raise ValueError(
                f"loaded state dict has a different number of parameter groups "
                f"({len(saved_groups)}) than the optimizer ({len(groups)})"
            )
        for i, (group, saved) in enumerate(zip(groups, saved_groups)):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(
                    f"loaded state dict contains a parameter group ({i}) that doesn't match the "
                    f"size of optimizer's group: {len(saved['params'])} parameters saved, "
                    f"{len(group['params'])} in the optimizer"
                )
        id_map = dict(
            zip(
                (_as_index(i) for i in chain.from_iterable(g["params"] for g in saved_groups)),
                chain.from_iterable(g["params"] for g in groups),
            )
        )
        state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        for key, value in state_dict["state"].items():
            index = _as_index(key)
            if index in id_map:
                param = id_map[index]
                state[param] = {k: _cast_state(param, k, v, k in self._kept_dtype)
                                for k, v in value.items()}
            else:
                state[key] = _snapshot(value)
        new_groups = []
        for group, saved in zip(groups, saved_groups):
            new_group = {k: _snapshot(v) for k, v in saved.items() if k != "params"}
            for k, v in new_group.items():
                if isinstance(group.get(k), tuple) and isinstance(v, list):
                    new_group[k] = tuple(v)  # betas stay a tuple, as the constructor made them
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            new_groups.append(new_group)
        self.state = state
        self.param_groups = new_groups


def _zero_grads(*, optimizer: Optimizer, set_to_none: bool) -> None:
    """The work of ``zero_grad``, over the optimizer's parameter groups as they are now."""
    if set_to_none:  # every step of a training loop: one store per parameter
        for group in optimizer.param_groups:
            for p in group["params"]:
                p.grad = None
        return
    for group in optimizer.param_groups:
        for p in group["params"]:
            if p.grad is not None:
                grad = p.grad.detach() if p.grad.grad_fn is not None else p.grad
                grad.requires_grad = False
                grad.zero_()
                p.grad = grad


class _StateArrays:
    """A parameter's state as its update rule sees it: buffers as arrays, numbers as they are.

    Reads and writes go straight to the state dict, so a replayed update sees the current step
    count and buffers; an array stored here is kept as a Tensor, the form ``state_dict()`` and
    users expect.
    """

    __slots__ = ("state",)

    def __init__(self, state: dict[str, Any]) -> None:
        self.state = state

    def __getitem__(self, key: str):
        value = self.state[key]
        return value._data if isinstance(value, Tensor) else value

    def get(self, key: str, default=None):
        value = self.state.get(key, default)
        return value._data if isinstance(value, Tensor) else value

    def __setitem__(self, key: str, value) -> None:
        if not (value is None or isinstance(value, (int, float, str))):  # an array
            value = Tensor._make(value)
        self.state[key] = value

    def __contains__(self, key: str) -> bool:
        return key in self.state


def _snapshot(value):
    """A copy of a state value that shares nothing mutable with the original."""
    if isinstance(value, Tensor):
        return Tensor._make(value._data.copy())
    if isinstance(value, dict):
        return {k: _snapshot(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_snapshot(v) for v in value]
    return value


def _as_index(key):
    """A parameter index, given as an int or as a string of digits."""
    if isinstance(key, str) and key.isdigit():
        return int(key)
    return key


def _cast_state(param: Tensor, key: str, value, keep_dtype: bool = False):
    """A loaded state value copied onto the parameter's device (and dtype, for floats, unless
    ``keep_dtype``)."""
    if key == "step":
        return float(value.item() if hasattr(value, "item") else value)
    if isinstance(value, Tensor):
        array = value._data
    elif hasattr(value, "shape") and hasattr(value, "dtype"):
        array = value  # a raw array, as a loader might hand back
    else:
        return _snapshot(value)
    array = backend.to_device(array, param.device)
    if not keep_dtype and backend.is_floating(param.dtype) and backend.is_floating(array.dtype):
        array = array.astype(param.dtype, copy=True)
    else:
        array = array.copy()
    return Tensor._make(array)


def _begin_step(x, g, state, group, *, decoupled: bool = False):
    """What the adaptive rules do first, as PyTorch's do: negate ``g`` for ``maximize``, count
    the step in ``state["step"]``, and apply ``weight_decay``: added to the gradient (L2), or,
    ``decoupled``, the parameter ``x`` shrunk in place by ``lr * weight_decay`` (AdamW's).
    Returns the gradient to use and the step's number."""
    if group["maximize"]:
        g = -g
    step = state["step"] + 1.0
    state["step"] = step
    weight_decay = group["weight_decay"]
    if weight_decay != 0:
        if decoupled:
            x *= 1 - group["lr"] * weight_decay
        else:
            g = g + weight_decay * x
    return g, step


def _check_lr(lr) -> None:
    if not isinstance(lr, numbers.Real):
        raise TypeError(f"lr must be a Python number, got {type(lr).__name__}")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr} (lr must be >= 0)")


def _check_nonnegative(name: str, label: str, value) -> None:
    if not 0.0 <= value:
        raise ValueError(f"Invalid {label} value: {value} ({name} must be >= 0)")
