"""The DataLoader: batches of samples from a dataset, in order or shuffled.

Shuffling draws a permutation at the start of every epoch from a generator (``sj.manual_seed``
governs the default one), so the same seed gives the same batches. Batches are assembled by
``collate_fn``; with the default collate and a dataset that offers ``get_batch`` (TensorDataset,
MNIST, CIFAR10 and their subsets) a batch is one fancy-index instead of a loop over samples.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping, Sequence

from shenjing import backend
from shenjing.autograd.tensor import Tensor
from shenjing.data.dataset import as_generator
from shenjing.ops.shape import stack


def default_collate(samples: Sequence):
    """Stack a list of samples into a batch, field by field.

    Tensors and arrays are stacked along a new first dim; Python ints become an int64 tensor,
    floats a float32 tensor (shenjing's default float; PyTorch gives float64), bools a bool tensor;
    tuples, lists and dicts are collated per field; strings stay a list. Equivalent of
    ``torch.utils.data.default_collate``.

    >>> import shenjing as sj
    >>> from shenjing.data import default_collate
    >>> x, y = default_collate([(sj.zeros(2), 1), (sj.ones(2), 0)])
    >>> x.shape, y
    ((2, 2), tensor([1, 0]))
    """
    if not len(samples):
        raise ValueError("default_collate: cannot collate an empty list of samples")
    elem = samples[0]
    if isinstance(elem, Tensor):
        return stack(samples, dim=0)
    if hasattr(elem, "shape") and hasattr(elem, "dtype") and getattr(elem, "ndim", 0) > 0:
        xp = backend.array_module(elem)
        return Tensor._make(xp.stack(samples))
    if isinstance(elem, (str, bytes)):
        return list(samples)
    if isinstance(elem, (numbers.Number, bool)) or hasattr(elem, "dtype"):
        return Tensor(list(samples))
    if isinstance(elem, Mapping):
        return {key: default_collate([s[key] for s in samples]) for key in elem}
    if isinstance(elem, Sequence):
        size = len(elem)
        if any(len(s) != size for s in samples):
            raise ValueError(f"default_collate: samples have different lengths "
                             f"{sorted({len(s) for s in samples})}; every sample must have "
                             "the same number of fields")
        fields = [default_collate(list(field)) for field in zip(*samples)]
        return tuple(fields) if isinstance(elem, tuple) else fields
    raise TypeError(f"default_collate: don't know how to batch samples of type "
                    f"{type(elem).__name__}; pass a collate_fn")


def get_worker_info():
    """None: batches are loaded in the calling process, never in a worker.

    Equivalent of ``torch.utils.data.get_worker_info``, which is None outside workers too.
    """
    return None


def _check_worker_arguments(num_workers, timeout, prefetch_factor, persistent_workers) -> None:
    """PyTorch's checks of the worker arguments, with its messages' meaning."""
    if not isinstance(num_workers, numbers.Integral) or isinstance(num_workers, bool) \
            or num_workers < 0:
        raise ValueError("DataLoader: num_workers option should be non-negative; use "
                         f"num_workers=0 to disable multiprocessing (got {num_workers!r})")
    if timeout < 0:
        raise ValueError(f"DataLoader: timeout option should be non-negative, got {timeout!r}")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError("DataLoader: prefetch_factor option could only be specified in "
                         "multiprocessing; let num_workers > 0 to enable multiprocessing, "
                         "otherwise set prefetch_factor to None")
    if persistent_workers and num_workers == 0:
        raise ValueError("DataLoader: persistent_workers option needs num_workers > 0")


class DataLoader:
    """Iterate over ``dataset`` in batches of ``batch_size``, optionally shuffled every epoch.

    ``shuffle`` draws a fresh permutation per epoch from ``generator``: None follows
    ``sj.manual_seed``, an int seeds a private generator once (see ``as_generator``).
    ``drop_last`` skips a last, smaller batch. ``collate_fn`` turns a list of samples into a
    batch (``default_collate`` by default). Equivalent of ``torch.utils.data.DataLoader``.

    Batches are loaded in the calling process. ``num_workers``, ``pin_memory``,
    ``persistent_workers``, ``prefetch_factor``, ``timeout``, ``worker_init_fn`` and
    ``multiprocessing_context`` are accepted and checked as PyTorch checks them, so PyTorch code
    runs unchanged, but start no workers (so ``worker_init_fn`` is never called, and
    ``get_worker_info()`` is None, as in PyTorch's main process): shenjing's datasets fetch and
    transform a whole batch
    with a few array operations (``get_batch``), which leaves workers little to do, and loading in
    one process keeps random augmentation in ``sj.manual_seed``'s one stream.

    >>> import shenjing as sj
    >>> from shenjing.data import DataLoader, TensorDataset
    >>> ds = TensorDataset(sj.arange(10.0).reshape(5, 2), sj.arange(5))
    >>> [y.tolist() for _, y in DataLoader(ds, batch_size=2)]
    [[0, 1], [2, 3], [4]]
    >>> len(DataLoader(ds, batch_size=2, drop_last=True))
    2
    """

    def __init__(self, dataset, batch_size: int = 1, shuffle: bool = False, *,
                 drop_last: bool = False, collate_fn: Callable | None = None, generator=None,
                 num_workers: int = 0, pin_memory: bool = False, timeout: float = 0,
                 worker_init_fn: Callable | None = None, multiprocessing_context=None,
                 prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True):
        _check_worker_arguments(num_workers, timeout, prefetch_factor, persistent_workers)
        if not isinstance(batch_size, numbers.Integral) or isinstance(batch_size, bool) \
                or batch_size <= 0:
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size!r}")
        if not (hasattr(dataset, "__getitem__") and hasattr(dataset, "__len__")):
            raise TypeError(f"DataLoader: the dataset must define __getitem__ and __len__, got "
                            f"{type(dataset).__name__}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.collate_fn = collate_fn
        # A seed becomes one generator now, so that successive epochs differ but runs repeat;
        # an sj.Generator is kept, and read at each epoch (re-seeding it takes effect).
        if generator is not None and not isinstance(generator, backend.Generator):
            generator = as_generator(generator)
        self.generator = generator
        self.num_workers, self.pin_memory, self.timeout = int(num_workers), pin_memory, timeout
        self.persistent_workers, self.prefetch_factor = persistent_workers, prefetch_factor
        self.worker_init_fn = worker_init_fn

    def __len__(self) -> int:
        n = len(self.dataset)
        if self.drop_last:
            return n // self.batch_size
        return -(-n // self.batch_size)

    def _order(self):
        n = len(self.dataset)
        if self.shuffle:
            return as_generator(self.generator).permutation(n)
        return backend.module_for(backend.CPU).arange(n)

    def __iter__(self):
        order = self._order()
        n = len(order)
        stop = n - n % self.batch_size if self.drop_last else n
        get_batch = getattr(self.dataset, "get_batch", None) if self.collate_fn is None else None
        collate = self.collate_fn or default_collate
        for start in range(0, stop, self.batch_size):
            indices = order[start:start + self.batch_size]
            if get_batch is not None:
                yield get_batch(indices)
            else:
                yield collate([self.dataset[i] for i in indices.tolist()])

    def __repr__(self) -> str:
        return (f"DataLoader({type(self.dataset).__name__}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last})")
