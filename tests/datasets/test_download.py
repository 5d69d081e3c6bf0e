"""Downloads through a local HTTP server: progress, md5, mirror fallback, atomic writes, each
mirror's reason in the error, bounded sizes; where data lives (argument, then $SHENJING_DATA,
then ~/.cache/shenjing); and that reading data never makes folders."""

import gzip
import hashlib
import re
import socket
from pathlib import Path

import pytest

from shenjing.datasets import (
    CIFAR10,
    MNIST,
    DatasetNotFoundError,
    DownloadError,
    FashionMNIST,
    TinyShakespeare,
    data_root,
    download_url,
)
from tests.datasets import MNIST_DIR, peak_traced_bytes, requires_mnist, serve, write_gzip_bomb

LABELS = "t10k-labels-idx1-ubyte"
LABELS_MD5 = "27ae3e4e09519cfbb04c329615203637"  # of the uncompressed content


@pytest.fixture(scope="module")
def server():
    if requires_mnist.args[0]:
        pytest.skip(requires_mnist.kwargs["reason"])
    with serve(MNIST_DIR) as (url, log):
        yield url, log


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def content_md5(path: Path) -> str:
    return hashlib.md5(gzip.decompress(path.read_bytes())).hexdigest()


def test_download_checks_md5_and_shows_progress(server, tmp_path, capsys):
    url, _ = server
    dest = download_url(f"{url}/good/{LABELS}.gz", tmp_path / f"{LABELS}.gz", LABELS_MD5,
                        md5_of="content", progress=True)
    assert dest == tmp_path / f"{LABELS}.gz"
    assert dest.read_bytes() == (MNIST_DIR / f"{LABELS}.gz").read_bytes()
    assert content_md5(dest) == LABELS_MD5
    assert leftovers(tmp_path) == [f"{LABELS}.gz"]  # no temporary file left
    err = capsys.readouterr().err
    assert LABELS in err and "100%" in err  # the tqdm bar, named after the file


def test_download_without_progress_is_silent(server, tmp_path, capsys):
    url, _ = server
    download_url([f"{url}/good/{LABELS}.gz"], tmp_path / "x.gz", progress=False)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_a_failing_mirror_falls_back_to_the_next(server, tmp_path):
    url, log = server
    log.clear()
    urls = [f"{url}/missing/{LABELS}.gz", f"{url}/good/{LABELS}.gz"]
    dest = download_url(urls, tmp_path / f"{LABELS}.gz", LABELS_MD5, md5_of="content",
                        progress=False)
    assert content_md5(dest) == LABELS_MD5
    assert log == [f"/missing/{LABELS}.gz", f"/good/{LABELS}.gz"]


@pytest.mark.parametrize("mode", ["corrupt", "short", "cut"])
def test_a_bad_file_is_rejected_and_not_left_behind(server, tmp_path, mode):
    url, _ = server
    bad = f"{url}/{mode}/{LABELS}.gz"
    with pytest.raises(DownloadError) as info:
        download_url(bad, tmp_path / f"{LABELS}.gz", LABELS_MD5, md5_of="content",
                     progress=False)
    message = str(info.value)
    assert bad in message and f"{LABELS}.gz" in message and str(tmp_path) in message
    assert leftovers(tmp_path) == []


def test_a_bad_mirror_is_skipped_for_a_good_one(server, tmp_path):
    url, _ = server
    urls = [f"{url}/corrupt/{LABELS}.gz", f"{url}/good/{LABELS}.gz"]
    dest = download_url(urls, tmp_path / f"{LABELS}.gz", LABELS_MD5, md5_of="content",
                        progress=False)
    assert content_md5(dest) == LABELS_MD5


def test_md5_of_the_file_itself(server, tmp_path):
    url, _ = server
    file_md5 = hashlib.md5((MNIST_DIR / f"{LABELS}.gz").read_bytes()).hexdigest()
    download_url(f"{url}/good/{LABELS}.gz", tmp_path / "a.gz", file_md5, progress=False)
    with pytest.raises(DownloadError, match="md5"):
        download_url(f"{url}/good/{LABELS}.gz", tmp_path / "b.gz", "0" * 32, progress=False)
    assert leftovers(tmp_path) == ["a.gz"]


