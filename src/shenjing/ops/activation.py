"""Activation functions and softmax, numerically stable at extreme inputs.

Where the derivative is a function of the output (sigmoid, tanh, softmax, ELU), backward uses the
saved output instead of recomputing from the input.
"""

from __future__ import annotations

import math

from shenjing.autograd.function import ArgumentError, Function, ShapeError
from shenjing.autograd.tensor import Tensor
from shenjing.backend import array_module
from shenjing.backend import erf as erf_array
from shenjing.ops.checks import (
    computed,
    dim_or_axis,
    float_input,
    normalize_dim,
    require_dtype_of,
    require_tensor,
)
from shenjing.ops.elementwise import abs, erf, exp, where
from shenjing.ops.shape import chunk

__all__ = [
    "celu",
    "elu",
    "gelu",
    "glu",
    "hardshrink",
    "hardsigmoid",
    "hardswish",
    "hardtanh",
    "leaky_relu",
    "log_softmax",
    "logsigmoid",
    "mish",
    "prelu",
    "relu",
    "relu6",
    "selu",
    "sigmoid",
    "silu",
    "softmax",
    "softmin",
    "softplus",
    "softshrink",
    "softsign",
    "swish",
    "tanh",
    "tanhshrink",
    "threshold",
]


def _sigmoid(xp, x):
    # exp of a non-positive number never overflows: 1/(1+e^-x) for x >= 0, e^x/(1+e^x) else.
    # The numerator is 1 for x >= 0 and z below: z <= 1, so it is max(z, x >= 0), a select
    # without NumPy's where (ten times slower on a random mask; NaN stays NaN either way).
    z = xp.exp(-xp.abs(x))
    return xp.maximum(z, x >= 0) / (1 + z)


class Sigmoid(Function):
    compute = staticmethod(_sigmoid)

    def forward(self, x):
        y = _sigmoid(self.xp, x)
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved_tensors
        return SigmoidBackward.apply(y, gy)


class SigmoidBackward(Function):
    """``gy * y * (1 - y)``, sigmoid's gradient from its output, as one operation."""

    @staticmethod
    def compute(xp, y, gy):
        return gy * (y * (1 - y))

    def forward(self, y, gy):
        self.save_for_backward(y, gy)
        return self.compute(self.xp, y, gy)

    def backward(self, gg):
        y, gy = self.saved_tensors
        g_y = gg * gy * (1 - 2 * y) if self.needs_input_grad[0] else None
        g_gy = SigmoidBackward.apply(y, gg) if self.needs_input_grad[1] else None
        return g_y, g_gy


def sigmoid(input: Tensor) -> Tensor:
    """``1 / (1 + exp(-x))``, without overflow at any input; equivalent of ``torch.sigmoid``.

    >>> import shenjing as sj
    >>> sj.sigmoid(sj.tensor([-1000.0, 0.0, 1000.0]))
    tensor([0.0000, 0.5000, 1.0000])
    """
    return Sigmoid.apply(float_input("sigmoid", input))


class Tanh(Function):
    @staticmethod
    def compute(xp, x):
        return xp.tanh(x)

    def forward(self, x):
        y = self.compute(self.xp, x)
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved_tensors
        return TanhBackward.apply(y, gy)


