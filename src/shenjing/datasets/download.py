"""Fetching data files: several mirrors in order, a progress bar, an md5 check, atomic writes.

A download goes to a temporary file beside its destination and is moved into place with
``os.replace`` only once its md5 is right, so an interrupted or corrupt download never leaves a
file that looks complete. Offline, the error lists which files to put in which folder.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from shenjing.serialization import publish

USER_AGENT = "shenjing-datasets/0.1 (+https://github.com/)"
CHUNK = 1 << 20


class DatasetNotFoundError(FileNotFoundError):
    """The files of a data set are not on disk and were not downloaded."""


class CorruptFileError(ValueError):
    """A data file is truncated, malformed or not what it should be."""


class ChecksumError(CorruptFileError):
    """A data file's md5 differs from the published one."""


class DownloadError(RuntimeError):
    """No mirror delivered a good copy of a file."""


def md5_hex(data: bytes) -> str:
    """The md5 of ``data`` as 32 hex digits (used as a checksum, not for security).

    >>> from shenjing.datasets.download import md5_hex
    >>> md5_hex(b"")
    'd41d8cd98f00b204e9800998ecf8427e'
    """
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def file_md5(path: str | os.PathLike) -> str:
    """The md5 of a file's bytes, read in chunks (torchvision's ``calculate_md5``)."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def gunzip(raw: bytes, path: str | os.PathLike) -> bytes:
    """Decompress gzip bytes read from ``path``; a damaged stream raises ``CorruptFileError``.

    >>> import gzip
    >>> from shenjing.datasets.download import gunzip
    >>> gunzip(gzip.compress(b"idx"), "x.gz")
    b'idx'
    """
    import gzip
    import zlib

    try:
        return gzip.decompress(raw)
    except EOFError as exc:
        raise CorruptFileError(f"{path}: the gzip stream is truncated ({exc}); delete the file "
                               "and download it again") from None
    except (OSError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        raise CorruptFileError(f"{path}: damaged or not a gzip file ({exc}); delete it and "
                               "download it again") from None


def check_md5(data: bytes, expected: str, path: str | os.PathLike, what: str = "file") -> None:
    """Raise ``ChecksumError`` naming ``path`` unless ``md5(data) == expected``."""
    actual = md5_hex(data)
    if actual != expected:
        raise ChecksumError(
            f"{path}: md5 of the {what} is {actual}, expected {expected}; the file is corrupt, "
            "truncated or a different version. Delete it and download it again "
            "(download=True)."
        )


def _fetch(url: str, tmp: Path, label: str, progress: bool, timeout: float) -> None:
    """Stream ``url`` into the open temporary file ``tmp``, with a tqdm bar when asked."""
    import urllib.request

    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    with urllib.request.urlopen(request, timeout=timeout) as response, open(tmp, "wb") as out:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        bar = None
        if progress:
            try:
                from tqdm.auto import tqdm
            except ImportError:  # the bar is a convenience; downloading works without it
                tqdm = None
            if tqdm is not None:
                bar = tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024,
                           desc=label)
        try:
            received = 0
            while chunk := response.read(CHUNK):
                out.write(chunk)
                received += len(chunk)
                if bar is not None:
                    bar.update(len(chunk))
        finally:
            if bar is not None:
                bar.close()
        if total is not None and received != total:
            raise DownloadError(f"received {received} of {total} bytes (connection cut)")


def download_url(urls: str | Sequence[str], dest: str | os.PathLike, md5: str | None = None, *,
                 md5_of: str = "file", progress: bool = True, timeout: float = 30.0) -> Path:
    """Download the first of ``urls`` that delivers a good file to ``dest``; return ``dest``.

    Mirrors are tried in order; one that fails (HTTP error, network error, cut connection, wrong
    md5) is skipped for the next. ``md5_of="content"`` checks the md5 of the gunzipped content,
    which stays the same when a mirror recompresses the file. The file appears at ``dest`` only
    when it is complete and verified (temporary file + ``os.replace``). Like torchvision's
    ``download_url``, plus mirrors.
    """
    import http.client
    import urllib.error

    if md5_of not in ("file", "content"):
        raise ValueError(f"download_url: md5_of must be 'file' or 'content', got {md5_of!r}")
    urls = [urls] if isinstance(urls, str) else list(urls)
    if not urls:
        raise ValueError("download_url: no URL given")
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    failures = []
    for url in urls:
        fd, name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
        os.close(fd)
        tmp = Path(name)
        try:
            _fetch(url, tmp, dest.name, progress, timeout)
            if md5 is not None:
                data = tmp.read_bytes()
                if md5_of == "content":
                    data = gunzip(data, url)
                check_md5(data, md5, url, "downloaded content" if md5_of == "content" else
                          "downloaded file")
            publish(tmp, dest)
            return dest
        except (OSError, http.client.HTTPException, urllib.error.URLError, CorruptFileError,
                DownloadError) as exc:
            failures.append(f"{url}: {exc}")
        finally:
            tmp.unlink(missing_ok=True)
    tried = "\n  ".join(failures)
    raise DownloadError(
        f"could not download {dest.name}; every mirror failed:\n  {tried}\n"
        f"If this machine is offline, download {dest.name} from one of the URLs above on another "
        f"machine and put it in {dest.parent}"
    )


def missing_files_message(dataset: str, folder: Path, files: dict[str, list[str]],
                          downloading: bool = False) -> str:
    """The error text for files that are absent: which files, from where, into which folder."""
    lines = [f"{dataset}: {len(files)} file(s) missing from {folder}:"]
    for name, urls in files.items():
        lines.append(f"  {name}   (from {urls[0]})" if urls else f"  {name}")
    if downloading:
        lines.append("Every mirror failed (is this machine offline?): download them on another "
                     "machine and put them in that folder; set the root argument or the "
                     "SHENJING_DATA environment variable to use another folder.")
    else:
        lines.append("Pass download=True to fetch them, or download them by hand and put them "
                     "in that folder; set the root argument or the SHENJING_DATA environment "
                     "variable to use another folder.")
    return "\n".join(lines)