def test_an_existing_file_is_not_clobbered_by_a_failed_download(server, tmp_path):
    url, _ = server
    dest = tmp_path / f"{LABELS}.gz"
    dest.write_bytes(b"previous")
    with pytest.raises(DownloadError):
        download_url(f"{url}/corrupt/{LABELS}.gz", dest, LABELS_MD5, md5_of="content",
                     progress=False)
    assert dest.read_bytes() == b"previous"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_offline_error_says_which_file_to_put_where(tmp_path):
    urls = [f"http://127.0.0.1:{closed_port()}/mnist/{LABELS}.gz"]
    with pytest.raises(DownloadError) as info:
        download_url(urls, tmp_path / "mnist" / f"{LABELS}.gz", progress=False, timeout=5)
    message = str(info.value)
    assert "machine offline" in message and f"{LABELS}.gz" in message
    assert str(tmp_path / "mnist") in message and f"{urls[0]}: cannot connect" in message
    assert info.value.offline and [url for url, _ in info.value.failures] == urls


def test_every_mirrors_reason_is_kept(server, tmp_path):
    url, _ = server
    urls = [f"{url}/missing/{LABELS}.gz", f"{url}/corrupt/{LABELS}.gz"]
    with pytest.raises(DownloadError) as info:
        download_url(urls, tmp_path / f"{LABELS}.gz", LABELS_MD5, md5_of="content",
                     progress=False)
    message = str(info.value)
    assert f"{urls[0]}: HTTP 404" in message
    assert re.search(f"{re.escape(urls[1])}: (md5 mismatch: expected {LABELS_MD5}, got "
                     "[0-9a-f]{32}|damaged or not a gzip file)", message)
    assert "machine offline" not in message and not info.value.offline  # the mirrors answered
    assert [u for u, _ in info.value.failures] == urls


def test_offline_only_when_no_mirror_was_reached(server, tmp_path):
    url, _ = server
    file_md5 = hashlib.md5((MNIST_DIR / f"{LABELS}.gz").read_bytes()).hexdigest()
    urls = [f"http://127.0.0.1:{closed_port()}/{LABELS}.gz", f"{url}/good/{LABELS}.gz"]
    with pytest.raises(DownloadError) as info:
        download_url(urls, tmp_path / "a.gz", "0" * 32, progress=False, timeout=5)
    message = str(info.value)
    assert f"{urls[0]}: cannot connect" in message
    assert f"{urls[1]}: md5 mismatch: expected {'0' * 32}, got {file_md5}" in message
    assert "machine offline" not in message and not info.value.offline


def test_a_mirror_sending_more_than_the_file_has_is_refused(server, tmp_path):
    url, _ = server
    size = (MNIST_DIR / f"{LABELS}.gz").stat().st_size
    with pytest.raises(DownloadError, match=f"announces {size:,} bytes, more than the 1,000"):
        download_url(f"{url}/good/{LABELS}.gz", tmp_path / "x.gz", max_bytes=1000,
                     progress=False)
    assert leftovers(tmp_path) == []


