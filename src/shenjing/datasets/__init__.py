"""Data sets, as ``torchvision.datasets``: MNIST, Fashion-MNIST, CIFAR-10, tiny-shakespeare and 2-D
teaching sets.

Files live under ``data_root()``: the ``root`` argument, else ``$SHENJING_DATA``, else
``~/.cache/shenjing``. Missing files are downloaded with ``download=True``.

>>> from shenjing.datasets import moons
>>> X, y = moons(100, noise=0.1)
>>> X.shape, y.shape
((100, 2), (100,))
"""

from shenjing.datasets.cifar import CIFAR10, RestrictedUnpickler, UnsafePickleError
from shenjing.datasets.download import (
    ChecksumError,
    CorruptFileError,
    DatasetNotFoundError,
    DownloadError,
    download_url,
)
from shenjing.datasets.mnist import MNIST, FashionMNIST, parse_idx, read_idx
from shenjing.datasets.root import data_root
from shenjing.datasets.shakespeare import TinyShakespeare
from shenjing.datasets.toy import blobs, circles, moons, quadrants, spirals, xor

__all__ = [
    "CIFAR10",
    "ChecksumError",
    "CorruptFileError",
    "DatasetNotFoundError",
    "DownloadError",
    "FashionMNIST",
    "MNIST",
    "RestrictedUnpickler",
    "TinyShakespeare",
    "UnsafePickleError",
    "blobs",
    "circles",
    "data_root",
    "download_url",
    "moons",
    "parse_idx",
    "quadrants",
    "read_idx",
    "spirals",
    "xor",
]
