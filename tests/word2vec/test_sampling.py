"""An epoch's random draws, checked by their frequencies over many draws."""

import numpy as np

from shenjing.word2vec import sampling
from shenjing.word2vec.vocab import noise_distribution


def test_noise_words_follow_the_noise_distribution():
    rng = np.random.default_rng(0)
    probabilities = noise_distribution([1000, 300, 50, 10, 1])
    draws = sampling.draw_noise(sampling.noise_table(probabilities), (200_000, 5), rng)
    assert draws.shape == (200_000, 5) and draws.min() >= 0 and draws.max() <= 4
    frequencies = np.bincount(draws.ravel(), minlength=5) / draws.size
    # Binomial standard error is at most 0.5 / sqrt(1e6) = 5e-4: allow 4 of them.
    np.testing.assert_allclose(frequencies, probabilities, atol=2e-3)


def test_noise_table_ends_at_exactly_one():
    table = sampling.noise_table(noise_distribution(np.arange(1, 1000)))
    assert table[-1] == 1.0 and np.all(np.diff(table) > 0)


def test_subsampling_keeps_words_at_their_probability_and_in_order():
    rng = np.random.default_rng(1)
    words = np.tile(np.array([0, 1, 2]), 100_000)
    sentences = np.arange(len(words)) // 7
    keep = np.array([0.1, 0.5, 1.0])
    kept_words, kept_sentences = sampling.subsample(words, sentences, keep, rng)
    rates = np.bincount(kept_words, minlength=3) / 100_000
    np.testing.assert_allclose(rates, keep, atol=5e-3)
    assert np.all(np.diff(kept_sentences) >= 0)  # order kept, sentence ids travel along


def test_window_spans_are_uniform_between_one_and_the_window():
    spans = sampling.window_spans(100_000, 5, np.random.default_rng(2))
    assert spans.min() == 1 and spans.max() == 5
    np.testing.assert_allclose(np.bincount(spans, minlength=6)[1:] / 100_000, [0.2] * 5,
                               atol=6e-3)
