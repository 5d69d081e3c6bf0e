"""CIFAR-10 on small files written in the canonical ``cifar-10-batches-py`` format, the restricted
unpickler against malicious pickles, and the download and safe extraction of the archive."""

import io
import os
import pickle
import re
import struct
import tarfile

import numpy as np
import pytest

import shenjing as sj
from shenjing.data import DataLoader, default_collate
from shenjing.data.transforms import Compose, Normalize, RandomHorizontalFlip, ToFloat
from shenjing.datasets import (
    CIFAR10,
    ChecksumError,
    CorruptFileError,
    DatasetNotFoundError,
    RestrictedUnpickler,
    UnsafePickleError,
)
from shenjing.datasets.cifar import extract_tar, load_pickle
from shenjing.datasets.download import file_md5
from tests.datasets import peak_traced_bytes, serve, write_gzip_bomb

N = 4  # images per batch file
CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
           "truck"]
RECONSTRUCT = np.zeros(0).__reduce__()[0]


class Py2Pickler(pickle._Pickler):
    """Writes what Python 2's cPickle wrote into the real files: str and bytes as BINSTRING
    opcodes (raw bytes), and numpy's reconstructor under its NumPy 1 name."""

    dispatch = pickle._Pickler.dispatch.copy()

    def save_py2_string(self, obj):
        data = obj.encode("latin1") if isinstance(obj, str) else obj
        if len(data) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(data)]) + data)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(data)) + data)
        self.memoize(obj)

    dispatch[str] = save_py2_string
    dispatch[bytes] = save_py2_string

    def save_global(self, obj, name=None):
        if obj is RECONSTRUCT:
            self.write(pickle.GLOBAL + b"numpy.core.multiarray\n_reconstruct\n")
            self.memoize(obj)
        else:
            super().save_global(obj, name)


def dump(obj, path, py2=False):
    with open(path, "wb") as f:
        if py2:
            Py2Pickler(f, protocol=2).dump(obj)
        else:
            pickle.dump(obj, f, protocol=2)


