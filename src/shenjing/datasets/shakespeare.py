"""Tiny Shakespeare: about 1.1 MB of Shakespeare's plays, the usual corpus of character models.

Andrej Karpathy's ``input.txt`` from char-rnn (40,000 lines of the plays, plain ASCII, 65
distinct characters), read from ``<root>/tinyshakespeare/input.txt``.
"""

from __future__ import annotations

import os
from pathlib import Path

from shenjing.datasets.download import (
    DatasetNotFoundError,
    check_file_md5,
    download_url,
    missing_files_message,
)
from shenjing.datasets.root import data_root


class TinyShakespeare:
    """The tiny-shakespeare corpus as one string, ``text`` (1,115,394 characters).

    Files live in ``<root>/tinyshakespeare/`` (see ``data_root``); ``download=True`` fetches a
    missing ``input.txt`` from char-rnn's repository, checks its md5 and only then puts it in
    place. ``verify`` checks the md5 of a file already on disk, so a truncated or edited copy is
    an error that names it. torchtext has no equivalent; this is the file of Karpathy's char-rnn
    and nanoGPT.

    >>> TinyShakespeare.md5
    '6fb458f1232090904fb40fe944165e91'
    """

    folder = "tinyshakespeare"
    filename = "input.txt"
    mirrors = ["https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/"]
    md5 = "6fb458f1232090904fb40fe944165e91"
    size = 1115394  # bytes (and characters: the file is ASCII)

    def __init__(self, root: str | os.PathLike | None = None, download: bool = False,
                 verify: bool = True) -> None:
        self.root = data_root(root)
        path = self.path
        if not path.is_file():
            wanted = {self.filename: [mirror + self.filename for mirror in self.mirrors]}
            if not download:
                raise DatasetNotFoundError(
                    missing_files_message(type(self).__name__, self.raw_folder, wanted))
            # On failure, the error gives each mirror's reason and the folder to put it in.
            download_url(wanted[self.filename], path, self.md5, max_bytes=self.size)
        if verify:  # in chunks, before reading: a huge wrong file costs no memory
            check_file_md5(path, self.md5)
        self.text = path.read_bytes().decode("utf-8")

    @property
    def raw_folder(self) -> Path:
        """The folder that holds ``input.txt``."""
        return self.root / self.folder

    @property
    def path(self) -> Path:
        """Where ``input.txt`` is (or will be, once downloaded)."""
        return self.raw_folder / self.filename

    def __len__(self) -> int:
        return len(self.text)

    def __repr__(self) -> str:
        return (f"Dataset {type(self).__name__}\n    Number of characters: {len(self):,}\n"
                f"    Root location: {self.root}")
