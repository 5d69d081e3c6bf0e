"""Training: ``fit``, ``evaluate`` and ``predict``, callbacks, metrics and the history;
``fit_sequence`` and ``evaluate_sequence`` for stateful sequence models (truncated BPTT)."""

from shenjing.train.callbacks import Callback, EarlyStopping, ModelCheckpoint
from shenjing.train.health import GradientHealth
from shenjing.train.history import History
from shenjing.train.interrupt import TrainingInterrupted
from shenjing.train.loop import NonFiniteLossError, TrainingState, evaluate, fit, predict
from shenjing.train.metrics import accuracy
from shenjing.train.sequence import (
    detach_state,
    evaluate_sequence,
    fit_sequence,
    sequence_cross_entropy,
)

__all__ = [
    "Callback",
    "EarlyStopping",
    "GradientHealth",
    "History",
    "ModelCheckpoint",
    "NonFiniteLossError",
    "TrainingInterrupted",
    "TrainingState",
    "accuracy",
    "detach_state",
    "evaluate",
    "evaluate_sequence",
    "fit",
    "fit_sequence",
    "predict",
    "sequence_cross_entropy",
]
