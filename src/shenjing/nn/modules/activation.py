"""Activation functions as modules, for Sequential models."""

from __future__ import annotations

from shenjing.autograd.tensor import Tensor
from shenjing.creation import full
from shenjing.nn.modules.module import Module
from shenjing.nn.parameter import Parameter
from shenjing.ops import activation as F


class ReLU(Module):
    """``max(x, 0)``; ``torch.nn.ReLU``. ``inplace`` is accepted and computes out of place.

    >>> import shenjing as sj
    >>> sj.nn.ReLU()(sj.tensor([-1.0, 2.0]))
    tensor([0., 2.])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.relu(input)


class Sigmoid(Module):
    """``1 / (1 + exp(-x))``; ``torch.nn.Sigmoid``.

    >>> import shenjing as sj
    >>> sj.nn.Sigmoid()(sj.tensor([0.0]))
    tensor([0.5000])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.sigmoid(input)


class Tanh(Module):
    """Hyperbolic tangent; ``torch.nn.Tanh``.

    >>> import shenjing as sj
    >>> sj.nn.Tanh()(sj.tensor([0.0]))
    tensor([0.])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.tanh(input)


class LeakyReLU(Module):
    """``x`` for x > 0, else ``negative_slope * x``; ``torch.nn.LeakyReLU``.

    >>> import shenjing as sj
    >>> sj.nn.LeakyReLU(0.1)
    LeakyReLU(negative_slope=0.1)
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class PReLU(Module):
    """Leaky ReLU whose slope is learned (one, or one per channel); ``torch.nn.PReLU``.

    >>> import shenjing as sj
    >>> sj.nn.PReLU()
    PReLU(num_parameters=1)
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, *, dtype=None,
                 device=None) -> None:
        super().__init__()
        self.num_parameters = num_parameters
        self.weight = Parameter(full((num_parameters,), float(init), dtype=dtype, device=device))

    def forward(self, input: Tensor) -> Tensor:
        self._check_dtype(input)
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class ELU(Module):
    """``x`` for x > 0, else ``alpha * (exp(x) - 1)``; ``torch.nn.ELU``.

    >>> import shenjing as sj
    >>> sj.nn.ELU()
    ELU(alpha=1.0)
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.elu(input, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class SELU(Module):
    """Scaled ELU (self-normalising networks); ``torch.nn.SELU``.

    >>> import shenjing as sj
    >>> sj.nn.SELU()(sj.tensor([1.0]))
    tensor([1.0507])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.selu(input)


class GELU(Module):
    """``x * Phi(x)``, exact or with the tanh approximation; ``torch.nn.GELU``.

    >>> import shenjing as sj
    >>> sj.nn.GELU(approximate="tanh")
    GELU(approximate='tanh')
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        return F.gelu(input, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """``x * sigmoid(x)``; ``torch.nn.SiLU``.

    >>> import shenjing as sj
    >>> sj.nn.SiLU()(sj.tensor([0.0]))
    tensor([0.])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.silu(input)


class Softplus(Module):
    """``log(1 + exp(beta * x)) / beta``; ``torch.nn.Softplus``.

    >>> import shenjing as sj
    >>> sj.nn.Softplus()
    Softplus(beta=1.0, threshold=20.0)
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input: Tensor) -> Tensor:
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softmax(Module):
    """Softmax over ``dim``; ``torch.nn.Softmax``.

    >>> import shenjing as sj
    >>> sj.nn.Softmax(dim=1)(sj.zeros(1, 2))
    tensor([[0.5000, 0.5000]])
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """Log-softmax over ``dim``; ``torch.nn.LogSoftmax``.

    >>> import shenjing as sj
    >>> sj.nn.LogSoftmax(dim=1)
    LogSoftmax(dim=1)
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.log_softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
