"""k-nearest neighbours, the first classifier of the notes, with distances computed in blocks.

The distances between every query and every training sample are never held at once (for MNIST
that matrix would take 10,000 x 60,000 x 8 bytes = 4.8 GB): queries and training samples are
taken in blocks whose working memory fits ``max_memory``, and only the k nearest of each query
survive a block. L2 uses ``||a||^2 - 2 a.b + ||b||^2``, one matrix product per block; L1 a
broadcast ``|a - b|`` over slabs of the block.

Neighbours are ordered by distance, equal distances by training index (earlier first), so results
never depend on the block sizes.
"""

from __future__ import annotations

import numbers

from shenjing.autograd.function import ShapeError
from shenjing.autograd.tensor import Tensor
from shenjing.backend import array_module
from shenjing.classic._inputs import (
    as_labels,
    as_samples,
    check_finite,
    compute_dtype,
    encode_labels,
    query_samples,
)

METRICS = ("l2", "l1")
DEFAULT_MAX_MEMORY = 256 * 2**20  # bytes of working memory for one block of distances
_MIN_ROWS = 64  # query rows a block keeps where it can: matrix products need some height


def _check_metric(op: str, metric: str) -> str:
    if metric not in METRICS:
        raise ValueError(f"{op}: unknown metric {metric!r}; expected 'l2' or 'l1'")
    return metric


