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
from shenjing.ops.conv import conv2d
from shenjing.ops.dropout import dropout
from shenjing.ops.dropout2d import dropout2d
from shenjing.ops.embedding import embedding
from shenjing.ops.linalg import linear
from shenjing.ops.loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    l1_loss,
    l2_penalty,
    mse_loss,
    multi_margin_loss,
    nll_loss,
    smooth_l1_loss,
)
from shenjing.ops.normalization import batch_norm, layer_norm
from shenjing.ops.pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from shenjing.ops.shape import pad

__all__ = [
    "adaptive_avg_pool2d",
    "avg_pool2d",
    "batch_norm",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "conv2d",
    "cross_entropy",
    "huber_loss",
    "l1_loss",
    "l2_penalty",
    "mse_loss",
    "multi_margin_loss",
    "nll_loss",
    "smooth_l1_loss",
    "dropout",
    "dropout2d",
    "embedding",
    "layer_norm",
    "prelu",
    "elu",
    "gelu",
    "leaky_relu",
    "linear",
    "max_pool2d",
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
