"""Text as data: reading UTF-8 files, the character vocabulary, the contiguous split."""

import json

import pytest

import shenjing as sj
from shenjing.data import CharVocab, read_text, split_text

TEXT = "First Citizen:\nBefore we proceed any further, hear me speak.\n"


def test_vocabulary_is_the_sorted_unique_characters():
    vocab = CharVocab.from_text(TEXT)
    assert vocab.chars == sorted(set(TEXT))
    assert len(vocab) == len(set(TEXT))
    assert vocab.index["\n"] == 0  # the smallest code point first


def test_encode_decode_round_trip():
    vocab = CharVocab.from_text(TEXT)
    codes = vocab.encode(TEXT)
    assert codes.dtype == sj.int64 and codes.shape == (len(TEXT),)
    assert codes.tolist() == [vocab.index[c] for c in TEXT]
    assert vocab.decode(codes) == TEXT
    assert vocab.decode(codes.tolist()) == TEXT
    assert vocab.decode(codes[:60].reshape(2, -1)) == TEXT[:60]  # any shape, read in order


def test_round_trip_beyond_ascii(tmp_path):
    text = "naïve café — 神经 🙂\n"
    vocab = CharVocab.from_text(text)
    assert vocab.decode(vocab.encode(text)) == text
    vocab.save(tmp_path / "vocab.json")
    assert CharVocab.load(tmp_path / "vocab.json") == vocab
    assert json.loads((tmp_path / "vocab.json").read_text(encoding="utf-8"))["chars"] == \
        vocab.chars


def test_save_is_atomic_and_load_names_the_file(tmp_path):
    vocab = CharVocab.from_text(TEXT)
    vocab.save(tmp_path / "vocab.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vocab.json"]  # no temporary left
    with pytest.raises(FileNotFoundError, match="missing.json"):
        CharVocab.load(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match="bad.json: not a vocabulary file"):
        CharVocab.load(tmp_path / "bad.json")
    (tmp_path / "twice.json").write_text('{"chars": ["a", "a"]}')
    with pytest.raises(ValueError, match="twice.json: .*unique"):
        CharVocab.load(tmp_path / "twice.json")


def test_unknown_characters_are_named():
    vocab = CharVocab.from_text("abc")
    with pytest.raises(ValueError, match=r"'z' at position 2 is not in the vocabulary"):
        vocab.encode("abzc")
    with pytest.raises(ValueError, match="index 3 is outside"):
        vocab.decode([0, 3])
    assert "a" in vocab and "z" not in vocab


def test_split_is_contiguous_with_the_last_tenth_held_out():
    text = "".join(chr(ord("a") + i % 26) for i in range(1000))
    train, val = split_text(text)
    assert train + val == text and len(val) == 100
    assert split_text(text, 0.25)[1] == text[750:]
    with pytest.raises(ValueError, match="val_fraction"):
        split_text(text, 1.0)


def test_read_text_errors_name_the_file(tmp_path):
    good = tmp_path / "good.txt"
    good.write_bytes(b"line one\r\nline two\n")
    assert read_text(good) == "line one\r\nline two\n"  # line endings kept
    with pytest.raises(FileNotFoundError, match="nothing.txt"):
        read_text(tmp_path / "nothing.txt")
    (tmp_path / "latin1.txt").write_bytes("café".encode("latin-1"))
    with pytest.raises(ValueError, match="latin1.txt: not UTF-8"):
        read_text(tmp_path / "latin1.txt")
    (tmp_path / "empty.txt").write_bytes(b"")
    with pytest.raises(ValueError, match="empty.txt: the file is empty"):
        read_text(tmp_path / "empty.txt")
