"""Functions of neural networks without state, as ``torch.nn.functional``: ``import ... as F``."""

from shenjing.ops.activation import (
    elu,
    gelu,
    leaky_relu,
    log_softmax,
    prelu,
    relu,
    selu,
    sigmoid,
    silu,
    softmax,
    softplus,
    swish,
    tanh,
)
from shenjing.ops.dropout import dropout
from shenjing.ops.linalg import linear
from shenjing.ops.normalization import batch_norm, layer_norm
from shenjing.ops.shape import pad

__all__ = [
    "batch_norm",
    "dropout",
    "layer_norm",
    "prelu",
    "elu",
    "gelu",
    "leaky_relu",
    "linear",
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
