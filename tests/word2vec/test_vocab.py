"""The vocabulary, subsampling and the noise distribution, against the formulas and gensim."""

import numpy as np
import pytest
from gensim.models import Word2Vec as GensimWord2Vec

from shenjing.word2vec import Vocabulary, keep_probabilities, noise_distribution


def zipf_sentences(seed=0, n_sentences=400, vocabulary=300):
    """Sentences of words drawn from a Zipf law: a few frequent words, a long tail."""
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, vocabulary + 1)
    p /= p.sum()
    return [[f"w{i}" for i in rng.choice(vocabulary, size=rng.integers(1, 15), p=p)]
            for _ in range(n_sentences)]


def test_min_count_order_and_counts():
    sentences = [["b", "a", "c"], ["a", "b", "d"], ["a", "e", "c"], ["c", "x"]]
    vocab = Vocabulary.build(sentences, min_count=2)
    # a: 3, c: 3 (tie: a appeared first), b: 2; d, e, x dropped.
    assert vocab.words == ["a", "c", "b"]
    assert vocab.counts.tolist() == [3, 3, 2]
    assert vocab.index == {"a": 0, "c": 1, "b": 2}
    assert vocab.total == 8 and len(vocab) == 3


def test_encode_drops_unknown_words_and_numbers_sentences():
    vocab = Vocabulary(["a", "b"], [5, 3])
    words, sentences = vocab.encode([["a", "zz", "b"], ["zz"], ["b", "b"]])
    assert words.tolist() == [0, 1, 1, 1]
    assert sentences.tolist() == [0, 0, 2, 2]


def test_min_count_must_be_positive():
    with pytest.raises(ValueError, match="min_count must be at least 1, got 0"):
        Vocabulary.build([["a"]], min_count=0)


def test_vocabulary_equals_gensims():
    sentences = zipf_sentences()
    vocab = Vocabulary.build(sentences, min_count=3)
    gensim = GensimWord2Vec(vector_size=8, min_count=3)
    gensim.build_vocab(sentences)
    theirs = {w: gensim.wv.get_vecattr(w, "count") for w in gensim.wv.index_to_key}
    assert dict(zip(vocab.words, vocab.counts.tolist())) == theirs
    assert vocab.counts.tolist() == sorted(vocab.counts.tolist(), reverse=True)


def test_keep_probability_is_mikolovs_formula():
    counts = np.array([5000, 800, 120, 40, 7])
    sample = 1e-3
    t = sample * counts.sum()
    expected = np.minimum((np.sqrt(counts / t) + 1) * t / counts, 1.0)
    np.testing.assert_allclose(keep_probabilities(counts, sample), expected, rtol=1e-15)
    assert keep_probabilities(counts, 0.0).tolist() == [1.0] * 5
    assert expected[0] < 0.2 and expected[-1] == 1.0  # the frequent word is mostly dropped
    with pytest.raises(ValueError, match=r"sample must be in \[0, 1\), got 1.5"):
        keep_probabilities(counts, 1.5)


@pytest.mark.parametrize("sample", [1e-3, 1e-2, 0.0])
def test_keep_probability_equals_gensims(sample):
    sentences = zipf_sentences(seed=1)
    vocab = Vocabulary.build(sentences, min_count=2)
    gensim = GensimWord2Vec(vector_size=8, min_count=2, sample=sample)
    gensim.build_vocab(sentences)
    # gensim stores the probability as a 32-bit integer: p * (2**32 - 1), truncated.
    theirs = {w: gensim.wv.get_vecattr(w, "sample_int") / (2**32 - 1)
              for w in gensim.wv.index_to_key}
    ours = keep_probabilities(vocab.counts, sample)
    np.testing.assert_allclose(ours, [theirs[w] for w in vocab.words], atol=1e-9)


def test_noise_distribution_is_unigram_to_the_three_quarters():
    counts = np.array([81, 16, 1])
    expected = counts ** 0.75 / (counts ** 0.75).sum()  # 27, 8, 1 over 36
    np.testing.assert_allclose(noise_distribution(counts), expected, rtol=1e-15)
    np.testing.assert_allclose(noise_distribution(counts), [27 / 36, 8 / 36, 1 / 36])
    np.testing.assert_allclose(noise_distribution(counts, exponent=0.0), [1 / 3] * 3)


def test_noise_distribution_equals_gensims_cumulative_table():
    sentences = zipf_sentences(seed=2)
    vocab = Vocabulary.build(sentences, min_count=2)
    gensim = GensimWord2Vec(vector_size=8, min_count=2, negative=5)
    gensim.build_vocab(sentences)
    domain = 2**31 - 1
    theirs = np.diff(gensim.cum_table.astype(np.float64), prepend=0.0) / domain
    theirs = dict(zip(gensim.wv.index_to_key, theirs))
    ours = noise_distribution(vocab.counts)
    np.testing.assert_allclose(ours, [theirs[w] for w in vocab.words], atol=2 / domain)
