"""Cross-validation: k-fold splits, an estimator scored on each fold, and choosing k for KNN.

``select_k`` finds each fold's neighbours once, for the largest k, and scores every k from the same
sorted neighbours: the expensive part (the distances) is not repeated for each k.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from shenjing.backend import CPU_MODULE, array_module
from shenjing.classic._inputs import as_labels, as_samples
from shenjing.classic.knn import (
    DEFAULT_MAX_MEMORY,
    KNearestNeighbors,
    _check_metric,
    _check_positive_int,
    vote,
)
from shenjing.data.dataset import as_generator


def kfold(n: int, folds: int = 5, shuffle: bool = True, seed: int | None = 0):
    """``(train_indices, validation_indices)`` for each of ``folds`` folds of ``n`` samples.

    Every sample is validated on exactly once; the first ``n % folds`` folds hold one extra
    sample. ``shuffle`` permutes the samples first with the generator of ``seed`` (None: the one
    ``sj.manual_seed`` seeds). Equivalent of scikit-learn's ``KFold(folds, shuffle=...).split``.

    >>> from shenjing.classic import kfold
    >>> [val.tolist() for _, val in kfold(5, folds=2, shuffle=False)]
    [[0, 1, 2], [3, 4]]
    """
    op = "kfold"
    folds = _check_positive_int(op, "folds", folds)
    if folds < 2 or folds > n:
        raise ValueError(f"{op}: folds must be between 2 and the number of samples ({n}), got "
                         f"{folds}")
    order = as_generator(seed).permutation(n) if shuffle else CPU_MODULE.arange(n)
    splits = []
    start = 0
    for i in range(folds):
        size = n // folds + (1 if i < n % folds else 0)
        val = order[start:start + size]
        train = CPU_MODULE.concatenate([order[:start], order[start + size:]])
        splits.append((train, val))
        start += size
    return splits


def _take(array, indices):
    return array[array_module(array).asarray(indices)]


@dataclass(frozen=True)
class CVResult:
    """The score of each fold of a cross-validation, with their mean and standard deviation."""

    scores: tuple[float, ...]

    @property
    def mean(self) -> float:
        return sum(self.scores) / len(self.scores)

    @property
    def std(self) -> float:
        return math.sqrt(sum((s - self.mean) ** 2 for s in self.scores) / len(self.scores))


def _fresh(estimator):
    """A new, unfitted estimator: from a factory, or a copy of an estimator's parameters."""
    if isinstance(estimator, type):  # a class is a factory too
        return estimator()
    if hasattr(estimator, "fit") and hasattr(estimator, "get_params"):
        return type(estimator)(**estimator.get_params())
    if callable(estimator):
        return estimator()
    raise TypeError("cross_validate: expected an estimator (with fit, score and get_params) or "
                    f"a function that makes one, got {estimator!r}")


def cross_validate(estimator, X, y, folds: int = 5, shuffle: bool = True,
                   seed: int | None = 0) -> CVResult:
    """Fit a fresh estimator on all folds but one and score it on that one, for each fold.

    ``estimator`` is an estimator (copied from its ``get_params``, never fitted itself) or a
    function of no arguments that makes one. Returns the ``score`` of each fold. Equivalent of
    scikit-learn's ``cross_val_score``.

    >>> import shenjing as sj
    >>> X = sj.tensor([[0.0], [0.1], [0.2], [5.0], [5.1], [5.2]])
    >>> y = sj.tensor([0, 0, 0, 1, 1, 1])
    >>> sj.classic.cross_validate(sj.classic.KNearestNeighbors(k=1), X, y, folds=3).mean
    1.0
    """
    op = "cross_validate"
    x, _ = as_samples(X, op)
    labels = as_labels(y, x.shape[0], op)
    scores = []
    for train, val in kfold(x.shape[0], folds, shuffle, seed):
        model = _fresh(estimator)
        model.fit(_take(x, train), _take(labels, train))
        scores.append(float(model.score(_take(x, val), _take(labels, val))))
    return CVResult(tuple(scores))


