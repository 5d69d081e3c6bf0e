"""Comparisons and logic: elementwise, broadcasting, returning bool tensors with no gradient."""

from __future__ import annotations

from shenjing.autograd.function import Function
from shenjing.autograd.tensor import Tensor
from shenjing.ops.checks import as_operand, require_tensor


class Compare(Function):
    """One comparison ufunc (``equal``, ``less``, ...) of two operands; no gradient."""

    differentiable = False
    broadcasts = True

    def forward(self, a, b, ufunc):
        self.ufunc = ufunc
        return getattr(self.xp, ufunc)(a, b)

    def op_name(self) -> str:  # errors name the comparison, not the class
        return getattr(self, "ufunc", "compare")


def _compare(ufunc: str, input, other) -> Tensor:
    if isinstance(input, Tensor):
        other = as_operand(ufunc, other, input)
    else:
        require_tensor(ufunc, other)
        input = as_operand(ufunc, input, other)
    return Compare.apply(input, other, ufunc=ufunc)


def eq(input, other) -> Tensor:
    """``input == other`` elementwise; equivalent of ``torch.eq``.

    >>> import shenjing as sj
    >>> sj.eq(sj.tensor([1, 2]), 2)
    tensor([False,  True])
    """
    return _compare("equal", input, other)


def ne(input, other) -> Tensor:
    """``input != other`` elementwise; equivalent of ``torch.ne``.

    >>> import shenjing as sj
    >>> sj.ne(sj.tensor([1, 2]), 2)
    tensor([ True, False])
    """
    return _compare("not_equal", input, other)


def lt(input, other) -> Tensor:
    """``input < other`` elementwise; equivalent of ``torch.lt``.

    >>> import shenjing as sj
    >>> sj.lt(sj.tensor([1.0, 3.0]), 2.0)
    tensor([ True, False])
    """
    return _compare("less", input, other)


def le(input, other) -> Tensor:
    """``input <= other`` elementwise; equivalent of ``torch.le``.

    >>> import shenjing as sj
    >>> sj.le(sj.tensor([2.0, 3.0]), 2.0)
    tensor([ True, False])
    """
    return _compare("less_equal", input, other)


def gt(input, other) -> Tensor:
    """``input > other`` elementwise; equivalent of ``torch.gt``.

    >>> import shenjing as sj
    >>> sj.gt(sj.tensor([1.0, 3.0]), 2.0)
    tensor([False,  True])
    """
    return _compare("greater", input, other)


def ge(input, other) -> Tensor:
    """``input >= other`` elementwise; equivalent of ``torch.ge``.

    >>> import shenjing as sj
    >>> sj.ge(sj.tensor([2.0, 1.0]), 2.0)
    tensor([ True, False])
    """
    return _compare("greater_equal", input, other)


def logical_and(input, other) -> Tensor:
    """Elementwise AND of truth values; equivalent of ``torch.logical_and``.

    >>> import shenjing as sj
    >>> sj.logical_and(sj.tensor([True, True]), sj.tensor([True, False]))
    tensor([ True, False])
    """
    return _compare("logical_and", input, other)


def logical_or(input, other) -> Tensor:
    """Elementwise OR of truth values; equivalent of ``torch.logical_or``.

    >>> import shenjing as sj
    >>> sj.logical_or(sj.tensor([False, True]), sj.tensor([False, False]))
    tensor([False,  True])
    """
    return _compare("logical_or", input, other)


def logical_xor(input, other) -> Tensor:
    """Elementwise XOR of truth values; equivalent of ``torch.logical_xor``.

    >>> import shenjing as sj
    >>> sj.logical_xor(sj.tensor([True, True]), sj.tensor([True, False]))
    tensor([False,  True])
    """
    return _compare("logical_xor", input, other)


class Predicate(Function):
    """One elementwise test (``logical_not``, ``isnan``, ...) of one tensor; no gradient."""

    differentiable = False

    def forward(self, x, ufunc):
        return getattr(self.xp, ufunc)(x)


def logical_not(input: Tensor) -> Tensor:
    """Elementwise NOT of truth values; equivalent of ``torch.logical_not``.

    >>> import shenjing as sj
    >>> sj.logical_not(sj.tensor([True, False]))
    tensor([False,  True])
    """
    return Predicate.apply(require_tensor("logical_not", input), ufunc="logical_not")


def isnan(input: Tensor) -> Tensor:
    """True where an element is NaN; equivalent of ``torch.isnan``.

    >>> import shenjing as sj
    >>> sj.isnan(sj.tensor([1.0, float("nan")]))
    tensor([False,  True])
    """
    return Predicate.apply(require_tensor("isnan", input), ufunc="isnan")


def isinf(input: Tensor) -> Tensor:
    """True where an element is +inf or -inf; equivalent of ``torch.isinf``.

    >>> import shenjing as sj
    >>> sj.isinf(sj.tensor([1.0, float("-inf")]))
    tensor([False,  True])
    """
    return Predicate.apply(require_tensor("isinf", input), ufunc="isinf")


def isfinite(input: Tensor) -> Tensor:
    """True where an element is neither NaN nor infinite; equivalent of ``torch.isfinite``.

    >>> import shenjing as sj
    >>> sj.isfinite(sj.tensor([1.0, float("inf")]))
    tensor([ True, False])
    """
    return Predicate.apply(require_tensor("isfinite", input), ufunc="isfinite")
