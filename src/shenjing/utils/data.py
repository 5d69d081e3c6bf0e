"""``torch.utils.data`` under its PyTorch name: the same objects as ``shenjing.data``.

A PyTorch program's ``from torch.utils.data import DataLoader, TensorDataset`` runs with only
the import changed.

>>> import shenjing.utils.data
>>> import shenjing as sj
>>> shenjing.utils.data.DataLoader is sj.data.DataLoader
True
"""

from shenjing.data import (
    BPTTLoader,
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    default_collate,
    get_worker_info,
    random_split,
)

__all__ = ["BPTTLoader", "DataLoader", "Dataset", "Subset", "TensorDataset", "default_collate",
           "get_worker_info", "random_split"]
