"""Comparisons and logic: elementwise, broadcasting, returning bool tensors with no gradient."""

from __future__ import annotations

import builtins

from shenjing.autograd.function import Function
from shenjing.autograd.tensor import Tensor
from shenjing.backend import expected_float_errors, get_default_dtype
from shenjing.ops.checks import (
    as_operand,
    broadcast_shape,
    dim_or_axis,
    normalize_dim,
    normalize_dims,
    require_tensor,
)

# Names that are also methods of a tensor (x.isclose(y)); the older ones are written out in
# _tensor.py.
METHODS = ("isclose", "allclose", "equal")


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


class IsClose(Function):
    """``|a - b| <= atol + rtol * |b|`` elementwise, PyTorch's formula; no gradient.

    Integers and bools are compared exactly, then measured in ``float_dtype`` (the default
    float dtype, as PyTorch does): their difference never wraps around (uint8 0 - 255 is not 1).
    """

    differentiable = False
    broadcasts = True

    def forward(self, a, b, rtol, atol, equal_nan, float_dtype):
        xp = self.xp
        close = a == b  # infinities of one sign are close, and only to each other
        if equal_nan and a.dtype.kind == "f":
            close |= xp.isnan(a) & xp.isnan(b)
        if rtol == 0 and atol == 0:
            return close
        if a.dtype.kind != "f":
            a, b = a.astype(float_dtype), b.astype(float_dtype)
        with expected_float_errors(xp):  # inf - inf is NaN, which is not close
            actual = xp.abs(a - b)
            allowed = atol + xp.abs(rtol * b)
            close |= xp.isfinite(actual) & (actual <= allowed)
        return close

    @classmethod
    def op_name(cls) -> str:
        return "isclose"


def _check_close_args(op: str, input, other, rtol, atol) -> None:
    require_tensor(op, input)
    require_tensor(op, other)
    if input.dtype != other.dtype:
        raise RuntimeError(f"{op}: input of dtype {input.dtype} and other of dtype "
                           f"{other.dtype} differ; convert one, e.g. with .to(input.dtype)")
    if rtol < 0 or atol < 0:
        raise RuntimeError(f"{op}: rtol and atol must be at least 0, got rtol={rtol}, "
                           f"atol={atol}")
    broadcast_shape(op, input.shape, other.shape)


def isclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """True where ``|input - other| <= atol + rtol * |other|`` (broadcast); ``torch.isclose``.

    Equal infinities are close; NaN is close to NaN only with ``equal_nan=True``. Both tensors
    must have one dtype, as in PyTorch.

    >>> import shenjing as sj
    >>> sj.isclose(sj.tensor([1.0, 2.0, float("nan")]), sj.tensor([1.0 + 1e-7, 2.1, float("nan")]))
    tensor([ True, False, False])
    """
    _check_close_args("isclose", input, other, rtol, atol)
    return IsClose.apply(input, other, rtol=float(rtol), atol=float(atol),
                         equal_nan=builtins.bool(equal_nan), float_dtype=get_default_dtype())


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """True if every element of ``isclose(input, other, ...)`` is; ``torch.allclose``.

    A Python bool, so a compiled step refuses it (the answer is data).

    >>> import shenjing as sj
    >>> sj.allclose(sj.tensor([1.0, 2.0]), sj.tensor([1.0, 2.0 + 1e-6]))
    True
    """
    _check_close_args("allclose", input, other, rtol, atol)
    return builtins.bool(all(isclose(input, other, rtol, atol, equal_nan)))


def equal(input: Tensor, other: Tensor) -> bool:
    """True if both tensors have one shape and equal elements (NaN is not equal); ``torch.equal``.

    Different shapes give False rather than an error; dtypes are promoted, as in PyTorch.

    >>> import shenjing as sj
    >>> sj.equal(sj.tensor([1, 2]), sj.tensor([1.0, 2.0])), sj.equal(sj.ones(2), sj.ones(1, 2))
    (True, False)
    """
    require_tensor("equal", input)
    require_tensor("equal", other)
    if input.shape != other.shape:
        return False
    return builtins.bool(all(eq(input, other)))


class AllAny(Function):
    """``xp.all`` or ``xp.any`` over dims; bool result (uint8 for uint8 input, as PyTorch)."""

    differentiable = False

    def forward(self, x, dims, keepdim, ufunc):
        y = getattr(self.xp, ufunc)(x, axis=dims, keepdims=keepdim)
        return y.astype(x.dtype) if x.dtype == "uint8" else y

    @classmethod
    def op_name(cls) -> str:
        return "all/any"


def _all_any(op: str, input: Tensor, dim, keepdim: bool) -> Tensor:
    require_tensor(op, input)
    if isinstance(dim, (tuple, list)) and not dim:
        dims = ()  # PyTorch reduces no dim here: each element's truth
    elif isinstance(dim, (tuple, list)):
        if len({normalize_dim(op, d, input.ndim) for d in dim}) != len(dim):
            raise RuntimeError(f"{op}: dim {tuple(dim)} names a dim more than once")
        dims = normalize_dims(op, dim, input.ndim)
    else:
        dims = normalize_dims(op, dim, input.ndim)
    return AllAny.apply(input, dims=dims, keepdim=keepdim, ufunc=op)


@dim_or_axis
def all(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """True if every element is nonzero, over ``dim`` (an int or tuple; all dims if None);
    equivalent of ``torch.all``. NaN counts as true.

    >>> import shenjing as sj
    >>> x = sj.tensor([[True, False], [True, True]])
    >>> sj.all(x), sj.all(x, dim=1), sj.all(x, 0, keepdim=True)
    (tensor(False), tensor([False,  True]), tensor([[ True, False]]))
    """
    return _all_any("all", input, dim, keepdim)


@dim_or_axis
def any(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """True if some element is nonzero, over ``dim`` (an int or tuple; all dims if None);
    equivalent of ``torch.any``.

    >>> import shenjing as sj
    >>> sj.any(sj.tensor([[0, 0], [0, 3]]), dim=1)
    tensor([False,  True])
    """
    return _all_any("any", input, dim, keepdim)