class TanhBackward(Function):
    """``gy * (1 - y^2)``, tanh's gradient from its output, as one operation."""

    @staticmethod
    def compute(xp, y, gy):
        return gy * (1 - y * y)

    def forward(self, y, gy):
        self.save_for_backward(y, gy)
        return self.compute(self.xp, y, gy)

    def backward(self, gg):
        y, gy = self.saved_tensors
        g_y = gg * gy * (-2 * y) if self.needs_input_grad[0] else None
        g_gy = TanhBackward.apply(y, gg) if self.needs_input_grad[1] else None
        return g_y, g_gy


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent; equivalent of ``torch.tanh``.

    >>> import shenjing as sj
    >>> sj.tanh(sj.tensor([0.0, 100.0]))
    tensor([0., 1.])
    """
    return Tanh.apply(float_input("tanh", input))


def _nonzero(y):
    return y != 0


def _positive(x):
    return x > 0


class ReLU(Function):
    @staticmethod
    def compute(xp, x):
        return xp.maximum(x, 0)

    def forward(self, x):
        y = self.compute(self.xp, x)
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved_tensors
        # Selected, not multiplied by a mask: an infinite gy gives 0 where y <= 0 (x = 0
        # included), not NaN; a NaN input passes gy, as in PyTorch. y is 0 or above (or NaN),
        # so y != 0 is exactly "not y <= 0", in one comparison.
        return where(computed(_nonzero, y), gy, 0.0)


def relu(input: Tensor) -> Tensor:
    """``max(x, 0)``; equivalent of ``torch.relu``.

    >>> import shenjing as sj
    >>> sj.relu(sj.tensor([-1.0, 2.0]))
    tensor([0., 2.])
    """
    return ReLU.apply(require_tensor("relu", input))


class LeakyReLU(Function):
    def forward(self, x, negative_slope):
        self.negative_slope = negative_slope
        self.save_for_backward(x)
        return self.xp.where(x > 0, x, x * negative_slope)

    def backward(self, gy):
        (x,) = self.saved_tensors
        return where(x > 0, gy, gy * self.negative_slope)


def leaky_relu(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """``x`` for x > 0, else ``negative_slope * x``; ``torch.nn.functional.leaky_relu``.

    >>> import shenjing as sj
    >>> sj.nn.functional.leaky_relu(sj.tensor([-2.0, 3.0]), 0.1)
    tensor([-0.2000,  3.0000])
    """
    return LeakyReLU.apply(require_tensor("leaky_relu", input), negative_slope=negative_slope)


class PReLU(Function):
    """``x`` for x > 0, else ``weight * x``; the weight broadcasts over x.

    One operation rather than a ``where`` of two branches: the branch not taken must pass no
    gradient at all, where ``0 * inf`` from the product would give NaN (x = inf, say).
    """

    broadcasts = True

    def forward(self, x, weight):
        self.save_for_backward(x, weight)
        return self.xp.where(x > 0, x, x * weight)

    def backward(self, gy):
        x, weight = self.saved_tensors
        positive = computed(_positive, x)
        gx = gw = None
        if self.needs_input_grad[0]:
            gx = where(positive, gy, gy * weight)
        if self.needs_input_grad[1]:
            # both factors selected, so that no 0 * inf (x = inf, say) is ever formed
            gw = where(positive, 0.0, gy) * where(positive, 0.0, x)
        return gx, gw


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """``x`` for x > 0, else ``weight * x`` with a learned slope per channel (dim 1); ``F.prelu``.

    >>> import shenjing as sj
    >>> sj.nn.functional.prelu(sj.tensor([[-2.0, 3.0]]), sj.tensor([0.25]))
    tensor([[-0.5000,  3.0000]])
    """
    require_tensor("prelu", input)
    require_tensor("prelu", weight)
    require_dtype_of("prelu", "input", input, weight)
    if weight.numel() != 1:
        channels = input.shape[1] if input.ndim >= 2 else 1  # dim 1 holds the channels
        if weight.numel() != channels:
            raise ShapeError(f"prelu: {weight.numel()} slopes for {channels} channels "
                             f"(input of shape {input.shape})")
        weight = weight.reshape((1, -1) + (1,) * (input.ndim - 2))
    return PReLU.apply(input, weight)


class ELU(Function):
    """``scale * (x if x > 0 else alpha * (exp(input_scale * x) - 1))``: ELU, SELU with its
    constants, and CELU (input_scale = 1 / alpha)."""

    def forward(self, x, alpha, scale, input_scale=1.0):
        self.alpha, self.scale, self.input_scale = alpha, scale, input_scale
        xp = self.xp
        # expm1 of the clipped input: exact near 0 and no overflow warning for large x
        negative = xp.minimum(x, 0) if input_scale == 1.0 else xp.minimum(x, 0) * input_scale
        y = scale * xp.where(x > 0, x, alpha * xp.expm1(negative))
        y = y.astype(x.dtype, copy=False)
        self.save_for_backward(x, y)
        return y

    def backward(self, gy):
        x, y = self.saved_tensors
        # for x <= 0: d/dx scale * alpha * (e^(s x) - 1) = s (y + scale * alpha), s the input
        # scale (1 / alpha for CELU); a NaN input takes the linear side, as in PyTorch
        slope = y + self.scale * self.alpha
        if self.input_scale != 1.0:
            slope = slope * self.input_scale
        return where(x <= 0, gy * slope, gy * self.scale)


def elu(input: Tensor, alpha: float = 1.0) -> Tensor:
    """``x`` for x > 0, else ``alpha * (exp(x) - 1)``; ``torch.nn.functional.elu``.

    >>> import shenjing as sj
    >>> sj.nn.functional.elu(sj.tensor([-1.0, 2.0]))
    tensor([-0.6321,  2.0000])
    """
    return ELU.apply(float_input("elu", input), alpha=alpha, scale=1.0)


# Klambauer et al. (2017), "Self-Normalizing Neural Networks": the constants PyTorch uses.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def selu(input: Tensor) -> Tensor:
    """Scaled ELU that keeps activations near zero mean and unit variance; ``F.selu``.

    >>> import shenjing as sj
    >>> sj.nn.functional.selu(sj.tensor([-1.0, 1.0]))
    tensor([-1.1113,  1.0507])
    """
    return ELU.apply(float_input("selu", input), alpha=SELU_ALPHA, scale=SELU_SCALE)


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


class GELU(Function):
    def forward(self, x, approximate):
        self.approximate = approximate
        self.save_for_backward(x)
        xp = self.xp
        if approximate == "tanh":
            inner = _SQRT_2_OVER_PI * (x + 0.044715 * x**3)
            return (0.5 * x * (1 + xp.tanh(inner))).astype(x.dtype, copy=False)
        return (0.5 * x * (1 + erf_array(x * _INV_SQRT_2))).astype(x.dtype, copy=False)

    def backward(self, gy):
        (x,) = self.saved_tensors
        if self.approximate == "tanh":
            inner = _SQRT_2_OVER_PI * (x + 0.044715 * x**3)
            t = tanh(inner)
            d_inner = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
            return gy * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * d_inner)
        # d/dx x Phi(x) = Phi(x) + x phi(x)
        cdf = 0.5 * (1 + erf(x * _INV_SQRT_2))
        pdf = _INV_SQRT_2PI * exp(-0.5 * x * x)
        return gy * (cdf + x * pdf)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """``x * Phi(x)`` with Phi the normal CDF, or its tanh approximation; ``F.gelu``.

    >>> import shenjing as sj
    >>> sj.nn.functional.gelu(sj.tensor([-1.0, 1.0]))
    tensor([-0.1587,  0.8413])
    """
    input = float_input("gelu", input)
    if approximate not in ("none", "tanh"):
        raise ArgumentError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return GELU.apply(input, approximate=approximate)


def silu(input: Tensor) -> Tensor:
    """``x * sigmoid(x)``, also called swish; equivalent of ``torch.nn.functional.silu``.

    >>> import shenjing as sj
    >>> sj.nn.functional.silu(sj.tensor([0.0, 1.0]))
    tensor([0.0000, 0.7311])
    """
    return swish(input, 1.0)


def swish(input: Tensor, beta: float = 1.0) -> Tensor:
    """``x * sigmoid(beta * x)`` (Ramachandran et al. 2017); beta = 1 is SiLU.

    >>> import shenjing as sj
    >>> sj.nn.functional.swish(sj.tensor([1.0]), beta=2.0)
    tensor([0.8808])
    """
    input = float_input("swish", input)
    return input * sigmoid(input * beta if beta != 1.0 else input)


class Softplus(Function):
    def forward(self, x, beta, threshold):
        self.beta, self.threshold = beta, threshold
        xp = self.xp
        z = beta * x
        # log(1 + e^z) = max(z, 0) + log1p(e^-|z|): no overflow; linear above the threshold
        soft = (xp.maximum(z, 0) + xp.log1p(xp.exp(-xp.abs(z)))) / beta
        self.save_for_backward(x)
        return xp.where(z > threshold, x, soft).astype(x.dtype, copy=False)

    def backward(self, gy):
        (x,) = self.saved_tensors
        z = x * self.beta
        return where(z > self.threshold, gy, gy * sigmoid(z))


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta * x)) / beta``, linear where beta * x > threshold; ``F.softplus``.

    >>> import shenjing as sj
    >>> sj.nn.functional.softplus(sj.tensor([0.0, 1000.0]))
    tensor([6.9315e-01, 1.0000e+03])
    """
    input = float_input("softplus", input)
    return Softplus.apply(input, beta=beta, threshold=threshold)


