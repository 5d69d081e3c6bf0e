"""Rounding and the remainders of division: round, ceil, floor, trunc, frac, fmod, remainder,
floor_divide, copysign and lerp, elementwise and broadcasting as PyTorch's.

The rounding functions are piecewise constant: their gradient is zero, as PyTorch defines it.
Integer tensors round to themselves and divide exactly; an integer division by zero raises
PyTorch's RuntimeError where NumPy would answer 0.
"""

from __future__ import annotations

from shenjing.autograd.function import Function
from shenjing.autograd.tensor import Tensor
from shenjing.backend import array_module, expected_float_errors, get_default_dtype
from shenjing.ops.checks import computed, promote, require_tensor
from shenjing.ops.elementwise import (
    _kind,
    _no_integer_zero,
    _operands,
    _zeros_like,
    div,
)

__all__ = [
    "ceil",
    "copysign",
    "fix",
    "floor",
    "floor_divide",
    "fmod",
    "frac",
    "lerp",
    "remainder",
    "round",
    "trunc",
]

# Functions that are also Tensor methods (x.floor() is sj.floor(x)).
METHODS = tuple(__all__)


def _float_only(op: str, x: Tensor) -> Tensor:
    """``x`` if it is a float tensor; else PyTorch's NotImplementedError (a RuntimeError)."""
    require_tensor(op, x)
    if x.dtype.kind != "f":
        raise NotImplementedError(f"{op}: not implemented for {x.dtype} tensors (shape "
                                  f"{x.shape}); convert with .float() first")
    return x


def _no_bool(op: str, x: Tensor) -> Tensor:
    require_tensor(op, x)
    if x.dtype.kind == "b":
        raise NotImplementedError(f"{op}: not implemented for bool tensors (shape {x.shape})")
    return x


# -- rounding to integers ------------------------------------------------------------------------
class Round(Function):
    """``x`` rounded half to even at ``decimals`` places: rint(x * 10^d) / 10^d, and for d < 0
    rint(x / 10^-d) * 10^-d, in x's dtype, as PyTorch computes it (so the scaling may overflow
    for huge x, as there)."""

    def forward(self, x, decimals):
        xp = self.xp
        if x.dtype.kind != "f":
            return x.copy()  # integers are already round (decimals is 0 here)
        if decimals == 0:
            return xp.rint(x)
        scale = xp.asarray(10.0 ** abs(decimals), dtype=x.dtype)
        with expected_float_errors(xp):
            if decimals > 0:
                return xp.rint(x * scale) / scale
            return xp.rint(x / scale) * scale

    def backward(self, gy):
        return _zeros_like(gy)


def round(input: Tensor, *, decimals: int = 0) -> Tensor:  # noqa: A001 - PyTorch's name
    """Round to the nearest integer (or to ``decimals`` places), halves to even; gradient zero.
    Equivalent of ``torch.round``.

    >>> import shenjing as sj
    >>> sj.round(sj.tensor([0.5, 1.5, -2.7]))
    tensor([ 0.,  2., -3.])
    >>> sj.round(sj.tensor([1.2345, -0.125]), decimals=2)
    tensor([ 1.2300, -0.1200])
    """
    _no_bool("round", input)
    if isinstance(decimals, bool) or not isinstance(decimals, int):
        raise TypeError(f"round: decimals must be an int, got {decimals!r}")
    if decimals != 0:
        _float_only("round", input)
    return Round.apply(input, decimals=decimals)


class Ceil(Function):
    def forward(self, x):
        return self.xp.ceil(x) if x.dtype.kind == "f" else x.copy()

    def backward(self, gy):
        return _zeros_like(gy)


def ceil(input: Tensor) -> Tensor:
    """The smallest integer not below each element; gradient zero. Equivalent of ``torch.ceil``.

    >>> import shenjing as sj
    >>> sj.ceil(sj.tensor([-1.5, 0.2]))
    tensor([-1.,  1.])
    """
    return Ceil.apply(_no_bool("ceil", input))


class Floor(Function):
    def forward(self, x):
        return self.xp.floor(x) if x.dtype.kind == "f" else x.copy()

    def backward(self, gy):
        return _zeros_like(gy)


def floor(input: Tensor) -> Tensor:
    """The largest integer not above each element; gradient zero. Equivalent of ``torch.floor``.

    >>> import shenjing as sj
    >>> sj.floor(sj.tensor([-1.5, 0.2]))
    tensor([-2.,  0.])
    """
    return Floor.apply(_no_bool("floor", input))


class Trunc(Function):
    def forward(self, x):
        return self.xp.trunc(x) if x.dtype.kind == "f" else x.copy()

    def backward(self, gy):
        return _zeros_like(gy)


