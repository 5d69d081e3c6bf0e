"""Transcendental functions beyond exp, log, sin and cos: tangent, inverse and hyperbolic
trigonometry, base-2 and base-10 exponentials and logarithms, expm1, logaddexp, and the powers
rsqrt, reciprocal and square.

Each backward is PyTorch's formula (its derivatives.yaml) written with shenjing's operations, so
that second derivatives work and infinities and NaN land where PyTorch's do. Integer and bool
inputs become float32, as in PyTorch (``square`` keeps integers, as ``x * x`` does). Outside a
function's domain the answer is IEEE's NaN, without NumPy's warning.
"""

from __future__ import annotations

import math

from shenjing.autograd.function import Function
from shenjing.autograd.tensor import Tensor
from shenjing.backend import expected_float_errors
from shenjing.ops.checks import float_input, promote, require_tensor
from shenjing.ops.elementwise import exp, where

__all__ = [
    "acos",
    "acosh",
    "arccos",
    "arccosh",
    "arcsin",
    "arcsinh",
    "arctan",
    "arctan2",
    "arctanh",
    "asin",
    "asinh",
    "atan",
    "atan2",
    "atanh",
    "cosh",
    "exp2",
    "expm1",
    "log10",
    "log2",
    "logaddexp",
    "reciprocal",
    "rsqrt",
    "sinh",
    "square",
    "tan",
]

# Functions that are also Tensor methods (x.tan() is sj.tan(x)).
METHODS = tuple(__all__)

LN2 = math.log(2.0)
LN10 = math.log(10.0)


# -- trigonometry --------------------------------------------------------------------------------
class Tan(Function):
    def forward(self, x):
        with expected_float_errors(self.xp):  # tan(inf) is NaN
            y = self.xp.tan(x)
        self.save_for_backward(y)  # d/dx tan x = 1 + tan^2 x: keep the output
        return y

    def backward(self, gy):
        (y,) = self.saved_tensors
        return gy * (1 + y * y)


def tan(input: Tensor) -> Tensor:
    """Tangent elementwise; equivalent of ``torch.tan``.

    >>> import shenjing as sj
    >>> sj.tan(sj.tensor([0.0, 0.7853982]))
    tensor([0., 1.])
    """
    return Tan.apply(float_input("tan", input))


class Asin(Function):
    def forward(self, x):
        self.save_for_backward(x)
        with expected_float_errors(self.xp):  # NaN outside [-1, 1]
            return self.xp.arcsin(x)

    def backward(self, gy):
        (x,) = self.saved_tensors
        return gy * rsqrt(-x * x + 1)


def asin(input: Tensor) -> Tensor:
    """Inverse sine elementwise, NaN outside [-1, 1]; equivalent of ``torch.asin``.

    >>> import shenjing as sj
    >>> sj.asin(sj.tensor([0.0, 1.0]))
    tensor([0.0000, 1.5708])
    """
    return Asin.apply(float_input("asin", input))


class Acos(Function):
    def forward(self, x):
        self.save_for_backward(x)
        with expected_float_errors(self.xp):  # NaN outside [-1, 1]
            return self.xp.arccos(x)

    def backward(self, gy):
        (x,) = self.saved_tensors
        return gy * -rsqrt(-x * x + 1)


def acos(input: Tensor) -> Tensor:
    """Inverse cosine elementwise, NaN outside [-1, 1]; equivalent of ``torch.acos``.

    >>> import shenjing as sj
    >>> sj.acos(sj.tensor([1.0, 0.0]))
    tensor([0.0000, 1.5708])
    """
    return Acos.apply(float_input("acos", input))


class Atan(Function):
    def forward(self, x):
        self.save_for_backward(x)
        return self.xp.arctan(x)

    def backward(self, gy):
        (x,) = self.saved_tensors
        return gy / (x * x + 1)


def atan(input: Tensor) -> Tensor:
    """Inverse tangent elementwise; equivalent of ``torch.atan``.

    >>> import shenjing as sj
    >>> sj.atan(sj.tensor([0.0, 1.0]))
    tensor([0.0000, 0.7854])
    """
    return Atan.apply(float_input("atan", input))


