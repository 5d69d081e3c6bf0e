"""Fetching data files: several mirrors in order, a progress bar, an md5 check, atomic writes;
and reading gzip data within a bound.

A download goes to a temporary file beside its destination and is moved into place with
``os.replace`` only once its md5 is right, so an interrupted or corrupt download never leaves a
file that looks complete. The destination's folder is made only when a mirror answers with data,
and removed again when nothing was kept, so a mistyped root leaves no empty folders behind. When
every mirror fails, the error gives each mirror's reason (unreachable, HTTP status, wrong md5)
and which file to put in which folder; it suggests that the machine is offline only when no
mirror could be reached at all.

Gzip data is decompressed in chunks up to a limit, so a small file that expands to gigabytes
(a "gzip bomb") is refused after the limit, never held in memory whole.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import BinaryIO

from shenjing.serialization import publish

USER_AGENT = "shenjing-datasets/0.1 (+https://github.com/)"
CHUNK = 1 << 20
# Deflate expands data at most 1032-fold (zlib's technical notes), so a gzip file of n bytes
# holds at most 1032 n: a header announcing more belongs to a truncated or forged file.
DEFLATE_MAX_RATIO = 1032


class DatasetNotFoundError(FileNotFoundError):
    """The files of a data set are not on disk and were not downloaded."""


class CorruptFileError(ValueError):
    """A data file is truncated, malformed or not what it should be."""


class ChecksumError(CorruptFileError):
    """A data file's md5 differs from the published one."""


class DownloadError(RuntimeError):
    """No mirror delivered a good copy of a file.

    ``failures`` holds ``(url, reason)`` for each mirror tried; ``offline`` is true when no mirror
    could be reached at all (every failure a failure to connect).
    """

    def __init__(self, message: str, failures: Sequence[tuple[str, str]] = (),
                 offline: bool = False) -> None:
        super().__init__(message)
        self.failures = list(failures)
        self.offline = offline


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


def checksum_error(path: str | os.PathLike, actual: str, expected: str,
                   what: str = "file") -> ChecksumError:
    """The ``ChecksumError`` for a file whose md5 is ``actual`` where ``expected`` was published."""
    return ChecksumError(
        f"{path}: md5 of the {what} is {actual}, expected {expected}; the file is corrupt, "
        "truncated or a different version. Delete it and download it again (download=True)."
    )


def check_md5(data: bytes, expected: str, path: str | os.PathLike, what: str = "file") -> None:
    """Raise ``ChecksumError`` naming ``path`` unless ``md5(data) == expected``."""
    actual = md5_hex(data)
    if actual != expected:
        raise checksum_error(path, actual, expected, what)


def check_file_md5(path: str | os.PathLike, expected: str, what: str = "file") -> None:
    """Raise ``ChecksumError`` naming ``path`` unless the md5 of its bytes is ``expected``; the
    file is read in chunks, so a huge file costs no memory."""
    actual = file_md5(path)
    if actual != expected:
        raise checksum_error(path, actual, expected, what)


@contextlib.contextmanager
def gzip_errors(path: str | os.PathLike):
    """Turn the errors of a damaged gzip stream into ``CorruptFileError`` naming ``path``."""
    import gzip
    import zlib

    try:
        yield
    except EOFError as exc:
        raise CorruptFileError(f"{path}: the gzip stream is truncated ({exc}); delete the file "
                               "and download it again") from None
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise CorruptFileError(f"{path}: damaged or not a gzip file ({exc}); delete it and "
                               "download it again") from None


def gzip_chunks(file: BinaryIO, path: str | os.PathLike,
                limit: int | None = None) -> Iterator[bytes]:
    """The decompressed bytes of the gzip stream in the open binary ``file``, chunk by chunk.

    More than ``limit`` bytes is a ``CorruptFileError`` naming ``path``, raised as soon as the
    limit is passed, so a gzip bomb costs at most ``limit`` bytes of work and one chunk of memory.
    """
    import gzip

    total = 0
    with gzip_errors(path):
        stream = gzip.GzipFile(fileobj=file, mode="rb")
        while chunk := stream.read(CHUNK):
            total += len(chunk)
            if limit is not None and total > limit:
                raise CorruptFileError(f"{path}: decompresses to more than {limit:,} bytes, the "
                                       "most this file can hold; it is corrupt or a different "
                                       "file (a gzip bomb?)")
            yield chunk


