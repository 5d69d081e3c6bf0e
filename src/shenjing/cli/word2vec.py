"""``shenjing word2vec``: train word vectors on a text file and write them in word2vec format."""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def fraction(text: str) -> float:
    """An argparse type: a float in [0, 1)."""
    value = float(text)
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {value}")
    return value


def add_arguments(parser) -> None:
    from shenjing.cli import natural_int, positive_float, positive_int
    from shenjing.word2vec import MODELS

    parser.add_argument("corpus", help="a UTF-8 text file (a path, or one inside the data folder): "
                                       "each line is a sentence, words are its lower-cased runs "
                                       "of letters and digits (apostrophes inside kept)")
    parser.add_argument("--model", choices=MODELS, default="skipgram",
                        help="skipgram: each word predicts its neighbours; cbow: the neighbours "
                             "predict the word (default: skipgram)")
    parser.add_argument("--dim", type=positive_int, default=100, help="vector size (default 100)")
    parser.add_argument("--window", type=positive_int, default=5,
                        help="largest distance between a word and its context (default 5; each "
                             "word draws its own window in 1..WINDOW)")
    parser.add_argument("--negative", type=positive_int, default=5,
                        help="noise words per example (default 5)")
    parser.add_argument("--min-count", type=positive_int, default=5,
                        help="ignore words seen fewer times (default 5)")
    parser.add_argument("--sample", type=fraction, default=1e-3,
                        help="subsampling threshold for frequent words; 0 keeps all (default "
                             "1e-3)")
    parser.add_argument("--epochs", type=positive_int, default=5, help="passes (default 5)")
    parser.add_argument("--alpha", type=positive_float, default=0.025,
                        help="initial learning rate, falling linearly to --min-alpha (default "
                             "0.025)")
    parser.add_argument("--min-alpha", type=float, default=0.0001,
                        help="final learning rate (default 0.0001)")
    parser.add_argument("--batch-words", type=positive_int, default=512,
                        help="centre words per vectorised update (default 512)")
    parser.add_argument("--seed", type=natural_int, default=1, help="random seed (default 1)")
    parser.add_argument("--out", default=None,
                        help="the vector file to write (default: vectors.txt, or vectors.bin "
                             "with --binary)")
    parser.add_argument("--binary", action="store_true",
                        help="write the binary word2vec format instead of text")
    parser.add_argument("--data", default=None,
                        help="where to look for CORPUS when it is not a path from here "
                             "(default: $SHENJING_DATA or ~/.cache/shenjing)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def find_corpus(name: str, data: str | None) -> Path:
    """``name`` as a path, else inside the data folder; the error names both places."""
    from shenjing.datasets import data_root

    path = Path(name)
    if path.is_file():
        return path
    inside = data_root(data) / name
    if inside.is_file():
        return inside
    raise FileNotFoundError(f"no corpus file at {path} nor at {inside}")


def run(args) -> int:
    from shenjing.word2vec import Word2Vec, read_corpus

    path = find_corpus(args.corpus, args.data)
    sentences = read_corpus(path)
    print(f"{path}: {sum(map(len, sentences)):,} words in {len(sentences):,} sentences (lines)",
          flush=True)
    model = Word2Vec(model=args.model, vector_size=args.dim, window=args.window,
                     negative=args.negative, min_count=args.min_count, sample=args.sample,
                     alpha=args.alpha, min_alpha=args.min_alpha, epochs=args.epochs,
                     seed=args.seed, batch_words=args.batch_words)
    model.build_vocab(sentences)
    print(f"vocabulary: {len(model.vocab):,} words seen at least {args.min_count} times "
          f"({model.vocab.total:,} words of the corpus)", flush=True)
    start = time.perf_counter()
    losses = model.train(sentences, progress=not args.quiet)
    seconds = time.perf_counter() - start
    out = Path(args.out or ("vectors.bin" if args.binary else "vectors.txt"))
    model.wv.save_word2vec_format(out, binary=args.binary)
    print(f"trained {args.model} for {args.epochs} epochs in {seconds:.1f} s (loss per example "
          f"{losses[0]:.3f} -> {losses[-1]:.3f}); wrote {len(model.wv):,} vectors of dimension "
          f"{args.dim} to {out} ({'binary' if args.binary else 'text'} word2vec format)")
    return 0
