"""MNIST on the real files (shapes, dtypes, label counts, md5), damaged and missing files, the IDX
parser, and Fashion-MNIST on small files in its format."""

import gzip
import re
import shutil

import numpy as np
import pytest

import shenjing as sj
from shenjing.data import DataLoader, default_collate
from shenjing.data.transforms import Compose, Flatten, Lambda, Normalize, ToFloat
from shenjing.datasets import (
    MNIST,
    ChecksumError,
    CorruptFileError,
    DatasetNotFoundError,
    FashionMNIST,
    parse_idx,
    read_idx,
)
from tests.datasets import (
    MNIST_DIR,
    SHARED_DATA,
    peak_traced_bytes,
    requires_mnist,
    write_gzip_bomb,
)

TEST_IMAGES = "t10k-images-idx3-ubyte"
TEST_LABELS = "t10k-labels-idx1-ubyte"


def idx_bytes(array: np.ndarray, code: int = 0x08) -> bytes:
    """An IDX file: magic 0x0000TTDD, the dims as big-endian uint32, then the data."""
    header = bytes([0, 0, code, array.ndim]) + b"".join(
        int(n).to_bytes(4, "big") for n in array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


# -- the real files ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def train():
    return MNIST(SHARED_DATA, train=True)


@pytest.fixture(scope="module")
def test():
    return MNIST(SHARED_DATA, train=False)


@requires_mnist
def test_shapes_and_dtypes(train, test):
    assert train.data.shape == (60000, 28, 28) and test.data.shape == (10000, 28, 28)
    assert train.data.dtype == sj.uint8 and train.targets.dtype == sj.int64
    assert train.targets.shape == (60000,) and test.targets.shape == (10000,)
    assert len(train) == 60000 and len(test) == 10000
    assert len(train.classes) == 10


@requires_mnist
def test_label_counts_per_class(train, test):
    assert np.bincount(train.targets.numpy()).tolist() == [
        5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(test.targets.numpy()).tolist() == [
        980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@requires_mnist
def test_known_first_labels_and_pixel_statistics(train, test):
    assert train.targets[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert test.targets[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    pixels = train.data.numpy()
    assert pixels.min() == 0 and pixels.max() == 255
    # the mean everyone normalises MNIST with
    assert abs(pixels.sum(dtype=np.uint64) / pixels.size / 255 - 0.1307) < 1e-4


@requires_mnist
def test_md5s_are_the_shared_readme_ones():
    table = dict(re.findall(r"\| (\S+)\.gz \| \d+ \| ([0-9a-f]{32}) \|",
                            (SHARED_DATA / "README.md").read_text()))
    assert table == MNIST.content_md5


@requires_mnist
def test_getitem_gives_a_tensor_image_and_an_int_label(test):
    image, label = test[0]
    assert image.shape == (28, 28) and image.dtype == sj.uint8
    assert label == 7 and isinstance(label, int)
    assert "Number of datapoints: 10000" in repr(test)


@requires_mnist
def test_batches_equal_per_sample_collation(test):
    indices = [3, 1, 4, 1, 5, 9, 2, 6]
    x, y = test.get_batch(indices)
    ref_x, ref_y = default_collate([test[i] for i in indices])
    assert np.array_equal(x.numpy(), ref_x.numpy()) and x.dtype == ref_x.dtype
    assert y.tolist() == ref_y.tolist() and y.dtype == sj.int64


@requires_mnist
def test_transformed_batches_equal_per_sample_transforms(tmp_path):
    copy_test_split(tmp_path)
    transform = Compose([ToFloat(), Normalize([0.1307], [0.3081]), Flatten()])
    ds = MNIST(tmp_path, train=False, transform=transform, target_transform=None)
    fast = next(iter(DataLoader(ds, batch_size=64, shuffle=True, generator=3)))
    slow = next(iter(DataLoader(ds, batch_size=64, shuffle=True, generator=3,
                                collate_fn=default_collate)))
    assert fast[0].shape == (64, 784) and fast[0].dtype == sj.float32
    np.testing.assert_allclose(fast[0].numpy(), slow[0].numpy(), rtol=1e-6)
    assert fast[1].tolist() == slow[1].tolist()
    # a transform without a batched form (Lambda) falls back to per-sample calls
    ds.transform = Compose([ToFloat(), Lambda(lambda x: x * 2)])
    x, _ = ds.get_batch([0, 1])
    assert x.shape == (2, 28, 28) and float(x.max()) == 2.0


# -- damaged and missing files -----------------------------------------------------------------

def copy_test_split(root, raw: bool = False):
    folder = root / "mnist"
    folder.mkdir(parents=True, exist_ok=True)
    for name in (TEST_IMAGES, TEST_LABELS):
        if raw:
            (folder / name).write_bytes(gzip.decompress((MNIST_DIR / f"{name}.gz").read_bytes()))
        else:
            shutil.copy(MNIST_DIR / f"{name}.gz", folder / f"{name}.gz")
    return folder


def flip(path, at, n=16):
    data = bytearray(path.read_bytes())
    for i in range(at, at + n):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


@requires_mnist
def test_raw_uncompressed_files_read_the_same(tmp_path, test):
    copy_test_split(tmp_path, raw=True)
    raw = MNIST(tmp_path, train=False)
    assert np.array_equal(raw.data.numpy(), test.data.numpy())
    assert np.array_equal(raw.targets.numpy(), test.targets.numpy())


@requires_mnist
def test_flipped_bytes_in_a_gzip_file(tmp_path):
    folder = copy_test_split(tmp_path)
    path = folder / f"{TEST_IMAGES}.gz"
    flip(path, path.stat().st_size // 2)
    with pytest.raises(CorruptFileError, match=re.escape(str(path))):
        MNIST(tmp_path, train=False)


@requires_mnist
def test_flipped_pixels_in_a_raw_file_fail_the_md5(tmp_path):
    folder = copy_test_split(tmp_path, raw=True)
    path = folder / TEST_IMAGES
    flip(path, 5000)
    with pytest.raises(ChecksumError) as info:
        MNIST(tmp_path, train=False)
    message = str(info.value)
    assert str(path) in message and "md5" in message
    assert "expected 2646ac647ad5339dbf082846283269ea" in message


@requires_mnist
def test_a_flipped_magic_number_is_caught_even_without_md5(tmp_path):
    folder = copy_test_split(tmp_path, raw=True)
    flip(folder / TEST_LABELS, 0, n=2)
    with pytest.raises(CorruptFileError, match=f"{TEST_LABELS}: bad IDX magic number"):
        MNIST(tmp_path, train=False, verify=False)


@requires_mnist
def test_a_truncated_gzip_file(tmp_path):
    folder = copy_test_split(tmp_path)
    path = folder / f"{TEST_IMAGES}.gz"
    path.write_bytes(path.read_bytes()[:100_000])
    with pytest.raises(CorruptFileError, match=f"{re.escape(str(path))}: the gzip stream is "
                                               "truncated"):
        MNIST(tmp_path, train=False)


@pytest.mark.parametrize("verify", [True, False])
@requires_mnist
def test_a_truncated_raw_file(tmp_path, verify):
    # the length is checked against the header before anything is read, md5 or not
    folder = copy_test_split(tmp_path, raw=True)
    path = folder / TEST_IMAGES
    path.write_bytes(path.read_bytes()[:-28])
    with pytest.raises(CorruptFileError, match=re.escape(str(path))) as info:
        MNIST(tmp_path, train=False, verify=verify)
    assert "truncated" in str(info.value) and "7840000 bytes" in str(info.value)


@requires_mnist
def test_images_and_labels_of_different_lengths(tmp_path):
    folder = copy_test_split(tmp_path, raw=True)
    labels = read_idx(folder / TEST_LABELS)
    (folder / TEST_LABELS).write_bytes(idx_bytes(labels[:-1]))
    with pytest.raises(CorruptFileError, match="holds 10000 images but .* holds 9999 labels"):
        MNIST(tmp_path, train=False, verify=False)


def test_missing_files_name_the_files_and_the_folder(tmp_path):
    (tmp_path / "mnist").mkdir()
    with pytest.raises(DatasetNotFoundError) as info:
        MNIST(tmp_path, train=True)
    message = str(info.value)
    assert "train-images-idx3-ubyte.gz" in message and "train-labels-idx1-ubyte.gz" in message
    assert str(tmp_path / "mnist") in message and "download=True" in message
    assert "t10k" not in message  # only the files of the asked-for split


@requires_mnist
def test_one_missing_file_is_named_alone(tmp_path):
    folder = copy_test_split(tmp_path)
    (folder / f"{TEST_LABELS}.gz").unlink()
    with pytest.raises(DatasetNotFoundError, match=f"1 file\\(s\\) missing .*\n  {TEST_LABELS}"):
        MNIST(tmp_path, train=False)


# -- gzip bombs and forged headers: refused within the size of the file they pose as ----------

MB = 1 << 20
ZEROS = 100_000_000  # what the bombs expand to, from about 100 KB on disk


def idx_header(code: int, *shape: int) -> bytes:
    return bytes([0, 0, code, len(shape)]) + b"".join(n.to_bytes(4, "big") for n in shape)


def small_labels(folder, name="train-labels-idx1-ubyte"):
    (folder / f"{name}.gz").write_bytes(gzip.compress(idx_header(8, 3) + bytes(3)))


@pytest.mark.parametrize("dataset", [MNIST, FashionMNIST])
@pytest.mark.parametrize("verify", [True, False])
def test_a_bomb_with_the_canonical_header_stops_at_the_announced_size(tmp_path, dataset,
                                                                        verify):
    folder = tmp_path / dataset.folder
    folder.mkdir()
    # a valid header for the 60,000 training images, then 100 MB of zeros instead of 47 MB
    bomb = write_gzip_bomb(folder / "train-images-idx3-ubyte.gz", idx_header(8, 60000, 28, 28),
                           ZEROS)
    assert bomb.stat().st_size < 200_000
    small_labels(folder)
    error, peak = peak_traced_bytes(dataset, tmp_path, verify=verify)
    assert isinstance(error, CorruptFileError) and str(bomb) in str(error)
    if not (verify and dataset is FashionMNIST):  # else the md5 of the .gz refuses it unread
        assert "more data follows the 47,040,000 bytes announced" in str(error)
    # no more than the 47 MB array that the real file needs, where all 100 MB used to be read
    assert peak < 47_040_016 + 8 * MB


@pytest.mark.parametrize("verify", [True, False])
def test_a_bomb_posing_as_a_small_file_stays_small(tmp_path, verify):
    folder = tmp_path / "mnist"
    folder.mkdir()
    bomb = write_gzip_bomb(folder / f"{TEST_IMAGES}.gz", idx_header(8, 10, 28, 28), ZEROS)
    small_labels(folder, TEST_LABELS)
    error, peak = peak_traced_bytes(MNIST, tmp_path, train=False, verify=verify)
    assert isinstance(error, CorruptFileError) and str(bomb) in str(error)
    assert "more data follows the 7,840 bytes announced for shape (10, 28, 28)" in str(error)
    assert peak < 4 * MB


@pytest.mark.parametrize("shape", [(2**32 - 1, 28, 28), (70000, 28, 28), (2**32 - 1,) * 40])
def test_a_header_announcing_more_than_the_canonical_file_is_refused_unread(tmp_path, shape):
    folder = tmp_path / "mnist"
    folder.mkdir()
    bomb = write_gzip_bomb(folder / "train-images-idx3-ubyte.gz", idx_header(8, *shape), ZEROS)
    small_labels(folder)
    error, peak = peak_traced_bytes(MNIST, tmp_path, verify=False)
    assert isinstance(error, CorruptFileError)
    assert str(error).startswith(f"{bomb}: the header announces shape {shape}")
    assert "more than the 47,040,016 bytes of this file" in str(error)
    assert peak < 4 * MB


def test_read_idx_refuses_what_a_gzip_file_cannot_hold(tmp_path):
    # without a known size, deflate's 1032-fold bound still refuses a forged shape unallocated
    bomb = write_gzip_bomb(tmp_path / "x-idx3-ubyte.gz", idx_header(8, 60000, 1000, 1000), ZEROS)
    error, peak = peak_traced_bytes(read_idx, bomb)
    assert isinstance(error, CorruptFileError) and "more than a gzip file of" in str(error)
    assert peak < 4 * MB
    bounded = write_gzip_bomb(tmp_path / "y-idx1-ubyte.gz", idx_header(8, 100), ZEROS)
    error, peak = peak_traced_bytes(read_idx, bounded)
    assert isinstance(error, CorruptFileError) and "more data follows the 100 bytes" in str(error)
    assert peak < 4 * MB


def test_a_raw_file_longer_than_its_header_is_refused_unread(tmp_path):
    folder = tmp_path / "mnist"
    folder.mkdir()
    with open(folder / TEST_IMAGES, "wb") as f:
        f.write(idx_header(8, 10000, 28, 28))
        f.truncate(ZEROS)  # sparse: 100 MB of zeros that take no disk
    small_labels(folder, TEST_LABELS)
    error, peak = peak_traced_bytes(MNIST, tmp_path, train=False, verify=False)
    assert isinstance(error, CorruptFileError)
    assert "unexpected bytes after the 7840000" in str(error)
    assert peak < 4 * MB


@requires_mnist
def test_the_real_files_read_the_same_through_the_bounded_reader(tmp_path, test):
    folder = copy_test_split(tmp_path)
    images = read_idx(folder / f"{TEST_IMAGES}.gz", MNIST.content_md5[TEST_IMAGES],
                      MNIST.content_sizes[TEST_IMAGES])
    assert images.shape == (10000, 28, 28) and np.array_equal(images, test.data.numpy())
    assert images.flags.writeable and images.flags.c_contiguous
    content = gzip.decompress((folder / f"{TEST_LABELS}.gz").read_bytes())
    assert np.array_equal(read_idx(folder / f"{TEST_LABELS}.gz"), parse_idx(content))


# -- the IDX parser ----------------------------------------------------------------------------

@pytest.mark.parametrize("code, dtype", [(0x08, "u1"), (0x09, "i1"), (0x0B, "i2"), (0x0C, "i4"),
                                         (0x0D, "f4"), (0x0E, "f8")])
def test_parse_idx_reads_every_type_big_endian(code, dtype):
    array = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    if dtype == "u1":
        array = np.arange(24, dtype=dtype).reshape(2, 3, 4)
    parsed = parse_idx(idx_bytes(array, code))
    assert parsed.dtype == np.dtype(dtype) and np.array_equal(parsed, array)


@pytest.mark.parametrize("content, message", [
    (b"\x00\x00", "too short"),
    (b"\x01\x00\x08\x01\x00\x00\x00\x01\x00", "bad IDX magic"),
    (b"\x00\x00\x07\x01\x00\x00\x00\x01\x00", "bad IDX magic"),
    (b"\x00\x00\x08\x00", "bad IDX magic"),
    (b"\x00\x00\x08\x02\x00\x00\x00\x01", "truncated IDX header"),
    (b"\x00\x00\x08\x01\x00\x00\x00\x03\x01\x02", "only 2 follow"),
    (b"\x00\x00\x08\x01\x00\x00\x00\x01\x01\x02", "1 unexpected bytes"),
])
def test_parse_idx_rejects_malformed_files(content, message):
    with pytest.raises(CorruptFileError, match=f"some.idx: .*{message}"):
        parse_idx(content, "some.idx")


def test_read_idx_names_a_missing_file(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="nope-idx1-ubyte: no such file"):
        read_idx(tmp_path / "nope-idx1-ubyte")


# -- Fashion-MNIST on small files in its format ------------------------------------------------

def write_fashion(root, n=6, gz=True):
    folder = root / "fashion-mnist"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = (np.arange(n) % 10).astype(np.uint8)
    for name, array in (("train-images-idx3-ubyte", images), ("train-labels-idx1-ubyte", labels)):
        content = idx_bytes(array)
        if gz:
            (folder / f"{name}.gz").write_bytes(gzip.compress(content))
        else:
            (folder / name).write_bytes(content)
    return images, labels


def test_fashion_mnist_reads_its_format(tmp_path):
    images, labels = write_fashion(tmp_path)
    ds = FashionMNIST(tmp_path, verify=False)
    assert np.array_equal(ds.data.numpy(), images) and ds.targets.tolist() == labels.tolist()
    assert ds.classes[0] == "T-shirt/top" and ds[1][1] == 1


def test_fashion_mnist_checks_the_published_gzip_md5(tmp_path):
    write_fashion(tmp_path)
    with pytest.raises(ChecksumError, match="train-images-idx3-ubyte.gz: md5 of the gzip file .* "
                                            "expected 8d4fb7e6c68d591d4c3dfef9ec88bf0d"):
        FashionMNIST(tmp_path)


def test_raw_fashion_mnist_without_md5_is_checked_by_size(tmp_path):
    write_fashion(tmp_path, gz=False)
    with pytest.raises(CorruptFileError, match="holds 6 images, the train split of FashionMNIST "
                                               "has 60000"):
        FashionMNIST(tmp_path)
