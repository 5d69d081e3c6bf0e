"""Data pipelines, as ``torch.utils.data`` plus a few ``torchvision.transforms``.

>>> import shenjing as sj
>>> from shenjing.data import DataLoader, TensorDataset
>>> ds = TensorDataset(sj.randn(10, 3), sj.arange(10))
>>> x, y = next(iter(DataLoader(ds, batch_size=4, shuffle=True, generator=0)))
>>> x.shape, y.dtype
((4, 3), dtype('int64'))
"""

from shenjing.data import transforms
from shenjing.data.bptt import BPTTLoader
from shenjing.data.dataloader import DataLoader, default_collate, get_worker_info
from shenjing.data.dataset import Dataset, Subset, TensorDataset, as_generator, random_split
from shenjing.data.text import CharVocab, read_text, split_text

__all__ = [
    "BPTTLoader",
    "CharVocab",
    "DataLoader",
    "Dataset",
    "Subset",
    "TensorDataset",
    "as_generator",
    "default_collate",
    "get_worker_info",
    "random_split",
    "read_text",
    "split_text",
    "transforms",
]