@dataclass(frozen=True)
class KSelection:
    """Cross-validated accuracy of each k: ``fold_scores[fold][i]`` is that of ``ks[i]``."""

    ks: tuple[int, ...]
    fold_scores: tuple[tuple[float, ...], ...]

    @property
    def mean_scores(self) -> tuple[float, ...]:
        """The mean accuracy of each k over the folds."""
        n = len(self.fold_scores)
        return tuple(sum(fold[i] for fold in self.fold_scores) / n for i in range(len(self.ks)))

    @property
    def best_k(self) -> int:
        """The k of the highest mean accuracy; the smallest such k on a tie."""
        means = self.mean_scores
        return self.ks[means.index(max(means))]

    def table(self) -> str:
        """One line per k: its mean accuracy and the spread over the folds."""
        lines = ["    k   mean acc   min fold   max fold"]
        for i, k in enumerate(self.ks):
            fold = [f[i] for f in self.fold_scores]
            mark = "  <- best" if k == self.best_k else ""
            lines.append(f"{k:5d}   {100 * self.mean_scores[i]:7.2f} %  {100 * min(fold):7.2f} % "
                         f" {100 * max(fold):7.2f} %{mark}")
        return "\n".join(lines)


def select_k(X, y, ks: Sequence[int] = (1, 3, 5, 7, 9), folds: int = 5, metric: str = "l2",
             shuffle: bool = True, seed: int | None = 0, max_memory: int = DEFAULT_MAX_MEMORY,
             dtype=None, progress: Callable[[int], None] | None = None) -> KSelection:
    """Choose k for ``KNearestNeighbors`` by ``folds``-fold cross-validation.

    Each fold's neighbours are found once, for the largest k, and every k is scored from the same
    sorted neighbours, so trying many k costs little more than trying one. ``progress``, if given,
    is called with each fold's number once it is done. The result's ``best_k`` is the k of the
    best mean accuracy (the smallest on a tie).

    >>> import shenjing as sj
    >>> X = sj.tensor([[0.0], [5.0], [0.1], [5.1], [0.2], [5.2], [0.3], [5.3]])
    >>> y = sj.tensor([0, 1, 0, 1, 0, 1, 0, 1])
    >>> sj.classic.select_k(X, y, ks=(1, 3), folds=2, shuffle=False).mean_scores
    (1.0, 1.0)
    """
    op = "select_k"
    if isinstance(ks, int) or not len(ks):
        raise ValueError(f"{op}: ks must be a non-empty sequence of k values, got {ks!r}")
    ks = tuple(sorted({_check_positive_int(op, "each k", k) for k in ks}))
    _check_metric(op, metric)
    x, _ = as_samples(X, op)
    labels = as_labels(y, x.shape[0], op)
    splits = kfold(x.shape[0], folds, shuffle, seed)
    smallest_train = min(len(train) for train, _ in splits)
    if ks[-1] > smallest_train:
        raise ValueError(f"{op}: k={ks[-1]} is more than the {smallest_train} training samples "
                         f"of a fold ({x.shape[0]} samples in {folds} folds)")
    fold_scores = []
    for number, (train, val) in enumerate(splits, 1):
        knn = KNearestNeighbors(ks[-1], metric, max_memory, dtype)
        knn.fit(_take(x, train), _take(labels, train))
        x_val, y_val = _take(x, val), _take(labels, val)
        codes = knn._neighbor_codes(x_val, ks[-1], op)  # (n_val, k_max), nearest first
        scores = []
        for k in ks:
            predicted = knn.classes_[vote(codes[:, :k], len(knn.classes_))]
            scores.append(float((predicted == y_val).mean()))
        fold_scores.append(tuple(scores))
        if progress is not None:
            progress(number)
    return KSelection(ks, tuple(fold_scores))


__all__ = ["CVResult", "KSelection", "cross_validate", "kfold", "select_k"]
