"""Elementwise operations: arithmetic, exponentials, trigonometry, clamping and selection.

Binary operations broadcast as NumPy does; the engine sums each gradient back to its input's shape.
"""

from __future__ import annotations

import math

from shenjing.autograd.function import ArgumentError, DtypeError, Function
from shenjing.autograd.tensor import Tensor
from shenjing.backend import (
    Device,
    array_module,
    device_of,
    expected_float_errors,
    get_default_dtype,
    is_floating,
)
from shenjing.backend import erf as erf_array
from shenjing.backend import to_device as move_array
from shenjing.ops.checks import (
    _asarray,
    as_operand,
    computed,
    float_input,
    promote,
    require_tensor,
)


def _operands(op: str, input, other, wrap: bool = True):
    """Both operands of a binary operation, one of them a Tensor, promoted as PyTorch does.

    With ``wrap``, a Python int beside an integer tensor wraps around into its dtype (see
    ``_wrapped``); pow does not wrap, as PyTorch's raises for an exponent out of range.
    """
    # Fast path for the most common cases: float tensors of one dtype, or one with a number.
    if isinstance(input, Tensor):
        kind = input._data.dtype.kind
        if kind == "f" and (type(other) is float or type(other) is int or (
                isinstance(other, Tensor) and other._data.dtype == input._data.dtype)):
            return input, other
    elif isinstance(other, Tensor) and other._data.dtype.kind == "f" and (
            type(input) is float or type(input) is int):
        return input, other
    if isinstance(input, Tensor):
        other = as_operand(op, other, input)
    elif isinstance(other, Tensor):
        input = as_operand(op, input, other)
    else:
        raise TypeError(f"{op}: expected a Tensor operand, got {type(input).__name__} and "
                        f"{type(other).__name__}")
    input, other = promote(input, other)
    if not wrap:
        return input, other
    if isinstance(input, Tensor) and input.dtype.kind in "iu":
        other = _wrapped(other, input.dtype)
    elif isinstance(other, Tensor) and other.dtype.kind in "iu":
        input = _wrapped(input, other.dtype)
    return input, other


def _wrapped(value, dtype):
    """A Python int operand of an integer tensor wrapped around into the tensor's dtype (300
    with uint8 is 44, -3 is 253), as PyTorch converts it; NumPy would raise OverflowError."""
    if type(value) is not int:
        return value
    bits = 8 * dtype.itemsize
    value %= 1 << bits
    if dtype.kind == "i" and value >= 1 << (bits - 1):
        value -= 1 << bits
    return value


def _zero_unless(xp, condition, a, out=None, invert: bool = False):
    """``a`` where ``condition`` holds (where it fails with ``invert``), +0 elsewhere.

    A select, not ``a * condition``: an infinite or NaN element that is dropped gives 0, where
    the float product gives NaN. It multiplies the bits of ``a`` (a float array, read as
    integers of its size; ``condition`` broadcasts against it) by the condition's 0 or 1, which
    keeps a word or clears it to +0 in one pass: faster than the float product, where NumPy's
    ``where`` is about six times slower on a random mask. Writes into ``out`` when given.
    """
    if invert:
        condition = xp.logical_not(condition)
    ints = _SAME_SIZE_INT[a.dtype.itemsize]
    if out is None:
        return xp.multiply(a.view(ints), condition, dtype=ints).view(a.dtype)
    xp.multiply(a.view(ints), condition, out=out.view(ints), dtype=ints)
    return out


_SAME_SIZE_INT = {1: "int8", 2: "int16", 4: "int32", 8: "int64"}


# -- arithmetic ----------------------------------------------------------------------------------
class Add(Function):
    broadcasts = True

    compute = staticmethod(lambda xp, a, b: a + b)

    def forward(self, a, b):
        return self.compute(self.xp, a, b)

    def backward(self, gy):
        return gy, gy


def add(input, other, *, alpha=1) -> Tensor:
    """``input + alpha * other``, broadcasting; equivalent of ``torch.add``.

    >>> import shenjing as sj
    >>> sj.add(sj.tensor([1.0, 2.0]), 10)
    tensor([11., 12.])
    """
    a, b = _operands("add", input, other)
    if alpha != 1:
        b = b * alpha
    return Add.apply(a, b)


