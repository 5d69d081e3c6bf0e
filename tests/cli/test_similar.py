"""``shenjing similar``: neighbours and analogies from a vector file, text or binary."""

import pytest
from gensim.models import KeyedVectors as GensimKeyedVectors

from shenjing.cli import main
from shenjing.word2vec import KeyedVectors

WORDS = ["man", "woman", "king", "queen", "apple"]
VECTORS = [[1, 0, 0], [1, 1, 0], [1, 0, 1], [1, 1, 1], [-1, 0.1, 0]]


@pytest.fixture(params=[False, True], ids=["text", "binary"])
def vectors_file(request, tmp_path):
    path = tmp_path / "vectors"
    KeyedVectors(WORDS, VECTORS).save_word2vec_format(path, binary=request.param)
    return str(path)


def test_nearest_words(vectors_file, capsys):
    assert main(["similar", vectors_file, "king", "--k", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "nearest to king:"
    assert [line.split()[0] for line in lines[1:]] == ["queen", "man"]
    assert lines[1] == "  queen  0.8165"


def test_analogy(vectors_file, capsys):
    assert main(["similar", vectors_file, "--analogy", "man", "king", "woman", "--k", "1"]) == 0
    assert capsys.readouterr().out.splitlines() == ["man is to king as woman is to:",
                                                    "  queen  0.9753"]


def test_sums_and_differences(vectors_file, capsys):
    assert main(["similar", vectors_file, "king", "woman", "--minus", "man", "--k", "1"]) == 0
    assert capsys.readouterr().out.splitlines() == ["nearest to king + woman - man:",
                                                    "  queen  0.9753"]


def test_files_gensim_wrote(tmp_path, capsys):
    theirs = GensimKeyedVectors(vector_size=3)
    theirs.add_vectors(WORDS, VECTORS)
    path = tmp_path / "gensim.bin"
    theirs.save_word2vec_format(str(path), binary=True)
    assert main(["similar", str(path), "woman", "--k", "1"]) == 0
    assert capsys.readouterr().out.splitlines()[1].split()[0] == "queen"


@pytest.mark.parametrize(("arguments", "message"), [
    (["kingg"], "the word 'kingg' is not in the vocabulary (5 words)"),
    (["king", "--minus", "mann"], "the word 'mann' is not in the vocabulary"),
    (["king", "--analogy", "a", "b", "c"], "give either WORDs (with --minus) or --analogy"),
    ([], "give a WORD (or several), or --analogy A B C"),
])
def test_mistakes_are_one_line(vectors_file, capsys, arguments, message):
    assert main(["similar", vectors_file, *arguments]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("shenjing similar: ") and message in err


def test_a_file_that_is_not_word_vectors(tmp_path, capsys):
    path = tmp_path / "notes.txt"
    path.write_text("just some notes\n")
    assert main(["similar", str(path), "king"]) == 2
    assert "notes.txt: not a word2vec file" in capsys.readouterr().err


def test_a_binary_header_claiming_more_than_the_file_holds(tmp_path, capsys):
    path = tmp_path / "vectors.bin"
    path.write_bytes(b"1000000 100000\nking " + bytes(400))
    assert main(["similar", str(path), "king"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("shenjing similar: ")  # no traceback
    assert "vectors.bin: the header announces 1,000,000 words of dimension 100,000" in err