class Atan2(Function):
    broadcasts = True

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return self.xp.arctan2(a, b)

    def backward(self, gy):
        a, b = self.saved_tensors
        # d atan2(a, b) = (b da - a db) / (a^2 + b^2), taken as 0 where a^2 + b^2 is 0 (at the
        # origin, or where the squares underflow), as PyTorch does
        denominator = a * a + b * b
        recip = where(denominator == 0, 0.0, reciprocal(denominator))
        ga = gy * b * recip if self.needs_input_grad[0] else None
        gb = gy * -a * recip if self.needs_input_grad[1] else None
        return ga, gb


def atan2(input: Tensor, other: Tensor) -> Tensor:
    """The angle of the point (other, input): ``atan(input / other)`` in the right quadrant,
    in [-pi, pi]; broadcasting. Equivalent of ``torch.atan2``.

    >>> import shenjing as sj
    >>> sj.atan2(sj.tensor([1.0, 1.0]), sj.tensor([1.0, -1.0]))
    tensor([0.7854, 2.3562])
    """
    a, b = promote(float_input("atan2", input), float_input("atan2", other))
    return Atan2.apply(a, b)


# -- hyperbolic functions ------------------------------------------------------------------------
class Sinh(Function):
    def forward(self, x):
        self.save_for_backward(x)
        with expected_float_errors(self.xp):  # overflow to +-inf
            return self.xp.sinh(x)

    def backward(self, gy):
        (x,) = self.saved_tensors
        return gy * cosh(x)


def sinh(input: Tensor) -> Tensor:
    """Hyperbolic sine elementwise; equivalent of ``torch.sinh``.

    >>> import shenjing as sj
    >>> sj.sinh(sj.tensor([0.0, 1.0]))
    tensor([0.0000, 1.1752])
    """
    return Sinh.apply(float_input("sinh", input))


class Cosh(Function):
    def forward(self, x):
        self.save_for_backward(x)
        with expected_float_errors(self.xp):  # overflow to inf
            return self.xp.cosh(x)

    def backward(self, gy):
        (x,) = self.saved_tensors
        return gy * sinh(x)


def cosh(input: Tensor) -> Tensor:
    """Hyperbolic cosine elementwise; equivalent of ``torch.cosh``.

    >>> import shenjing as sj
    >>> sj.cosh(sj.tensor([0.0, 1.0]))
    tensor([1.0000, 1.5431])
    """
    return Cosh.apply(float_input("cosh", input))


class Asinh(Function):
    def forward(self, x):
        self.save_for_backward(x)
        return self.xp.arcsinh(x)

    def backward(self, gy):
        (x,) = self.saved_tensors
        return gy * rsqrt(x * x + 1)


def asinh(input: Tensor) -> Tensor:
    """Inverse hyperbolic sine elementwise; equivalent of ``torch.asinh``.

    >>> import shenjing as sj
    >>> sj.asinh(sj.tensor([0.0, 1.0]))
    tensor([0.0000, 0.8814])
    """
    return Asinh.apply(float_input("asinh", input))


class Acosh(Function):
    def forward(self, x):
        self.save_for_backward(x)
        with expected_float_errors(self.xp):  # NaN below 1
            return self.xp.arccosh(x)

    def backward(self, gy):
        (x,) = self.saved_tensors
        return gy * rsqrt(x * x - 1)


def acosh(input: Tensor) -> Tensor:
    """Inverse hyperbolic cosine elementwise, NaN below 1; equivalent of ``torch.acosh``.

    >>> import shenjing as sj
    >>> sj.acosh(sj.tensor([1.0, 2.0]))
    tensor([0.0000, 1.3170])
    """
    return Acosh.apply(float_input("acosh", input))


class Atanh(Function):
    def forward(self, x):
        self.save_for_backward(x)
        with expected_float_errors(self.xp):  # +-inf at +-1, NaN beyond
            return self.xp.arctanh(x)

    def backward(self, gy):
        (x,) = self.saved_tensors
        return gy * 1 / (1 - x * x)


