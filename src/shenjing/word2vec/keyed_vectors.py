"""Word vectors with their words, and the queries that make them useful: nearest words by cosine
similarity and analogies. The equivalent of gensim's ``KeyedVectors``, on NumPy arrays."""

from __future__ import annotations

import os
from collections import Counter

import numpy


class UnknownWordError(KeyError):
    """A word that is not in the vocabulary; the message names it."""

    def __str__(self) -> str:  # KeyError would print the message in quotes
        return str(self.args[0])


class KeyedVectors:
    """One vector per word: ``vectors`` (N, D) float32, row i belonging to ``index_to_key[i]``.

    >>> kv = KeyedVectors(["king", "queen", "apple"], [[1, 0.1], [1, 0.2], [-1, 1]])
    >>> kv.most_similar("king", k=1)
    [('queen', 0.995...)]
    >>> round(kv.similarity("king", "apple"), 3)
    -0.633
    """

    def __init__(self, keys: list[str], vectors):
        vectors = numpy.asarray(vectors, dtype=numpy.float32)
        if vectors.ndim != 2 or vectors.shape[0] != len(keys):
            raise ValueError(f"KeyedVectors: expected one row per key ({len(keys)} keys), got an "
                             f"array of shape {vectors.shape}")
        self.vectors = vectors
        self.index_to_key = list(keys)
        self.key_to_index = {key: i for i, key in enumerate(self.index_to_key)}
        if len(self.key_to_index) != len(self.index_to_key):
            duplicate = next(k for k, n in Counter(self.index_to_key).items() if n > 1)
            raise ValueError(f"KeyedVectors: the word {duplicate!r} appears twice")

    @property
    def vector_size(self) -> int:
        return self.vectors.shape[1]

    def __len__(self) -> int:
        return len(self.index_to_key)

    def __contains__(self, key: str) -> bool:
        return key in self.key_to_index

    def __repr__(self) -> str:
        return f"KeyedVectors({len(self):,} words, dimension {self.vector_size})"

    def get_index(self, key: str) -> int:
        """The row of ``key``; raises ``UnknownWordError`` (a KeyError) naming it."""
        try:
            return self.key_to_index[key]
        except KeyError:
            raise UnknownWordError(f"the word {key!r} is not in the vocabulary "
                                   f"({len(self):,} words)") from None

    def __getitem__(self, key: str):
        """The vector (D,) of ``key``."""
        return self.vectors[self.get_index(key)]

    def unit_vectors(self):
        """Every vector scaled to length 1 (N, D); an all-zero vector stays zero."""
        norms = numpy.linalg.norm(self.vectors, axis=1, keepdims=True)
        return self.vectors / numpy.maximum(norms, numpy.finfo(numpy.float32).tiny)

    def similarity(self, a: str, b: str) -> float:
        """Cosine similarity of the vectors of words ``a`` and ``b``."""
        va, vb = self[a].astype(numpy.float64), self[b].astype(numpy.float64)
        denominator = numpy.linalg.norm(va) * numpy.linalg.norm(vb)
        return float(va @ vb / denominator) if denominator > 0 else 0.0

    def most_similar(self, positive: str | list[str] | None = None, k: int = 10, *,
                     negative: str | list[str] | None = None) -> list[tuple[str, float]]:
        """The ``k`` words nearest (by cosine) to the sum of the ``positive`` words' unit vectors
        minus the ``negative`` ones', best first, the query words themselves excluded.

        ``most_similar("king", 5)`` lists king's 5 nearest neighbours; ``most_similar(positive=
        ["king", "woman"], negative=["man"])`` answers "man is to king as woman is to ?"
        (3CosAdd, as gensim's ``most_similar``, whose ``topn`` is ``k`` here). Returns (word,
        cosine similarity) pairs.
        """
        positive = [positive] if isinstance(positive, str) else list(positive or [])
        negative = [negative] if isinstance(negative, str) else list(negative or [])
        if not positive and not negative:
            raise ValueError("most_similar: give at least one word")
        if k < 1:
            raise ValueError(f"most_similar: k must be at least 1, got {k}")
        query_rows = [self.get_index(word) for word in positive + negative]
        units = self.unit_vectors()
        signs = numpy.array([1.0] * len(positive) + [-1.0] * len(negative), dtype=numpy.float32)
        query = signs @ units[query_rows]
        query /= max(float(numpy.linalg.norm(query)), numpy.finfo(numpy.float32).tiny)
        similarities = units @ query
        similarities[query_rows] = -numpy.inf
        k = min(k, len(self) - len(set(query_rows)))
        if k <= 0:
            return []
        best = numpy.argpartition(-similarities, k - 1)[:k]
        best = best[numpy.argsort(-similarities[best], kind="stable")]
        return [(self.index_to_key[i], float(similarities[i])) for i in best]

    def analogy(self, a: str, b: str, c: str, k: int = 10) -> list[tuple[str, float]]:
        """Answers to "``a`` is to ``b`` as ``c`` is to ?": ``most_similar([b, c], [a], k)``."""
        return self.most_similar(positive=[b, c], negative=[a], k=k)

    def save_word2vec_format(self, path: str | os.PathLike, binary: bool = False) -> None:
        """Write the word2vec text (or binary) format that gensim and word2vec.c read; atomic."""
        from shenjing.word2vec.formats import save_word2vec_format

        save_word2vec_format(path, self.index_to_key, self.vectors, binary=binary)

    @classmethod
    def load_word2vec_format(cls, path: str | os.PathLike,
                             binary: bool | None = None) -> KeyedVectors:
        """Read a word2vec text or binary file (``binary=None``: tell them apart by content)."""
        from shenjing.word2vec.formats import load_word2vec_format

        return cls(*load_word2vec_format(path, binary=binary))