class Sub(Function):
    broadcasts = True

    compute = staticmethod(lambda xp, a, b: a - b)

    def forward(self, a, b):
        return self.compute(self.xp, a, b)

    def backward(self, gy):
        return gy, -gy


def sub(input, other, *, alpha=1) -> Tensor:
    """``input - alpha * other``, broadcasting; equivalent of ``torch.sub``.

    >>> import shenjing as sj
    >>> sj.sub(sj.tensor([1.0, 2.0]), sj.tensor([0.5]))
    tensor([0.5000, 1.5000])
    """
    a, b = _operands("sub", input, other)
    if alpha != 1:
        b = b * alpha
    return Sub.apply(a, b)


class Mul(Function):
    broadcasts = True

    compute = staticmethod(lambda xp, a, b: a * b)

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return self.compute(self.xp, a, b)

    def backward(self, gy):
        a, b = self.saved_tensors
        ga = gy * b if self.needs_input_grad[0] else None
        gb = gy * a if self.needs_input_grad[1] else None
        return ga, gb


def mul(input, other) -> Tensor:
    """``input * other`` elementwise, broadcasting; equivalent of ``torch.mul``.

    >>> import shenjing as sj
    >>> sj.mul(sj.tensor([[1.0], [2.0]]), sj.tensor([1.0, 10.0]))
    tensor([[ 1., 10.],
            [ 2., 20.]])
    """
    return Mul.apply(*_operands("mul", input, other))


class Div(Function):
    broadcasts = True

    def forward(self, a, b):
        self.save_for_backward(a, b)
        with expected_float_errors(self.xp):  # x / 0 is +-inf or NaN, as PyTorch's
            return a / b

    def backward(self, gy):
        a, b = self.saved_tensors
        ga = gy / b if self.needs_input_grad[0] else None
        gb = -gy * a / (b * b) if self.needs_input_grad[1] else None
        return ga, gb


def div(input, other, *, rounding_mode: str | None = None) -> Tensor:
    """``input / other``; equivalent of ``torch.div``.

    ``rounding_mode`` None is true division (integers give float32); ``"trunc"`` rounds the
    quotient toward zero, ``"floor"`` down (as Python's ``//``). The rounded quotients keep
    integer dtypes, are exact on integers, and have zero gradient, as in PyTorch.

    >>> import shenjing as sj
    >>> sj.div(sj.tensor([1, 2]), 4)
    tensor([0.2500, 0.5000])
    >>> sj.div(sj.tensor([7, -7]), 2, rounding_mode="trunc")
    tensor([ 3, -3])
    >>> sj.div(sj.tensor([7.0, -7.0]), 2, rounding_mode="floor")
    tensor([ 3., -4.])
    """
    a, b = _operands("div", input, other)
    if rounding_mode is not None:
        if rounding_mode not in ("trunc", "floor"):
            raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or "
                               f"'floor' but found {rounding_mode!r}")
        return DivRounded.apply(a, b, mode=rounding_mode)
    # True division of integers gives float32, as in PyTorch (NumPy would give float64).
    if isinstance(a, Tensor) and not is_floating(a.dtype):
        a = a.to(get_default_dtype())
    if isinstance(b, Tensor) and not is_floating(b.dtype):
        b = b.to(get_default_dtype())
    return Div.apply(a, b)


class DivRounded(Function):
    """The quotient rounded toward zero (``mode="trunc"``) or down (``"floor"``).

    Piecewise constant, so the gradient is zero (PyTorch's too). Integers divide exactly and an
    integer division by zero raises, as in PyTorch; floats follow IEEE (x / 0 is +-inf or NaN).
    """

    broadcasts = True

    def forward(self, a, b, mode):
        xp = self.xp
        kind = _kind(a, b)
        if kind == "b":
            raise NotImplementedError(f"div: rounding_mode={mode!r} is not implemented for "
                                      "bool tensors")
        if kind in "iu":
            _no_integer_zero(xp, "div", b)
            q = xp.floor_divide(a, b)
            if mode == "trunc":
                # floor is one below trunc where the division is inexact and the signs differ
                q = q + ((xp.remainder(a, b) != 0) & ((a < 0) != (b < 0)))
            return q
        with expected_float_errors(xp):  # x / 0 is +-inf or NaN, as PyTorch's
            if mode == "trunc":
                return xp.trunc(xp.true_divide(a, b))
            # NumPy's floor_divide is PyTorch's div_floor: fmod based, snapped to an integer
            return xp.floor_divide(a, b)

    def backward(self, gy):
        g = _zeros_like(gy)
        return (g if self.needs_input_grad[0] else None), (g if self.needs_input_grad[1] else None)


