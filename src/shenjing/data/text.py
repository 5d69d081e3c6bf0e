"""Text as data for character models: reading a UTF-8 file, a character vocabulary, a split.

A character model sees text as a sequence of integers, one per character: ``CharVocab`` maps the
sorted unique characters of a corpus to ``0 .. V-1`` and back, and is saved beside a trained model
as JSON (a list of characters), so a run can be sampled long after its corpus is gone.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

import numpy

from shenjing.autograd.tensor import Tensor


def read_text(path: str | os.PathLike) -> str:
    """The contents of a UTF-8 text file; errors name the file (missing, not UTF-8, empty).

    Line endings are kept as they are in the file (no newline translation), so a corpus is
    learned byte for byte.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such text file") from None
    except IsADirectoryError:
        raise IsADirectoryError(f"{path}: is a folder, expected a text file") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason})") from None
    if not text:
        raise ValueError(f"{path}: the file is empty")
    return text


def split_text(text: str, val_fraction: float = 0.1) -> tuple[str, str]:
    """``(train, validation)``: contiguous parts, the validation part being the last
    ``val_fraction`` of the text (rounded down), so that no passage is in both.

    >>> split_text("abcdefghij")
    ('abcdefghi', 'j')
    """
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError(f"split_text: val_fraction must be in [0, 1), got {val_fraction}")
    boundary = len(text) - int(len(text) * val_fraction)
    return text[:boundary], text[boundary:]


def _code_points(text: str) -> numpy.ndarray:
    """The Unicode code point of every character, (len(text),) uint32, in one call."""
    return numpy.frombuffer(text.encode("utf-32-le"), dtype="<u4")


class CharVocab:
    """The characters of a corpus, sorted, as indices ``0 .. len(vocab) - 1``.

    ``encode`` turns text into an int64 tensor of indices; ``decode`` turns indices back into
    text; ``save``/``load`` keep it as JSON beside a model. Sorting by code point makes the
    indices depend only on the set of characters, not on the order they first appear.

    >>> vocab = CharVocab.from_text("hello")
    >>> vocab.chars, len(vocab)
    (['e', 'h', 'l', 'o'], 4)
    >>> vocab.encode("hole")
    tensor([1, 3, 2, 0])
    >>> vocab.decode([1, 0, 2, 2, 3])
    'hello'
    """

    def __init__(self, chars: Iterable[str]) -> None:
        chars = list(chars)
        for char in chars:
            if not isinstance(char, str) or len(char) != 1:
                raise ValueError(f"CharVocab: every entry must be one character, got {char!r}")
        if len(set(chars)) != len(chars):
            raise ValueError("CharVocab: the characters must be unique")
        if not chars:
            raise ValueError("CharVocab: no characters")
        self.chars = sorted(chars)
        self.index = {char: i for i, char in enumerate(self.chars)}  # {character: index}
        self._codes = _code_points("".join(self.chars))  # sorted, for a binary search

    @classmethod
    def from_text(cls, text: str) -> CharVocab:
        """The vocabulary of every distinct character in ``text``."""
        if not text:
            raise ValueError("CharVocab.from_text: the text is empty")
        return cls(set(text))

    def __len__(self) -> int:
        return len(self.chars)

    def __contains__(self, char: str) -> bool:
        return char in self.index

    def encode(self, text: str) -> Tensor:
        """``text`` -> int64 indices (len(text),); a character outside the vocabulary raises
        ``ValueError`` naming it and its position."""
        codes = _code_points(text)
        # A binary search of every character at once: a million characters in milliseconds.
        positions = numpy.searchsorted(self._codes, codes)
        clipped = numpy.minimum(positions, len(self._codes) - 1)
        unknown = numpy.flatnonzero(self._codes[clipped] != codes)
        if unknown.size:
            at = int(unknown[0])
            raise ValueError(f"character {text[at]!r} at position {at} is not in the "
                             f"vocabulary of {len(self)} characters")
        return Tensor._make(positions.astype(numpy.int64))

    def decode(self, indices) -> str:
        """Indices (a tensor, an array or a list of ints) -> text."""
        if isinstance(indices, Tensor):
            indices = indices.tolist()
        values = numpy.asarray(indices).reshape(-1).tolist()
        for value in values:
            if not 0 <= value < len(self.chars):
                raise ValueError(f"index {value} is outside the vocabulary of {len(self)} "
                                 "characters")
        return "".join(self.chars[value] for value in values)

    def save(self, path: str | os.PathLike) -> None:
        """Write the vocabulary as JSON, ``{"chars": [...]}``, atomically."""
        from shenjing.serialization import atomic_file

        payload = json.dumps({"chars": self.chars}, ensure_ascii=False, indent=0)
        with atomic_file(path) as file:
            file.write(payload.encode("utf-8"))

    @classmethod
    def load(cls, path: str | os.PathLike) -> CharVocab:
        """Read a vocabulary written by ``save``; errors name the file."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise FileNotFoundError(f"{path}: no such vocabulary file") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"{path}: not a vocabulary file ({exc})") from None
        if not isinstance(data, dict) or not isinstance(data.get("chars"), list):
            raise ValueError(f"{path}: not a vocabulary file (expected {{\"chars\": [...]}})")
        try:
            return cls(data["chars"])
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from None

    def __eq__(self, other) -> bool:
        return isinstance(other, CharVocab) and self.chars == other.chars

    def __repr__(self) -> str:
        shown = "".join(self.chars[:40])
        return f"CharVocab({len(self)} characters: {shown!r}{'...' if len(self) > 40 else ''})"
