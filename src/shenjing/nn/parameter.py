"""Parameter: a tensor that a Module registers as one of its learnable weights."""

from __future__ import annotations

from shenjing._tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad and that ``Module`` lists in ``parameters()``.

    Shares memory with the tensor it wraps. Equivalent of ``torch.nn.Parameter``.

    >>> import shenjing as sj
    >>> w = sj.nn.Parameter(sj.zeros(2))
    >>> w.requires_grad, w.is_leaf
    (True, True)
    """

    __slots__ = ()

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True):
        if data is None:
            from shenjing.creation import empty

            data = empty(0)
        array = data._data if isinstance(data, Tensor) else Tensor(data)._data
        parameter = cls._make(array)
        parameter.requires_grad = requires_grad
        return parameter

    def __init__(self, data=None, requires_grad: bool = True):
        pass  # all done in __new__, so that Tensor.__init__ does not copy the data

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