def _kind(a, b) -> str:
    """The dtype kind ("f", "i", "u", "b") of a binary operation's array operand(s)."""
    return (a if hasattr(a, "dtype") else b).dtype.kind


def _no_integer_zero(xp, op: str, b) -> None:
    """PyTorch's RuntimeError for an integer division by zero (NumPy would give 0)."""
    if bool(xp.any(xp.asarray(b) == 0)):
        raise RuntimeError(f"{op}: ZeroDivisionError (an integer tensor divided by zero)")


true_divide = divide = div


class Pow(Function):
    broadcasts = True

    def forward(self, a, b):
        y = a**b
        self.save_for_backward(a, b, y)
        return y

    def backward(self, gy):
        a, b, y = self.saved_tensors
        ga = gb = None
        if self.needs_input_grad[0]:
            if isinstance(b, Tensor):
                # d/da a^b = b a^(b-1), defined as 0 where b == 0 (so 0^0 has gradient 0).
                ga = where(b == 0, 0.0, gy * b * a ** (b - 1))
            elif b == 0:
                ga = _zeros_like(gy)
            else:
                ga = gy * b * a ** (b - 1)
        if self.needs_input_grad[1]:
            if not isinstance(a, Tensor):
                a = computed(_asarray, y, value=a, dtype=y.dtype)
            # d/db a^b = a^b log a; 0 where a == 0 and b >= 0, as in PyTorch.
            gb = where((a == 0) & (b >= 0), 0.0, gy * y * log(a))
        return ga, gb


def pow(input, exponent) -> Tensor:  # noqa: A001 - PyTorch's name
    """``input ** exponent`` elementwise, either may be a tensor; equivalent of ``torch.pow``.

    >>> import shenjing as sj
    >>> sj.pow(sj.tensor([1.0, 2.0, 3.0]), 2)
    tensor([1., 4., 9.])
    """
    return Pow.apply(*_operands("pow", input, exponent, wrap=False))


def _zeros_like(x: Tensor) -> Tensor:
    return computed(_zeros_like_array, x)


def _zeros_like_array(x):
    return array_module(x).zeros_like(x)


class Neg(Function):
    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy


def neg(input: Tensor) -> Tensor:
    """``-input``; equivalent of ``torch.neg``.

    >>> import shenjing as sj
    >>> sj.neg(sj.tensor([1.0, -2.0]))
    tensor([-1.,  2.])
    """
    return Neg.apply(require_tensor("neg", input))


negative = neg


# -- exponentials and powers ---------------------------------------------------------------------
class Exp(Function):
    def forward(self, x):
        y = self.xp.exp(x)
        self.save_for_backward(y)  # d/dx e^x = e^x: keep the output, not the input
        return y

    def backward(self, gy):
        (y,) = self.saved_tensors
        return gy * y


def exp(input: Tensor) -> Tensor:
    """``e ** input`` elementwise; equivalent of ``torch.exp``.

    >>> import shenjing as sj
    >>> sj.exp(sj.tensor([0.0, 1.0]))
    tensor([1.0000, 2.7183])
    """
    return Exp.apply(float_input("exp", input))


class Log(Function):
    def forward(self, x):
        self.save_for_backward(x)
        return self.xp.log(x)

    def backward(self, gy):
        (x,) = self.saved_tensors
        with expected_float_errors(self.xp):  # 1 / 0 = inf at x = 0, the right answer
            return gy / x


def log(input: Tensor) -> Tensor:
    """Natural logarithm elementwise; equivalent of ``torch.log``.

    >>> import shenjing as sj
    >>> sj.log(sj.tensor([1.0, 100.0]))
    tensor([0.0000, 4.6052])
    """
    return Log.apply(float_input("log", input))


class Log1p(Function):
    def forward(self, x):
        self.save_for_backward(x)
        return self.xp.log1p(x)

    def backward(self, gy):
        (x,) = self.saved_tensors
        with expected_float_errors(self.xp):  # 1 / 0 = inf at x = -1, the right answer
            return gy / (x + 1)


