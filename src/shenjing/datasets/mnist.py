"""MNIST and Fashion-MNIST: 28x28 grey images in the IDX format, 60,000 to train, 10,000 to test.

Files are read gzipped (``train-images-idx3-ubyte.gz``) or raw (``train-images-idx3-ubyte``) from
``<root>/mnist/`` or ``<root>/fashion-mnist/``. Every file is checked before its bytes become an
array: the md5 (for MNIST of the uncompressed content, so a recompressed file still passes), the
IDX magic number, the dims and the exact length, so a truncated or corrupt file is an error that
names it, never a garbage array.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy

from shenjing.autograd.tensor import Tensor
from shenjing.data.dataset import Dataset
from shenjing.datasets.download import (
    CorruptFileError,
    DatasetNotFoundError,
    DownloadError,
    check_md5,
    download_url,
    gunzip,
    missing_files_message,
)
from shenjing.datasets.root import data_root

# IDX type codes -> element types; multi-byte numbers are big-endian
_IDX_TYPES = {
    0x08: numpy.dtype("u1"),
    0x09: numpy.dtype("i1"),
    0x0B: numpy.dtype(">i2"),
    0x0C: numpy.dtype(">i4"),
    0x0D: numpy.dtype(">f4"),
    0x0E: numpy.dtype(">f8"),
}


def parse_idx(content: bytes, name: str | os.PathLike = "<bytes>") -> numpy.ndarray:
    """Decode the bytes of an IDX file into an array, checking magic number, dims and length.

    The format: two zero bytes, a type code (0x08 = uint8 ...), the number of dims, each dim as a
    big-endian uint32, then the data. Raises ``CorruptFileError`` naming ``name`` on any mismatch.

    >>> from shenjing.datasets.mnist import parse_idx
    >>> parse_idx(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9])).tolist()
    [7, 8, 9]
    """
    if len(content) < 4:
        raise CorruptFileError(f"{name}: {len(content)} bytes is too short for an IDX header")
    zero0, zero1, code, ndim = content[:4]
    if zero0 or zero1 or code not in _IDX_TYPES or ndim == 0:
        raise CorruptFileError(
            f"{name}: bad IDX magic number 0x{content[:4].hex()}: expected 0x0000TTDD with a type "
            "code TT in (08, 09, 0b, 0c, 0d, 0e) and DD >= 1 dims; this is not an IDX file, or it "
            "is corrupt"
        )
    header = 4 + 4 * ndim
    if len(content) < header:
        raise CorruptFileError(f"{name}: truncated IDX header ({len(content)} bytes, the "
                               f"{ndim} dims need {header})")
    shape = tuple(int.from_bytes(content[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = _IDX_TYPES[code]
    expected = dtype.itemsize
    for size in shape:
        expected *= size
    found = len(content) - header
    if found < expected:
        raise CorruptFileError(f"{name}: truncated: the header announces shape {shape}, "
                               f"{expected} bytes of data, but only {found} follow")
    if found > expected:
        raise CorruptFileError(f"{name}: {found - expected} unexpected bytes after the "
                               f"{expected} bytes of data announced for shape {shape}")
    array = numpy.frombuffer(content, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=False)


def read_idx(path: str | os.PathLike, md5: str | None = None) -> numpy.ndarray:
    """Read an IDX file, gzipped (``.gz``) or raw, optionally checking the md5 of its content.

    Equivalent of torchvision's ``read_image_file`` / ``read_label_file``.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DatasetNotFoundError(f"{path}: no such file") from None
    content = gunzip(raw, path) if path.suffix == ".gz" else raw
    if md5 is not None:
        check_md5(content, md5, path, "uncompressed content")
    return parse_idx(content, path)


