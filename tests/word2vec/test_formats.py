"""The word2vec text and binary formats: byte for byte as gensim writes them, read both ways."""

import numpy as np
import pytest
from gensim.models import KeyedVectors as GensimKeyedVectors
from gensim.models import Word2Vec as GensimWord2Vec

from shenjing.word2vec import FormatError, KeyedVectors, load_word2vec_format, save_word2vec_format

KEYS = ["the", "king", "know't", "straße", "神经", "x"]


@pytest.fixture
def vectors():
    rng = np.random.default_rng(0)
    values = rng.standard_normal((len(KEYS), 7)).astype(np.float32)
    values[0, :3] = [1e-30, -3.5e12, 0.1]  # tiny, huge and inexact values survive too
    return values


def gensim_vectors(keys, vectors):
    kv = GensimKeyedVectors(vector_size=vectors.shape[1])
    kv.add_vectors(keys, vectors)
    return kv


@pytest.mark.parametrize("binary", [False, True])
def test_gensim_reads_our_files_with_equal_values(tmp_path, vectors, binary):
    path = tmp_path / ("v.bin" if binary else "v.txt")
    save_word2vec_format(path, KEYS, vectors, binary=binary)
    theirs = GensimKeyedVectors.load_word2vec_format(str(path), binary=binary)
    assert theirs.index_to_key == KEYS
    np.testing.assert_array_equal(theirs.vectors, vectors)


@pytest.mark.parametrize("binary", [False, True])
def test_our_files_are_byte_for_byte_gensims(tmp_path, vectors, binary):
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    save_word2vec_format(ours, KEYS, vectors, binary=binary)
    gensim_vectors(KEYS, vectors).save_word2vec_format(str(theirs), binary=binary)
    assert ours.read_bytes() == theirs.read_bytes()


@pytest.mark.parametrize("binary", [False, True])
def test_we_read_files_gensim_wrote_after_training(tmp_path, binary):
    sentences = [["a", "b", "c", "a"], ["b", "a", "d"], ["c", "a", "b"]] * 20
    model = GensimWord2Vec(sentences, vector_size=10, min_count=1, epochs=2, seed=3, workers=1)
    path = tmp_path / "gensim.vec"
    model.wv.save_word2vec_format(str(path), binary=binary)
    for flag in (binary, None):  # told, or recognised
        keys, values = load_word2vec_format(path, binary=flag)
        assert keys == model.wv.index_to_key
        np.testing.assert_array_equal(values, model.wv.vectors)


@pytest.mark.parametrize("binary", [False, True])
def test_round_trip_and_recognition(tmp_path, vectors, binary):
    path = tmp_path / "v"
    KeyedVectors(KEYS, vectors).save_word2vec_format(path, binary=binary)
    loaded = KeyedVectors.load_word2vec_format(path)
    assert loaded.index_to_key == KEYS
    np.testing.assert_array_equal(loaded.vectors, vectors)
    assert loaded.vectors.dtype == np.float32


def test_word2vec_c_variants_load(tmp_path):
    """word2vec.c ends each binary vector with a newline and each text line with a space."""
    values = np.arange(6, dtype=np.float32).reshape(2, 3) / 4
    binary = tmp_path / "c.bin"
    binary.write_bytes(b"2 3\n" + b"".join(word + b" " + row.astype("<f4").tobytes() + b"\n"
                                           for word, row in zip([b"ab", b"cd"], values)))
    text = tmp_path / "c.txt"
    text.write_text("2 3\nab 0.000000 0.250000 0.500000 \ncd 0.750000 1.000000 1.250000 \n")
    for path in (binary, text):
        keys, loaded = load_word2vec_format(path)
        assert keys == ["ab", "cd"]
        np.testing.assert_array_equal(loaded, values)


def test_a_repeated_word_keeps_its_first_vector_with_a_warning(tmp_path):
    path = tmp_path / "dup.txt"
    path.write_text("3 2\na 1 2\nb 3 4\na 5 6\n")
    with pytest.warns(UserWarning, match="appear more than once, e.g. 'a'"):
        keys, values = load_word2vec_format(path)
    assert keys == ["a", "b"] and values.tolist() == [[1, 2], [3, 4]]


