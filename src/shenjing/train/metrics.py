"""Metrics computed during training and evaluation, by name."""

from __future__ import annotations

from collections.abc import Callable

from shenjing.autograd.tensor import Tensor


def accuracy(output: Tensor, target: Tensor) -> float:
    """The fraction of correct predictions.

    ``output`` holds class scores (N, C) (logits or probabilities: the largest wins), or one
    logit per sample (N,) / (N, 1) for two classes (positive when the logit is above 0);
    ``target`` holds class indices (N,).

    >>> import shenjing as sj
    >>> accuracy(sj.tensor([[2.0, 1.0], [0.0, 3.0]]), sj.tensor([0, 0]))
    0.5
    """
    if output.ndim == 2 and output.shape[1] > 1:
        predicted = output.argmax(dim=1)
    else:
        predicted = (output.reshape(-1) > 0).long()
    target = target.reshape(-1)
    if predicted.shape != target.shape:
        raise ValueError(f"accuracy: {predicted.shape[0]} predictions for {target.shape[0]} "
                         "targets")
    return float((predicted._data == target._data).mean()) if target.numel() else 0.0


METRICS: dict[str, Callable[[Tensor, Tensor], float]] = {"accuracy": accuracy}


def resolve(metrics) -> dict[str, Callable]:
    """Metric names (or callables) as a {name: function} dict."""
    resolved = {}
    for metric in metrics or ():
        if callable(metric):
            resolved[getattr(metric, "__name__", "metric")] = metric
        elif metric in METRICS:
            resolved[metric] = METRICS[metric]
        else:
            raise ValueError(f"unknown metric {metric!r}; known: {sorted(METRICS)}")
    return resolved
