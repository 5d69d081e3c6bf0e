"""``shenjing similar``: the nearest words to a word, or the answers to an analogy, from a file
of word vectors."""

from __future__ import annotations


def add_arguments(parser) -> None:
    from shenjing.cli import positive_int

    parser.add_argument("vectors", help="a word2vec text or binary file (from `shenjing "
                                        "word2vec`, gensim or word2vec.c; the format is "
                                        "recognised)")
    parser.add_argument("words", nargs="*", metavar="WORD",
                        help="the words whose nearest neighbours to list (several: the "
                             "neighbours of the sum of their unit vectors)")
    parser.add_argument("--minus", nargs="+", default=[], metavar="WORD",
                        help="words whose unit vectors are subtracted, e.g. `king woman --minus "
                             "man`")
    parser.add_argument("--analogy", nargs=3, metavar=("A", "B", "C"),
                        help="A is to B as C is to ?: the words nearest to B - A + C")
    parser.add_argument("--k", type=positive_int, default=10, help="how many words (default 10)")


def run(args) -> int:
    from shenjing.word2vec import KeyedVectors, UnknownWordError

    if args.analogy and (args.words or args.minus):
        raise ValueError("give either WORDs (with --minus) or --analogy A B C, not both")
    if not args.analogy and not args.words:
        raise ValueError("give a WORD (or several), or --analogy A B C")
    vectors = KeyedVectors.load_word2vec_format(args.vectors)
    if args.analogy:
        a, b, c = args.analogy
        positive, negative = [b, c], [a]
        title = f"{a} is to {b} as {c} is to:"
    else:
        positive, negative = args.words, args.minus
        title = "nearest to " + " + ".join(positive) + "".join(f" - {w}" for w in negative) + ":"
    try:
        answers = vectors.most_similar(positive=positive, negative=negative, k=args.k)
    except UnknownWordError as exc:
        raise ValueError(f"{args.vectors}: {exc}") from None
    print(title)
    width = max((len(word) for word, _ in answers), default=0)
    for word, similarity in answers:
        print(f"  {word:<{width}}  {similarity:.4f}")
    return 0
