"""The ``shenjing`` command line: ``shenjing train``, ``shenjing eval``, ``shenjing predict``."""

from __future__ import annotations

import argparse
import sys

from shenjing.cli import evaluate, predict, train

COMMANDS = {
    "train": (train, "train a network on a data set and write a run folder"),
    "eval": (evaluate, "test a trained run on its data set's test split"),
    "predict": (predict, "classify an image with a trained run"),
}


def parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    root = argparse.ArgumentParser(
        prog="shenjing",
        description="shenjing (神经): neural networks from first principles on NumPy.",
        epilog="`shenjing COMMAND --help` describes each command.",
    )
    commands = root.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module, summary) in COMMANDS.items():
        sub = commands.add_parser(name, help=summary, description=summary)
        module.add_arguments(sub)
        sub.set_defaults(func=module.run)
    return root


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except (FileNotFoundError, ValueError) as exc:
        print(f"shenjing {args.command}: {exc}", file=sys.stderr)
        return 2