def atanh(input: Tensor) -> Tensor:
    """Inverse hyperbolic tangent elementwise, NaN outside [-1, 1]; ``torch.atanh``.

    >>> import shenjing as sj
    >>> sj.atanh(sj.tensor([0.0, 0.5]))
    tensor([0.0000, 0.5493])
    """
    return Atanh.apply(float_input("atanh", input))


# -- exponentials and logarithms -----------------------------------------------------------------
class Exp2(Function):
    def forward(self, x):
        with expected_float_errors(self.xp):  # overflow to inf
            y = self.xp.exp2(x)
        self.save_for_backward(y)  # d/dx 2^x = 2^x ln 2: keep the output
        return y

    def backward(self, gy):
        (y,) = self.saved_tensors
        return gy * y * LN2


def exp2(input: Tensor) -> Tensor:
    """``2 ** input`` elementwise; equivalent of ``torch.exp2``.

    >>> import shenjing as sj
    >>> sj.exp2(sj.tensor([0.0, 3.0, -1.0]))
    tensor([1.0000, 8.0000, 0.5000])
    """
    return Exp2.apply(float_input("exp2", input))


class Expm1(Function):
    def forward(self, x):
        with expected_float_errors(self.xp):  # overflow to inf
            y = self.xp.expm1(x)
        self.save_for_backward(y)  # d/dx (e^x - 1) = e^x = y + 1
        return y

    def backward(self, gy):
        (y,) = self.saved_tensors
        return gy * (y + 1)


def expm1(input: Tensor) -> Tensor:
    """``exp(input) - 1``, accurate for small inputs; equivalent of ``torch.expm1``.

    >>> import shenjing as sj
    >>> sj.expm1(sj.tensor([1e-10, 1.0], dtype=sj.float64))
    tensor([1.0000e-10, 1.7183e+00], dtype=float64)
    """
    return Expm1.apply(float_input("expm1", input))


class Log2(Function):
    def forward(self, x):
        self.save_for_backward(x)
        with expected_float_errors(self.xp):  # -inf at 0, NaN below
            return self.xp.log2(x)

    def backward(self, gy):
        (x,) = self.saved_tensors
        return gy / (x * LN2)


def log2(input: Tensor) -> Tensor:
    """Base-2 logarithm elementwise; equivalent of ``torch.log2``.

    >>> import shenjing as sj
    >>> sj.log2(sj.tensor([1.0, 8.0]))
    tensor([0., 3.])
    """
    return Log2.apply(float_input("log2", input))


class Log10(Function):
    def forward(self, x):
        self.save_for_backward(x)
        with expected_float_errors(self.xp):  # -inf at 0, NaN below
            return self.xp.log10(x)

    def backward(self, gy):
        (x,) = self.saved_tensors
        return gy / (x * LN10)


def log10(input: Tensor) -> Tensor:
    """Base-10 logarithm elementwise; equivalent of ``torch.log10``.

    >>> import shenjing as sj
    >>> sj.log10(sj.tensor([1.0, 10.0]))
    tensor([0., 1.])
    """
    return Log10.apply(float_input("log10", input))


class Logaddexp(Function):
    """``log(exp(a) + exp(b))`` without overflow: max(a, b) + log1p(exp(-|a - b|))."""

    broadcasts = True

    def forward(self, a, b):
        self.save_for_backward(a, b)
        with expected_float_errors(self.xp):  # inf - inf inside: NumPy answers right, but warns
            return self.xp.logaddexp(a, b)

    def backward(self, gy):
        a, b = self.saved_tensors
        # d/da = e^a / (e^a + e^b) = 1 / (1 + e^(b - a)): a sigmoid, which cannot overflow
        ga = gy / (1 + exp(b - a)) if self.needs_input_grad[0] else None
        gb = gy / (1 + exp(a - b)) if self.needs_input_grad[1] else None
        return ga, gb


