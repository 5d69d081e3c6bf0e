"""Automatic differentiation: the Tensor, the Function base, the backward engine, grad mode.

Small enough to read in an evening, in this order: ``grad_mode``, ``function`` (nodes of the
graph), ``tensor``, ``engine`` (the backward walk), ``gradcheck`` (finite-difference checks).
"""

from shenjing.autograd.anomaly import AnomalyError, detect_anomaly, is_anomaly_enabled
from shenjing.autograd.engine import backward, grad
from shenjing.autograd.function import (
    AccumulateGrad,
    ArgumentError,
    DtypeError,
    Function,
    IndexRangeError,
    Node,
    ShapeError,
)
from shenjing.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from shenjing.autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck
from shenjing.autograd.tensor import Tensor

__all__ = [
    "AccumulateGrad",
    "ArgumentError",
    "DtypeError",
    "AnomalyError",
    "Function",
    "GradcheckError",
    "IndexRangeError",
    "Node",
    "ShapeError",
    "Tensor",
    "backward",
    "detect_anomaly",
    "enable_grad",
    "grad",
    "inference_mode",
    "gradcheck",
    "gradgradcheck",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "no_grad",
    "set_grad_enabled",
]