def _max_keepdim(x, dim: int):
    """``x.max(axis=dim, keepdims=True)``: the shift that keeps softmax's exp from overflowing.

    NumPy spends about 60 ns on each short row it reduces (128 rows of 10 classes: 8 us), while
    a maximum down the columns of the transposed copy runs at memory speed (1.8 us). So a 2-D
    array with at most 32 classes and at least 16 rows takes that way; a max is exact in any
    order, so both ways give the same numbers.
    """
    if x.ndim == 2 and dim in (1, -1) and x.shape[1] <= 32 and x.shape[0] >= 16:
        return x.T.copy().max(axis=0)[:, None]
    return x.max(axis=dim, keepdims=True)


class Softmax(Function):
    def forward(self, x, dim):
        self.dim = dim
        xp = self.xp
        if x.size == 0:
            self.save_for_backward(x)
            return x.copy()
        e = xp.exp(x - _max_keepdim(x, dim))  # the max is subtracted: no overflow
        y = e / e.sum(axis=dim, keepdims=True)
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved_tensors
        # Jacobian-vector product of softmax: y * (gy - sum(gy * y))
        return y * (gy - (gy * y).sum(dim=self.dim, keepdim=True))


def _softmax_dim(op: str, input: Tensor, dim) -> int:
    if dim is None:
        raise TypeError(f"{op}: dim must be given (which dim sums to one?)")
    return normalize_dim(op, dim, input.ndim)


