"""The vocabulary: words kept by ``min_count``, their counts, and the two distributions that
training draws from (which words to keep, which words are noise).

Words are indexed from the most frequent down (ties in order of first appearance), the order
gensim and word2vec write their files in.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import numpy


class Vocabulary:
    """Words that occur at least ``min_count`` times, most frequent first, with their counts.

    >>> vocab = Vocabulary.build([["a", "b", "a"], ["c", "a", "b"]], min_count=2)
    >>> vocab.words, vocab.counts.tolist(), vocab.index["b"]
    (['a', 'b'], [3, 2], 1)
    """

    def __init__(self, words: list[str], counts):
        self.words = list(words)
        self.counts = numpy.asarray(counts, dtype=numpy.int64)
        self.index = {word: i for i, word in enumerate(self.words)}
        if len(self.index) != len(self.words) or len(self.counts) != len(self.words):
            raise ValueError("Vocabulary: words must be unique and have one count each")

    @classmethod
    def build(cls, sentences: Iterable[list[str]], min_count: int = 5) -> Vocabulary:
        """Count the words of ``sentences`` and keep those seen at least ``min_count`` times."""
        if min_count < 1:
            raise ValueError(f"min_count must be at least 1, got {min_count}")
        counter: Counter = Counter()
        for sentence in sentences:
            counter.update(sentence)
        # Counter keeps first-appearance order and sorted() is stable: ties stay in that order.
        kept = sorted((item for item in counter.items() if item[1] >= min_count),
                      key=lambda item: -item[1])
        return cls([word for word, _ in kept], [count for _, count in kept])

    def __len__(self) -> int:
        return len(self.words)

    @property
    def total(self) -> int:
        """How many tokens of the corpus are in the vocabulary."""
        return int(self.counts.sum())

    def encode(self, sentences: Iterable[list[str]]):
        """The corpus as two int64 arrays of equal length: each in-vocabulary token's word index
        and the number of its sentence. Words outside the vocabulary are dropped, as word2vec
        does, so a window spans the words that remain."""
        index = self.index
        words: list[int] = []
        sentence_ids: list[int] = []
        for number, sentence in enumerate(sentences):
            encoded = [index[word] for word in sentence if word in index]
            words.extend(encoded)
            sentence_ids.extend([number] * len(encoded))
        return numpy.array(words, dtype=numpy.int64), numpy.array(sentence_ids, dtype=numpy.int64)


def keep_probabilities(counts, sample: float):
    """Probability of keeping each occurrence of a word when subsampling frequent words.

    Mikolov's formula as word2vec.c and gensim implement it: with ``t = sample * total`` (total:
    in-vocabulary tokens), a word seen ``c`` times is kept with probability
    ``(sqrt(c / t) + 1) * t / c``, capped at 1. ``sample = 0`` keeps everything.

    >>> keep_probabilities([10000, 100, 10], sample=1e-3).round(4).tolist()
    [0.0328, 0.4191, 1.0]
    """
    counts = numpy.asarray(counts, dtype=numpy.float64)
    if not 0.0 <= sample < 1.0:
        raise ValueError(f"sample must be in [0, 1), got {sample}")
    if sample == 0.0:
        return numpy.ones_like(counts)
    threshold = sample * counts.sum()
    return numpy.minimum((numpy.sqrt(counts / threshold) + 1.0) * threshold / counts, 1.0)


def noise_distribution(counts, exponent: float = 0.75):
    """The distribution negative samples are drawn from: counts ** exponent, normalised.

    >>> noise_distribution([16, 1], exponent=0.75).tolist()
    [0.8888888888888888, 0.1111111111111111]
    """
    weights = numpy.asarray(counts, dtype=numpy.float64) ** exponent
    return weights / weights.sum()
