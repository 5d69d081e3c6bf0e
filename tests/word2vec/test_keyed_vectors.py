"""Queries on word vectors: the same answers as gensim's KeyedVectors on the same vectors."""

import numpy as np
import pytest
from gensim.models import KeyedVectors as GensimKeyedVectors

from shenjing.word2vec import KeyedVectors, UnknownWordError


@pytest.fixture
def both():
    """The same 400 random 32-dimensional vectors in shenjing and in gensim."""
    rng = np.random.default_rng(0)
    keys = [f"word{i}" for i in range(400)]
    vectors = rng.standard_normal((400, 32)).astype(np.float32)
    vectors[7] *= 25.0  # lengths must not matter: cosine similarity
    theirs = GensimKeyedVectors(vector_size=32)
    theirs.add_vectors(keys, vectors)
    return KeyedVectors(keys, vectors), theirs


def assert_same_answers(ours, theirs):
    assert [word for word, _ in ours] == [word for word, _ in theirs]
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], atol=1e-5)


@pytest.mark.parametrize("word", ["word0", "word7", "word399"])
def test_most_similar_equals_gensims(both, word):
    ours, theirs = both
    answers = ours.most_similar(word, k=10)
    assert_same_answers(answers, theirs.most_similar(word, topn=10))
    assert word not in [w for w, _ in answers]  # the query is excluded
    assert ours.most_similar(word, 3) == answers[:3]  # most_similar(word, k)


@pytest.mark.parametrize(("positive", "negative"), [
    (["word1", "word2"], ["word3"]),  # word3 is to word1 as word2 is to ?
    (["word7", "word50", "word60"], ["word8", "word9"]),
    ([], ["word11"]),
])
def test_analogies_equal_gensims(both, positive, negative):
    ours, theirs = both
    assert_same_answers(ours.most_similar(positive=positive, negative=negative, k=8),
                        theirs.most_similar(positive=positive, negative=negative, topn=8))


def test_analogy_is_most_similar_with_b_and_c_minus_a(both):
    ours, theirs = both
    assert ours.analogy("word3", "word1", "word2", k=5) == ours.most_similar(
        positive=["word1", "word2"], negative=["word3"], k=5)


def test_similarity_equals_gensims(both):
    ours, theirs = both
    for a, b in [("word0", "word1"), ("word7", "word8"), ("word5", "word5")]:
        assert ours.similarity(a, b) == pytest.approx(float(theirs.similarity(a, b)), abs=1e-6)


def test_a_geometric_example():
    kv = KeyedVectors(["man", "woman", "king", "queen", "apple"],
                      [[1, 0, 0], [1, 1, 0], [1, 0, 1], [1, 1, 1], [-1, 0, 0]])
    assert kv.analogy("man", "king", "woman", k=1)[0][0] == "queen"
    assert [w for w, _ in kv.most_similar("man", k=4)][-1] == "apple"
    assert kv.similarity("man", "apple") == pytest.approx(-1.0)


def test_unknown_words_raise_a_key_error_naming_them(both):
    ours, _ = both
    with pytest.raises(KeyError, match="the word 'kingg' is not in the vocabulary"):
        ours["kingg"]
    with pytest.raises(UnknownWordError, match="'queenn'"):
        ours.most_similar(positive=["word1"], negative=["queenn"])
    with pytest.raises(UnknownWordError, match="'x'"):
        ours.similarity("word1", "x")
    assert str(UnknownWordError("plain message")) == "plain message"  # no quotes around it


def test_bad_queries_and_constructions_are_errors(both):
    ours, _ = both
    with pytest.raises(ValueError, match="at least one word"):
        ours.most_similar()
    with pytest.raises(ValueError, match="k must be at least 1, got 0"):
        ours.most_similar("word1", k=0)
    with pytest.raises(ValueError, match="one row per key"):
        KeyedVectors(["a", "b"], np.zeros((3, 2)))
    with pytest.raises(ValueError, match="the word 'a' appears twice"):
        KeyedVectors(["a", "b", "a"], np.zeros((3, 2)))


def test_k_larger_than_the_vocabulary_lists_every_other_word():
    kv = KeyedVectors(["a", "b", "c"], [[1, 0], [0, 1], [1, 1]])
    assert [w for w, _ in kv.most_similar("a", k=10)] == ["c", "b"]
    assert kv.most_similar(positive=["a", "b", "c"], k=3) == []


def test_container_protocol(both):
    ours, _ = both
    assert len(ours) == 400 and ours.vector_size == 32 and "word5" in ours
    assert ours.index_to_key[5] == "word5" and ours.key_to_index["word5"] == 5
    np.testing.assert_array_equal(ours["word5"], ours.vectors[5])
    assert repr(ours) == "KeyedVectors(400 words, dimension 32)"