class ImageArrayDataset(Dataset):
    """Base of MNIST and CIFAR10: images and labels held as two arrays, ``_images`` and
    ``_labels``, plus optional per-sample transforms.

    ``get_batch`` fetches a batch with one fancy-index and, when the transform has a ``batched``
    form (every transform in ``shenjing.data.transforms`` does), transforms the whole batch at once.
    """

    _images: numpy.ndarray
    _labels: numpy.ndarray
    transform = None
    target_transform = None

    def __getitem__(self, index: int):
        image = Tensor._make(self._images[index])
        target = int(self._labels[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def __len__(self) -> int:
        return len(self._labels)

    def get_batch(self, indices):
        """The samples at ``indices``, stacked as ``default_collate`` would stack them."""
        batchable = self.transform is None or hasattr(self.transform, "batched")
        if not batchable or self.target_transform is not None:
            from shenjing.data.dataloader import default_collate

            return default_collate([self[int(i)] for i in indices])
        indices = numpy.asarray(indices, dtype=numpy.int64)
        images = Tensor._make(self._images[indices])
        if self.transform is not None:
            images = self.transform.batched(images)
        return images, Tensor._make(self._labels[indices])

    def __repr__(self) -> str:
        split = "Train" if self.train else "Test"
        lines = [f"Dataset {type(self).__name__}", f"    Number of datapoints: {len(self)}",
                 f"    Root location: {self.root}", f"    Split: {split}"]
        if self.transform is not None:
            lines.append(f"    Transform: {self.transform!r}")
        return "\n".join(lines)


class MNIST(ImageArrayDataset):
    """The MNIST handwritten digits: ``(image, label)`` with a uint8 ``(28, 28)`` image.

    ``data`` is a uint8 tensor ``(N, 28, 28)``, ``targets`` an int64 tensor ``(N,)``, ``classes``
    the class names; ``train`` picks the 60,000 training or the 10,000 test images. Files live in
    ``<root>/mnist/`` (see ``data_root``); ``download=True`` fetches missing ones from the mirrors
    in turn. ``verify`` checks each file's md5 (of the uncompressed content). ``transform`` and
    ``target_transform`` are applied to each image and label. Equivalent of
    ``torchvision.datasets.MNIST``, but ``ds[i]`` gives a tensor where torchvision gives a PIL
    image.

    >>> from shenjing.datasets import MNIST
    >>> MNIST.classes[3]
    '3 - three'
    """

    folder = "mnist"
    mirrors = [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ]
    files = {
        "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
        "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
    }
    # md5 of the uncompressed IDX files (stable across recompression of the .gz)
    content_md5 = {
        "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
        "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
        "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
        "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
    }
    # md5 of the published .gz files, for data sets whose uncompressed md5s are not published
    gz_md5: dict[str, str] = {}
    sizes = {"train": 60000, "test": 10000}
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six",
               "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root: str | os.PathLike | None = None, train: bool = True,
                 transform=None, target_transform=None, download: bool = False,
                 verify: bool = True):
        self.root = data_root(root)
        self.train = bool(train)
        self.transform = transform
        self.target_transform = target_transform
        self.verify = bool(verify)
        split = "train" if self.train else "test"
        image_name, label_name = self.files[split]
        missing = [n for n in (image_name, label_name) if self._find(n) is None]
        if missing:
            if not download:
                wanted = {n + ".gz": [m + n + ".gz" for m in self.mirrors] for n in missing}
                raise DatasetNotFoundError(
                    missing_files_message(type(self).__name__, self.raw_folder, wanted))
            failed = []
            for name in missing:
                try:
                    self._download(name)
                except DownloadError:
                    failed.append(name)
            if failed:  # one message that lists every file to put where
                wanted = {n + ".gz": [m + n + ".gz" for m in self.mirrors] for n in failed}
                raise DownloadError(missing_files_message(type(self).__name__, self.raw_folder,
                                                          wanted, downloading=True))
        images, images_verified = self._read(image_name)
        labels, labels_verified = self._read(label_name)
        # without a published md5 for a file (raw Fashion-MNIST), check the split's size instead
        check_size = self.verify and not (images_verified and labels_verified)
        self._check(images, labels, image_name, label_name, split, check_size)
        self._images = images
        self._labels = labels.astype(numpy.int64)
        self.data = Tensor._make(self._images)
        self.targets = Tensor._make(self._labels)

    @property
    def raw_folder(self) -> Path:
        """The folder that holds this data set's IDX files."""
        return self.root / self.folder

    def _find(self, name: str) -> Path | None:
        for candidate in (name, name + ".gz"):
            path = self.raw_folder / candidate
            if path.is_file():
                return path
        return None

    def _download(self, name: str) -> None:
        urls = [m + name + ".gz" for m in self.mirrors]
        dest = self.raw_folder / (name + ".gz")
        if name in self.content_md5:
            download_url(urls, dest, self.content_md5[name], md5_of="content")
        else:
            download_url(urls, dest, self.gz_md5.get(name + ".gz"), md5_of="file")

    def _read(self, name: str) -> tuple[numpy.ndarray, bool]:
        """Parse one file; also say whether an md5 vouched for it."""
        path = self._find(name)
        raw = path.read_bytes()
        gzipped = path.suffix == ".gz"
        verified = False
        if self.verify and gzipped and name + ".gz" in self.gz_md5:
            check_md5(raw, self.gz_md5[name + ".gz"], path, "gzip file")
            verified = True
        content = gunzip(raw, path) if gzipped else raw
        if self.verify and name in self.content_md5:
            check_md5(content, self.content_md5[name], path, "uncompressed content")
            verified = True
        return parse_idx(content, path), verified

    def _check(self, images, labels, image_name: str, label_name: str, split: str,
               check_size: bool) -> None:
        image_path, label_path = self._find(image_name), self._find(label_name)
        if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != numpy.uint8:
            raise CorruptFileError(f"{image_path}: expected uint8 images of shape (N, 28, 28), "
                                   f"got {images.dtype} of shape {images.shape}")
        if labels.ndim != 1 or labels.dtype != numpy.uint8:
            raise CorruptFileError(f"{label_path}: expected uint8 labels of shape (N,), got "
                                   f"{labels.dtype} of shape {labels.shape}")
        if len(images) != len(labels):
            raise CorruptFileError(f"{image_path} holds {len(images)} images but {label_path} "
                                   f"holds {len(labels)} labels")
        if len(labels) and int(labels.max()) >= len(self.classes):
            raise CorruptFileError(f"{label_path}: label {int(labels.max())} is out of range for "
                                   f"{len(self.classes)} classes")
        if check_size and len(images) != self.sizes[split]:
            raise CorruptFileError(f"{image_path}: holds {len(images)} images, the {split} split "
                                   f"of {type(self).__name__} has {self.sizes[split]}")


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: 28x28 grey images of 10 kinds of clothing, MNIST's format.

    Same interface as ``MNIST``; files live in ``<root>/fashion-mnist/``. Only the md5s of the
    published ``.gz`` files exist, so ``verify`` checks those for gzipped files and, for raw
    (uncompressed) files, the header, the exact size and the number of images instead.
    Equivalent of ``torchvision.datasets.FashionMNIST``.

    >>> from shenjing.datasets import FashionMNIST
    >>> FashionMNIST.classes[9]
    'Ankle boot'
    """

    folder = "fashion-mnist"
    mirrors = [
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ]
    content_md5: dict[str, str] = {}
    # published by Zalando Research (and used by torchvision) for the .gz files
    gz_md5 = {
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
    }
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]
