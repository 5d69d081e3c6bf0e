"""CIFAR-10: 60,000 32x32 colour images in 10 classes, from the canonical ``cifar-10-batches-py``.

The batch files are Python pickles, and unpickling can run arbitrary code, so they are read
through ``RestrictedUnpickler``, which admits only the few globals that this format holds.
The archive is downloaded with an md5 check and extracted without following links or leaving the
target folder; extraction admits only the archive's known files at no more than their known
sizes, and stops decompressing past their total, so a crafted archive cannot fill the disk or the
memory.
"""

from __future__ import annotations

import math
import os
import pickle
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

import numpy

from shenjing.autograd.tensor import Tensor
from shenjing.datasets.download import (
    CorruptFileError,
    DatasetNotFoundError,
    check_file_md5,
    download_url,
    file_md5,
    missing_files_message,
)
from shenjing.datasets.mnist import ImageArrayDataset
from shenjing.datasets.root import data_root


class UnsafePickleError(pickle.UnpicklingError):
    """A pickle asked for a global (a class or function) that its format never holds."""


def _reconstruct(subtype, shape, dtype):
    # numpy's array-pickling entry point (numpy.core.multiarray._reconstruct), for plain arrays only
    if subtype is not numpy.ndarray:
        raise UnsafePickleError(f"_reconstruct called for {subtype!r}, only numpy.ndarray allowed")
    # NumPy pickles an array as an empty one plus a state that holds the data (whose length
    # __setstate__ checks); a larger shape here would allocate memory the file does not hold
    if not isinstance(shape, tuple) or not all(type(n) is int for n in shape) \
            or math.prod(shape) != 0:
        raise UnsafePickleError(f"_reconstruct called with shape {shape!r}; NumPy pickles start "
                                "from an empty array")
    return _NUMPY_RECONSTRUCT(numpy.ndarray, shape, dtype)


def _dtype(*args):
    # numpy.dtype, refusing object dtypes: their arrays would hold arbitrary unpickled objects
    dtype = numpy.dtype(*args)
    if dtype.hasobject:
        raise UnsafePickleError(f"refusing object dtype {dtype}")
    return dtype


def _latin1_encode(text, encoding="latin1"):
    # How Python 3 pickles bytes under protocol 2: _codecs.encode(str, 'latin1'). Nothing else.
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise UnsafePickleError(f"_codecs.encode allowed only as encode(str, 'latin1'), got "
                                f"encode({type(text).__name__}, {encoding!r})")
    return text.encode("latin1")


