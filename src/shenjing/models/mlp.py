"""Multilayer perceptrons, and the fully connected networks of the notes."""

from __future__ import annotations

from collections.abc import Sequence

from shenjing.nn.modules.activation import ELU, GELU, LeakyReLU, ReLU, Sigmoid, SiLU, Tanh
from shenjing.nn.modules.container import Sequential
from shenjing.nn.modules.dropout import Dropout
from shenjing.nn.modules.linear import Flatten, Linear

ACTIVATIONS = {"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh, "leaky_relu": LeakyReLU,
               "elu": ELU, "gelu": GELU, "silu": SiLU}


class MLP(Sequential):
    """Flatten, then Linear-activation layers of the given widths, then a Linear output layer.

    >>> import shenjing as sj
    >>> sj.models.MLP(784, [100], 10)
    MLP(
      (0): Flatten(start_dim=1, end_dim=-1)
      (1): Linear(in_features=784, out_features=100, bias=True)
      (2): ReLU()
      (3): Linear(in_features=100, out_features=10, bias=True)
    )
    """

    def __init__(self, in_features: int, hidden: Sequence[int], out_features: int,
                 activation: str = "relu", dropout: float = 0.0) -> None:
        if activation not in ACTIVATIONS:
            raise ValueError(f"MLP: unknown activation {activation!r}; choose from "
                             f"{sorted(ACTIVATIONS)}")
        layers = [Flatten()]
        width = in_features
        for size in hidden:
            layers += [Linear(width, size), ACTIVATIONS[activation]()]
            if dropout:
                layers.append(Dropout(dropout))
            width = size
        layers.append(Linear(width, out_features))
        super().__init__(*layers)
        self.config = {"in_features": in_features, "hidden": list(hidden),
                       "out_features": out_features, "activation": activation,
                       "dropout": dropout}


def mnist_mlp(hidden: int = 100) -> MLP:
    """The 784-100-10 ReLU network: about 98 % on MNIST after a few epochs."""
    return MLP(784, [hidden], 10, "relu")


def network_3b1b() -> MLP:
    """The 784-16-16-10 sigmoid network of 3Blue1Brown's videos: 13,002 parameters."""
    return MLP(784, [16, 16], 10, "sigmoid")


def quadrants_net() -> MLP:
    """The 2-6-4 network that learns which quadrant of the plane a point lies in."""
    return MLP(2, [6], 4, "tanh")
