"""Fully connected layers and shape helpers: Linear, Bilinear, Identity, Flatten."""

from __future__ import annotations

import math

from shenjing.autograd.tensor import Tensor
from shenjing.creation import empty
from shenjing.nn import init
from shenjing.nn.modules.module import Module
from shenjing.nn.parameter import Parameter
from shenjing.ops.bilinear import bilinear
from shenjing.ops.linalg import linear
from shenjing.ops.shape import flatten


class Linear(Module):
    """``y = x @ weight.T + bias``: (..., in_features) -> (..., out_features).

    Weights start as PyTorch's do: U(-1/sqrt(in), 1/sqrt(in)) for weight and bias.
    Equivalent of ``torch.nn.Linear``.

    >>> import shenjing as sj
    >>> layer = sj.nn.Linear(784, 16)
    >>> layer
    Linear(in_features=784, out_features=16, bias=True)
    >>> layer(sj.ones(2, 784)).shape
    (2, 16)
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *,
                 dtype=None, device=None) -> None:
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(empty(out_features, in_features, dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(empty(out_features, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: U(-1/sqrt(in_features), 1/sqrt(in_features)) for both."""
        init.layer_defaults_(self.weight, self.bias)

    def forward(self, input: Tensor) -> Tensor:
        self._check_dtype(input)
        return linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Bilinear(Module):
    """``y = x1^T W x2 + b`` for each output: (*, in1), (*, in2) -> (*, out_features).

    Weights start as PyTorch's do: U(-1/sqrt(in1_features), 1/sqrt(in1_features)) for weight
    (out, in1, in2) and bias. Equivalent of ``torch.nn.Bilinear``.

    >>> import shenjing as sj
    >>> layer = sj.nn.Bilinear(3, 4, 5)
    >>> layer
    Bilinear(in1_features=3, in2_features=4, out_features=5, bias=True)
    >>> layer(sj.ones(2, 3), sj.ones(2, 4)).shape
    (2, 5)
    """

    def __init__(self, in1_features: int, in2_features: int, out_features: int,
                 bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        self.in1_features, self.in2_features = in1_features, in2_features
        self.out_features = out_features
        self.weight = Parameter(empty(out_features, in1_features, in2_features, dtype=dtype,
                                      device=device))
        if bias:
            self.bias = Parameter(empty(out_features, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: U(-1/sqrt(in1_features), 1/sqrt(in1_features)) for both."""
        bound = 1 / math.sqrt(self.weight.shape[1]) if self.weight.shape[1] else 0.0
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        self._check_dtype(input1, "input1")
        self._check_dtype(input2, "input2")
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


class Identity(Module):
    """Returns its input; a placeholder layer. Equivalent of ``torch.nn.Identity``.

    >>> import shenjing as sj
    >>> sj.nn.Identity()(sj.ones(2)).shape
    (2,)
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


class Flatten(Module):
    """Merge dims ``start_dim..end_dim`` (all but the batch by default); ``torch.nn.Flatten``.

    >>> import shenjing as sj
    >>> sj.nn.Flatten()(sj.ones(2, 1, 28, 28)).shape
    (2, 784)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input: Tensor) -> Tensor:
        return flatten(input, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
