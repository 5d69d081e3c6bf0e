"""Classic baselines before networks, as the notes teach them: k-nearest neighbours and a linear
classifier (multiclass SVM or softmax), with cross-validation to choose their settings.

>>> import shenjing as sj
>>> X = sj.tensor([[0.0, 0.0], [0.0, 1.0], [5.0, 5.0], [6.0, 5.0]])
>>> sj.classic.KNearestNeighbors(k=1).fit(X, sj.tensor([0, 0, 1, 1])).score(X, [0, 0, 1, 1])
1.0
"""

from shenjing.classic._inputs import NotFittedError
from shenjing.classic.knn import KNearestNeighbors, pairwise_distances
from shenjing.classic.linear import LinearClassifier, softmax_loss, svm_loss
from shenjing.classic.model_selection import (
    CVResult,
    KSelection,
    cross_validate,
    kfold,
    select_k,
)

__all__ = [
    "CVResult",
    "KNearestNeighbors",
    "KSelection",
    "LinearClassifier",
    "NotFittedError",
    "cross_validate",
    "kfold",
    "pairwise_distances",
    "select_k",
    "softmax_loss",
    "svm_loss",
]