@dim_or_axis
def softmax(input: Tensor, dim: int) -> Tensor:
    """``exp(x) / sum(exp(x), dim)``, stable for any logits; equivalent of ``torch.softmax``.

    >>> import shenjing as sj
    >>> sj.softmax(sj.tensor([1e4, 1e4]), dim=0)
    tensor([0.5000, 0.5000])
    """
    input = float_input("softmax", input)
    return Softmax.apply(input, dim=_softmax_dim("softmax", input, dim))


class LogSoftmax(Function):
    def forward(self, x, dim):
        self.dim = dim
        xp = self.xp
        if x.size == 0:
            self.save_for_backward(x)
            return x.copy()
        shifted = x - _max_keepdim(x, dim)
        y = shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        (y,) = self.saved_tensors
        # d log_softmax: gy - softmax * sum(gy), with softmax = exp(y)
        return gy - exp(y) * gy.sum(dim=self.dim, keepdim=True)


@dim_or_axis
def log_softmax(input: Tensor, dim: int) -> Tensor:
    """``x - logsumexp(x, dim)``, stable for any logits; equivalent of ``torch.log_softmax``.

    >>> import shenjing as sj
    >>> sj.log_softmax(sj.tensor([0.0, 1000.0]), dim=0)
    tensor([-1000.,     0.])
    """
    input = float_input("log_softmax", input)
    return LogSoftmax.apply(input, dim=_softmax_dim("log_softmax", input, dim))


# -- the rest of torch.nn.functional's activations -------------------------------------------------
def _strictly_inside(x, *, low, high):
    # NaN is not outside either bound, so its gradient passes, as in PyTorch
    return ~((x <= low) | (x >= high))


class Hardtanh(Function):
    """``clamp(x, min_val, max_val)`` whose gradient passes strictly inside the bounds only.

    Not ``clamp``: PyTorch's hardtanh gives no gradient at a bound, and passes it for NaN.
    """

    def forward(self, x, min_val, max_val):
        self.bounds = (min_val, max_val)
        self.save_for_backward(x)
        return self.xp.clip(x, min_val, max_val).astype(x.dtype, copy=False)

    def backward(self, gy):
        (x,) = self.saved_tensors
        low, high = self.bounds
        return where(computed(_strictly_inside, x, low=low, high=high), gy, 0.0)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """``clamp(x, min_val, max_val)``; ``F.hardtanh``. ``inplace`` is accepted, computed out of
    place.

    >>> import shenjing as sj
    >>> sj.nn.functional.hardtanh(sj.tensor([-2.0, 0.5, 3.0]))
    tensor([-1.0000,  0.5000,  1.0000])
    """
    require_tensor("hardtanh", input)
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val cannot be greater than max_val, got min_val="
                         f"{min_val} and max_val={max_val}")
    return Hardtanh.apply(input, min_val=min_val, max_val=max_val)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """``min(max(x, 0), 6)``; ``F.relu6``.

    >>> import shenjing as sj
    >>> sj.nn.functional.relu6(sj.tensor([-1.0, 3.0, 8.0]))
    tensor([0., 3., 6.])
    """
    require_tensor("relu6", input)
    return Hardtanh.apply(input, min_val=0.0, max_val=6.0)


