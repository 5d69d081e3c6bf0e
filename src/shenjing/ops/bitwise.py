"""Bitwise operations on integer and bool tensors: and, or, xor, not, shifts (no gradient).

The result dtype is PyTorch's promotion of the operands (int8 with uint8 is int16, a Python int
keeps a tensor's dtype and wraps to it: ``uint8 & -1`` is ``& 255``); bool operands give bool for
and/or/xor/not. Float operands raise ``NotImplementedError``, a ``RuntimeError``, as in PyTorch.
Shifts by a negative amount or by the width of the type or more give 0 (and -1 for a right
shift of a negative number), as in PyTorch and NumPy.
"""

from __future__ import annotations

from shenjing.autograd.function import Function
from shenjing.autograd.tensor import Tensor
from shenjing.ops.checks import as_operand, require_tensor, result_type

__all__ = [
    "bitwise_and",
    "bitwise_left_shift",
    "bitwise_not",
    "bitwise_or",
    "bitwise_right_shift",
    "bitwise_xor",
]

# Names that are also methods of a tensor: x.bitwise_and(y) is sj.bitwise_and(x, y).
METHODS = tuple(__all__)


class Bitwise(Function):
    """One bitwise ufunc of two operands, both converted to the result ``dtype`` first."""

    differentiable = False
    broadcasts = True

    @staticmethod
    def compute(xp, a, b, ufunc, dtype):
        # A Python int wraps to the dtype (300 as int8 is 44), as PyTorch converts scalars.
        a = xp.asarray(a).astype(dtype, copy=False)
        b = xp.asarray(b).astype(dtype, copy=False)
        return getattr(xp, ufunc)(a, b)

    def forward(self, a, b, ufunc, dtype):
        self.ufunc = ufunc
        return self.compute(self.xp, a, b, ufunc, dtype)

    def op_name(self) -> str:  # errors name the operation, not the class
        return getattr(self, "ufunc", "bitwise")


def _binary(op: str, ufunc: str, input, other, shift: bool = False) -> Tensor:
    if isinstance(input, Tensor):
        other = as_operand(op, other, input)
    else:
        require_tensor(op, other)
        input = as_operand(op, input, other)
    dtype = result_type(input, other)
    if dtype.kind == "f" or (shift and dtype.kind == "b"):
        kinds = " and ".join(str(x.dtype) if isinstance(x, Tensor) else type(x).__name__
                             for x in (input, other))
        raise NotImplementedError(f"{op}: not implemented for {kinds} operands (result dtype "
                                  f"{dtype}); it takes integer{'' if shift else ' and bool'} "
                                  "tensors")
    return Bitwise.apply(input, other, ufunc=ufunc, dtype=dtype)


def bitwise_and(input, other) -> Tensor:
    """Elementwise bitwise AND (logical AND for bool); equivalent of ``torch.bitwise_and``.

    >>> import shenjing as sj
    >>> sj.bitwise_and(sj.tensor([12, 5], dtype=sj.int32), 10)
    tensor([8, 0], dtype=int32)
    """
    return _binary("bitwise_and", "bitwise_and", input, other)


def bitwise_or(input, other) -> Tensor:
    """Elementwise bitwise OR (logical OR for bool); equivalent of ``torch.bitwise_or``.

    >>> import shenjing as sj
    >>> sj.bitwise_or(sj.tensor([12, 1]), sj.tensor([3, 2]))
    tensor([15,  3])
    """
    return _binary("bitwise_or", "bitwise_or", input, other)


def bitwise_xor(input, other) -> Tensor:
    """Elementwise bitwise XOR (logical XOR for bool); equivalent of ``torch.bitwise_xor``.

    >>> import shenjing as sj
    >>> sj.bitwise_xor(sj.tensor([12, 1]), sj.tensor([10, 1]))
    tensor([6, 0])
    """
    return _binary("bitwise_xor", "bitwise_xor", input, other)


def bitwise_left_shift(input, other) -> Tensor:
    """``input << other`` elementwise, bits shifted out dropped; ``torch.bitwise_left_shift``.

    >>> import shenjing as sj
    >>> sj.bitwise_left_shift(sj.tensor([1, 3], dtype=sj.int8), sj.tensor([2, 6], dtype=sj.int8))
    tensor([  4, -64], dtype=int8)
    """
    return _binary("bitwise_left_shift", "left_shift", input, other, shift=True)


def bitwise_right_shift(input, other) -> Tensor:
    """``input >> other`` elementwise, arithmetic (the sign is kept); ``torch.bitwise_right_shift``.

    >>> import shenjing as sj
    >>> sj.bitwise_right_shift(sj.tensor([16, -16]), 2)
    tensor([ 4, -4])
    """
    return _binary("bitwise_right_shift", "right_shift", input, other, shift=True)


class BitwiseNot(Function):
    """Every bit flipped (NOT for bool); no gradient."""

    differentiable = False

    def forward(self, x):
        return self.xp.invert(x)


def bitwise_not(input: Tensor) -> Tensor:
    """Elementwise bitwise NOT, ``~x`` (logical NOT for bool); equivalent of ``torch.bitwise_not``.

    >>> import shenjing as sj
    >>> sj.bitwise_not(sj.tensor([0, 5, -1]))
    tensor([-1, -6,  0])
    """
    require_tensor("bitwise_not", input)
    if input.dtype.kind == "f":
        raise NotImplementedError(f"bitwise_not: not implemented for {input.dtype} tensors; it "
                                  "takes integer and bool tensors")
    return BitwiseNot.apply(input)
