"""Tokenisation: one sentence per line, lower-cased word tokens with inner apostrophes."""

import pytest

from shenjing.word2vec import read_corpus, tokenize


def test_tokens_are_lowercased_words_with_inner_apostrophes():
    text = "First Citizen:\nWe know't, we know't. 'Tis O'er -- 3 KING HENRY VI\n"
    assert tokenize(text) == [["first", "citizen"],
                              ["we", "know't", "we", "know't", "tis", "o'er", "3", "king",
                               "henry", "vi"]]


def test_each_line_is_a_sentence_and_empty_lines_are_skipped():
    assert tokenize("a b\n\n  ,;:\nc\r\nd e") == [["a", "b"], ["c"], ["d", "e"]]


def test_case_is_kept_on_request_and_unicode_letters_are_words():
    assert tokenize("Ünïcode straße — ok", lowercase=False) == [["Ünïcode", "straße", "ok"]]


def test_read_corpus_names_a_missing_or_undecodable_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no corpus file at .*absent.txt"):
        read_corpus(tmp_path / "absent.txt")
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("fine line\ncaf\xe9\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"latin1.txt: not UTF-8 text \(byte offset 13, line 2\)"):
        read_corpus(bad)
    good = tmp_path / "good.txt"
    good.write_text("Hello world\nagain\n", encoding="utf-8")
    assert read_corpus(good) == [["hello", "world"], ["again"]]
