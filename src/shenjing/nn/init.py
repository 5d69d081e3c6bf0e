"""Weight initialisation, as ``torch.nn.init``: each function fills a tensor in place.

Defaults equal PyTorch's, so a shenjing model and a PyTorch model start from the same
distributions (and, given the same numbers, the same weights).
"""

from __future__ import annotations

import math

from shenjing.autograd.grad_mode import no_grad
from shenjing.autograd.tensor import Tensor

_LINEAR_GAINS = {"linear", "identity", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                 "conv_transpose2d", "conv_transpose3d", "sigmoid"}


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The gain that keeps activations' variance steady through ``nonlinearity``.

    Equivalent of ``torch.nn.init.calculate_gain``.

    >>> import shenjing as sj
    >>> sj.nn.init.calculate_gain("relu")
    1.4142135623730951
    """
    if nonlinearity in _LINEAR_GAINS:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"calculate_gain: negative_slope {slope!r} is not a number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """fan_in, fan_out of a weight (out, in, *kernel): in * receptive field, out * field."""
    if tensor.ndim < 2:
        raise ValueError(f"fan in and fan out need a tensor of at least 2 dims, got shape "
                         f"{tensor.shape}")
    receptive_field = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field


def _fan(tensor: Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _empty(tensor: Tensor) -> bool:
    """A tensor without elements has nothing to fill (and no fan to divide by), as in PyTorch."""
    return tensor.numel() == 0


@no_grad()
def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Fill with U(a, b); equivalent of ``torch.nn.init.uniform_``.

    >>> import shenjing as sj
    >>> w = sj.nn.init.uniform_(sj.empty(100), -1, 1)
    >>> bool((w >= -1).all() and (w < 1).all())
    True
    """
    return tensor.uniform_(a, b)


@no_grad()
def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fill with N(mean, std^2); equivalent of ``torch.nn.init.normal_``.

    >>> import shenjing as sj
    >>> sj.nn.init.normal_(sj.empty(2, 3)).shape
    (2, 3)
    """
    return tensor.normal_(mean, std)


@no_grad()
def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val``; equivalent of ``torch.nn.init.constant_``.

    >>> import shenjing as sj
    >>> sj.nn.init.constant_(sj.empty(2), 0.5)
    tensor([0.5000, 0.5000])
    """
    return tensor.fill_(val)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with zeros; equivalent of ``torch.nn.init.zeros_``.

    >>> import shenjing as sj
    >>> sj.nn.init.zeros_(sj.empty(2))
    tensor([0., 0.])
    """
    return constant_(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with ones; equivalent of ``torch.nn.init.ones_``.

    >>> import shenjing as sj
    >>> sj.nn.init.ones_(sj.empty(2))
    tensor([1., 1.])
    """
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot & Bengio (2010): U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)).

    Equivalent of ``torch.nn.init.xavier_uniform_``.

    >>> import shenjing as sj
    >>> w = sj.nn.init.xavier_uniform_(sj.empty(30, 20))
    >>> bool(w.abs().max() <= (6 / 50) ** 0.5)
    True
    """
    if _empty(tensor):
        return tensor
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot & Bengio (2010): N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out)).

    Equivalent of ``torch.nn.init.xavier_normal_``.

    >>> import shenjing as sj
    >>> sj.nn.init.xavier_normal_(sj.empty(30, 20)).shape
    (30, 20)
    """
    if _empty(tensor):
        return tensor
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu") -> Tensor:
    """He et al. (2015): U(-b, b), b = gain * sqrt(3 / fan), gain from ``nonlinearity`` and a.

    Equivalent of ``torch.nn.init.kaiming_uniform_``.

    >>> import shenjing as sj
    >>> w = sj.nn.init.kaiming_uniform_(sj.empty(10, 50), nonlinearity="relu")
    >>> bool(w.abs().max() <= (6 / 50) ** 0.5)
    True
    """
    if _empty(tensor):
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu") -> Tensor:
    """He et al. (2015): N(0, std^2), std = gain / sqrt(fan); ``kaiming_normal_``.

    >>> import shenjing as sj
    >>> sj.nn.init.kaiming_normal_(sj.empty(10, 50), mode="fan_out").shape
    (10, 50)
    """
    if _empty(tensor):
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return normal_(tensor, 0.0, std)


def layer_defaults_(weight: Tensor, bias: Tensor | None) -> None:
    """PyTorch's default initialisation of Linear and Conv layers, in place.

    ``kaiming_uniform_`` with a = sqrt(5), which is U(-1/sqrt(fan_in), 1/sqrt(fan_in)), for the
    weight, and the same bound for the bias, so a shenjing layer starts like a PyTorch one.
    """
    kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in = _calculate_fan_in_and_fan_out(weight)[0] if weight.numel() else 0
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        uniform_(bias, -bound, bound)
