"""The linear classifier of the notes: a score function f(x, W) = W x + b, with the multiclass SVM
(hinge) loss or the softmax (cross-entropy) loss, trained by mini-batch SGD on shenjing's autograd.
"""

from __future__ import annotations

import numbers

from shenjing.autograd.function import ShapeError
from shenjing.autograd.grad_mode import no_grad
from shenjing.autograd.tensor import Tensor
from shenjing.backend import array_module
from shenjing.classic._inputs import (
    NotFittedError,
    as_labels,
    as_samples,
    check_finite,
    compute_dtype,
    encode_labels,
    query_samples,
)
from shenjing.data.dataloader import DataLoader
from shenjing.data.dataset import TensorDataset, as_generator
from shenjing.nn.parameter import Parameter
from shenjing.ops.linalg import linear
from shenjing.ops.loss import cross_entropy, multi_margin_loss
from shenjing.optim.lr_scheduler import ExponentialLR
from shenjing.optim.sgd import SGD

LOSSES = ("svm", "softmax")


def svm_loss(scores: Tensor, target: Tensor) -> Tensor:
    """The multiclass SVM loss, Weston-Watkins form with margin 1, averaged over the batch.

    Per sample ``sum_{j != y} max(0, s_j - s_y + 1)`` for scores (N, C) and class indices (N,),
    as in CS231n. ``F.multi_margin_loss`` (PyTorch's too) divides that sum by C; this does not.

    >>> import shenjing as sj
    >>> sj.classic.svm_loss(sj.tensor([[3.2, 5.1, -1.7]]), sj.tensor([0]))
    tensor(2.9000)
    """
    if scores.ndim != 2:
        raise ShapeError(f"svm_loss: scores must be (N, C), got shape {scores.shape}")
    return multi_margin_loss(scores, target, margin=1.0) * scores.shape[1]


def softmax_loss(scores: Tensor, target: Tensor) -> Tensor:
    """The softmax (cross-entropy) loss ``-log softmax(s)_y``, averaged over the batch.

    >>> import shenjing as sj
    >>> sj.classic.softmax_loss(sj.tensor([[3.2, 5.1, -1.7]]), sj.tensor([0]))
    tensor(2.0404)
    """
    if scores.ndim != 2:
        raise ShapeError(f"softmax_loss: scores must be (N, C), got shape {scores.shape}")
    return cross_entropy(scores, target)


