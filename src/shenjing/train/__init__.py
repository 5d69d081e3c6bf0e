"""Training: ``fit``, ``evaluate`` and ``predict``, callbacks, metrics and the history."""

from shenjing.train.callbacks import Callback, EarlyStopping, ModelCheckpoint
from shenjing.train.history import History
from shenjing.train.loop import NonFiniteLossError, TrainingState, evaluate, fit, predict
from shenjing.train.metrics import accuracy

__all__ = [
    "Callback",
    "EarlyStopping",
    "History",
    "ModelCheckpoint",
    "NonFiniteLossError",
    "TrainingState",
    "accuracy",
    "evaluate",
    "fit",
    "predict",
]