def log1p(input: Tensor) -> Tensor:
    """``log(1 + input)``, accurate for small inputs; equivalent of ``torch.log1p``.

    >>> import shenjing as sj
    >>> sj.log1p(sj.tensor([1e-10, 1.0], dtype=sj.float64))
    tensor([1.0000e-10, 6.9315e-01], dtype=float64)
    """
    return Log1p.apply(float_input("log1p", input))


class Sqrt(Function):
    def forward(self, x):
        y = self.xp.sqrt(x)
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved_tensors
        with expected_float_errors(self.xp):  # 1 / 0 = inf at x = 0, the right answer
            return gy / (2 * y)


def sqrt(input: Tensor) -> Tensor:
    """Square root elementwise; equivalent of ``torch.sqrt``.

    >>> import shenjing as sj
    >>> sj.sqrt(sj.tensor([4.0, 9.0]))
    tensor([2., 3.])
    """
    return Sqrt.apply(float_input("sqrt", input))


class Abs(Function):
    def forward(self, x):
        self.save_for_backward(x)
        return self.xp.abs(x)

    def backward(self, gy):
        (x,) = self.saved_tensors
        # 0 at the kink, the subgradient PyTorch picks, selected before the product with the
        # sign: an infinite gy gives 0 there, not inf * 0 = NaN
        return where(x == 0, 0.0, gy) * sign(x)


def abs(input: Tensor) -> Tensor:  # noqa: A001 - PyTorch's name
    """Absolute value elementwise; equivalent of ``torch.abs``.

    >>> import shenjing as sj
    >>> sj.abs(sj.tensor([-1.5, 2.0]))
    tensor([1.5000, 2.0000])
    """
    return Abs.apply(require_tensor("abs", input))


class Sign(Function):
    def forward(self, x):
        if x.dtype.kind == "f":
            # (x > 0) - (x < 0): 0 for NaN, as PyTorch's sign (NumPy's gives NaN)
            return self.xp.subtract(x > 0, x < 0, dtype=x.dtype)
        return self.xp.sign(x)

    def backward(self, gy):
        return _zeros_like(gy)  # piecewise constant: zero almost everywhere


def sign(input: Tensor) -> Tensor:
    """-1, 0 or 1 by the sign of each element, 0 for NaN (gradient zero); ``torch.sign``.

    >>> import shenjing as sj
    >>> sj.sign(sj.tensor([-2.0, 0.0, 3.0]))
    tensor([-1.,  0.,  1.])
    """
    return Sign.apply(require_tensor("sign", input))


class Erf(Function):
    def forward(self, x):
        self.save_for_backward(x)
        return erf_array(x)

    def backward(self, gy):
        (x,) = self.saved_tensors
        return gy * (2 / math.sqrt(math.pi)) * exp(-x * x)


def erf(input: Tensor) -> Tensor:
    """The error function ``2/sqrt(pi) * integral_0^x exp(-t^2) dt``; ``torch.erf``.

    >>> import shenjing as sj
    >>> sj.erf(sj.tensor([0.0, 1.0]))
    tensor([0.0000, 0.8427])
    """
    return Erf.apply(float_input("erf", input))


# -- trigonometry --------------------------------------------------------------------------------
class Sin(Function):
    def forward(self, x):
        self.save_for_backward(x)
        return self.xp.sin(x)

    def backward(self, gy):
        (x,) = self.saved_tensors
        return gy * cos(x)


def sin(input: Tensor) -> Tensor:
    """Sine elementwise; equivalent of ``torch.sin``.

    >>> import shenjing as sj
    >>> sj.sin(sj.tensor([0.0]))
    tensor([0.])
    """
    return Sin.apply(float_input("sin", input))


class Cos(Function):
    def forward(self, x):
        self.save_for_backward(x)
        return self.xp.cos(x)

    def backward(self, gy):
        (x,) = self.saved_tensors
        return -gy * sin(x)


def cos(input: Tensor) -> Tensor:
    """Cosine elementwise; equivalent of ``torch.cos``.

    >>> import shenjing as sj
    >>> sj.cos(sj.tensor([0.0]))
    tensor([1.])
    """
    return Cos.apply(float_input("cos", input))


# -- clamping and selection ----------------------------------------------------------------------
class Clamp(Function):
    def forward(self, x, min=None, max=None):  # noqa: A002 - PyTorch's names
        self.save_for_backward(x)
        self.bounds = (min, max)
        return self.xp.clip(x, min, max)

    def backward(self, gy):
        (x,) = self.saved_tensors
        # The gradient passes where the input was inside [min, max], bounds included.
        low, high = self.bounds
        return where(computed(_inside, x, low=low, high=high), gy, 0.0)