def _check_number(op: str, name: str, value, low: float, low_ok: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{op}: {name} must be a number, got {value!r}")
    if value < low or (value == low and not low_ok):
        bound = ">=" if low_ok else ">"
        raise ValueError(f"{op}: {name} must be {bound} {low}, got {value}")
    return float(value)


def _check_count(op: str, name: str, value, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{op}: {name} must be an integer, got {value!r}")
    if value < low:
        raise ValueError(f"{op}: {name} must be at least {low}, got {value}")
    return int(value)


class LinearClassifier:
    """A linear classifier: class scores ``W x + b`` for a flattened sample x, the class of the
    highest score wins.

    ``W`` (C, D) and ``b`` (C,) are ``Parameter``s trained by mini-batch SGD (``sj.optim.SGD``,
    ``momentum``, the learning rate times ``lr_decay`` after each epoch) to minimise the mean
    ``loss`` (``'svm'``: multiclass hinge, ``svm_loss``; ``'softmax'``: cross-entropy) plus
    ``reg * sum(W ** 2)`` (the bias is not regularised), as in CS231n. ``W`` starts as 0.001
    times standard normal noise from ``seed``, which also shuffles the batches. Features are used
    as given: scale and centre them first (pixels / 255 minus the mean image). Labels are integers.

    >>> import shenjing as sj
    >>> X = sj.tensor([[0.0, 1.0], [0.2, 0.9], [1.0, 0.0], [0.9, 0.1]])
    >>> clf = sj.classic.LinearClassifier("softmax", lr=0.5, epochs=50, batch_size=2)
    >>> clf.fit(X, sj.tensor([3, 3, 7, 7])).predict(sj.tensor([[0.1, 0.8], [0.8, 0.3]]))
    tensor([3, 7])
    """

    def __init__(self, loss: str = "softmax", reg: float = 1e-4, lr: float = 0.1,
                 epochs: int = 10, batch_size: int = 200, momentum: float = 0.9,
                 lr_decay: float = 1.0, seed: int | None = 0, dtype=None) -> None:
        op = type(self).__name__
        if loss not in LOSSES:
            raise ValueError(f"{op}: unknown loss {loss!r}; expected 'svm' or 'softmax'")
        self.loss_name = loss
        self.reg = _check_number(op, "reg", reg, 0.0)
        self.lr = _check_number(op, "lr", lr, 0.0, low_ok=False)
        self.epochs = _check_count(op, "epochs", epochs, 0)
        self.batch_size = _check_count(op, "batch_size", batch_size, 1)
        self.momentum = _check_number(op, "momentum", momentum, 0.0)
        self.lr_decay = _check_number(op, "lr_decay", lr_decay, 0.0, low_ok=False)
        self.seed = seed
        self.dtype = dtype
        self.weight: Parameter | None = None
        self.bias: Parameter | None = None
        self.loss_history_: list[float] = []

    def get_params(self) -> dict:
        """The constructor's arguments, to build a fresh copy (cross-validation does)."""
        return {"loss": self.loss_name, "reg": self.reg, "lr": self.lr, "epochs": self.epochs,
                "batch_size": self.batch_size, "momentum": self.momentum,
                "lr_decay": self.lr_decay, "seed": self.seed, "dtype": self.dtype}

    def _objective(self, x: Tensor, codes: Tensor) -> Tensor:
        scores = linear(x, self.weight, self.bias)  # (N, D) -> (N, C)
        data_loss = svm_loss if self.loss_name == "svm" else softmax_loss
        return data_loss(scores, codes) + self.reg * (self.weight * self.weight).sum()

    def fit(self, X, y) -> LinearClassifier:
        """Train on samples ``X`` (N, D) or (N, d1, ...) with integer labels ``y`` (N,) for
        ``epochs`` epochs; ``loss_history_`` gets each epoch's mean loss."""
        op = f"{type(self).__name__}.fit"
        x, shape = as_samples(X, op)
        labels = as_labels(y, x.shape[0], op)
        dtype = compute_dtype(x, self.dtype)
        x = x.astype(dtype, copy=False)
        check_finite(x, op)
        xp = array_module(x)
        self.classes_, codes = encode_labels(labels)
        self._shape = shape
        C, D = len(self.classes_), x.shape[1]
        rng = as_generator(self.seed)
        w = xp.asarray(0.001 * rng.standard_normal((C, D))).astype(dtype)
        self.weight = Parameter(Tensor._make(w))
        self.bias = Parameter(Tensor._make(xp.zeros(C, dtype=dtype)))
        optimizer = SGD([self.weight, self.bias], lr=self.lr, momentum=self.momentum)
        schedule = ExponentialLR(optimizer, gamma=self.lr_decay)
        loader = DataLoader(TensorDataset(Tensor._make(x), Tensor._make(codes)),
                            batch_size=self.batch_size, shuffle=True, generator=rng)
        self.loss_history_ = []
        for _ in range(self.epochs):
            total = 0.0
            for xb, yb in loader:
                loss = self._objective(xb, yb)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += loss.item() * xb.shape[0]
            self.loss_history_.append(total / x.shape[0])
            schedule.step()
        optimizer.zero_grad(set_to_none=True)  # so that loss(X, y).backward() starts clean
        return self

    def _samples(self, X, op: str) -> Tensor:
        x = query_samples(self, X, op, getattr(self, "_shape", None))
        return Tensor._make(x.astype(self.weight.dtype, copy=False))

    def decision_function(self, X) -> Tensor:
        """The class scores ``W x + b`` (M, C) of each sample, outside any graph."""
        x = self._samples(X, f"{type(self).__name__}.decision_function")
        with no_grad():
            return linear(x, self.weight, self.bias)

    def loss(self, X, y) -> Tensor:
        """The training objective (mean data loss plus ``reg * sum(W ** 2)``) on ``X`` and ``y``
        at the current parameters, a scalar in the graph: ``backward`` fills ``weight.grad`` and
        ``bias.grad``."""
        op = f"{type(self).__name__}.loss"
        x = self._samples(X, op)
        labels = as_labels(y, x.shape[0], op)
        xp = array_module(labels)
        codes = xp.searchsorted(self.classes_, labels)
        codes = xp.minimum(codes, len(self.classes_) - 1)
        unseen = self.classes_[codes] != labels
        if bool(unseen.any()):
            raise ValueError(f"{op}: label {int(labels[unseen][0])} was not among the classes "
                             f"seen by fit, {self.classes_.tolist()}")
        return self._objective(x, Tensor._make(codes))

    def predict(self, X) -> Tensor:
        """The label of the highest score for each sample, an int64 tensor (M,)."""
        scores = self.decision_function(X)._data
        return Tensor._make(self.classes_[scores.argmax(axis=1)])

    def score(self, X, y) -> float:
        """The accuracy of ``predict(X)`` against the labels ``y``, a fraction in [0, 1]."""
        predicted = self.predict(X)._data
        labels = as_labels(y, predicted.shape[0], f"{type(self).__name__}.score")
        return float((predicted == labels).mean())

    def templates(self, shape: tuple[int, ...] | None = None) -> Tensor:
        """Each class's row of W as a picture: (C, *shape), ``shape`` defaulting to the shape of
        the samples given to ``fit`` (e.g. (10, 28, 28) for MNIST images)."""
        op = f"{type(self).__name__}.templates"
        if self.weight is None:
            raise NotFittedError(f"{op}: this {type(self).__name__} is not fitted yet; call "
                                 "fit(X, y) first")
        shape = tuple(self._shape[1:] if shape is None else shape)
        size = 1
        for n in shape:
            size *= n
        if size != self.weight.shape[1]:
            raise ShapeError(f"{op}: shape {shape} does not hold the {self.weight.shape[1]} "
                             "weights of a class")
        return Tensor._make(self.weight._data.reshape((self.weight.shape[0], *shape)).copy())

    def __repr__(self) -> str:
        return (f"LinearClassifier(loss={self.loss_name!r}, reg={self.reg}, lr={self.lr}, "
                f"epochs={self.epochs}, batch_size={self.batch_size})")
