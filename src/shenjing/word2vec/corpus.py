"""Turning text into sentences of words: one sentence per line, lower-cased word tokens.

The rule is deliberately simple, so that any other tool can reproduce it: a token is a run of
letters, digits or underscores (Unicode ``\\w``), which may continue across an apostrophe between
two such runs (``know't``, ``o'er``, ``we'll`` stay one token; a quote mark at either end is
dropped). Everything else separates tokens. Each line of the text is one sentence, as in gensim's
``LineSentence``: context windows never cross a line, and lines without a token are skipped.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

TOKEN = re.compile(r"\w+(?:['\u2019]\w+)*")


def tokenize(text: str, lowercase: bool = True) -> list[list[str]]:
    """Split ``text`` into sentences (one per non-empty line), each a list of word tokens.

    >>> tokenize("First Citizen:\\nWe know't, we know't.\\n\\n")
    [['first', 'citizen'], ['we', "know't", 'we', "know't"]]
    """
    if lowercase:
        text = text.lower()
    sentences = (TOKEN.findall(line) for line in text.splitlines())
    return [sentence for sentence in sentences if sentence]


def read_corpus(path: str | os.PathLike, lowercase: bool = True) -> list[list[str]]:
    """The sentences of a UTF-8 text file (see ``tokenize``); errors name the file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no corpus file at {path}")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ValueError(f"{path}: not UTF-8 text (byte offset {exc.start:,}, line {line})"
                         ) from None
    return tokenize(text, lowercase)
