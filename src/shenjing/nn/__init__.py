"""Neural network building blocks, as ``torch.nn``: modules, parameters, init, ``functional``."""

from shenjing.nn import functional, init, utils
from shenjing.nn.modules import (
    ELU,
    GELU,
    SELU,
    BatchNorm1d,
    Dropout,
    Flatten,
    Identity,
    LayerNorm,
    LeakyReLU,
    Linear,
    LogSoftmax,
    Module,
    ModuleDict,
    ModuleList,
    PReLU,
    ReLU,
    Sequential,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from shenjing.nn.parameter import Parameter
