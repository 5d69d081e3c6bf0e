"""``shenjing sample``: text written by a character language model of ``shenjing train charlm``."""

from __future__ import annotations

import sys
from pathlib import Path


def add_arguments(parser) -> None:
    from shenjing.cli import natural_int, positive_int

    parser.add_argument("run", help="a run folder written by `shenjing train charlm`")
    parser.add_argument("--prime", default=None,
                        help="the text to start from (default: a newline); printed first")
    parser.add_argument("--length", type=natural_int, default=500,
                        help="characters to write after the prime (default 500)")
    parser.add_argument("--temperature", type=float, default=0.8,
                        help="below 1: safer, above 1: wilder; 0 always takes the most likely "
                             "character (default 0.8)")
    parser.add_argument("--top-k", type=positive_int, default=None,
                        help="draw only from the k most likely characters")
    parser.add_argument("--seed", type=int, default=None,
                        help="the same seed writes the same text (default: a fresh draw)")


def run(args) -> int:
    from shenjing.models import sample_text

    if not args.temperature >= 0:  # NaN too
        raise ValueError(f"--temperature must be at least 0, got {args.temperature}")
    from shenjing.cli.tasks import load_charlm

    model, vocab = load_charlm(Path(args.run))
    prime = args.prime
    if prime is None:
        prime = "\n" if "\n" in vocab else vocab.chars[0]
    if not prime:
        raise ValueError("--prime is empty: give at least one character")
    unknown = sorted({char for char in prime if char not in vocab})
    if unknown:
        raise ValueError(f"--prime: {''.join(unknown)!r} not in the vocabulary of {args.run} "
                         f"({len(vocab)} characters)")
    generator = args.seed
    if generator is None:
        import secrets

        generator = secrets.randbits(64)
    text = sample_text(model, vocab, prime, args.length, args.temperature, args.top_k, generator)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0
