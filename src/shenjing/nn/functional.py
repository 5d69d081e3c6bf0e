"""Functions of neural networks without state, as ``torch.nn.functional``: ``import ... as F``."""

from shenjing.ops.activation import (
    elu,
    gelu,
    leaky_relu,
    log_softmax,
    relu,
    selu,
    sigmoid,
    silu,
    softmax,
    softplus,
    swish,
    tanh,
)
from shenjing.ops.shape import pad

__all__ = [
    "elu",
    "gelu",
    "leaky_relu",
    "log_softmax",
    "pad",
    "relu",
    "selu",
    "sigmoid",
    "silu",
    "softmax",
    "softplus",
    "swish",
    "tanh",
]
