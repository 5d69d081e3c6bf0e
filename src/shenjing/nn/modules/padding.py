"""Padding layers, as ``torch.nn``'s: ``F.pad`` with the widths and mode fixed at construction.

``ReflectionPad2d(2)`` pads the last two dims by 2 on every side; a tuple gives each side's width
(``(left, right)`` for 1-d, ``(left, right, top, bottom)`` for 2-d). Negative widths crop.
"""

from __future__ import annotations

from shenjing.autograd.tensor import Tensor
from shenjing.nn.modules.module import Module
from shenjing.ops.shape import pad


class _Pad(Module):
    mode = "constant"
    dims = 1

    def __init__(self, padding) -> None:
        super().__init__()
        sides = 2 * self.dims
        if isinstance(padding, int):
            padding = (padding,) * sides
        padding = tuple(padding)
        if len(padding) != sides or not all(isinstance(p, int) for p in padding):
            raise ValueError(f"{type(self).__name__}: padding must be an int or {sides} ints, got "
                             f"{padding!r}")
        self.padding = padding

    def forward(self, input: Tensor) -> Tensor:
        return pad(input, self.padding, self.mode)

    def extra_repr(self) -> str:
        return str(self.padding)


class _ConstantPad(_Pad):
    def __init__(self, padding, value: float) -> None:
        super().__init__(padding)
        self.value = float(value)

    def forward(self, input: Tensor) -> Tensor:
        return pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPad):
    """Pad the last dim with ``value``; ``torch.nn.ConstantPad1d``."""


class ConstantPad2d(_ConstantPad):
    """Pad the last two dims with ``value``; ``torch.nn.ConstantPad2d``."""

    dims = 2


class ZeroPad1d(_ConstantPad):
    """Pad the last dim with zeros; ``torch.nn.ZeroPad1d``."""

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return str(self.padding)


class ZeroPad2d(ZeroPad1d):
    """Pad the last two dims with zeros; ``torch.nn.ZeroPad2d``.

    >>> import shenjing as sj
    >>> sj.nn.ZeroPad2d((1, 0, 0, 1))(sj.ones(1, 1, 1))
    tensor([[[0., 1.],
             [0., 0.]]])
    """

    dims = 2


class ReflectionPad1d(_Pad):
    """Pad the last dim with its mirror image (the edge not repeated);
    ``torch.nn.ReflectionPad1d``."""

    mode = "reflect"


class ReflectionPad2d(ReflectionPad1d):
    """Pad the last two dims with their mirror image; ``torch.nn.ReflectionPad2d``."""

    dims = 2


class ReplicationPad1d(_Pad):
    """Pad the last dim by repeating its edge; ``torch.nn.ReplicationPad1d``."""

    mode = "replicate"


class ReplicationPad2d(ReplicationPad1d):
    """Pad the last two dims by repeating their edges; ``torch.nn.ReplicationPad2d``."""

    dims = 2


class CircularPad1d(_Pad):
    """Pad the last dim by wrapping around; ``torch.nn.CircularPad1d``."""

    mode = "circular"


class CircularPad2d(CircularPad1d):
    """Pad the last two dims by wrapping around; ``torch.nn.CircularPad2d``."""

    dims = 2
