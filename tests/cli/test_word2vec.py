"""``shenjing word2vec``: a text file in, a word2vec file that gensim reads out."""

import numpy as np
import pytest
from gensim.models import KeyedVectors as GensimKeyedVectors

from shenjing.cli import main


@pytest.fixture
def corpus(tmp_path):
    """400 lines of words from six topics of five words each."""
    rng = np.random.default_rng(0)
    lines = [" ".join(f"W{5 * topic + i}" for i in rng.integers(0, 5, 10)) + "."
             for topic in rng.integers(0, 6, 400)]
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("model", ["skipgram", "cbow"])
def test_trains_and_writes_vectors_gensim_reads(corpus, tmp_path, capsys, model):
    out = tmp_path / "vectors.txt"
    code = main(["word2vec", str(corpus), "--model", model, "--dim", "12", "--epochs", "3",
                 "--sample", "0", "--out", str(out), "--quiet"])
    assert code == 0
    printed = capsys.readouterr()
    assert "4,000 words in 400 sentences (lines)" in printed.out
    assert "vocabulary: 30 words seen at least 5 times" in printed.out
    assert f"trained {model} for 3 epochs" in printed.out and str(out) in printed.out
    assert printed.err == ""  # --quiet: no progress bars
    vectors = GensimKeyedVectors.load_word2vec_format(str(out))
    assert vectors.vectors.shape == (30, 12) and "w0" in vectors.key_to_index  # lower-cased


def test_binary_output_has_its_default_name(corpus, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["word2vec", str(corpus), "--dim", "8", "--epochs", "1", "--binary",
                 "--quiet"]) == 0
    vectors = GensimKeyedVectors.load_word2vec_format(str(tmp_path / "vectors.bin"),
                                                      binary=True)
    assert vectors.vectors.shape == (30, 8)


def test_corpus_is_found_in_the_data_folder(corpus, tmp_path, monkeypatch):
    data = tmp_path / "data"
    (data / "texts").mkdir(parents=True)
    corpus.rename(data / "texts" / "input.txt")
    monkeypatch.setenv("SHENJING_DATA", str(data))
    out = tmp_path / "v.txt"
    assert main(["word2vec", "texts/input.txt", "--dim", "8", "--epochs", "1", "--out",
                 str(out), "--quiet"]) == 0
    assert out.read_text().startswith("30 8\n")


def test_a_missing_corpus_is_one_line_naming_both_places(tmp_path, capsys):
    code = main(["word2vec", "nowhere.txt", "--data", str(tmp_path), "--quiet"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "shenjing word2vec: no corpus file at nowhere.txt nor at" in err
    assert str(tmp_path / "nowhere.txt") in err


def test_a_corpus_too_small_for_min_count_is_explained(tmp_path, capsys):
    path = tmp_path / "tiny.txt"
    path.write_text("one two three\n")
    assert main(["word2vec", str(path), "--quiet"]) == 2
    assert "no word occurs at least min_count=5 times" in capsys.readouterr().err


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--sample", "1.5", "must be in [0, 1), got 1.5"),
    ("--alpha", "0", "must be above 0, got 0.0"),
    ("--dim", "0", "must be at least 1, got 0"),
])
def test_bad_options_are_refused_by_name(corpus, capsys, option, value, message):
    with pytest.raises(SystemExit) as exit_info:
        main(["word2vec", str(corpus), option, value])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert option in err and message in err
