"""Datasets: indexable collections of samples, and ways to slice them (subsets, random splits).

A dataset is anything with ``__getitem__`` and ``__len__``. A dataset that can assemble a whole
batch in one vectorised step offers ``get_batch(indices)``; the DataLoader then uses it instead of
fetching samples one by one (a Python loop over 60,000 MNIST images costs seconds per epoch, one
fancy-index costs milliseconds).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

from shenjing import backend
from shenjing.autograd.tensor import Tensor


def as_generator(generator=None):
    """The random number generator to draw from: shenjing's CPU generator, or the one given.

    ``None`` means the generator that ``sj.manual_seed`` seeds, looked up at the moment of drawing
    so that re-seeding takes effect; an ``int`` is a seed for a private generator; an
    ``sj.Generator`` draws from its current state; anything with
    NumPy's ``Generator`` methods (``permutation``, ``random``) is used as it is. This plays the
    part of ``torch.Generator`` arguments in ``torch.utils.data``.

    >>> import shenjing as sj
    >>> from shenjing.data import as_generator
    >>> as_generator(7).permutation(4).tolist() == as_generator(7).permutation(4).tolist()
    True
    """
    if generator is None:
        return backend.generator(backend.CPU)
    if isinstance(generator, backend.Generator):
        return generator.rng
    if isinstance(generator, numbers.Integral) and not isinstance(generator, bool):
        return backend.module_for(backend.CPU).random.default_rng(int(generator))
    if hasattr(generator, "permutation") and hasattr(generator, "random"):
        return generator
    raise TypeError(
        f"generator must be None, an int seed or a NumPy-style Generator, got {generator!r}"
    )


class Dataset:
    """Base class of map-style datasets: ``dataset[i]`` is a sample, ``len(dataset)`` their count.

    Subclasses define ``__getitem__`` and ``__len__``; equivalent of ``torch.utils.data.Dataset``.

    >>> from shenjing.data import Dataset
    >>> class Squares(Dataset):
    ...     def __len__(self):
    ...         return 4
    ...     def __getitem__(self, i):
    ...         return i * i
    >>> [Squares()[i] for i in range(4)]
    [0, 1, 4, 9]
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")


def _index_array(indices, device):
    """Integer indices as an array on ``device``, ready to fancy-index a tensor's data."""
    xp = backend.module_for(backend.CPU)
    array = xp.asarray(indices, dtype=backend.DEFAULT_INT)
    return backend.to_device(array, device)


class TensorDataset(Dataset):
    """Samples are rows of tensors that share their first dim: ``ds[i] == (X[i], y[i])``.

    Batches come from one fancy-index per tensor (``get_batch``), not a Python loop. Equivalent of
    ``torch.utils.data.TensorDataset``.

    >>> import shenjing as sj
    >>> from shenjing.data import TensorDataset
    >>> ds = TensorDataset(sj.arange(6.0).reshape(3, 2), sj.tensor([0, 1, 0]))
    >>> len(ds), ds[1]
    (3, (tensor([2., 3.]), tensor(1)))
    >>> ds.get_batch([2, 0])[0]
    tensor([[4., 5.],
            [0., 1.]])
    """

    def __init__(self, *tensors: Tensor):
        if not tensors:
            raise ValueError("TensorDataset: expected at least one tensor")
        for i, t in enumerate(tensors):
            if not isinstance(t, Tensor):
                raise TypeError(f"TensorDataset: argument {i} is a {type(t).__name__}, "
                                "expected a Tensor (wrap arrays with sj.tensor or sj.from_numpy)")
            if t.ndim == 0:
                raise ValueError(f"TensorDataset: argument {i} is a 0-d tensor; samples are rows")
        sizes = [t.shape[0] for t in tensors]
        if len(set(sizes)) != 1:
            raise ValueError(f"TensorDataset: tensors must share their first dim (the number of "
                             f"samples), got shapes {[t.shape for t in tensors]}")
        self.tensors = tuple(tensors)

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def get_batch(self, indices) -> tuple[Tensor, ...]:
        """The samples at ``indices``, already stacked: one fancy-index per tensor."""
        keys = {}
        batch = []
        for t in self.tensors:
            device = t.device
            if device not in keys:
                keys[device] = _index_array(indices, device)
            batch.append(t[keys[device]])
        return tuple(batch)


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order; ``torch.utils.data.Subset``.

    >>> from shenjing.data import Subset
    >>> s = Subset(list("abcdef"), [4, 0])
    >>> len(s), s[0], s[1]
    (2, 'e', 'a')
    """

    def __init__(self, dataset, indices: Sequence[int]):
        self.dataset = dataset
        self.indices = [int(i) for i in indices]

    def __getitem__(self, index):
        if isinstance(index, (list, tuple)):
            return [self.dataset[self.indices[i]] for i in index]
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)

    def __getattr__(self, name):
        # Only reached for attributes Subset lacks: forward get_batch when the inner dataset has it
        # (so a split of a TensorDataset keeps the fast path); nothing else is forwarded.
        if name == "get_batch" and hasattr(self.__dict__.get("dataset"), "get_batch"):
            return self._get_batch
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _get_batch(self, indices):
        return self.dataset.get_batch([self.indices[int(i)] for i in indices])


def _split_lengths(lengths: Sequence, n: int) -> list[int]:
    """Turn fractions (summing to 1) into lengths as PyTorch does; check integer lengths."""
    lengths = list(lengths)
    if not lengths:
        raise ValueError("random_split: lengths must not be empty")
    if all(isinstance(x, numbers.Integral) and not isinstance(x, bool) for x in lengths):
        if any(x < 0 for x in lengths):
            raise ValueError(f"random_split: lengths must be non-negative, got {lengths}")
        if sum(lengths) != n:
            raise ValueError(f"random_split: lengths {lengths} sum to {sum(lengths)}, but the "
                             f"dataset has {n} samples")
        return [int(x) for x in lengths]
    if not all(isinstance(x, numbers.Real) and 0 <= x <= 1 for x in lengths):
        raise ValueError(f"random_split: lengths must be ints that sum to len(dataset) or "
                         f"fractions in [0, 1] that sum to 1, got {lengths}")
    if not math.isclose(sum(lengths), 1.0, abs_tol=1e-6):
        raise ValueError(f"random_split: fractions {lengths} sum to {sum(lengths)}, not 1")
    # floor each share, then hand the remainder out one by one from the first split (PyTorch's rule)
    sizes = [int(math.floor(n * f)) for f in lengths]
    for i in range(n - sum(sizes)):
        sizes[i % len(sizes)] += 1
    return sizes


def random_split(dataset, lengths: Sequence, generator=None) -> list[Subset]:
    """Split ``dataset`` at random into non-overlapping subsets of the given lengths.

    ``lengths`` holds ints summing to ``len(dataset)``, or fractions summing to 1. ``generator``
    (see ``as_generator``) makes the split reproducible; by default it follows ``sj.manual_seed``.
    Equivalent of ``torch.utils.data.random_split``.

    >>> from shenjing.data import random_split
    >>> train, val = random_split(range(10), [0.8, 0.2], generator=0)
    >>> len(train), len(val), sorted(train.indices + val.indices) == list(range(10))
    (8, 2, True)
    """
    n = len(dataset)
    sizes = _split_lengths(lengths, n)
    order = as_generator(generator).permutation(n).tolist()
    subsets = []
    start = 0
    for size in sizes:
        subsets.append(Subset(dataset, order[start:start + size]))
        start += size
    return subsets
