"""Grad mode: whether operations record the graph that backward walks.

The switch is a context variable, so each thread and each asyncio task has its own, as in PyTorch.
"""

from __future__ import annotations

import contextvars
import functools

_grad_enabled = contextvars.ContextVar("shenjing_grad_enabled", default=True)


def is_grad_enabled() -> bool:
    """True when operations on tensors that require grad record a graph."""
    return _grad_enabled.get()


class _GradMode:
    """Sets grad mode for a ``with`` block or, used as a decorator, for every call of a function."""

    def __init__(self, mode: bool):
        self.mode = bool(mode)
        self._tokens: list[contextvars.Token] = []

    def __enter__(self):
        self._tokens.append(_grad_enabled.set(self.mode))
        return self

    def __exit__(self, *exc_info) -> None:
        _grad_enabled.reset(self._tokens.pop())

    def __call__(self, func):
        mode = self.mode

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            token = _grad_enabled.set(mode)
            try:
                return func(*args, **kwargs)
            finally:
                _grad_enabled.reset(token)

        return wrapper


class no_grad(_GradMode):
    """Disable graph recording: for evaluation and for updating weights in place.

    Equivalent of ``torch.no_grad``; use it as ``with sj.no_grad():`` or as ``@sj.no_grad()``.

    >>> import shenjing as sj
    >>> x = sj.ones(2, requires_grad=True)
    >>> with sj.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    def __new__(cls, func=None):
        self = super().__new__(cls)
        if func is None:
            return self
        self.__init__()
        return self(func)  # used as @sj.no_grad, without parentheses

    def __init__(self, func=None):
        super().__init__(False)


class enable_grad(_GradMode):
    """Enable graph recording inside a ``no_grad`` block; equivalent of ``torch.enable_grad``."""

    def __new__(cls, func=None):
        self = super().__new__(cls)
        if func is None:
            return self
        self.__init__()
        return self(func)  # used as @sj.enable_grad, without parentheses

    def __init__(self, func=None):
        super().__init__(True)


class inference_mode(_GradMode):
    """``no_grad`` under PyTorch's other name for it (``mode=False`` records again).

    PyTorch's inference tensors also refuse later use in autograd; here they are plain tensors
    made without a graph, as under ``no_grad``. Equivalent of ``torch.inference_mode``.

    >>> import shenjing as sj
    >>> with sj.inference_mode():
    ...     sj.ones(2, requires_grad=True).sum().requires_grad
    False
    """

    def __new__(cls, mode=True):
        self = super().__new__(cls)
        if isinstance(mode, bool):
            return self
        self.__init__()
        return self(mode)  # used as @sj.inference_mode, without parentheses: mode is the function

    def __init__(self, mode=True):
        super().__init__(not mode if isinstance(mode, bool) else False)


class set_grad_enabled(_GradMode):
    """Turn graph recording on or off: as a function call, a context manager or a decorator.

    Equivalent of ``torch.set_grad_enabled``.

    >>> import shenjing as sj
    >>> x = sj.ones(2, requires_grad=True)
    >>> with sj.set_grad_enabled(False):
    ...     (x * 2).requires_grad
    False
    """

    def __init__(self, mode: bool):
        super().__init__(mode)
        # Called as a plain function it takes effect at once, as torch.set_grad_enabled does.
        self._plain_call = _grad_enabled.set(self.mode)

    def __enter__(self):
        # Replace the plain-call effect by one that ends with the block.
        _grad_enabled.reset(self._plain_call)
        return super().__enter__()

    def __call__(self, func):
        _grad_enabled.reset(self._plain_call)
        return super().__call__(func)