def write_cifar(root, py2=False, seed=0):
    """The canonical folder in miniature: five train batches, a test batch and the meta file."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    rows, labels = {}, {}
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for k, name in enumerate(names):
        rows[name] = rng.integers(0, 256, (N, 3072), dtype=np.uint8)
        labels[name] = [int(v) for v in (np.arange(N) + k) % 10]
        title = f"training batch {k + 1} of 5" if k < 5 else "testing batch 1 of 1"
        dump({b"batch_label": title.encode(), b"labels": labels[name], b"data": rows[name],
              b"filenames": [f"img_{k}_{i}.png".encode() for i in range(N)]},
             folder / name, py2)
    dump({b"num_cases_per_batch": N, b"label_names": [c.encode() for c in CLASSES],
          b"num_vis": 3072}, folder / "batches.meta", py2)
    return rows, labels


@pytest.mark.parametrize("py2", [False, True], ids=["python3-protocol2", "python2-cpickle"])
def test_reads_the_canonical_format(tmp_path, py2):
    rows, labels = write_cifar(tmp_path, py2=py2)
    train = CIFAR10(tmp_path, train=True, verify=False)
    test = CIFAR10(tmp_path, train=False, verify=False)
    assert train.data.shape == (5 * N, 32, 32, 3) and test.data.shape == (N, 32, 32, 3)
    assert train.data.dtype == sj.uint8 and train.targets.dtype == sj.int64
    assert train.classes == CLASSES and len(train) == 5 * N
    expected = np.concatenate([rows[f"data_batch_{i}"] for i in range(1, 6)])
    # a row is the red plane, then green, then blue, each 32x32 row-major
    i, h, w = 7, 5, 30
    for c in range(3):
        assert train.data.numpy()[i, h, w, c] == expected[i, c * 1024 + h * 32 + w]
    assert train.targets.tolist() == sum((labels[f"data_batch_{i}"] for i in range(1, 6)), [])
    assert test.targets.tolist() == labels["test_batch"]
    image, label = train[0]
    assert image.shape == (32, 32, 3) and isinstance(label, int)


def test_channels_first(tmp_path):
    rows, _ = write_cifar(tmp_path)
    ds = CIFAR10(tmp_path, train=False, verify=False, channels_first=True)
    assert ds.data.shape == (N, 3, 32, 32)
    assert np.array_equal(ds.data.numpy().reshape(N, -1), rows["test_batch"])


def test_verify_checks_the_published_md5s(tmp_path):
    write_cifar(tmp_path)
    with pytest.raises(ChecksumError, match="data_batch_1: md5 .* expected "
                                            "c99cafc152244af753f735de768cd75f"):
        CIFAR10(tmp_path)


def test_missing_files_are_listed_with_the_archive(tmp_path):
    write_cifar(tmp_path)
    os.remove(tmp_path / "cifar-10-batches-py" / "data_batch_3")
    with pytest.raises(DatasetNotFoundError) as info:
        CIFAR10(tmp_path, verify=False)
    message = str(info.value)
    assert "data_batch_3" in message and "data_batch_2" not in message
    assert str(tmp_path / "cifar-10-batches-py") in message
    assert "cifar-10-python.tar.gz" in message and "download=True" in message


def test_transformed_batches_equal_per_sample_transforms(tmp_path):
    write_cifar(tmp_path)
    ds = CIFAR10(tmp_path, verify=False, channels_first=True, transform=Compose(
        [ToFloat(), RandomHorizontalFlip(), Normalize([0.5] * 3, [0.25] * 3)]))
    sj.manual_seed(5)
    fast = list(DataLoader(ds, batch_size=8, shuffle=True))
    sj.manual_seed(5)
    slow = list(DataLoader(ds, batch_size=8, shuffle=True, collate_fn=default_collate))
    assert len(fast) == len(slow) == 3
    for (x, y), (x_ref, y_ref) in zip(fast, slow):
        assert x.shape[1:] == (3, 32, 32) and x.dtype == sj.float32
        np.testing.assert_allclose(x.numpy(), x_ref.numpy(), rtol=1e-6)
        assert y.tolist() == y_ref.tolist()


# -- the restricted unpickler ------------------------------------------------------------------

class CallsSystem:
    def __reduce__(self):
        return os.system, ("echo pwned > pwned.txt",)


class CallsEval:
    def __reduce__(self):
        return eval, ("__import__('os').getcwd()",)


@pytest.mark.parametrize("payload, culprit", [
    (CallsSystem(), "system"),
    (CallsEval(), ".eval"),  # __builtin__.eval under protocol 2
    (np.int64(3), "numpy._core.multiarray.scalar"),
    (np.ma.masked_array([1, 2]), "numpy.ma.core"),
    (io.BytesIO(b""), "_io.BytesIO"),
])
def test_malicious_pickles_are_refused(tmp_path, monkeypatch, payload, culprit):
    monkeypatch.chdir(tmp_path)
    write_cifar(tmp_path)
    path = tmp_path / "cifar-10-batches-py" / "data_batch_2"
    with open(path, "wb") as f:
        pickle.dump({b"data": payload, b"labels": []}, f, protocol=2)
    with pytest.raises(UnsafePickleError) as info:
        CIFAR10(tmp_path, verify=False)
    assert str(path) in str(info.value) and culprit in str(info.value)
    assert not (tmp_path / "pwned.txt").exists()


@pytest.mark.parametrize("protocol", [0, 2, 5])
def test_unsafe_whatever_the_protocol(tmp_path, protocol):
    path = tmp_path / "evil"
    path.write_bytes(pickle.dumps(CallsSystem(), protocol=protocol))
    with pytest.raises(UnsafePickleError, match="refusing to load global"):
        load_pickle(path)


def test_object_arrays_and_other_codecs_are_refused(tmp_path):
    path = tmp_path / "objects"
    path.write_bytes(pickle.dumps({b"data": np.array([1, "a"], dtype=object)}, protocol=2))
    with pytest.raises(UnsafePickleError, match="object dtype"):
        load_pickle(path)
    # _codecs.encode is admitted only as Python 3's way of pickling bytes: encode(str, 'latin1')
    crafted = (b"\x80\x02c_codecs\nencode\nX\x03\x00\x00\x00abcX\x06\x00\x00\x00base64\x86R.")
    path.write_bytes(crafted)
    with pytest.raises(UnsafePickleError, match="'base64'"):
        load_pickle(path)


def test_restricted_unpickler_admits_exactly_the_format():
    assert set(RestrictedUnpickler.ALLOWED) == {
        ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode")}


def test_truncated_and_malformed_batches(tmp_path):
    write_cifar(tmp_path)
    path = tmp_path / "cifar-10-batches-py" / "data_batch_4"
    content = path.read_bytes()
    path.write_bytes(content[: len(content) // 2])
    with pytest.raises(CorruptFileError, match="data_batch_4: not a readable CIFAR batch file"):
        CIFAR10(tmp_path, verify=False)
    dump({b"data": np.zeros((N, 100), np.uint8), b"labels": [0] * N}, path)
    with pytest.raises(CorruptFileError, match=r"data_batch_4: 'data' must be a uint8 array of "
                                               r"shape \(N, 3072\), found uint8 array of shape"):
        CIFAR10(tmp_path, verify=False)
    dump({b"data": np.zeros((N, 3072), np.uint8), b"labels": [0] * (N - 1)}, path)
    with pytest.raises(CorruptFileError, match="data_batch_4: 'labels' must be a list of 4 ints"):
        CIFAR10(tmp_path, verify=False)
    dump({b"data": np.zeros((N, 3072), np.uint8), b"labels": [0, 1, 2, 10]}, path)
    with pytest.raises(CorruptFileError, match="data_batch_4: labels must be in 0..9"):
        CIFAR10(tmp_path, verify=False)


# -- download and extraction -------------------------------------------------------------------

def make_archive(tmp_path):
    source = tmp_path / "source"
    write_cifar(source)
    served = tmp_path / "served"
    served.mkdir()
    archive = served / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(source / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    return archive


def test_download_fetches_checks_and_extracts(tmp_path, monkeypatch):
    archive = make_archive(tmp_path)
    from shenjing.datasets.download import file_md5

    with serve(archive.parent) as (url, log):
        monkeypatch.setattr(CIFAR10, "mirrors", [f"{url}/missing/", f"{url}/good/"])
        monkeypatch.setattr(CIFAR10, "tgz_md5", file_md5(archive))
        root = tmp_path / "root"
        ds = CIFAR10(root, train=True, download=True, verify=False)
    assert len(ds) == 5 * N and ds.classes == CLASSES
    assert log == ["/missing/cifar-10-python.tar.gz", "/good/cifar-10-python.tar.gz"]
    assert sorted(p.name for p in root.iterdir()) == ["cifar-10-batches-py",
                                                      "cifar-10-python.tar.gz"]


def test_download_of_a_corrupt_archive_is_refused(tmp_path, monkeypatch):
    archive = make_archive(tmp_path)
    with serve(archive.parent) as (url, _):
        monkeypatch.setattr(CIFAR10, "mirrors", [f"{url}/corrupt/"])
        from shenjing.datasets import DownloadError

        with pytest.raises(DownloadError, match="md5"):
            CIFAR10(tmp_path / "root", download=True, verify=False)
    assert not (tmp_path / "root").exists()  # no folder where nothing was kept


@pytest.mark.parametrize("evil", ["../escaped.txt", "/tmp/absolute.txt",
                                  "cifar-10-batches-py/../../escaped.txt", "elsewhere/file",
                                  "symlink"])
def test_extraction_refuses_members_outside_the_folder(tmp_path, evil):
    archive = tmp_path / "evil.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo("cifar-10-batches-py/batches.meta")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"abc"))
        if evil == "symlink":
            link = tarfile.TarInfo("cifar-10-batches-py/data_batch_1")
            link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
            tar.addfile(link)
        else:
            info = tarfile.TarInfo(evil)
            info.size = 4
            tar.addfile(info, io.BytesIO(b"evil"))
    dest = tmp_path / "dest"
    with pytest.raises(CorruptFileError, match="refusing member"):
        extract_tar(archive, dest, "cifar-10-batches-py")
    assert not (tmp_path / "escaped.txt").exists()
    assert not dest.exists() or list(dest.rglob("*")) == []


def test_extraction_of_a_truncated_archive_is_an_error(tmp_path):
    archive = make_archive(tmp_path)
    archive.write_bytes(archive.read_bytes()[:2000])
    with pytest.raises(CorruptFileError, match="cifar-10-python.tar.gz: cannot extract"):
        extract_tar(archive, tmp_path / "dest", "cifar-10-batches-py")


# -- archives and files larger than CIFAR-10's own ---------------------------------------------

MB = 1 << 20


def download_crafted(tmp_path, monkeypatch, header: bytes, zeros: int):
    """Serve a crafted cifar-10-python.tar.gz (``header`` then ``zeros`` zero bytes), whose md5
    the class is told to expect, and download it; return the error and the peak memory."""
    served = tmp_path / "served"
    served.mkdir()
    archive = write_gzip_bomb(served / "cifar-10-python.tar.gz", header, zeros)
    monkeypatch.setattr(CIFAR10, "tgz_md5", file_md5(archive))
    with serve(served) as (url, _):
        monkeypatch.setattr(CIFAR10, "mirrors", [f"{url}/good/"])
        return peak_traced_bytes(CIFAR10, tmp_path / "root", download=True, verify=False)


def tar_header(name: str, size: int, kind: bytes = tarfile.REGTYPE) -> bytes:
    info = tarfile.TarInfo(name)
    info.size, info.type = size, kind
    return info.tobuf(tarfile.USTAR_FORMAT)


def test_a_member_larger_than_its_canonical_file_is_refused_unwritten(tmp_path, monkeypatch):
    size = CIFAR10.file_sizes["data_batch_1"] + 2 * MB
    error, peak = download_crafted(tmp_path, monkeypatch,
                                   tar_header("cifar-10-batches-py/data_batch_1", size),
                                   size + 1024)
    assert isinstance(error, CorruptFileError)
    assert re.search(r"refusing member 'cifar-10-batches-py/data_batch_1': 33,\S+ bytes, more "
                     r"than the 32,\S+ that this file may have", str(error))
    root = tmp_path / "root"
    assert sorted(p.name for p in root.iterdir()) == ["cifar-10-python.tar.gz"]
    assert peak < 8 * MB


def test_a_metadata_record_bomb_is_refused_within_a_few_mb(tmp_path, monkeypatch):
    # a pax record that claims 100 MB: tarfile reads such a record whole into memory
    error, peak = download_crafted(tmp_path, monkeypatch,
                                   tar_header("././@PaxHeader", 100_000_000, tarfile.XHDTYPE),
                                   100_000_000)
    assert isinstance(error, CorruptFileError) and "cifar-10-python.tar.gz: a record of" in str(
        error)
    assert peak < 8 * MB
    assert not (tmp_path / "root" / "cifar-10-batches-py").exists()


def test_extraction_with_sizes_admits_only_the_known_files(tmp_path):
    archive = make_archive(tmp_path)
    sizes = {name: 1 * MB for name in ["batches.meta", "test_batch"] +
             [f"data_batch_{i}" for i in range(1, 6)]}
    folder = extract_tar(archive, tmp_path / "dest", "cifar-10-batches-py", sizes)
    assert sorted(p.name for p in folder.iterdir()) == sorted(sizes)
    del sizes["data_batch_3"]
    with pytest.raises(CorruptFileError, match="refusing member 'cifar-10-batches-py/"
                                               "data_batch_3': not one of the files"):
        extract_tar(archive, tmp_path / "other", "cifar-10-batches-py", sizes)
    assert not (tmp_path / "other").exists()


def test_a_batch_file_larger_than_the_canonical_one_is_refused_unread(tmp_path):
    write_cifar(tmp_path)
    with open(tmp_path / "cifar-10-batches-py" / "data_batch_2", "r+b") as f:
        f.truncate(40_000_000)  # sparse: 40 MB that take no disk
    error, peak = peak_traced_bytes(CIFAR10, tmp_path, verify=False)
    assert isinstance(error, CorruptFileError)
    assert re.search(r"data_batch_2: 40,000,000 bytes, more than the \S+ that this file may have",
                     str(error))
    assert peak < 4 * MB


def test_a_pickle_cannot_make_numpy_allocate_what_the_file_does_not_hold(tmp_path):
    class Huge:
        def __reduce__(self):  # NumPy's own reconstructor, asked for a 3 GB array
            return RECONSTRUCT, (np.ndarray, (10**6, 3072), b"b")

    path = tmp_path / "huge"
    path.write_bytes(pickle.dumps({b"data": Huge(), b"labels": []}, protocol=2))
    with pytest.raises(UnsafePickleError, match=r"_reconstruct called with shape \(1000000, "
                                                r"3072\)"):
        load_pickle(path)
    # NumPy's own pickles of arrays still load
    path.write_bytes(pickle.dumps({"a": np.arange(6, dtype=np.uint8).reshape(2, 3)}, protocol=2))
    assert load_pickle(path)["a"].tolist() == [[0, 1, 2], [3, 4, 5]]


def test_a_corrupt_xz_archive_is_a_corrupt_file(tmp_path):
    import lzma

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        data = b"x" * 1000
        member = tarfile.TarInfo("cifar-10-batches-py/readme.html")
        member.size = len(data)
        archive.addfile(member, io.BytesIO(data))
    damaged = bytearray(lzma.compress(buffer.getvalue()))
    damaged[40] ^= 0xFF
    path = tmp_path / "cifar.tar.xz"
    path.write_bytes(bytes(damaged))
    with pytest.raises(CorruptFileError, match="cifar.tar.xz"):
        extract_tar(path, tmp_path / "dest", "cifar-10-batches-py", {"readme.html": 2000})