def _hardsigmoid_inside(x):
    return (x > -3) & (x < 3)  # strictly, and NaN is not inside: PyTorch's gradient there is 0


class Hardsigmoid(Function):
    """``relu6(x + 3) / 6``, a piecewise-linear sigmoid (MobileNetV3)."""

    def forward(self, x):
        self.save_for_backward(x)
        return (self.xp.clip(x + 3, 0, 6) / 6).astype(x.dtype, copy=False)

    def backward(self, gy):
        (x,) = self.saved_tensors
        # selected, so an infinite gy outside gives 0, not NaN
        return where(computed(_hardsigmoid_inside, x), gy * (1.0 / 6.0), 0.0)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """``relu6(x + 3) / 6``; ``F.hardsigmoid``.

    >>> import shenjing as sj
    >>> sj.nn.functional.hardsigmoid(sj.tensor([-4.0, 0.0, 1.5]))
    tensor([0.0000, 0.5000, 0.7500])
    """
    return Hardsigmoid.apply(float_input("hardsigmoid", input))


def _hardswish_masks(x):
    xp = array_module(x)
    # PyTorch's regions: x <= -3 gives 0, -3 < x < 3 the slope x/3 + 1/2, the rest (NaN too) 1
    return xp.stack([x <= -3, (x > -3) & (x < 3)])


class Hardswish(Function):
    """``x * relu6(x + 3) / 6`` (MobileNetV3)."""

    def forward(self, x):
        self.save_for_backward(x)
        xp = self.xp
        return (x * xp.clip(x + 3, 0, 6) / 6).astype(x.dtype, copy=False)

    def backward(self, gy):
        (x,) = self.saved_tensors
        masks = computed(_hardswish_masks, x)
        middle = where(masks[1], gy * (x * (1.0 / 3.0) + 0.5), gy)
        return where(masks[0], 0.0, middle)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * relu6(x + 3) / 6``; ``F.hardswish``.

    >>> import shenjing as sj
    >>> sj.nn.functional.hardswish(sj.tensor([-4.0, 1.0, 4.0]))
    tensor([-0.0000,  0.6667,  4.0000])
    """
    return Hardswish.apply(float_input("hardswish", input))


def softsign(input: Tensor) -> Tensor:
    """``x / (1 + |x|)``; ``F.softsign``.

    >>> import shenjing as sj
    >>> sj.nn.functional.softsign(sj.tensor([-3.0, 1.0]))
    tensor([-0.7500,  0.5000])
    """
    input = float_input("softsign", input)
    return input / (abs(input) + 1)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * tanh(softplus(x))`` (Misra 2019); ``F.mish``.

    >>> import shenjing as sj
    >>> sj.nn.functional.mish(sj.tensor([-1.0, 1.0]))
    tensor([-0.3034,  0.8651])
    """
    input = float_input("mish", input)
    return input * tanh(softplus(input))


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``, ELU continuously differentiable in
    alpha (Barron 2017); ``torch.celu``.

    >>> import shenjing as sj
    >>> sj.celu(sj.tensor([-1.0, 2.0]), alpha=2.0)
    tensor([-0.7869,  2.0000])
    """
    input = float_input("celu", input)
    if alpha == 0:
        raise RuntimeError("celu: alpha cannot be 0 for CELU")
    return ELU.apply(input, alpha=alpha, scale=1.0, input_scale=1.0 / alpha)


def logsigmoid(input: Tensor) -> Tensor:
    """``log(sigmoid(x)) = -softplus(-x)``, finite for any finite x; ``F.logsigmoid``.

    >>> import shenjing as sj
    >>> sj.nn.functional.logsigmoid(sj.tensor([-1000.0, 0.0]))
    tensor([-1.0000e+03, -6.9315e-01])
    """
    input = float_input("logsigmoid", input)
    # no threshold: softplus is exact for every z, and its gradient is sigmoid(-x)
    return -softplus(-input, threshold=math.inf)


@dim_or_axis
def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``softmax(-x, dim)``; ``F.softmin``. ``dtype`` casts the input first, as in PyTorch.

    >>> import shenjing as sj
    >>> sj.nn.functional.softmin(sj.tensor([0.0, 1.0]), dim=0)
    tensor([0.7311, 0.2689])
    """
    input = float_input("softmin", input)
    if dtype is not None:
        input = input.to(dtype)
    return Softmax.apply(-input, dim=_softmax_dim("softmin", input, dim))