def trunc(input: Tensor) -> Tensor:
    """Each element rounded toward zero; gradient zero. Equivalent of ``torch.trunc``.

    >>> import shenjing as sj
    >>> sj.trunc(sj.tensor([-1.5, 0.7]))
    tensor([-1.,  0.])
    """
    return Trunc.apply(_no_bool("trunc", input))


def fix(input: Tensor) -> Tensor:
    """Alias of ``trunc``; equivalent of ``torch.fix``.

    >>> import shenjing as sj
    >>> sj.fix(sj.tensor([-1.5]))
    tensor([-1.])
    """
    return Trunc.apply(_no_bool("fix", input))


class Frac(Function):
    def forward(self, x):
        with expected_float_errors(self.xp):  # inf - inf: NaN, as PyTorch's frac(inf)
            return x - self.xp.trunc(x)

    def backward(self, gy):
        return gy  # x - trunc(x): the gradient of x, trunc's being zero


def frac(input: Tensor) -> Tensor:
    """The fractional part ``input - trunc(input)``, with the sign of ``input``; gradient 1.
    Float tensors only, as in PyTorch. Equivalent of ``torch.frac``.

    >>> import shenjing as sj
    >>> sj.frac(sj.tensor([1.25, -2.75]))
    tensor([ 0.2500, -0.7500])
    """
    return Frac.apply(_float_only("frac", input))


# -- remainders of division ----------------------------------------------------------------------
class Fmod(Function):
    """C's fmod: ``a - trunc(a / b) * b``, with the sign of the dividend ``a``.

    d/da = 1 and d/db = -trunc(a / b), PyTorch's definition (the jumps have no gradient).
    """

    broadcasts = True

    def forward(self, a, b):
        xp = self.xp
        if _kind(a, b) in "iu":
            _no_integer_zero(xp, "fmod", b)
        self.save_for_backward(a, b)
        with expected_float_errors(xp):  # fmod(x, 0) and fmod(inf, y) are NaN, as PyTorch's
            return xp.fmod(a, b)

    def backward(self, gy):
        a, b = self.saved_tensors
        ga = gy if self.needs_input_grad[0] else None
        gb = -gy * div(a, b, rounding_mode="trunc") if self.needs_input_grad[1] else None
        return ga, gb


def fmod(input: Tensor, other) -> Tensor:
    """The remainder of ``input / other`` with the sign of ``input`` (C's fmod); ``other`` a
    tensor or a number. Equivalent of ``torch.fmod``.

    >>> import shenjing as sj
    >>> sj.fmod(sj.tensor([-3.0, 3.0]), 2)
    tensor([-1.,  1.])
    >>> sj.fmod(sj.tensor([-7, 7]), 3)
    tensor([-1,  1])
    """
    _no_bool("fmod", input)
    a, b = _operands("fmod", input, other)
    return Fmod.apply(*_no_bool_result("fmod", a, b))


class Remainder(Function):
    """Python's modulus: ``a - floor(a / b) * b``, with the sign of the divisor ``b``.

    Computed as PyTorch does, from fmod (exact) moved by b where its sign differs from b's.
    d/da = 1 and d/db = -floor(a / b), PyTorch's definition.
    """

    broadcasts = True

    def forward(self, a, b):
        xp = self.xp
        self.save_for_backward(a, b)
        if _kind(a, b) in "iu":
            _no_integer_zero(xp, "remainder", b)
            return xp.remainder(a, b)  # NumPy's integer remainder is Python's, exact
        with expected_float_errors(xp):
            y = xp.fmod(a, b)
            return xp.where((y != 0) & ((b < 0) != (y < 0)), y + b, y)

    def backward(self, gy):
        a, b = self.saved_tensors
        ga = gy if self.needs_input_grad[0] else None
        gb = -gy * div(a, b, rounding_mode="floor") if self.needs_input_grad[1] else None
        return ga, gb


def remainder(input, other) -> Tensor:
    """The remainder of ``input / other`` with the sign of ``other``, as Python's ``%``; either
    may be a number. Equivalent of ``torch.remainder`` and of ``input % other``.

    >>> import shenjing as sj
    >>> sj.remainder(sj.tensor([-3.0, 3.0]), 2)
    tensor([1., 1.])
    >>> sj.tensor([7, -7]) % -3
    tensor([-2, -1])
    """
    a, b = _operands("remainder", input, other)
    return Remainder.apply(*_no_bool_result("remainder", a, b))