class ClampTensors(Function):
    """``min(max(x, low), high)`` where a bound is a tensor (the other a tensor, number or None).

    A NaN anywhere gives NaN. The gradient goes to x inside [low, high], bounds included, to a
    bound where it binds; where low > high the result is high, and so is the gradient.
    PyTorch's rules, NaN included (every condition fails: no gradient at all).
    """

    broadcasts = True

    def forward(self, x, low, high):
        xp = self.xp
        self.save_for_backward(x, low, high)
        y = x if low is None else xp.maximum(x, low)
        return y if high is None else xp.minimum(y, high)

    def backward(self, gy):
        x, low, high = self.saved_tensors
        masks = computed(_clamp_masks, x, low, high)
        gx = g_low = g_high = None
        if self.needs_input_grad[0]:
            gx = where(masks[0], gy, 0.0)
        if self.needs_input_grad[1]:
            g_low = where(masks[1], gy, 0.0)
        if self.needs_input_grad[2]:
            g_high = where(masks[2], gy, 0.0)
        return gx, g_low, g_high


def _clamp_masks(x, low, high):
    """(3, *shape) bools: x inside [low, high], low binds, high binds (None: no bound).

    ``shape`` is the broadcast shape of x and the bounds, the output's: a bound may be larger
    than x, whose gradient the engine then sums back to x's shape.
    """
    xp = array_module(x)
    shape = xp.broadcast(*(a for a in (x, low, high) if a is not None)).shape
    inside = xp.ones(shape, dtype=bool)
    if low is not None:
        inside = inside & (x >= low)
    if high is not None:
        inside = inside & (x <= high)
    low_binds = xp.zeros(shape, dtype=bool)
    if low is not None:
        low_binds = low_binds | (x < low)
        if high is not None:
            low_binds &= low < high
    high_binds = xp.zeros(shape, dtype=bool)
    if high is not None:
        high_binds = high_binds | (x > high)
        if low is not None:
            high_binds |= high < low
    return xp.stack([xp.broadcast_to(m, shape) for m in (inside, low_binds, high_binds)])


def _inside(x, *, low, high):
    inside = array_module(x).ones(x.shape, dtype=bool)
    if low is not None:
        inside &= x >= low
    if high is not None:
        inside &= x <= high
    return inside


def _split_masks(a, b, *, larger_wins: bool):
    xp = array_module(a) if hasattr(a, "shape") else array_module(b)
    a_loses, b_loses = (a < b, a > b) if larger_wins else (a > b, a < b)
    return xp.stack(xp.broadcast_arrays(a == b, a_loses, b_loses))


def clamp(input: Tensor, min=None, max=None) -> Tensor:  # noqa: A002 - PyTorch's names
    """Limit every element to ``[min, max]`` (scalars or tensors); equivalent of ``torch.clamp``.

    >>> import shenjing as sj
    >>> sj.clamp(sj.tensor([-2.0, 0.5, 3.0]), min=0.0, max=1.0)
    tensor([0.0000, 0.5000, 1.0000])
    """
    require_tensor("clamp", input)
    if min is None and max is None:
        raise ArgumentError(f"clamp: at least one of min and max must be given (input of "
                            f"shape {input.shape})")
    # an integer tensor with float bounds becomes float; tensor bounds take the common dtype
    input, min, max = promote(input, min, max)
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        return ClampTensors.apply(input, min, max)
    return Clamp.apply(input, min=min, max=max)


clip = clamp


class Maximum(Function):
    broadcasts = True

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return self.xp.maximum(a, b)

    def backward(self, gy):
        a, b = self.saved_tensors
        return _split_between(gy, a, b, self.needs_input_grad, larger_wins=True)


class Minimum(Function):
    broadcasts = True

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return self.xp.minimum(a, b)

    def backward(self, gy):
        a, b = self.saved_tensors
        return _split_between(gy, a, b, self.needs_input_grad, larger_wins=False)


