"""Neural network building blocks, as ``torch.nn``: modules, parameters, ``functional``."""

from shenjing.nn import functional
from shenjing.nn.modules import Module
from shenjing.nn.parameter import Parameter

__all__ = ["Module", "Parameter", "functional"]