def floor_divide(input, other) -> Tensor:
    """``input / other`` rounded down, as Python's ``//``: ``div(input, other,
    rounding_mode="floor")``. Gradient zero (PyTorch raises on a backward through it instead).
    Equivalent of ``torch.floor_divide``.

    >>> import shenjing as sj
    >>> sj.floor_divide(sj.tensor([7, -7]), 2)
    tensor([ 3, -4])
    >>> sj.tensor([7.5, -7.5]) // 2
    tensor([ 3., -4.])
    """
    return div(input, other, rounding_mode="floor")


def _no_bool_result(op: str, a, b):
    if _kind(a, b) == "b":
        raise NotImplementedError(f"{op}: not implemented for bool tensors")
    return a, b


# -- sign and interpolation ----------------------------------------------------------------------
class Copysign(Function):
    """``|a|`` with the sign of ``b`` (its sign bit: -0.0 counts as negative)."""

    broadcasts = True

    def forward(self, a, b):
        y = self.xp.copysign(a, b)
        self.save_for_backward(a, y)
        return y

    def backward(self, gy):
        a, y = self.saved_tensors
        # d/da = y / a: +-1, and 0 where a == 0 (PyTorch's choice); b's gradient is zero.
        ga = gy * computed(_copysign_ratio, a, y) if self.needs_input_grad[0] else None
        gb = _zeros_like(gy) if self.needs_input_grad[1] else None
        return ga, gb


def _copysign_ratio(a, y):
    xp = array_module(a)
    with expected_float_errors(xp):  # inf / inf: NaN, as PyTorch's gradient there
        return xp.where(a == 0, xp.zeros((), dtype=y.dtype), y / a)


def copysign(input: Tensor, other) -> Tensor:
    """The magnitude of ``input`` with the sign of ``other`` (a tensor or a number); integers
    give float32. Equivalent of ``torch.copysign``.

    >>> import shenjing as sj
    >>> sj.copysign(sj.tensor([1.0, -2.0, 3.0]), sj.tensor([-1.0, 1.0, -0.0]))
    tensor([-1.,  2., -3.])
    """
    require_tensor("copysign", input)
    a, b = _operands("copysign", input, other)
    a, b = (x.to(get_default_dtype()) if isinstance(x, Tensor) and x.dtype.kind != "f" else x
            for x in (a, b))
    a, b = promote(a, b)
    return Copysign.apply(a, b)


class Lerp(Function):
    """``start + weight * (end - start)``, computed as PyTorch does: from ``start`` where
    |weight| < 0.5, else ``end - (end - start) * (1 - weight)``, which is exact at weight 1."""

    broadcasts = True

    def forward(self, start, end, weight):
        xp = self.xp
        self.save_for_backward(start, end, weight)
        with expected_float_errors(xp):
            if not hasattr(weight, "shape"):  # a number: one formula for every element
                if abs(weight) < 0.5:
                    return start + weight * (end - start)
                return end - (end - start) * (1 - weight)
            near_start = start + weight * (end - start)
            near_end = end - (end - start) * (1 - weight)
            return xp.where(xp.abs(weight) < 0.5, near_start, near_end)

    def backward(self, gy):
        start, end, weight = self.saved_tensors
        needs = self.needs_input_grad
        g_start = gy * (1 - weight) if needs[0] else None
        g_end = gy * weight if needs[1] else None
        g_weight = gy * (end - start) if needs[2] else None
        return g_start, g_end, g_weight


def lerp(input: Tensor, end: Tensor, weight) -> Tensor:
    """Linear interpolation ``input + weight * (end - input)``; ``weight`` a tensor or a
    number. ``input``, ``end`` (and a tensor weight) must share one float dtype, as in PyTorch.
    Equivalent of ``torch.lerp``.

    >>> import shenjing as sj
    >>> sj.lerp(sj.tensor([0.0, 10.0]), sj.tensor([1.0, 20.0]), 0.25)
    tensor([ 0.2500, 12.5000])
    """
    require_tensor("lerp", input)
    require_tensor("lerp", end)
    if isinstance(weight, bool) or not isinstance(weight, (Tensor, int, float)):
        raise TypeError(f"lerp: weight must be a Tensor or a number, got {type(weight).__name__}")
    _float_only("lerp", input)
    for name, t in (("end", end), ("weight", weight)):
        if isinstance(t, Tensor) and t.dtype != input.dtype:
            raise RuntimeError(f"lerp: expected dtype {input.dtype} for `{name}` but got dtype "
                               f"{t.dtype} (input shape {input.shape}, {name} shape {t.shape})")
    return Lerp.apply(input, end, weight if isinstance(weight, Tensor) else float(weight))
