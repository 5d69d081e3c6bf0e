"""The ``shenjing`` command line: ``shenjing train``, ``shenjing eval``, ``shenjing predict``,
``shenjing word2vec``, ``shenjing similar``."""

from __future__ import annotations

import argparse
import sys


def positive_int(text: str) -> int:
    """An argparse type: an int of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def positive_float(text: str) -> float:
    """An argparse type: a float above 0 (NaN refused)."""
    value = float(text)
    if not value > 0.0:
        raise argparse.ArgumentTypeError(f"must be above 0, got {value}")
    return value


def natural_int(text: str) -> int:
    """An argparse type: an int of at least 0."""
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be at least 0, got {value}")
    return value


COMMANDS = {
    "train": "train a network on a data set and write a run folder",
    "eval": "test a trained run on its data set's test split",
    "predict": "classify an image with a trained run",
    "sample": "write text with a character language model of `shenjing train charlm`",
    "word2vec": "train word vectors on a text file (skip-gram or CBOW)",
    "similar": "nearest words and analogies from a word-vector file",
    "plot": "draw a picture of the notes (curves, weights, surface, graph, ...)",
    "demo": "train the small networks of the notes and draw all their pictures",
    "export": "write a trained run's model as an ONNX file",
    "playground": "train a network in the browser and watch every neuron learn",
}


def parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    from shenjing.cli import (
        demo,
        evaluate,
        export,
        playground,
        plot,
        predict,
        sample,
        similar,
        train,
        word2vec,
    )

    commands_by_name = {"train": train, "eval": evaluate, "predict": predict,
                        "word2vec": word2vec, "similar": similar, "sample": sample,
                        "plot": plot, "demo": demo, "export": export,
                        "playground": playground}
    root = argparse.ArgumentParser(
        prog="shenjing",
        description="shenjing (神经): neural networks from first principles on NumPy.",
        epilog="`shenjing COMMAND --help` describes each command.",
    )
    commands = root.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, summary in COMMANDS.items():
        module = commands_by_name[name]
        sub = commands.add_parser(name, help=summary, description=summary)
        module.add_arguments(sub)
        sub.set_defaults(func=module.run)
    return root


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    words = sys.argv[1:] if argv is None else list(argv)
    args = parser().parse_args(words)
    if args.command == "train":  # what --resume may not change is what was given
        from shenjing.cli.train import given_options

        args.given = given_options(words)
    from shenjing.cli.run_folder import AlreadyFinished, RunInterrupted
    from shenjing.datasets import DownloadError
    from shenjing.serialization import CheckpointError
    from shenjing.viz.canvas import MissingExtraError

    try:
        return args.func(args)
    except AlreadyFinished as exc:
        print(f"shenjing {args.command}: {exc}", file=sys.stderr)
        return 0
    except RunInterrupted as exc:
        print(f"shenjing {args.command}: {exc}", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print(f"shenjing {args.command}: interrupted", file=sys.stderr)
        return 130
    except (OSError, ValueError, DownloadError, CheckpointError, FloatingPointError,
            MissingExtraError) as exc:
        # A user's mistake, a missing file or extra, a diverging loss: one line, no traceback.
        print(f"shenjing {args.command}: {exc}", file=sys.stderr)
        return 2