def _split_between(gy: Tensor, a, b, needs, larger_wins: bool) -> tuple:
    """The gradients of maximum(a, b) (or minimum) as PyTorch gives them, by selection.

    Each side gets ``gy`` unless the other side wins; on a tie each gets half. A NaN wins and
    loses no comparison, so both sides of a NaN get all of ``gy``.
    """
    masks = computed(_split_masks, a, b, larger_wins=larger_wins)  # (3, ...): ties, a and b lose
    # On a tie each side gets half (selected everywhere: where there is none, gy is unchanged,
    # and a compiled step must not depend on whether this batch had ties).
    gy = where(masks[0], gy * 0.5, gy)
    ga = where(masks[1], 0.0, gy) if needs[0] else None
    gb = where(masks[2], 0.0, gy) if needs[1] else None
    return ga, gb


def maximum(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise maximum of two tensors, broadcasting; equivalent of ``torch.maximum``.

    >>> import shenjing as sj
    >>> sj.maximum(sj.tensor([1.0, 5.0]), sj.tensor([3.0, 2.0]))
    tensor([3., 5.])
    """
    return Maximum.apply(*_operands("maximum", input, other))


def minimum(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise minimum of two tensors, broadcasting; equivalent of ``torch.minimum``.

    >>> import shenjing as sj
    >>> sj.minimum(sj.tensor([1.0, 5.0]), sj.tensor([3.0, 2.0]))
    tensor([1., 2.])
    """
    return Minimum.apply(*_operands("minimum", input, other))


class Where(Function):
    broadcasts = True

    @staticmethod
    def compute(xp, condition, a, b):
        # Selecting between a float array and zero (a masked gradient) takes the fast select.
        if _is_plus_zero(b) and _is_float_array(a):
            return _zero_unless(xp, condition, a)
        if _is_plus_zero(a) and _is_float_array(b):
            return _zero_unless(xp, condition, b, invert=True)
        return xp.where(condition, a, b)

    def forward(self, condition, a, b):
        self.save_for_backward(condition)
        return self.compute(self.xp, condition, a, b)

    def backward(self, gy):
        (condition,) = self.saved_tensors
        ga = where(condition, gy, 0.0) if self.needs_input_grad[1] else None
        gb = where(condition, 0.0, gy) if self.needs_input_grad[2] else None
        return None, ga, gb


def _is_plus_zero(value) -> bool:
    return (type(value) is float or type(value) is int) and value == 0 and (
        math.copysign(1.0, value) > 0)


def _is_float_array(value) -> bool:
    return hasattr(value, "dtype") and value.dtype.kind == "f" and value.ndim > 0


def where(condition: Tensor, input, other) -> Tensor:
    """Elements of ``input`` where ``condition`` holds, else of ``other``; ``torch.where``.

    >>> import shenjing as sj
    >>> x = sj.tensor([-1.0, 2.0])
    >>> sj.where(x > 0, x, 0.0)
    tensor([0., 2.])
    """
    require_tensor("where", condition)
    if condition.dtype.kind != "b":
        raise DtypeError(f"where: condition must be a bool tensor, got {condition.dtype} of "
                         f"shape {condition.shape}")
    like = input if isinstance(input, Tensor) else other if isinstance(other, Tensor) else condition
    a = as_operand("where", input, like)
    b = as_operand("where", other, like)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        # Two scalars: the result takes the default dtype of their kind, as torch.where does.
        dtype = get_default_dtype() if isinstance(a, float) or isinstance(b, float) else None
        a = computed(_asarray, condition, value=a, dtype=dtype)
    return Where.apply(condition, *promote(a, b))


# -- dtype and copies ----------------------------------------------------------------------------
class Cast(Function):
    def forward(self, x, dtype):
        self.input_dtype = x.dtype
        return x.astype(dtype)

    def backward(self, gy):
        return gy.to(self.input_dtype)


class Clone(Function):
    def forward(self, x):
        return x.copy()

    def backward(self, gy):
        return gy


def clone(input: Tensor) -> Tensor:
    """A copy of ``input`` with its own memory, still in the graph; equivalent of ``torch.clone``.

    >>> import shenjing as sj
    >>> sj.clone(sj.tensor([1.0]))
    tensor([1.])
    """
    return Clone.apply(require_tensor("clone", input))


class ToDevice(Function):
    def forward(self, x, device):
        self.source = device_of(x)
        return move_array(x, device)

    def backward(self, gy):
        return to_device(gy, self.source)


def to_device(input: Tensor, device: Device) -> Tensor:
    """``input`` copied onto ``device``; gradients flow back to the original device."""
    return ToDevice.apply(input, device=device)
