"""The random draws of an epoch: which tokens subsampling keeps, how far each window reaches,
and which noise words each example is contrasted with. Arrays stay on the corpus's device."""

from __future__ import annotations

from shenjing.backend import array_module


def subsample(words, sentence_ids, keep_probability, rng):
    """Drop each token with probability ``1 - keep_probability[word]``; keep the others in order.

    Subsampling happens before windows are cut, so a window reaches over dropped tokens to the
    next kept ones (word2vec.c and gensim do the same).
    """
    kept = rng.random(len(words)) < keep_probability[words]
    return words[kept], sentence_ids[kept]


def window_spans(count: int, window: int, rng):
    """Each token's effective window, drawn uniformly from 1..window (word2vec's dynamic window:
    nearer words are more often in reach, so they weigh more)."""
    return window - rng.integers(0, window, count)


def noise_table(noise_probabilities):
    """The cumulative distribution that ``draw_noise`` searches, ending at exactly 1."""
    xp = array_module(noise_probabilities)
    cumulative = xp.cumsum(noise_probabilities)
    return cumulative / cumulative[-1]


def draw_noise(cumulative, shape: tuple[int, ...], rng):
    """Word indices drawn from the noise distribution whose ``noise_table`` is ``cumulative``.

    Inverse-transform sampling: a uniform number in [0, 1) falls in word i's slice of the
    cumulative distribution with probability equal to the slice's width.
    """
    xp = array_module(cumulative)
    return xp.searchsorted(cumulative, rng.random(shape), side="right")
