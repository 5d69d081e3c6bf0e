"""What the training benchmarks share: alternating rounds of shenjing and PyTorch, and peak memory.

Each benchmark defines a trainer per library with a ``steps(n)`` method that returns the seconds
of each step. ``alternate`` runs them in turns, so that a busy moment on a shared machine falls on
both; ``peak_memory`` measures one library's resident set while it trains, in the process the
benchmark starts for it alone (``report_peak_memory``).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys


def add_arguments(parser, rounds: int, steps: int) -> None:
    """The options every training benchmark takes, besides its data."""
    parser.add_argument("--rounds", type=int, default=rounds, help="alternating rounds of each")
    parser.add_argument("--steps", type=int, default=steps, help="steps per round")
    parser.add_argument("--threads", type=int, default=2, help="PyTorch's intra-op threads")
    parser.add_argument("--peak-rss", choices=("shenjing", "torch"),
                        help=argparse.SUPPRESS)


def alternate(trainers: dict, rounds: int, steps: int, warm_up: int = 5) -> dict:
    """Seconds of every step of each trainer, over ``rounds`` alternating turns of ``steps``."""
    times = {name: [] for name in trainers}
    for trainer in trainers.values():
        trainer.steps(warm_up)
    for _ in range(rounds):
        for name, trainer in trainers.items():
            times[name] += trainer.steps(steps)
    return times


def report_times(times: dict) -> None:
    """Print milliseconds per step (median) of shenjing and PyTorch and their ratio."""
    ours, theirs = (statistics.median(times[name]) * 1e3 for name in ("shenjing", "torch"))
    fastest = min(times["shenjing"]) / min(times["torch"])
    print(f"ms per step (median of {len(times['torch'])}): shenjing {ours:.1f}, PyTorch "
          f"{theirs:.1f}, ratio {ours / theirs:.2f} (fastest steps: {fastest:.2f})")


def _status_mib(field: str) -> float:
    """A memory figure of this process from /proc/self/status (Linux), in MiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def peak_memory(trainer, steps: int) -> None:
    """Train ``steps`` steps; print the peak resident set and how far it rose above the start.

    The peak is reset (Linux's clear_refs) after one step, so it covers training alone.
    """
    trainer.steps(1)
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # reset the peak resident set (VmHWM) to the current one
    before = _status_mib("VmRSS")
    trainer.steps(steps)
    peak = _status_mib("VmHWM")
    print(f"{peak:.0f} {peak - before:.0f}")


def report_peak_memory(script: str, arguments: list[str]) -> None:
    """Run ``script --peak-rss LIBRARY`` for each library and print what it measured."""
    for library in ("shenjing", "torch"):
        out = subprocess.run([sys.executable, script, *arguments, "--peak-rss", library],
                             capture_output=True, text=True, check=True).stdout.split()
        print(f"peak resident memory training {library}: {out[0]} MiB "
              f"({out[1]} MiB above the resident set between steps)")