@dim_or_axis
def glu(input: Tensor, dim: int = -1) -> Tensor:
    """Gated linear unit ``a * sigmoid(b)``, a and b the halves of ``dim``; ``F.glu``.

    (..., 2n, ...) -> (..., n, ...).

    >>> import shenjing as sj
    >>> sj.nn.functional.glu(sj.tensor([[1.0, 2.0, 0.0, 100.0]]))
    tensor([[0.5000, 2.0000]])
    """
    input = float_input("glu", input)
    if input.ndim == 0:
        raise RuntimeError("glu: does not support scalars because halving size must be even")
    dim = normalize_dim("glu", dim, input.ndim)
    if input.shape[dim] % 2:
        raise RuntimeError(f"glu: Halving dimension must be even, but dimension {dim} is size "
                           f"{input.shape[dim]} (input of shape {input.shape})")
    a, b = chunk(input, 2, dim) if input.shape[dim] else (input, input)
    return a * sigmoid(b)


def _not_at_most(x, *, threshold):
    return ~(x <= threshold)  # NaN passes


class Threshold(Function):
    """``value`` where ``x <= threshold``, else x (NaN stays NaN, its gradient passes)."""

    def forward(self, x, threshold, value):
        self.threshold = threshold
        self.save_for_backward(x)
        return self.xp.where(x <= threshold, value, x).astype(x.dtype, copy=False)

    def backward(self, gy):
        (x,) = self.saved_tensors
        return where(computed(_not_at_most, x, threshold=self.threshold), gy, 0.0)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """``x`` where ``x > threshold``, else ``value``; ``torch.threshold``.

    >>> import shenjing as sj
    >>> sj.threshold(sj.tensor([-1.0, 0.5, 2.0]), 1.0, -5.0)
    tensor([-5., -5.,  2.])
    """
    require_tensor("threshold", input)
    return Threshold.apply(input, threshold=threshold, value=value)


def tanhshrink(input: Tensor) -> Tensor:
    """``x - tanh(x)``; ``F.tanhshrink``.

    >>> import shenjing as sj
    >>> sj.nn.functional.tanhshrink(sj.tensor([0.0, 1.0]))
    tensor([0.0000, 0.2384])
    """
    input = float_input("tanhshrink", input)
    return input - tanh(input)


def _outside(x, *, lambd):
    return ~((x >= -lambd) & (x <= lambd))  # NaN is outside, as in PyTorch


class Shrink(Function):
    """Soft (``x - sign(x) lambd``) or hard (``x``) shrinkage outside [-lambd, lambd], 0 inside."""

    def forward(self, x, lambd, soft):
        self.lambd = lambd
        self.save_for_backward(x)
        xp = self.xp
        inside = (x >= -lambd) & (x <= lambd)
        y = x - xp.sign(x) * lambd if soft else x
        return xp.where(inside, 0, y).astype(x.dtype, copy=False)

    def backward(self, gy):
        (x,) = self.saved_tensors
        return where(computed(_outside, x, lambd=self.lambd), gy, 0.0)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x - lambd`` above lambd, ``x + lambd`` below -lambd, else 0; ``F.softshrink``.

    >>> import shenjing as sj
    >>> sj.nn.functional.softshrink(sj.tensor([-2.0, 0.2, 1.0]))
    tensor([-1.5000,  0.0000,  0.5000])
    """
    input = float_input("softshrink", input)
    if not lambd >= 0:
        raise RuntimeError(f"softshrink: lambda must be greater or equal to 0, but found to be "
                           f"{lambd}")
    return Shrink.apply(input, lambd=lambd, soft=True)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x`` where ``|x| > lambd``, else 0; ``torch.hardshrink`` and ``Tensor.hardshrink``.

    >>> import shenjing as sj
    >>> sj.hardshrink(sj.tensor([-2.0, 0.2, 1.0]))
    tensor([-2.,  0.,  1.])
    """
    input = float_input("hardshrink", input)
    return Shrink.apply(input, lambd=lambd, soft=False)


# Functions with the tensor first that PyTorch also has as Tensor methods (see _tensor.py).
METHODS = ("hardshrink",)