def gunzip(raw: bytes, path: str | os.PathLike, limit: int | None = None) -> bytes:
    """Decompress gzip bytes read from ``path``, at most ``limit`` bytes of them; a damaged or
    oversized stream raises ``CorruptFileError``.

    >>> import gzip
    >>> from shenjing.datasets.download import gunzip
    >>> gunzip(gzip.compress(b"idx"), "x.gz")
    b'idx'
    """
    import io

    return b"".join(gzip_chunks(io.BytesIO(raw), path, limit))


class _MirrorFailure(Exception):
    """Why one mirror gave no good file; ``unreachable`` when it could not be reached at all."""

    def __init__(self, reason: str, unreachable: bool = False) -> None:
        super().__init__(reason)
        self.unreachable = unreachable


def _unreachable(reason) -> bool:
    """Whether a failure to open a URL means no connection at all (refused, no route, no DNS,
    timed out), rather than a server that answered badly (TLS, protocol)."""
    import errno
    import socket

    if isinstance(reason, (ConnectionError, TimeoutError, socket.gaierror)):
        return True
    return isinstance(reason, OSError) and reason.errno in (
        errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.EADDRNOTAVAIL)


def _open(url: str, timeout: float):
    """The HTTP response for ``url``, or a ``_MirrorFailure`` that says why there is none."""
    import http.client
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        return urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        exc.close()
        raise _MirrorFailure(f"HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise _MirrorFailure(f"cannot connect ({exc.reason})",
                             unreachable=_unreachable(exc.reason)) from None
    except (OSError, http.client.HTTPException) as exc:
        raise _MirrorFailure(f"no valid HTTP answer ({type(exc).__name__}: {exc})") from None


def _chunks(response) -> Iterator[bytes]:
    """The body of ``response`` in chunks; a network error is a ``_MirrorFailure``."""
    import http.client

    while True:
        try:
            chunk = response.read(CHUNK)
        except (OSError, http.client.HTTPException) as exc:
            raise _MirrorFailure(f"the transfer failed ({type(exc).__name__}: {exc})") from None
        if not chunk:
            return
        yield chunk


def _receive(response, out: BinaryIO, label: str, progress: bool,
             max_bytes: int | None) -> str:
    """Stream the body of ``response`` into ``out``, with a tqdm bar when asked; return its md5.

    A body longer than ``max_bytes`` or shorter than its Content-Length is a ``_MirrorFailure``.
    """
    length = response.headers.get("Content-Length")
    total = int(length) if length and length.isdigit() else None
    if max_bytes is not None and total is not None and total > max_bytes:
        raise _MirrorFailure(f"announces {total:,} bytes, more than the {max_bytes:,} this file "
                             "has")
    bar = None
    if progress:
        try:
            from tqdm.auto import tqdm
        except ImportError:  # the bar is a convenience; downloading works without it
            tqdm = None
        if tqdm is not None:
            bar = tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=label)
    digest = hashlib.md5(usedforsecurity=False)
    received = 0
    try:
        for chunk in _chunks(response):
            received += len(chunk)
            if max_bytes is not None and received > max_bytes:
                raise _MirrorFailure(f"sent more than the {max_bytes:,} bytes this file has")
            out.write(chunk)
            digest.update(chunk)
            if bar is not None:
                bar.update(len(chunk))
    finally:
        if bar is not None:
            bar.close()
    if total is not None and received != total:
        raise _MirrorFailure(f"received {received:,} of {total:,} bytes (connection cut)")
    return digest.hexdigest()


def _make_folder(folder: Path) -> list[Path]:
    """Make ``folder`` and its missing parents; return the ones made, deepest first."""
    made = []
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            break
        made.append(candidate)
    folder.mkdir(parents=True, exist_ok=True)
    return made