def test_mnist_download_uses_mirrors_in_order(server, tmp_path, monkeypatch):
    url, log = server
    monkeypatch.setattr(MNIST, "mirrors", [f"{url}/missing/", f"{url}/corrupt/", f"{url}/good/"])
    log.clear()
    test = MNIST(tmp_path, train=False, download=True)
    assert len(test) == 10000 and test.data.shape == (10000, 28, 28)
    assert sorted(p.name for p in (tmp_path / "mnist").iterdir()) == [
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
    assert log[:3] == ["/missing/t10k-images-idx3-ubyte.gz", "/corrupt/t10k-images-idx3-ubyte.gz",
                       "/good/t10k-images-idx3-ubyte.gz"]
    log.clear()
    MNIST(tmp_path, train=False, download=True)  # files present: nothing is fetched again
    assert log == []


def test_mnist_download_offline_names_files_and_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(MNIST, "mirrors", [f"http://127.0.0.1:{closed_port()}/"])
    with pytest.raises(DownloadError) as info:
        MNIST(tmp_path, train=False, download=True)
    assert "t10k-images-idx3-ubyte.gz" in str(info.value)
    assert str(tmp_path / "mnist") in str(info.value)
    assert "machine offline" in str(info.value) and "cannot connect" in str(info.value)


def test_mnist_download_error_keeps_each_mirrors_reason(server, tmp_path, monkeypatch):
    url, _ = server
    monkeypatch.setattr(MNIST, "mirrors", [f"{url}/missing/", f"{url}/corrupt/"])
    with pytest.raises(DownloadError) as info:
        MNIST(tmp_path, train=False, download=True)
    message = str(info.value)
    for name in ("t10k-images-idx3-ubyte", LABELS):
        assert f"{url}/missing/{name}.gz: HTTP 404" in message
        assert re.search(f"{re.escape(url)}/corrupt/{name}.gz: (md5 mismatch: expected "
                         f"{MNIST.content_md5[name]}, got [0-9a-f]{{32}}|damaged)", message)
    assert "machine offline" not in message and str(tmp_path / "mnist") in message
    assert not (tmp_path / "mnist").exists()  # nothing was kept, so no folder either


def test_a_gzip_bomb_from_a_mirror_is_refused_within_a_few_mb(tmp_path, monkeypatch):
    served = tmp_path / "served"
    served.mkdir()
    for name in ("t10k-images-idx3-ubyte", LABELS):  # 100 MB of zeros each, ~100 KB served
        write_gzip_bomb(served / f"{name}.gz", b"", 100_000_000)
    with serve(served) as (url, _):
        monkeypatch.setattr(MNIST, "mirrors", [f"{url}/good/"])
        error, peak = peak_traced_bytes(MNIST, tmp_path / "root", train=False, download=True)
    assert isinstance(error, DownloadError)
    assert "t10k-images-idx3-ubyte.gz: decompresses to more than 7,840,016 bytes" in str(error)
    # the labels' gzip file alone is larger than their 10,008 bytes can take: refused unread
    assert f"{LABELS}.gz: announces" in str(error)
    assert peak < 8 << 20  # about two chunks, where the whole 100 MB used to be gunzipped
    assert not (tmp_path / "root").exists()


# -- reading data never makes folders --------------------------------------------------------

@pytest.mark.parametrize("dataset, folder", [(MNIST, "mnist"), (FashionMNIST, "fashion-mnist"),
                                             (CIFAR10, "cifar-10-batches-py"),
                                             (TinyShakespeare, "tinyshakespeare")])
def test_a_missing_data_set_is_file_not_found_and_makes_no_folder(tmp_path, dataset, folder):
    root = tmp_path / "dta"  # a mistyped --data
    with pytest.raises(FileNotFoundError) as info:
        dataset(root, download=False)
    assert str(root / folder) in str(info.value)  # where it looked
    assert list(tmp_path.iterdir()) == []


def test_a_failed_download_makes_no_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(MNIST, "mirrors", [f"http://127.0.0.1:{closed_port()}/"])
    with pytest.raises(DownloadError):
        MNIST(tmp_path / "shared" / "dta", download=True)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("download", [False, True])
def test_a_read_only_data_folder_is_never_written(tmp_path, monkeypatch, download):
    read_only = tmp_path / "data"
    read_only.mkdir()
    (read_only / "notes.txt").write_text("mine")
    monkeypatch.setattr(MNIST, "mirrors", [f"http://127.0.0.1:{closed_port()}/"])
    read_only.chmod(0o555)  # as root, writes would still succeed: the test sees any attempt
    try:
        with pytest.raises(FileNotFoundError if not download else DownloadError):
            MNIST(read_only, download=download)
        with pytest.raises(FileNotFoundError):
            MNIST(read_only / "mnist", download=False)  # root given one level too deep
        assert sorted(p.name for p in read_only.rglob("*")) == ["notes.txt"]
    finally:
        read_only.chmod(0o755)


# -- where data lives ---------------------------------------------------------------------------

def test_root_argument_wins_over_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SHENJING_DATA", str(tmp_path / "env"))
    assert data_root(tmp_path / "arg") == tmp_path / "arg"
    assert data_root(str(tmp_path / "arg")) == tmp_path / "arg"


def test_environment_variable_comes_next(tmp_path, monkeypatch):
    monkeypatch.setenv("SHENJING_DATA", str(tmp_path / "env"))
    assert data_root() == tmp_path / "env"


def test_default_is_the_user_cache(tmp_path, monkeypatch):
    monkeypatch.delenv("SHENJING_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert data_root() == tmp_path / ".cache" / "shenjing"
    monkeypatch.setenv("SHENJING_DATA", "")  # empty counts as unset
    assert data_root() == tmp_path / ".cache" / "shenjing"


def test_a_dataset_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SHENJING_DATA", str(tmp_path))
    with pytest.raises(DatasetNotFoundError) as info:
        MNIST(train=False)
    assert str(tmp_path / "mnist") in str(info.value)