def _check_positive_int(op: str, name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{op}: {name} must be an integer, got {value!r}")
    if value < 1:
        raise ValueError(f"{op}: {name} must be at least 1, got {value}")
    return int(value)


def block_shape(n_query: int, n_train: int, n_features: int, itemsize: int, metric: str,
                max_memory: int) -> tuple[int, int, int]:
    """Rows (queries) and columns (training samples) of one block of distances, and for L1 the
    columns of one broadcast slab, chosen so that a block's working memory fits ``max_memory``.

    A block holds a distance and an int64 index (argpartition's) per pair; L1 gives half the
    budget to its (rows, slab, D) differences. At least one pair is always computed.

    >>> from shenjing.classic.knn import block_shape
    >>> block_shape(10_000, 60_000, 784, 4, "l2", 256 * 2**20)
    (372, 60000, 60000)
    """
    budget = max_memory // 2 if metric == "l1" else max_memory
    pairs = max(1, budget // (itemsize + 8))
    rows = min(n_query, _MIN_ROWS)
    if metric == "l1":  # one row of differences must fit as well
        rows = min(rows, max(1, budget // (n_features * itemsize)))
    cols = max(1, min(n_train, pairs // rows))
    rows = max(1, min(n_query, pairs // cols))
    slab = cols
    if metric == "l1":
        slab = max(1, min(cols, budget // (rows * n_features * itemsize)))
    return rows, cols, slab


def _distances(xq, sq_q, xt, sq_t, metric: str, slab: int):
    """Distances (squared for L2) between the query rows ``xq`` and the training rows ``xt``."""
    xp = array_module(xq)
    if metric == "l2":
        d = xq @ xt.T  # (rows, cols): the one matrix product of the block
        d *= -2
        d += sq_t
        d += sq_q[:, None]
        # rounding can leave tiny negatives where the true distance is 0: clamp, so that exact
        # duplicates tie at 0 and the tie-break by index applies
        return xp.maximum(d, 0, out=d)
    d = xp.empty((xq.shape[0], xt.shape[0]), dtype=xq.dtype)
    buffer = xp.empty((xq.shape[0], min(slab, xt.shape[0]), xq.shape[1]), dtype=xq.dtype)
    for start in range(0, xt.shape[0], slab):
        part = xt[start:start + slab]
        diff = buffer[:, :part.shape[0]]
        xp.subtract(xq[:, None, :], part[None, :, :], out=diff)  # (rows, slab, D)
        xp.abs(diff, out=diff)
        diff.sum(axis=2, out=d[:, start:start + slab])
    return d


def _smallest(d, k: int):
    """Columns of the ``k`` smallest entries of each row of ``d``, ordered by (value, column).

    argpartition finds k smallest, but among values equal to the k-th it picks arbitrarily; rows
    where such ties cross the boundary are redone exactly, taking the earliest columns.
    """
    xp = array_module(d)
    rows, cols = d.shape
    if k >= cols:
        return xp.argsort(d, axis=1, kind="stable")
    part = xp.argpartition(d, k - 1, axis=1)[:, :k].copy()  # copy: free the (rows, cols) indices
    kth = xp.take_along_axis(d, part, axis=1).max(axis=1)
    ambiguous = xp.nonzero((d <= kth[:, None]).sum(axis=1) > k)[0]
    step = max(1, rows // 2)  # ~11 bytes a pair for half the rows: within the freed indices
    for start in range(0, ambiguous.size, step):
        redo = ambiguous[start:start + step]
        sub, edge = d[redo], kth[redo][:, None]
        below = sub < edge
        tied = sub == edge
        room = k - below.sum(axis=1)
        keep = below | (tied & (xp.cumsum(tied, axis=1, dtype="int32") <= room[:, None]))
        part[redo] = xp.nonzero(keep)[1].reshape(-1, k)
    part.sort(axis=1)  # by column, so that the stable sort below breaks ties by column
    order = xp.argsort(xp.take_along_axis(d, part, axis=1), axis=1, kind="stable")
    return xp.take_along_axis(part, order, axis=1)


def _kneighbors(xq_all, xt, sq_t, k: int, metric: str, dtype, max_memory: int, op: str):
    """Distances (squared for L2) and indices (n_query, k) of each query's k nearest training
    rows, ordered by (distance, index); works through blocks of ``block_shape``."""
    xp = array_module(xt)
    n_query, n_train, n_features = xq_all.shape[0], xt.shape[0], xt.shape[1]
    rows, cols, slab = block_shape(n_query, n_train, n_features, dtype.itemsize, metric,
                                   max_memory)
    k = min(k, n_train)
    dist = xp.empty((n_query, k), dtype=dtype)
    index = xp.empty((n_query, k), dtype="int64")
    for r0 in range(0, n_query, rows):
        xq = xq_all[r0:r0 + rows].astype(dtype, copy=False)  # one block of queries converted
        check_finite(xq, op)
        sq_q = xp.einsum("ij,ij->i", xq, xq) if metric == "l2" else None
        best_d = best_i = None
        for c0 in range(0, n_train, cols):
            d = _distances(xq, sq_q, xt[c0:c0 + cols], None if sq_t is None else
                           sq_t[c0:c0 + cols], metric, slab)
            sel = _smallest(d, k)
            block_d, block_i = xp.take_along_axis(d, sel, axis=1), sel + c0
            del d
            if best_d is None:
                best_d, best_i = block_d, block_i
                continue
            # earlier blocks hold smaller indices, and each part is ordered by (distance, index):
            # a stable sort of the two side by side keeps that order
            cat_d = xp.concatenate([best_d, block_d], axis=1)
            cat_i = xp.concatenate([best_i, block_i], axis=1)
            order = xp.argsort(cat_d, axis=1, kind="stable")[:, :k]
            best_d = xp.take_along_axis(cat_d, order, axis=1)
            best_i = xp.take_along_axis(cat_i, order, axis=1)
        dist[r0:r0 + rows] = best_d
        index[r0:r0 + rows] = best_i
    return dist, index


def vote(neighbor_labels, n_classes: int):
    """The majority class of each row of neighbour labels (m, k), nearest neighbour first.

    A tie between classes goes to the tied class whose nearest member comes first, i.e. the class
    of the nearest neighbour among the tied classes (so k=2 always agrees with k=1). Labels are
    class positions 0..n_classes-1; returns (m,).

    >>> import numpy as np
    >>> from shenjing.classic.knn import vote
    >>> vote(np.array([[2, 1, 1], [2, 1, 0]]), 3).tolist()  # 1 wins 2-1; a 1-1-1 tie goes to 2
    [1, 2]
    """
    xp = array_module(neighbor_labels)
    m, k = neighbor_labels.shape
    out = xp.empty(m, dtype="int64")
    step = max(1, 2**22 // max(1, k * n_classes))  # (step, k, C) one-hot masks at a time
    classes = xp.arange(n_classes)
    for start in range(0, m, step):
        onehot = neighbor_labels[start:start + step, :, None] == classes  # (m, k, C)
        counts = onehot.sum(axis=1)
        first = xp.where(counts > 0, onehot.argmax(axis=1), k)  # nearest member of each class
        # more votes always win (first < k + 1); among equal votes, the earlier nearest member
        out[start:start + step] = (counts * (k + 1) - first).argmax(axis=1)
    return out


def pairwise_distances(A, B, metric: str = "l2", squared: bool = False,
                       max_memory: int = DEFAULT_MAX_MEMORY, dtype=None) -> Tensor:
    """The full matrix (n_A, n_B) of distances between the samples of ``A`` and ``B``.

    Computed in the blocks of ``KNearestNeighbors`` (L2 by the expansion
    ``||a||^2 - 2 a.b + ||b||^2``, L1 by broadcasting); ``squared`` gives squared L2. Samples
    may be images: each is flattened. Equivalent of ``torch.cdist`` (p=2 or p=1).

    >>> import shenjing as sj
    >>> sj.classic.pairwise_distances(sj.tensor([[0.0, 0.0]]), sj.tensor([[3.0, 4.0], [1, 1]]))
    tensor([[5.0000, 1.4142]])
    """
    op = "pairwise_distances"
    _check_metric(op, metric)
    max_memory = _check_positive_int(op, "max_memory", max_memory)
    a, a_shape = as_samples(A, op, "A")
    b, b_shape = as_samples(B, op, "B")
    if a.shape[1] != b.shape[1]:
        raise ShapeError(f"{op}: A of shape {a_shape} and B of shape {b_shape} have different "
                         f"sample sizes ({a.shape[1]} != {b.shape[1]})")
    xp = array_module(a)
    dtype = compute_dtype(a, dtype)
    b = b.astype(dtype, copy=False)
    check_finite(b, op, "B")
    sq_b = xp.einsum("ij,ij->i", b, b) if metric == "l2" else None
    rows, cols, slab = block_shape(a.shape[0], b.shape[0], b.shape[1], dtype.itemsize, metric,
                                   max_memory)
    out = xp.empty((a.shape[0], b.shape[0]), dtype=dtype)
    for r0 in range(0, a.shape[0], rows):
        xq = a[r0:r0 + rows].astype(dtype, copy=False)
        check_finite(xq, op, "A")
        sq_q = xp.einsum("ij,ij->i", xq, xq) if metric == "l2" else None
        for c0 in range(0, b.shape[0], cols):
            out[r0:r0 + rows, c0:c0 + cols] = _distances(
                xq, sq_q, b[c0:c0 + cols], None if sq_b is None else sq_b[c0:c0 + cols],
                metric, slab)
    if metric == "l2" and not squared:
        xp.sqrt(out, out=out)
    return Tensor._make(out)


class KNearestNeighbors:
    """The k-nearest-neighbour classifier: a query gets the majority label of the k training
    samples closest to it (L2 or L1 distance over flattened samples).

    ``fit`` only stores the training set (in the compute dtype: float64 for float64 data, else
    float32, or ``dtype``); ``predict`` finds neighbours in blocks whose working memory stays
    within ``max_memory`` bytes, beyond the stored training set. Neighbours are ordered by
    distance, then training index; a tie between classes goes to the class of the nearest
    neighbour among the tied classes. Labels are integers. Equivalent of scikit-learn's
    ``KNeighborsClassifier(n_neighbors=k, p=2 or 1)``.

    >>> import shenjing as sj
    >>> X = sj.tensor([[0.0, 0.0], [0.0, 1.0], [5.0, 5.0], [6.0, 5.0]])
    >>> knn = sj.classic.KNearestNeighbors(k=3).fit(X, sj.tensor([0, 0, 1, 1]))
    >>> knn.predict(sj.tensor([[0.5, 0.5], [5.0, 4.0]]))
    tensor([0, 1])
    """

    def __init__(self, k: int = 1, metric: str = "l2", max_memory: int = DEFAULT_MAX_MEMORY,
                 dtype=None) -> None:
        op = type(self).__name__
        self.k = _check_positive_int(op, "k", k)
        self.metric = _check_metric(op, metric)
        self.max_memory = _check_positive_int(op, "max_memory", max_memory)
        self.dtype = dtype
        self._train = None

    def get_params(self) -> dict:
        """The constructor's arguments, to build a fresh copy (cross-validation does)."""
        return {"k": self.k, "metric": self.metric, "max_memory": self.max_memory,
                "dtype": self.dtype}

    def fit(self, X, y) -> KNearestNeighbors:
        """Store the training samples ``X`` (N, D) or (N, d1, ...) and labels ``y`` (N,)."""
        op = f"{type(self).__name__}.fit"
        x, shape = as_samples(X, op)
        labels = as_labels(y, x.shape[0], op)
        if self.k > x.shape[0]:
            raise ValueError(f"{op}: k={self.k} is more than the {x.shape[0]} training samples")
        dtype = compute_dtype(x, self.dtype)
        x = x.astype(dtype, copy=False)
        check_finite(x, op)
        xp = array_module(x)
        self.classes_, self._codes = encode_labels(labels)
        self._train = x
        self._shape = shape
        self._dtype = dtype
        self._sq = xp.einsum("ij,ij->i", x, x) if self.metric == "l2" else None
        return self

    def _queries(self, X, op: str):
        return query_samples(self, X, op, getattr(self, "_shape", None))

    def kneighbors(self, X, k: int | None = None) -> tuple[Tensor, Tensor]:
        """Distances and training indices (M, k) of the ``k`` (default ``self.k``) nearest
        training samples of each query, nearest first; equivalent of scikit-learn's
        ``kneighbors``."""
        op = f"{type(self).__name__}.kneighbors"
        x = self._queries(X, op)
        k = self.k if k is None else _check_positive_int(op, "k", k)
        if k > self._train.shape[0]:
            raise ValueError(f"{op}: k={k} is more than the {self._train.shape[0]} training "
                             "samples")
        dist, index = _kneighbors(x, self._train, self._sq, k, self.metric, self._dtype,
                                  self.max_memory, op)
        if self.metric == "l2":
            array_module(dist).sqrt(dist, out=dist)
        return Tensor._make(dist), Tensor._make(index)

    def _neighbor_codes(self, x, k: int, op: str):
        """Class positions (M, k) of each query's k nearest training samples, nearest first."""
        _, index = _kneighbors(x, self._train, self._sq, k, self.metric, self._dtype,
                               self.max_memory, op)
        return self._codes[index]

    def predict(self, X) -> Tensor:
        """The predicted label of each sample of ``X`` (M, ...), an int64 tensor (M,)."""
        op = f"{type(self).__name__}.predict"
        x = self._queries(X, op)
        codes = vote(self._neighbor_codes(x, self.k, op), len(self.classes_))
        return Tensor._make(self.classes_[codes])

    def score(self, X, y) -> float:
        """The accuracy of ``predict(X)`` against the labels ``y``, a fraction in [0, 1]."""
        op = f"{type(self).__name__}.score"
        predicted = self.predict(X)._data
        labels = as_labels(y, predicted.shape[0], op)
        return float((predicted == labels).mean())

    def __repr__(self) -> str:
        return f"KNearestNeighbors(k={self.k}, metric={self.metric!r})"