def _remove_empty(folders: list[Path]) -> None:
    """Remove the folders a failed download made (deepest first), as long as they are empty."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:  # not empty (someone else wrote there) or already gone
            return


def _fetch(url: str, dest: Path, md5: str | None, md5_of: str, progress: bool, timeout: float,
           max_bytes: int | None, max_content_bytes: int | None, made: list[Path]) -> None:
    """Download ``url`` to ``dest`` through a temporary file, checking size and md5.

    What the mirror does wrong is a ``_MirrorFailure``; local errors (a folder that cannot be
    written) propagate, since the next mirror would meet them too.
    """
    with _open(url, timeout) as response:
        made.extend(_make_folder(dest.parent))  # only now: the mirror answers with data
        fd, name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
        tmp = Path(name)
        try:
            with os.fdopen(fd, "wb") as out:
                actual = _receive(response, out, dest.name, progress, max_bytes)
            what = "file"
            if md5 is not None and md5_of == "content":
                what = "gunzipped content"
                digest = hashlib.md5(usedforsecurity=False)
                try:
                    with open(tmp, "rb") as file:
                        for chunk in gzip_chunks(file, url, max_content_bytes):
                            digest.update(chunk)
                except CorruptFileError as exc:
                    raise _MirrorFailure(str(exc).removeprefix(f"{url}: ")) from None
                actual = digest.hexdigest()
            if md5 is not None and actual != md5:
                raise _MirrorFailure(f"md5 mismatch: expected {md5}, got {actual} (md5 of the "
                                     f"{what}; a corrupt or different file)")
            publish(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)


def download_url(urls: str | Sequence[str], dest: str | os.PathLike, md5: str | None = None, *,
                 md5_of: str = "file", progress: bool = True, timeout: float = 30.0,
                 max_bytes: int | None = None, max_content_bytes: int | None = None) -> Path:
    """Download the first of ``urls`` that delivers a good file to ``dest``; return ``dest``.

    Mirrors are tried in order; one that fails (HTTP error, network error, cut connection, more
    than ``max_bytes``, wrong md5) is skipped for the next. ``md5_of="content"`` checks the md5
    of the gunzipped content (at most ``max_content_bytes`` of it), which stays the same when a
    mirror recompresses the file. The file appears at ``dest`` only when it is complete and
    verified (temporary file + ``os.replace``); ``dest``'s folder is made only when a mirror
    answers, and removed again if the download fails. When every mirror fails, ``DownloadError``
    lists each one's reason. Like torchvision's ``download_url``, plus mirrors.
    """
    if md5_of not in ("file", "content"):
        raise ValueError(f"download_url: md5_of must be 'file' or 'content', got {md5_of!r}")
    urls = [urls] if isinstance(urls, str) else list(urls)
    if not urls:
        raise ValueError("download_url: no URL given")
    dest = Path(dest)
    failures: list[tuple[str, str]] = []
    unreachable = 0
    made: list[Path] = []
    try:
        for url in urls:
            try:
                _fetch(url, dest, md5, md5_of, progress, timeout, max_bytes, max_content_bytes,
                       made)
                return dest
            except _MirrorFailure as exc:
                failures.append((url, str(exc)))
                unreachable += exc.unreachable
    finally:
        if not dest.exists():
            _remove_empty(made)
    offline = unreachable == len(failures)
    tried = "\n  ".join(f"{url}: {reason}" for url, reason in failures)
    if offline:
        advice = (f"No mirror could be reached: is this machine offline? Download {dest.name} "
                  f"on another machine from one of the URLs above and put it in {dest.parent}")
    else:
        advice = (f"Download {dest.name} by hand from a mirror that works and put it in "
                  f"{dest.parent}")
    raise DownloadError(f"could not download {dest.name}; every mirror failed:\n  {tried}\n"
                        f"{advice}", failures, offline)


def missing_files_message(dataset: str, folder: Path, files: dict[str, list[str]],
                          errors: Mapping[str, DownloadError] | None = None) -> str:
    """The error text for files that are absent: which files, from where, into which folder;
    with ``errors`` (file name -> its ``DownloadError``), why each mirror failed."""
    lines = [f"{dataset}: {len(files)} file(s) missing from {folder}:"]
    for name, urls in files.items():
        lines.append(f"  {name}   (from {urls[0]})" if urls else f"  {name}")
    where = ("set the root argument or the SHENJING_DATA environment variable to use another "
             "folder.")
    if not errors:
        lines.append("Pass download=True to fetch them, or download them by hand and put them "
                     f"in that folder; {where}")
        return "\n".join(lines)
    lines.append("Every mirror failed:")
    lines.extend(f"  {url}: {reason}" for error in errors.values()
                 for url, reason in error.failures)
    if all(error.offline for error in errors.values()):
        lines.append("No mirror could be reached (is this machine offline?): download them on "
                     f"another machine and put them in that folder; {where}")
    else:
        lines.append("Download them by hand from a mirror that works and put them in that "
                     f"folder; {where}")
    return "\n".join(lines)
