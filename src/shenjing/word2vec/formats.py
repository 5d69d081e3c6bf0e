"""The word2vec file formats, byte for byte as gensim's ``save_word2vec_format`` writes them.

Both start with a header line ``"<number of words> <dimension>\\n"``, then one entry per word:

- text: ``word v1 v2 ... vD\\n``, each value the shortest decimal that reads back as the same
  float32 (Python's ``str`` of a NumPy float32, as gensim);
- binary: ``word`` in UTF-8, one space, then D float32 little-endian (4 D bytes), no separator
  (word2vec.c puts a newline after each vector; readers, this one included, skip it).

Files are written to a temporary name in the same folder and renamed over the target, so an
interrupted export never leaves half a file. Reading never executes anything from the file, and
checks the header's counts against the file's size before it allocates the vectors, so a forged
header is an error, not a MemoryError.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy

from shenjing.serialization import atomic_file

FLOAT32_LE = numpy.dtype("<f4")


class FormatError(ValueError):
    """A word-vector file is truncated or malformed; the message names the file and the place."""


def save_word2vec_format(path: str | os.PathLike, keys: list[str], vectors,
                         binary: bool = False) -> None:
    """Write ``keys`` and their ``vectors`` (N, D) in the word2vec text or binary format."""
    path = Path(path)
    vectors = numpy.asarray(vectors, dtype=numpy.float32)
    if vectors.ndim != 2 or vectors.shape[0] != len(keys):
        raise ValueError(f"save_word2vec_format: expected one vector per word ({len(keys)} "
                         f"words), got an array of shape {vectors.shape}")
    for key in keys:
        # A space or a line break inside a word would shift every later field of the file.
        if not key or any(character.isspace() for character in key):
            raise ValueError(f"save_word2vec_format: the word {key!r} is empty or contains "
                             "white space, which the word2vec formats cannot store")
    with atomic_file(path) as file:
        file.write(f"{len(keys)} {vectors.shape[1]}\n".encode())
        if binary:
            for key, vector in zip(keys, vectors.astype(FLOAT32_LE)):
                file.write(key.encode() + b" " + vector.tobytes())
        else:
            for key, vector in zip(keys, vectors):
                file.write(f"{key} {' '.join(str(value) for value in vector)}\n".encode())


def load_word2vec_format(path: str | os.PathLike,
                         binary: bool | None = None) -> tuple[list[str], numpy.ndarray]:
    """Read a word2vec text or binary file: its words and their vectors (N, D) float32.

    ``binary=None`` tells the formats apart by content: the file is text when the line after
    the header is a word followed by D numbers. A word that appears again is ignored after its
    first entry, with a warning (as gensim does).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no word-vector file at {path}")
    data = path.read_bytes()
    header_end = data.find(b"\n")
    header = data[:header_end if header_end >= 0 else len(data)].split()
    try:
        count, dimension = (int(field) for field in header)
        if count < 0 or dimension < 1:
            raise ValueError
    except ValueError:
        shown = data[:min(header_end if header_end >= 0 else 60, 60)]
        raise FormatError(f"{path}: not a word2vec file: the first line should be "
                          f"'<number of words> <dimension>', got {shown!r}") from None
    start = header_end + 1
    if binary is None:
        binary = count > 0 and not _looks_like_text(data, start, dimension)
    reader = _read_binary if binary else _read_text
    keys, vectors = reader(data, start, count, dimension, path)
    return _drop_repeated_words(keys, vectors, path)


def _check_size(path: Path, binary: bool, count: int, dimension: int, available: int) -> None:
    """Refuse a header that announces more than the bytes after it can hold.

    The smallest binary entry is a space and D float32s (an empty word); the smallest text line
    is D one-digit numbers each after a space, with a line break between lines.
    """
    if binary:
        needed = count * (1 + FLOAT32_LE.itemsize * dimension)
    else:
        needed = max(count * (2 * dimension + 1) - 1, 0)
    if needed > available:
        kind = "binary" if binary else "text"
        raise FormatError(f"{path}: the header announces {count:,} words of dimension "
                          f"{dimension:,}, which need at least {needed:,} bytes in the {kind} "
                          f"format, but only {available:,} follow it; the file is truncated or "
                          "its header is wrong")


def _looks_like_text(data: bytes, start: int, dimension: int) -> bool:
    """Whether the first entry reads as a word and numbers: text, even with the wrong count of
    numbers (which the text reader then reports), never binary garbage."""
    end = data.find(b"\n", start)
    line = data[start:end if end >= 0 else len(data)]
    try:
        fields = line.decode("utf-8").rstrip().split(" ")
        numpy.array(fields[1:], dtype=numpy.float32)
    except (UnicodeDecodeError, ValueError):
        return False
    return len(fields) >= 2


def _read_text(data: bytes, start: int, count: int, dimension: int, path: Path):
    lines = data[start:].splitlines()
    if len(lines) < count:
        raise FormatError(f"{path}: the header announces {count:,} words, the file holds only "
                          f"{len(lines):,} lines after it")
    _check_size(path, False, count, dimension, len(data) - start)
    keys = []
    vectors = numpy.empty((count, dimension), dtype=numpy.float32)
    for i, line in enumerate(lines[:count]):
        where = f"{path}, line {i + 2}"
        try:
            key, *fields = line.decode("utf-8").rstrip().split(" ")
        except UnicodeDecodeError:
            raise FormatError(f"{where}: not UTF-8 text") from None
        if len(fields) != dimension:
            raise FormatError(f"{where}: expected {dimension} numbers after the word {key!r}, "
                              f"got {len(fields)}")
        try:
            vectors[i] = numpy.array(fields, dtype=numpy.float32)
        except ValueError:
            raise FormatError(f"{where}: the vector of {key!r} holds something that is not a "
                              "number") from None
        keys.append(key)
    return keys, vectors


def _read_binary(data: bytes, start: int, count: int, dimension: int, path: Path):
    _check_size(path, True, count, dimension, len(data) - start)
    width = dimension * FLOAT32_LE.itemsize
    keys = []
    vectors = numpy.empty((count, dimension), dtype=numpy.float32)
    position = start
    for i in range(count):
        space = data.find(b" ", position)
        if space < 0 or len(data) - (space + 1) < width:
            raise FormatError(f"{path}: truncated binary word2vec file: the header announces "
                              f"{count:,} words of dimension {dimension}, entry {i + 1:,} is "
                              "incomplete")
        try:
            key = data[position:space].decode("utf-8").lstrip("\n")
        except UnicodeDecodeError:
            raise FormatError(f"{path}: entry {i + 1:,} (byte {position:,}): the word is not "
                              "UTF-8") from None
        vectors[i] = numpy.frombuffer(data, dtype=FLOAT32_LE, count=dimension, offset=space + 1)
        keys.append(key)
        position = space + 1 + width
    return keys, vectors


def _drop_repeated_words(keys: list[str], vectors, path: Path):
    first: dict[str, int] = {}
    for i, key in enumerate(keys):
        first.setdefault(key, i)
    if len(first) == len(keys):
        return keys, vectors
    repeated = sorted({key for i, key in enumerate(keys) if first[key] != i})
    warnings.warn(f"{path}: {len(repeated)} word(s) appear more than once, e.g. {repeated[0]!r}; "
                  "kept the first vector of each", stacklevel=3)
    rows = sorted(first.values())
    return [keys[i] for i in rows], vectors[rows]
