"""Tiny Shakespeare: reading it from a data folder, downloading it from a local server with an md5
check (a bad copy is refused and never put in place), and the errors that name the folder."""

import hashlib
import os
import shutil

import pytest

from shenjing.datasets import ChecksumError, DatasetNotFoundError, DownloadError, TinyShakespeare
from tests.datasets import SHARED_DATA, serve

SHAKESPEARE_DIR = SHARED_DATA / "tinyshakespeare"
requires_shakespeare = pytest.mark.skipif(
    not (SHAKESPEARE_DIR / "input.txt").is_file() and not os.environ.get("CI"),
    reason=f"tiny-shakespeare not found in {SHAKESPEARE_DIR} (set SHENJING_SHARED_DATA)",
)
SMALL = "First Citizen:\nBefore we proceed any further, hear me speak.\n" * 20


@pytest.fixture
def small_server(tmp_path, monkeypatch):
    """A server of a small stand-in input.txt, whose md5 the class is told to expect."""
    served = tmp_path / "served"
    served.mkdir()
    (served / "input.txt").write_text(SMALL)
    monkeypatch.setattr(TinyShakespeare, "md5", hashlib.md5(SMALL.encode()).hexdigest())
    with serve(served) as (url, log):
        yield url, log


def files(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_download_verifies_and_publishes(small_server, tmp_path, monkeypatch):
    url, log = small_server
    monkeypatch.setattr(TinyShakespeare, "mirrors", [f"{url}/missing/", f"{url}/good/"])
    corpus = TinyShakespeare(tmp_path / "data", download=True)
    assert corpus.text == SMALL and len(corpus) == len(SMALL)
    assert corpus.path == tmp_path / "data" / "tinyshakespeare" / "input.txt"
    assert files(corpus.raw_folder) == ["input.txt"]
    assert log == ["/missing/input.txt", "/good/input.txt"]
    log.clear()
    TinyShakespeare(tmp_path / "data", download=True)  # present: nothing fetched again
    assert log == []


@pytest.mark.parametrize("mode", ["corrupt", "short", "cut"])
def test_a_bad_download_is_refused_and_not_left_behind(small_server, tmp_path, monkeypatch,
                                                       mode):
    url, _ = small_server
    monkeypatch.setattr(TinyShakespeare, "mirrors", [f"{url}/{mode}/"])
    with pytest.raises(DownloadError) as info:
        TinyShakespeare(tmp_path, download=True)
    message = str(info.value)
    assert f"{url}/{mode}/input.txt" in message and str(tmp_path / "tinyshakespeare") in message
    assert files(tmp_path / "tinyshakespeare") == []


def test_a_wrong_checksum_is_refused(small_server, tmp_path, monkeypatch):
    url, _ = small_server
    monkeypatch.setattr(TinyShakespeare, "mirrors", [f"{url}/good/"])
    monkeypatch.setattr(TinyShakespeare, "md5", "0" * 32)
    with pytest.raises(DownloadError, match="md5"):
        TinyShakespeare(tmp_path, download=True)
    assert files(tmp_path / "tinyshakespeare") == []


def test_a_corrupt_file_on_disk_is_named(tmp_path):
    folder = tmp_path / "tinyshakespeare"
    folder.mkdir()
    (folder / "input.txt").write_text("not the plays")
    with pytest.raises(ChecksumError, match=str(folder / "input.txt")):
        TinyShakespeare(tmp_path)
    assert TinyShakespeare(tmp_path, verify=False).text == "not the plays"


def test_missing_without_download_says_what_to_put_where(tmp_path, monkeypatch):
    monkeypatch.setenv("SHENJING_DATA", str(tmp_path))
    with pytest.raises(DatasetNotFoundError) as info:
        TinyShakespeare()
    message = str(info.value)
    assert str(tmp_path / "tinyshakespeare") in message and "input.txt" in message
    assert "karpathy/char-rnn" in message  # the canonical URL


@requires_shakespeare
def test_the_real_file_downloads_with_its_published_md5(tmp_path, monkeypatch):
    with serve(SHAKESPEARE_DIR) as (url, _):
        monkeypatch.setattr(TinyShakespeare, "mirrors", [f"{url}/good/"])
        corpus = TinyShakespeare(tmp_path, download=True)
    assert len(corpus) == TinyShakespeare.size and corpus.text.startswith("First Citizen:")
    assert len(set(corpus.text)) == 65


@requires_shakespeare
def test_reads_the_shared_copy(tmp_path):
    shutil.copytree(SHAKESPEARE_DIR, tmp_path / "tinyshakespeare")
    assert TinyShakespeare(tmp_path).text.endswith("\n")
