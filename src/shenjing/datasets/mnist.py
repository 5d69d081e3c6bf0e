"""MNIST and Fashion-MNIST: 28x28 grey images in the IDX format, 60,000 to train, 10,000 to test.

Files are read gzipped (``train-images-idx3-ubyte.gz``) or raw (``train-images-idx3-ubyte``) from
``<root>/mnist/`` or ``<root>/fashion-mnist/``. Every file is checked before its bytes become an
array: the md5 (for MNIST of the uncompressed content, so a recompressed file still passes), the
IDX magic number, the dims and the exact length, so a truncated or corrupt file is an error that
names it, never a garbage array. Gzip data is decompressed only up to the size its IDX header
announces, and never past the known size of the canonical file, so a small file that expands to
gigabytes (a gzip bomb) is refused without being held in memory.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
from pathlib import Path
from typing import BinaryIO

import numpy

from shenjing.autograd.tensor import Tensor
from shenjing.data.dataset import Dataset
from shenjing.datasets.download import (
    CHUNK,
    DEFLATE_MAX_RATIO,
    CorruptFileError,
    DatasetNotFoundError,
    DownloadError,
    check_file_md5,
    checksum_error,
    download_url,
    gzip_errors,
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


def _idx_header(stream: BinaryIO, name) -> tuple[bytes, numpy.dtype, tuple[int, ...], int]:
    """Read an IDX header from ``stream``: its bytes, the element type, the shape, and the
    number of data bytes it announces (a Python int: a forged shape cannot overflow it)."""
    head = stream.read(4)
    if len(head) < 4:
        raise CorruptFileError(f"{name}: {len(head)} bytes is too short for an IDX header")
    zero0, zero1, code, ndim = head
    if zero0 or zero1 or code not in _IDX_TYPES or ndim == 0:
        raise CorruptFileError(
            f"{name}: bad IDX magic number 0x{head.hex()}: expected 0x0000TTDD with a type "
            "code TT in (08, 09, 0b, 0c, 0d, 0e) and DD >= 1 dims; this is not an IDX file, or it "
            "is corrupt"
        )
    dims = stream.read(4 * ndim)
    if len(dims) < 4 * ndim:
        raise CorruptFileError(f"{name}: truncated IDX header ({4 + len(dims)} bytes, the "
                               f"{ndim} dims need {4 + 4 * ndim})")
    shape = tuple(int.from_bytes(dims[4 * i: 4 * i + 4], "big") for i in range(ndim))
    dtype = _IDX_TYPES[code]
    return head + dims, dtype, shape, dtype.itemsize * math.prod(shape)


def _check_length(name, shape: tuple[int, ...], expected: int, found: int) -> None:
    """Refuse data shorter or longer than the ``expected`` bytes the header announced."""
    if found < expected:
        raise CorruptFileError(f"{name}: truncated: the header announces shape {shape}, "
                               f"{expected} bytes of data, but only {found} follow")
    if found > expected:
        raise CorruptFileError(f"{name}: {found - expected} unexpected bytes after the "
                               f"{expected} bytes of data announced for shape {shape}")


def _native(data: numpy.ndarray, dtype: numpy.dtype, shape: tuple[int, ...]) -> numpy.ndarray:
    """The raw bytes ``data`` as an array of ``shape`` in native byte order."""
    return data.view(dtype).reshape(shape).astype(dtype.newbyteorder("="), copy=False)


def parse_idx(content: bytes, name: str | os.PathLike = "<bytes>") -> numpy.ndarray:
    """Decode the bytes of an IDX file into an array, checking magic number, dims and length.

    The format: two zero bytes, a type code (0x08 = uint8 ...), the number of dims, each dim as a
    big-endian uint32, then the data. Raises ``CorruptFileError`` naming ``name`` on any mismatch.

    >>> from shenjing.datasets.mnist import parse_idx
    >>> parse_idx(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9])).tolist()
    [7, 8, 9]
    """
    header, dtype, shape, nbytes = _idx_header(io.BytesIO(content), name)
    _check_length(name, shape, nbytes, len(content) - len(header))
    return _native(numpy.frombuffer(content, dtype=numpy.uint8, offset=len(header)), dtype,
                   shape)


def read_idx(path: str | os.PathLike, md5: str | None = None,
             max_bytes: int | None = None) -> numpy.ndarray:
    """Read an IDX file, gzipped (``.gz``) or raw, optionally checking the md5 of its content.

    The file is read in chunks into an array of the size its header announces; a header that
    announces more than ``max_bytes`` (header included), more than a gzip file of this size can
    hold, or more than a raw file holds, is a ``CorruptFileError`` before anything is allocated,
    and gzip data beyond the announced size is refused unread. Equivalent of torchvision's
    ``read_image_file`` / ``read_label_file``.
    """
    import gzip

    path = Path(path)
    try:
        file = open(path, "rb")
    except FileNotFoundError:
        raise DatasetNotFoundError(f"{path}: no such file") from None
    with file:
        size = os.fstat(file.fileno()).st_size
        if path.suffix != ".gz":
            return _read_idx_stream(file, path, md5, max_bytes, raw_size=size)
        with gzip_errors(path), gzip.GzipFile(fileobj=file, mode="rb") as stream:
            return _read_idx_stream(stream, path, md5, max_bytes, gzip_size=size)


def _read_idx_stream(stream: BinaryIO, path: Path, md5: str | None, max_bytes: int | None, *,
                     raw_size: int | None = None, gzip_size: int | None = None) -> numpy.ndarray:
    """Read an IDX header, then exactly the data it announces, from a raw file of ``raw_size``
    bytes or a gzip stream from a file of ``gzip_size`` bytes; refuse more before reading it."""
    header, dtype, shape, nbytes = _idx_header(stream, path)
    total = len(header) + nbytes
    if max_bytes is not None and total > max_bytes:
        raise CorruptFileError(f"{path}: the header announces shape {shape}, {total:,} bytes, "
                               f"more than the {max_bytes:,} bytes of this file; it is corrupt "
                               "or not this data set's file")
    if raw_size is not None:
        _check_length(path, shape, nbytes, raw_size - len(header))
    elif total > DEFLATE_MAX_RATIO * gzip_size:
        raise CorruptFileError(f"{path}: the header announces shape {shape}, {total:,} bytes, "
                               f"more than a gzip file of {gzip_size:,} bytes can hold; it is "
                               "truncated or corrupt")
    digest = hashlib.md5(header, usedforsecurity=False)
    data = numpy.empty(nbytes, dtype=numpy.uint8)
    view = memoryview(data)
    filled = 0
    while filled < nbytes:
        n = stream.readinto(view[filled:filled + CHUNK])
        if not n:
            break
        digest.update(view[filled:filled + n])
        filled += n
    _check_length(path, shape, nbytes, filled)
    if stream.read(1):  # also makes gzip check the stream's CRC and length
        raise CorruptFileError(f"{path}: more data follows the {nbytes:,} bytes announced for "
                               f"shape {shape}; the file is corrupt or not an IDX file")
    if md5 is not None and digest.hexdigest() != md5:
        raise checksum_error(path, digest.hexdigest(), md5, "uncompressed content")
    return _native(data, dtype, shape)


def _pil_image(array, channels_last: bool):
    """One image as a PIL image (needs Pillow: ``pip install shenjing[images]``)."""
    try:
        from PIL import Image
    except ImportError as exc:
        raise ImportError("pil_images=True needs Pillow: pip install shenjing[images]") from exc
    if not channels_last:
        array = array.transpose(1, 2, 0)
    return Image.fromarray(numpy.ascontiguousarray(array))


class ImageArrayDataset(Dataset):
    """Base of MNIST and CIFAR10: images and labels held as two arrays, ``_images`` and
    ``_labels``, plus optional per-sample transforms.

    ``get_batch`` fetches a batch with one fancy-index and, when the transform has a ``batched``
    form (every transform in ``shenjing.data.transforms`` does), transforms the whole batch at once.
    With ``pil_images=True`` each image is a PIL image instead of a uint8 tensor.
    """

    channels_last = True  # images are (H, W) or (H, W, C)

    _images: numpy.ndarray
    _labels: numpy.ndarray
    transform = None
    target_transform = None
    pil_images = False  # True: images are PIL images, as torchvision's datasets give them

    def __getitem__(self, index: int):
        image = self._images[index]
        image = _pil_image(image, self.channels_last) if self.pil_images else Tensor._make(image)
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
        if not batchable or self.target_transform is not None or self.pil_images:
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
    image, unless ``pil_images=True`` (``transforms.ToTensor`` takes either).

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
    # bytes of each uncompressed file: 16 header bytes + N 28x28 images, 8 + N labels; Fashion-MNIST
    # has the same. Nothing longer is ever decompressed or read.
    content_sizes = {
        "train-images-idx3-ubyte": 16 + 60000 * 28 * 28,
        "train-labels-idx1-ubyte": 8 + 60000,
        "t10k-images-idx3-ubyte": 16 + 10000 * 28 * 28,
        "t10k-labels-idx1-ubyte": 8 + 10000,
    }
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six",
               "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root: str | os.PathLike | None = None, train: bool = True,
                 transform=None, target_transform=None, download: bool = False,
                 verify: bool = True, pil_images: bool = False):
        self.root = data_root(root)
        self.train = bool(train)
        self.pil_images = bool(pil_images)
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
            errors = {}
            for name in missing:
                try:
                    self._download(name)
                except DownloadError as exc:
                    errors[name + ".gz"] = exc
            if errors:  # one message that lists every file to put where, and why each failed
                wanted = {n: [m + n for m in self.mirrors] for n in errors}
                raise DownloadError(missing_files_message(type(self).__name__, self.raw_folder,
                                                          wanted, errors),
                                    [f for e in errors.values() for f in e.failures],
                                    all(e.offline for e in errors.values()))
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
        size = self.content_sizes[name]
        # a gzip file is at most a little larger than its content (stored blocks)
        limits = {"max_bytes": size + size // 100 + 4096, "max_content_bytes": size}
        if name in self.content_md5:
            download_url(urls, dest, self.content_md5[name], md5_of="content", **limits)
        else:
            download_url(urls, dest, self.gz_md5.get(name + ".gz"), md5_of="file", **limits)

    def _read(self, name: str) -> tuple[numpy.ndarray, bool]:
        """Parse one file, never reading past its known size; also say whether an md5 vouched
        for it."""
        path = self._find(name)
        verified = False
        if self.verify and path.suffix == ".gz" and name + ".gz" in self.gz_md5:
            check_file_md5(path, self.gz_md5[name + ".gz"], "gzip file")
            verified = True
        md5 = self.content_md5.get(name) if self.verify else None
        array = read_idx(path, md5, max_bytes=self.content_sizes[name])
        return array, verified or md5 is not None

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
