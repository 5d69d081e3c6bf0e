"""Word2Vec on tiny-shakespeare: shenjing against gensim, same corpus, same settings, one run.

Both train skip-gram and CBOW with negative sampling (dimension 100, window 5, 5 noise words,
min_count 5, sample 1e-3, 5 epochs, alpha 0.025 -> 0.0001) on the same sentences (shenjing's
tokenisation: one sentence per line, lower-cased words), twice each, with seeds 1 and 2; gensim
runs with ``--threads`` worker threads. Prints:

- the training time of each (vocabulary and training, median of the two seeds) and the ratio
  shenjing / gensim;
- how alike the two libraries' vectors are: the Spearman rank correlation of the cosine
  similarities of every pair among the words ranked 100 to 199 by frequency (4,950 pairs),
  shenjing (seed 1) against gensim (seed 1);
- as the reference for what agreement is achievable, each library against itself across its two
  seeds (word2vec is random: two seeds of the same library never agree perfectly).

    python benchmarks/word2vec_training.py [--data ../shared/data] [--threads 2]
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import time
from pathlib import Path

import gensim
import numpy as np
from gensim.models import Word2Vec as GensimWord2Vec

import shenjing.word2vec as w2v

SETTINGS = {"vector_size": 100, "window": 5, "negative": 5, "min_count": 5, "sample": 1e-3,
            "epochs": 5, "alpha": 0.025, "min_alpha": 0.0001}
RANKS = range(100, 200)  # which words (by frequency) the similarity pairs are drawn among


def train_shenjing(sentences, model: str, seed: int):
    start = time.perf_counter()
    trained = w2v.Word2Vec(sentences, model=model, seed=seed, **SETTINGS)
    return trained.wv, time.perf_counter() - start


def train_gensim(sentences, model: str, seed: int, threads: int):
    start = time.perf_counter()
    trained = GensimWord2Vec(sentences, sg=int(model == "skipgram"), hs=0, cbow_mean=1,
                             seed=seed, workers=threads, **SETTINGS)
    return trained.wv, time.perf_counter() - start


def pair_similarities(vectors, words: list[str]):
    """Cosine similarity of every pair of ``words`` (in a fixed order)."""
    units = np.array([vectors[word] for word in words], dtype=np.float64)
    units /= np.linalg.norm(units, axis=1, keepdims=True)
    first, second = np.array(list(itertools.combinations(range(len(words)), 2))).T
    return np.einsum("pd,pd->p", units[first], units[second])


def spearman(a, b) -> float:
    """Spearman's rank correlation (no ties among float similarities)."""
    rank_a, rank_b = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    return float(np.corrcoef(rank_a, rank_b)[0, 1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("SHENJING_DATA", "../shared/data"),
                        help="folder holding tinyshakespeare/input.txt")
    parser.add_argument("--threads", type=int, default=2, help="gensim's worker threads")
    args = parser.parse_args()
    corpus = Path(args.data) / "tinyshakespeare" / "input.txt"
    sentences = w2v.read_corpus(corpus)
    print(f"{corpus}: {sum(map(len, sentences)):,} words in {len(sentences):,} lines; "
          f"{os.cpu_count()} cores; numpy {np.__version__}, gensim {gensim.__version__} with "
          f"{args.threads} worker threads")
    print(f"{'':9s} {'training time':^27s}   {'Spearman correlation of pair similarities':^49s}")
    print(f"{'model':9s} {'shenjing':>9s} {'gensim':>9s} {'ratio':>7s}   {'shenjing~gensim':>15s} "
          f"{'shenjing seeds':>16s} {'gensim seeds':>14s}")
    for model in ("skipgram", "cbow"):
        ours = [train_shenjing(sentences, model, seed) for seed in (1, 2)]
        theirs = [train_gensim(sentences, model, seed, args.threads) for seed in (1, 2)]
        words = ours[0][0].index_to_key[RANKS.start:RANKS.stop]
        ours_sim = [pair_similarities(kv, words) for kv, _ in ours]
        theirs_sim = [pair_similarities(kv, words) for kv, _ in theirs]
        our_time = statistics.median(t for _, t in ours)
        their_time = statistics.median(t for _, t in theirs)
        print(f"{model:9s} {our_time:7.2f} s {their_time:7.2f} s {our_time / their_time:7.2f}   "
              f"{spearman(ours_sim[0], theirs_sim[0]):15.3f} {spearman(*ours_sim):16.3f} "
              f"{spearman(*theirs_sim):14.3f}")
    print(f"pairs: all {len(ours_sim[0]):,} pairs among the words ranked {RANKS.start} to "
          f"{RANKS.stop - 1} by frequency ({words[0]!r} ... {words[-1]!r})")


if __name__ == "__main__":
    main()
