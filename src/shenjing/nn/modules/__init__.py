"""Layers as modules: one file per kind, the base class in ``module``."""

from shenjing.nn.modules.activation import (
    ELU,
    GELU,
    SELU,
    LeakyReLU,
    LogSoftmax,
    PReLU,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from shenjing.nn.modules.container import ModuleDict, ModuleList, Sequential
from shenjing.nn.modules.conv import Conv2d
from shenjing.nn.modules.dropout import Dropout
from shenjing.nn.modules.dropout2d import Dropout2d
from shenjing.nn.modules.embedding import Embedding
from shenjing.nn.modules.linear import Flatten, Identity, Linear
from shenjing.nn.modules.loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    L1Loss,
    MSELoss,
    MultiMarginLoss,
    NLLLoss,
    SmoothL1Loss,
)
from shenjing.nn.modules.module import Module
from shenjing.nn.modules.normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from shenjing.nn.modules.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from shenjing.nn.modules.rnn import (
    GRU,
    LSTM,
    RNN,
    GRUCell,
    LSTMCell,
    RNNBase,
    RNNCell,
    RNNCellBase,
)