@pytest.mark.parametrize(("content", "message"), [
    (b"", "the first line should be '<number of words> <dimension>', got b''"),
    (b"hello world\n", "the first line should be"),
    (b"2 3\na 1 2 3\n", "the header announces 2 words, the file holds only 1 lines"),
    (b"2 3\na 1 2 3\nb 1 2\n", r"line 3: expected 3 numbers after the word 'b', got 2"),
    (b"1 3\na 1 two 3\n", r"line 2: the vector of 'a' holds something that is not a number"),
])
def test_malformed_text_files_are_errors_naming_file_and_place(tmp_path, content, message):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(FormatError, match=f"bad.txt.*{message}"):
        load_word2vec_format(path, binary=False)


def test_truncated_binary_file_is_an_error(tmp_path, vectors):
    path = tmp_path / "v.bin"
    save_word2vec_format(path, KEYS, vectors, binary=True)
    path.write_bytes(path.read_bytes()[:-5])
    with pytest.raises(FormatError, match=r"v.bin: truncated binary word2vec file: .* 6 words "
                                          "of dimension 7, entry 6 is incomplete"):
        load_word2vec_format(path, binary=True)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no word-vector file at .*nothing.txt"):
        load_word2vec_format(tmp_path / "nothing.txt")


def test_words_the_formats_cannot_store_are_refused(tmp_path):
    for key in ["two words", "line\nbreak", ""]:
        with pytest.raises(ValueError, match="empty or contains white space"):
            save_word2vec_format(tmp_path / "v.txt", ["ok", key], np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"one vector per word \(2 words\), got .* \(3, 3\)"):
        save_word2vec_format(tmp_path / "v.txt", ["a", "b"], np.zeros((3, 3)))
    assert not list(tmp_path.iterdir())


def test_writes_are_atomic(tmp_path, vectors, monkeypatch):
    path = tmp_path / "v.txt"
    path.write_text("previous content")

    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr("shenjing.serialization.publish", fail)
    with pytest.raises(OSError, match="disk full"):
        save_word2vec_format(path, KEYS, vectors)
    assert path.read_text() == "previous content"
    assert [p.name for p in tmp_path.iterdir()] == ["v.txt"]  # no temporary file left behind


def test_a_text_file_with_the_wrong_count_of_numbers_is_an_error_not_binary(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("2 1\nab 1 2\ncd 3 4\n")
    with pytest.raises(FormatError, match="line 2: expected 1 numbers after the word 'ab'"):
        KeyedVectors.load_word2vec_format(path)


@pytest.mark.parametrize("told", [True, False], ids=["told", "recognised"])
def test_a_header_claiming_more_than_the_file_holds_is_refused_before_allocating(tmp_path, told):
    path = tmp_path / "v.bin"
    # a header that claims 400 GB of vectors over one small entry
    path.write_bytes(b"1000000 100000\nab " + np.ones(3, dtype="<f4").tobytes())
    with pytest.raises(FormatError, match=r"v.bin: the header announces 1,000,000 words of "
                                          r"dimension 100,000, which need at least [\d,]+ bytes "
                                          r"in the binary format, but only 15 follow it"):
        load_word2vec_format(path, binary=True if told else None)
    # the text format, where the count of lines looks right but the dimension is forged
    text = tmp_path / "v.txt"
    text.write_text("2 1000000000000\na 1\nb 2\n")
    with pytest.raises(ValueError, match=r"v.txt: the header announces 2 words of dimension "
                                         r"1,000,000,000,000, .* text format, but only 8 follow"):
        load_word2vec_format(text, binary=False if told else None)


def test_the_size_check_admits_the_smallest_valid_files(tmp_path):
    # one-digit values, empty-ish words, no final line break: exactly the least the check allows
    text = tmp_path / "v.txt"
    text.write_bytes(b"2 3\na 1 2 3\nb 4 5 6")
    assert load_word2vec_format(text)[1].tolist() == [[1, 2, 3], [4, 5, 6]]
    binary = tmp_path / "v.bin"
    binary.write_bytes(b"1 2\n " + np.array([1, 2], dtype="<f4").tobytes())
    keys, values = load_word2vec_format(binary, binary=True)
    assert keys == [""] and values.tolist() == [[1, 2]]
