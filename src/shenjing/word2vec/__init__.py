"""Word2Vec: words as vectors, learned so that meaning becomes geometry.

Skip-gram and CBOW with negative sampling (Mikolov et al., 2013), trained with vectorised
mini-batch SGD on NumPy (or CuPy); word vectors with nearest-neighbour and analogy queries; the
word2vec text and binary file formats, exactly as gensim and word2vec.c read and write them.

    corpus.py         text -> sentences of words (one sentence per line)
    vocab.py          the vocabulary, min_count, subsampling and noise distributions
    sampling.py       an epoch's random draws: kept tokens, window spans, noise words
    windows.py        context positions of a run of centre words
    training.py       one SGD step of skip-gram or CBOW for a whole batch
    model.py          Word2Vec: vocabulary, weights, epochs, learning-rate decay
    keyed_vectors.py  KeyedVectors: vectors by word, most_similar, similarity, analogies
    formats.py        word2vec text and binary files, written atomically

>>> from shenjing.word2vec import Word2Vec, tokenize
>>> sentences = tokenize("the king rules the land\\nthe queen rules the land\\n" * 30)
>>> model = Word2Vec(sentences, vector_size=16, min_count=1, epochs=3, seed=0)
>>> len(model.wv), model.wv.most_similar("king", k=1)[0][0] in model.wv
(5, True)
"""

from shenjing.word2vec.corpus import read_corpus, tokenize
from shenjing.word2vec.formats import FormatError, load_word2vec_format, save_word2vec_format
from shenjing.word2vec.keyed_vectors import KeyedVectors, UnknownWordError
from shenjing.word2vec.model import MODELS, Word2Vec
from shenjing.word2vec.vocab import Vocabulary, keep_probabilities, noise_distribution

__all__ = [
    "MODELS",
    "FormatError",
    "KeyedVectors",
    "UnknownWordError",
    "Vocabulary",
    "Word2Vec",
    "keep_probabilities",
    "load_word2vec_format",
    "noise_distribution",
    "read_corpus",
    "save_word2vec_format",
    "tokenize",
]