_NUMPY_RECONSTRUCT = numpy.zeros(0).__reduce__()[0]  # wherever this numpy version defines it


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler for CIFAR's batch files that refuses every global but five.

    The files hold dicts of strings to lists, strings, ints and NumPy arrays. Arrays unpickle
    through ``numpy.core.multiarray._reconstruct`` (``numpy._core`` in NumPy 2), ``numpy.ndarray``
    and ``numpy.dtype``; files written by Python 3 with protocol 2 also encode bytes through
    ``_codecs.encode``. Anything else (``os.system``, ``builtins.eval``, ...) raises
    ``UnsafePickleError``. The pattern of the Python docs' "Restricting Globals".
    """

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
        ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
        ("numpy", "ndarray"): numpy.ndarray,
        ("numpy", "dtype"): _dtype,
        ("_codecs", "encode"): _latin1_encode,
    }

    def find_class(self, module: str, name: str):
        try:
            return self.ALLOWED[(module, name)]
        except KeyError:
            raise UnsafePickleError(
                f"refusing to load global {module}.{name}: CIFAR batch files hold only dicts, "
                "lists, strings, numbers and NumPy arrays"
            ) from None

    def persistent_load(self, pid):
        raise UnsafePickleError(f"refusing persistent id {pid!r}")


def load_pickle(path: str | os.PathLike, max_bytes: int | None = None):
    """Unpickle a CIFAR batch file safely; keys come back as ``str`` whatever wrote the file.

    Errors name the file: ``UnsafePickleError`` for a forbidden global, ``CorruptFileError`` for a
    truncated or malformed pickle, or one larger than ``max_bytes``.
    """
    path = Path(path)
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if max_bytes is not None and size > max_bytes:
                raise CorruptFileError(f"{path}: {size:,} bytes, more than the {max_bytes:,} that "
                                       "this file may have; it is not a CIFAR-10 batch file")
            # latin1: the files were written by Python 2, whose str holds raw bytes (NumPy's advice)
            obj = RestrictedUnpickler(f, encoding="latin1").load()
    except FileNotFoundError:
        raise DatasetNotFoundError(f"{path}: no such file") from None
    except UnsafePickleError as exc:
        raise UnsafePickleError(f"{path}: {exc}") from None
    except CorruptFileError:
        raise
    except Exception as exc:  # a damaged pickle raises EOFError, ValueError, KeyError, ...
        raise CorruptFileError(f"{path}: not a readable CIFAR batch file "
                               f"({type(exc).__name__}: {exc})") from None
    if not isinstance(obj, dict):
        raise CorruptFileError(f"{path}: expected a dict, found a {type(obj).__name__}")
    return {(k.decode("latin1") if isinstance(k, bytes) else k): v for k, v in obj.items()}


class CIFAR10(ImageArrayDataset):
    """CIFAR-10: ``(image, label)`` with a uint8 ``(32, 32, 3)`` image (``(3, 32, 32)`` with
    ``channels_first=True``).

    ``data`` is a uint8 tensor ``(N, 32, 32, 3)`` as torchvision stores it (or ``(N, 3, 32, 32)``),
    ``targets`` an int64 tensor, ``classes`` the names from ``batches.meta``; ``train`` picks the
    50,000 training (``data_batch_1..5``) or 10,000 test (``test_batch``) images. Files live in
    ``<root>/cifar-10-batches-py/``; ``download=True`` fetches and safely extracts the archive.
    ``verify`` checks each file's published md5. Equivalent of ``torchvision.datasets.CIFAR10``,
    but ``ds[i]`` gives a tensor where torchvision gives a PIL image, unless ``pil_images=True``
    (``transforms.ToTensor`` takes either).

    >>> from shenjing.datasets import CIFAR10
    >>> CIFAR10.base_folder, len(CIFAR10.train_list)
    ('cifar-10-batches-py', 5)
    """

    base_folder = "cifar-10-batches-py"
    mirrors = ["https://www.cs.toronto.edu/~kriz/"]
    filename = "cifar-10-python.tar.gz"
    tgz_md5 = "c58f30108f718f92721af3b95e74349a"
    train_list = [
        ("data_batch_1", "c99cafc152244af753f735de768cd75f"),
        ("data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"),
        ("data_batch_3", "54ebc095f3ab1f0389bbae665268c751"),
        ("data_batch_4", "634d18415352ddfa80567beed471001a"),
        ("data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"),
    ]
    test_list = [("test_batch", "40351d587109b95175f43aff81a1287e")]
    meta = ("batches.meta", "5ff9c542aee3614f3951f8cda6e48888")
    # Bytes of the archive and of each file in it. Nothing larger is downloaded; no file larger
    # by more than ``size_slack`` (a copy re-pickled by Python 3 grows a little) is extracted or
    # read.
    tgz_size = 170498071
    file_sizes = {
        "batches.meta": 158,
        "data_batch_1": 31035704,
        "data_batch_2": 31035320,
        "data_batch_3": 31035999,
        "data_batch_4": 31035696,
        "data_batch_5": 31035623,
        "readme.html": 88,
        "test_batch": 31035526,
    }
    size_slack = 1 << 20

    def __init__(self, root: str | os.PathLike | None = None, train: bool = True,
                 transform=None, target_transform=None, download: bool = False,
                 verify: bool = True, channels_first: bool = False, pil_images: bool = False):
        self.root = data_root(root)
        self.train = bool(train)
        self.pil_images = bool(pil_images)
        self.transform = transform
        self.target_transform = target_transform
        self.verify = bool(verify)
        self.channels_first = bool(channels_first)
        self.channels_last = not self.channels_first
        wanted = (self.train_list if self.train else self.test_list) + [self.meta]
        missing = [name for name, _ in wanted if not (self.folder / name).is_file()]
        if missing:
            if not download:
                urls = [m + self.filename for m in self.mirrors]
                files = {name: [] for name in missing}
                raise DatasetNotFoundError(
                    missing_files_message("CIFAR10", self.folder, files)
                    + f"\nThey come in {self.filename} from {urls[0]}; extract it in {self.root}."
                )
            self._download()
        if self.verify:
            for name, md5 in wanted:
                check_file_md5(self.folder / name, md5)
        self.classes = self._load_classes()
        images, labels = [], []
        for name, _ in wanted[:-1]:
            x, y = self._load_batch(self.folder / name)
            images.append(x)
            labels.append(y)
        # rows are 3072 bytes: 1024 red, then green, then blue, each 32x32 in row-major order
        data = numpy.concatenate(images).reshape(-1, 3, 32, 32)
        if not self.channels_first:
            data = numpy.ascontiguousarray(data.transpose(0, 2, 3, 1))  # (N, C, H, W) -> NHWC
        self._images = data
        self._labels = numpy.concatenate(labels)
        self.data = Tensor._make(self._images)
        self.targets = Tensor._make(self._labels)

    @property
    def folder(self) -> Path:
        """The ``cifar-10-batches-py`` folder under the root."""
        return self.root / self.base_folder

    def _load_classes(self) -> list[str]:
        path = self.folder / self.meta[0]
        names = load_pickle(path, self._max_size(self.meta[0])).get("label_names")
        if not isinstance(names, list) or len(names) != 10:
            raise CorruptFileError(f"{path}: expected 'label_names', a list of 10 class names")
        return [n.decode("latin1") if isinstance(n, bytes) else str(n) for n in names]

    def _load_batch(self, path: Path) -> tuple[numpy.ndarray, numpy.ndarray]:
        entry = load_pickle(path, self._max_size(path.name))
        data = entry.get("data")
        labels = entry.get("labels", entry.get("fine_labels"))
        if not isinstance(data, numpy.ndarray) or data.dtype != numpy.uint8 or data.ndim != 2 \
                or data.shape[1] != 3 * 32 * 32:
            what = (f"{data.dtype} array of shape {data.shape}" if isinstance(data, numpy.ndarray)
                    else type(data).__name__)
            raise CorruptFileError(f"{path}: 'data' must be a uint8 array of shape (N, 3072), "
                                   f"found {what}")
        if not isinstance(labels, (list, numpy.ndarray)) or len(labels) != len(data):
            raise CorruptFileError(f"{path}: 'labels' must be a list of {len(data)} ints, found "
                                   f"{type(labels).__name__} of length "
                                   f"{len(labels) if hasattr(labels, '__len__') else '?'}")
        try:
            labels = numpy.asarray(labels, dtype=numpy.int64)
        except (TypeError, ValueError) as exc:
            raise CorruptFileError(f"{path}: 'labels' are not integers ({exc})") from None
        if len(labels) and (labels.min() < 0 or labels.max() >= 10):
            raise CorruptFileError(f"{path}: labels must be in 0..9, found "
                                   f"{labels.min()}..{labels.max()}")
        return data, labels

    def _download(self) -> None:
        archive = self.root / self.filename
        if not archive.is_file() or (self.verify and file_md5(archive) != self.tgz_md5):
            download_url([m + self.filename for m in self.mirrors], archive, self.tgz_md5,
                         max_bytes=self.tgz_size)
        extract_tar(archive, self.root, self.base_folder,
                    {name: self._max_size(name) for name in self.file_sizes})

    def _max_size(self, name: str) -> int:
        """The most bytes that the file ``name`` may have."""
        return self.file_sizes[name] + self.size_slack


class _BoundedReader:
    """A decompressed archive stream that refuses reads past ``limit`` bytes, or of more than
    ``max_read`` at once.

    tarfile reads a metadata record (a pax or GNU long-name header) whole into memory, and skips
    a member by decompressing up to its end; these bounds keep both within the archive's known
    contents, however large the sizes that its headers claim.
    """

    def __init__(self, stream, archive: Path, limit: int, max_read: int) -> None:
        self._stream, self._archive, self._limit, self._max_read = stream, archive, limit, max_read

    def _refuse(self, what: str):
        return CorruptFileError(f"{self._archive}: {what}; the archive is corrupt or not the "
                                "canonical one")

    def tell(self) -> int:
        return self._stream.tell()

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        target = offset + (self._stream.tell() if whence == os.SEEK_CUR else 0)
        if whence == os.SEEK_END or target > self._limit:
            raise self._refuse(f"it holds more than the {self._limit:,} bytes of its files")
        return self._stream.seek(target)

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0 or size > self._max_read:
            raise self._refuse(f"a record of {size:,} bytes, more than any of its files")
        if self._stream.tell() + size > self._limit:
            raise self._refuse(f"it holds more than the {self._limit:,} bytes of its files")
        return self._stream.read(size)


def _decompressed(raw, archive: Path):
    """``raw`` (an open archive) decompressed by its magic number: gzip, bzip2, xz or none."""
    import bz2
    import gzip
    import lzma

    magic = raw.read(6)
    raw.seek(0)
    if magic.startswith(b"\x1f\x8b"):
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if magic.startswith(b"BZh"):
        return bz2.BZ2File(raw, mode="rb")
    if magic.startswith(b"\xfd7zXZ\x00"):
        return lzma.LZMAFile(raw, mode="rb")
    return raw


def extract_tar(archive: str | os.PathLike, dest: str | os.PathLike, top: str,
                sizes: Mapping[str, int] | None = None) -> Path:
    """Extract the regular files under ``top/`` from a tar archive (plain, gzip, bzip2 or xz)
    into ``dest/top``.

    Refuses (``CorruptFileError``) absolute paths, ``..``, links, devices and anything outside
    ``top/``, so a crafted archive cannot write elsewhere. With ``sizes`` (file name under
    ``top/`` -> its size in bytes), any other file, a file larger than its size, a file twice,
    and decompressing past the total of the sizes are refused as well, before anything is
    written, so a crafted archive cannot fill the disk or the memory. Files are extracted into a
    temporary folder and moved into place one by one. Safer than torchvision's
    ``extract_archive``.
    """
    import lzma
    import shutil
    import tarfile
    import tempfile
    import zlib

    archive, dest = Path(archive), Path(dest)
    try:
        with open(archive, "rb") as raw:
            stream = _decompressed(raw, archive)
            if sizes is not None:
                # each member adds a 512-byte header and up to 511 bytes of padding; the rest of
                # the slack covers folder entries, pax records and the end-of-archive blocks
                limit = sum(sizes.values()) + 1024 * len(sizes) + (1 << 20)
                stream = _BoundedReader(stream, archive, limit, max(sizes.values()) + 1024)
            with tarfile.open(fileobj=stream, mode="r:") as tar:
                members, seen = [], set()
                for member in tar:  # one header at a time: refused before the next is read
                    _check_member(member, archive, top, sizes, seen)
                    members.append(member)
                dest.mkdir(parents=True, exist_ok=True)
                tmp = Path(tempfile.mkdtemp(prefix=f".{top}.", dir=dest))
                try:
                    kwargs = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
                    tar.extractall(tmp, members=members, **kwargs)
                    (dest / top).mkdir(exist_ok=True)
                    for member in members:
                        if member.isfile():
                            target = dest / member.name
                            target.parent.mkdir(parents=True, exist_ok=True)
                            os.replace(tmp / member.name, target)
                finally:
                    shutil.rmtree(tmp, ignore_errors=True)
    except (tarfile.TarError, EOFError, OSError, zlib.error, lzma.LZMAError) as exc:
        if isinstance(exc, FileNotFoundError) and not archive.exists():
            raise DatasetNotFoundError(f"{archive}: no such file") from None
        raise CorruptFileError(f"{archive}: cannot extract ({type(exc).__name__}: {exc})") \
            from None
    return dest / top


def _check_member(member, archive: Path, top: str, sizes: Mapping[str, int] | None,
                  seen: set[str]) -> None:
    """Refuse a tar member outside ``top/``, not a file or folder, or (with ``sizes``) not a
    known file at no more than its known size, or one seen before."""
    name = PurePosixPath(member.name)
    if name.is_absolute() or ".." in name.parts or not name.parts or name.parts[0] != top:
        raise CorruptFileError(f"{archive}: refusing member {member.name!r}, which is outside "
                               f"{top}/")
    if not (member.isfile() or member.isdir()):
        raise CorruptFileError(f"{archive}: refusing member {member.name!r}: only regular files "
                               "and folders are extracted")
    if sizes is None or not member.isfile():
        return
    inner = "/".join(name.parts[1:])
    if inner not in sizes:
        raise CorruptFileError(f"{archive}: refusing member {member.name!r}: not one of the "
                               f"files of {top}/ ({', '.join(sorted(sizes))})")
    if member.size > sizes[inner]:
        raise CorruptFileError(f"{archive}: refusing member {member.name!r}: {member.size:,} "
                               f"bytes, more than the {sizes[inner]:,} that this file may have")
    if inner in seen:
        raise CorruptFileError(f"{archive}: refusing member {member.name!r}: it appears twice")
    seen.add(inner)