def logaddexp(input: Tensor, other: Tensor) -> Tensor:
    """``log(exp(input) + exp(other))`` elementwise, without overflow; float tensors only, as
    in PyTorch. Equivalent of ``torch.logaddexp``.

    >>> import shenjing as sj
    >>> sj.logaddexp(sj.tensor([0.0, 1000.0]), sj.tensor([0.0, -1000.0]))
    tensor([6.9315e-01, 1.0000e+03])
    """
    for x in (input, other):
        require_tensor("logaddexp", x)
        if x.dtype.kind != "f":
            raise NotImplementedError(f"logaddexp: not implemented for {x.dtype} tensors "
                                      f"(shape {x.shape}); convert with .float() first")
    return Logaddexp.apply(*promote(input, other))


# -- powers --------------------------------------------------------------------------------------
class Rsqrt(Function):
    def forward(self, x):
        xp = self.xp
        with expected_float_errors(xp):  # inf at 0, NaN below
            y = xp.reciprocal(xp.sqrt(x))
        self.save_for_backward(y)  # d/dx x^(-1/2) = -y^3 / 2
        return y

    def backward(self, gy):
        (y,) = self.saved_tensors
        return -0.5 * gy * y**3


def rsqrt(input: Tensor) -> Tensor:
    """``1 / sqrt(input)`` elementwise; equivalent of ``torch.rsqrt``.

    >>> import shenjing as sj
    >>> sj.rsqrt(sj.tensor([4.0, 0.25]))
    tensor([0.5000, 2.0000])
    """
    return Rsqrt.apply(float_input("rsqrt", input))


class Reciprocal(Function):
    def forward(self, x):
        with expected_float_errors(self.xp):  # +-inf at +-0
            y = self.xp.reciprocal(x)
        self.save_for_backward(y)  # d/dx 1/x = -y^2
        return y

    def backward(self, gy):
        (y,) = self.saved_tensors
        return -gy * (y * y)


def reciprocal(input: Tensor) -> Tensor:
    """``1 / input`` elementwise (integers give float32); equivalent of ``torch.reciprocal``.

    >>> import shenjing as sj
    >>> sj.reciprocal(sj.tensor([2.0, -0.5]))
    tensor([ 0.5000, -2.0000])
    """
    return Reciprocal.apply(float_input("reciprocal", input))


class Square(Function):
    def forward(self, x):
        self.save_for_backward(x)
        with expected_float_errors(self.xp):  # overflow to inf
            return x * x

    def backward(self, gy):
        (x,) = self.saved_tensors
        return gy * (2 * x)


def square(input: Tensor) -> Tensor:
    """``input * input`` elementwise; integers stay integers and bools become int64, as in
    PyTorch. Equivalent of ``torch.square``.

    >>> import shenjing as sj
    >>> sj.square(sj.tensor([-3.0, 0.5]))
    tensor([9.0000, 0.2500])
    """
    require_tensor("square", input)
    if input.dtype.kind == "b":
        input = input.long()
    return Square.apply(input)


# NumPy's names, which PyTorch has as aliases.
def arcsin(input: Tensor) -> Tensor:
    """Alias of ``asin``; equivalent of ``torch.arcsin``."""
    return asin(input)


def arccos(input: Tensor) -> Tensor:
    """Alias of ``acos``; equivalent of ``torch.arccos``."""
    return acos(input)


def arctan(input: Tensor) -> Tensor:
    """Alias of ``atan``; equivalent of ``torch.arctan``."""
    return atan(input)


def arctan2(input: Tensor, other: Tensor) -> Tensor:
    """Alias of ``atan2``; equivalent of ``torch.arctan2``."""
    return atan2(input, other)


def arcsinh(input: Tensor) -> Tensor:
    """Alias of ``asinh``; equivalent of ``torch.arcsinh``."""
    return asinh(input)


def arccosh(input: Tensor) -> Tensor:
    """Alias of ``acosh``; equivalent of ``torch.arccosh``."""
    return acosh(input)


def arctanh(input: Tensor) -> Tensor:
    """Alias of ``atanh``; equivalent of ``torch.arctanh``."""
    return atanh(input)
