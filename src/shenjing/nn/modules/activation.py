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


# -- the modules of the activations added with the ones above --------------------------------------
def _inplace_repr(inplace: bool) -> str:
    return "inplace=True" if inplace else ""


class Hardtanh(Module):
    """``clamp(x, min_val, max_val)``; ``torch.nn.Hardtanh``. ``inplace`` computes out of place.

    >>> import shenjing as sj
    >>> sj.nn.Hardtanh(-2.0, 2.0)
    Hardtanh(min_val=-2.0, max_val=2.0)
    """

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace
        if max_val <= min_val:
            raise ValueError(f"Hardtanh: max_val must be above min_val, got min_val={min_val} "
                             f"and max_val={max_val}")

    def forward(self, input: Tensor) -> Tensor:
        return F.hardtanh(input, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        inplace = ", inplace=True" if self.inplace else ""
        return f"min_val={self.min_val}, max_val={self.max_val}{inplace}"


class ReLU6(Hardtanh):
    """``min(max(x, 0), 6)``; ``torch.nn.ReLU6``.

    >>> import shenjing as sj
    >>> sj.nn.ReLU6()(sj.tensor([-1.0, 7.0]))
    tensor([0., 6.])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)


class Hardsigmoid(Module):
    """``relu6(x + 3) / 6``; ``torch.nn.Hardsigmoid``.

    >>> import shenjing as sj
    >>> sj.nn.Hardsigmoid()(sj.tensor([0.0]))
    tensor([0.5000])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.hardsigmoid(input)


class Hardswish(Module):
    """``x * relu6(x + 3) / 6``; ``torch.nn.Hardswish``.

    >>> import shenjing as sj
    >>> sj.nn.Hardswish()(sj.tensor([4.0]))
    tensor([4.])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.hardswish(input)


class Softsign(Module):
    """``x / (1 + |x|)``; ``torch.nn.Softsign``.

    >>> import shenjing as sj
    >>> sj.nn.Softsign()(sj.tensor([1.0]))
    tensor([0.5000])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.softsign(input)


class Mish(Module):
    """``x * tanh(softplus(x))``; ``torch.nn.Mish``.

    >>> import shenjing as sj
    >>> sj.nn.Mish()(sj.tensor([0.0]))
    tensor([0.])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.mish(input)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)


class CELU(Module):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``; ``torch.nn.CELU``.

    >>> import shenjing as sj
    >>> sj.nn.CELU(2.0)
    CELU(alpha=2.0)
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.celu(input, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class LogSigmoid(Module):
    """``log(sigmoid(x))``; ``torch.nn.LogSigmoid``.

    >>> import shenjing as sj
    >>> sj.nn.LogSigmoid()(sj.tensor([0.0]))
    tensor([-0.6931])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.logsigmoid(input)


class Softmin(Module):
    """Softmin over ``dim``, ``softmax(-x)``; ``torch.nn.Softmin``.

    >>> import shenjing as sj
    >>> sj.nn.Softmin(dim=1)
    Softmin(dim=1)
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.softmin(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class GLU(Module):
    """Gated linear unit over ``dim``, halving it; ``torch.nn.GLU``.

    >>> import shenjing as sj
    >>> sj.nn.GLU()
    GLU(dim=-1)
    """

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.glu(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Threshold(Module):
    """``x`` where ``x > threshold``, else ``value``; ``torch.nn.Threshold``.

    >>> import shenjing as sj
    >>> sj.nn.Threshold(0.1, 20.0)
    Threshold(threshold=0.1, value=20.0)
    """

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.threshold(input, self.threshold, self.value)

    def extra_repr(self) -> str:
        inplace = ", inplace=True" if self.inplace else ""
        return f"threshold={self.threshold}, value={self.value}{inplace}"


class Tanhshrink(Module):
    """``x - tanh(x)``; ``torch.nn.Tanhshrink``.

    >>> import shenjing as sj
    >>> sj.nn.Tanhshrink()(sj.tensor([0.0]))
    tensor([0.])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.tanhshrink(input)


class Softshrink(Module):
    """Soft shrinkage by ``lambd``; ``torch.nn.Softshrink``.

    >>> import shenjing as sj
    >>> sj.nn.Softshrink()
    Softshrink(0.5)
    """

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = lambd

    def forward(self, input: Tensor) -> Tensor:
        return F.softshrink(input, self.lambd)

    def extra_repr(self) -> str:
        return str(self.lambd)


class Hardshrink(Module):
    """Hard shrinkage by ``lambd``; ``torch.nn.Hardshrink``.

    >>> import shenjing as sj
    >>> sj.nn.Hardshrink(1.0)(sj.tensor([-2.0, 0.5]))
    tensor([-2.,  0.])
    """

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = lambd

    def forward(self, input: Tensor) -> Tensor:
        return F.hardshrink(input, self.lambd)

    def extra_repr(self) -> str:
        return str(self.lambd)
