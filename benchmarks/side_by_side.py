"""What the training benchmarks share: alternating rounds of shenjing and PyTorch, and peak memory.

Each benchmark defines a trainer per library with a ``steps(n)`` method that returns the seconds
of each step. ``alternate`` runs them in turns, so that a busy moment on a shared machine falls on
both; ``peak_memory`` measures one library's resident set while it trains, in the process the
benchmark starts for it alone (``report_peak_memory``). ``describe_blas`` says which BLAS kernel
NumPy runs: on machines that pin OpenBLAS to an older kernel (``OPENBLAS_CORETYPE``), NumPy's
matrix products are slower than NumPy's own choice, and the figures say so.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time


def add_arguments(parser, rounds: int, steps: int) -> None:
    """The options every training benchmark takes, besides its data."""
    parser.add_argument("--rounds", type=int, default=rounds, help="alternating rounds of each")
    parser.add_argument("--steps", type=int, default=steps, help="steps per round")
    parser.add_argument("--threads", type=int, default=2, help="PyTorch's intra-op threads")
    parser.add_argument("--peak-rss", choices=("shenjing", "torch"),
                        help=argparse.SUPPRESS)


class Trainer:
    """One library's model, started from ``weights`` (a state dict of arrays), with its optimizer
    (Adam at ``lr`` unless ``optimizer(params)`` makes another) and its batches: ``steps(n)``
    trains n steps and returns each step's seconds. Subclasses define ``loss(x, y)``, the forward
    pass and its loss.

    A step is ``train_step(x, y)``: zero_grad, forward, loss, backward, optimizer step; it
    returns the loss tensor. ``steps`` times ``self.run``, which is ``train_step`` unless a
    benchmark replaces it with a compiled version of it (``torch.compile``, ``sj.compile``).
    """

    def __init__(self, m, model, weights: dict, lr: float, batches: list, optimizer=None):
        self.m, self.model = m, model
        model.load_state_dict({k: m.tensor(v) for k, v in weights.items()})
        self.optimizer = (optimizer(model.parameters()) if optimizer is not None
                          else m.optim.Adam(model.parameters(), lr=lr))
        self.batches = [(m.tensor(x), m.tensor(y)) for x, y in batches]
        self.next, self.last_loss = 0, None
        self.run = self.train_step

    def loss(self, x, y):
        raise NotImplementedError

    def train_step(self, x, y):
        self.optimizer.zero_grad()
        loss = self.loss(x, y)
        loss.backward()
        self.optimizer.step()
        return loss

    def steps(self, n: int) -> list[float]:
        times = []
        for _ in range(n):
            x, y = self.batches[self.next % len(self.batches)]
            self.next += 1
            start = time.perf_counter()
            loss = self.run(x, y)
            times.append(time.perf_counter() - start)
            self.last_loss = loss.item()
        return times


def alternate(trainers: dict, rounds: int, steps: int, warm_up: int = 5,
              pause: float = 0.25) -> dict:
    """Seconds of every step of each trainer, over ``rounds`` alternating turns of ``steps``.

    Each turn starts after a ``pause`` (not timed): the thread pools of the library that ran
    last (OpenBLAS's, PyTorch's OpenMP threads) keep spinning for a while after their work, and
    on a machine with few cores they would otherwise take cores from the next turn. With no
    pause PyTorch's slowest quarter of steps ran twice as slow on two cores.
    """
    times = {name: [] for name in trainers}
    for trainer in trainers.values():
        trainer.steps(warm_up)
    for _ in range(rounds):
        for name, trainer in trainers.items():
            time.sleep(pause)
            times[name] += trainer.steps(steps)
    return times


def cpu_model() -> str:
    """The processor's name (Linux's /proc/cpuinfo), else what the platform module says."""
    import platform

    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe_machine(torch) -> str:
    """The processor, cores, versions and threads of both libraries, and NumPy's BLAS kernel:
    two lines."""
    import numpy

    return (f"{cpu_model()}, {os.cpu_count()} cores; numpy {numpy.__version__}, "
            f"torch {torch.__version__} with {torch.get_num_threads()} threads\n"
            f"{describe_blas()}")


def describe_blas() -> str:
    """NumPy's BLAS library, kernel and threads, and the variables that pin its kernel."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "NumPy's BLAS: unknown (install threadpoolctl to see its kernel)"
    import numpy  # noqa: F401  (loads NumPy's BLAS, so that threadpoolctl finds it)

    blas = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
    if not blas:
        return "NumPy's BLAS: none found"
    pool = next((pool for pool in blas if "numpy" in pool["filepath"]), blas[0])
    line = (f"NumPy's BLAS: {pool['internal_api']} {pool['version']}, kernel "
            f"{pool.get('architecture', 'unknown')}, {pool['num_threads']} threads")
    pinned = [f"{name}={os.environ[name]}" for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
              if name in os.environ]
    if pinned:
        line += (f"; pinned by {' '.join(pinned)}. NumPy's own choice of kernel: run with "
                 f"env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE")
    return line


def report_times(times: dict) -> None:
    """Print milliseconds per step (median) of shenjing and PyTorch and their ratio."""
    ours, theirs = (statistics.median(times[name]) * 1e3 for name in ("shenjing", "torch"))
    fastest = min(times["shenjing"]) / min(times["torch"])
    print(f"ms per step (median of {len(times['torch'])}): shenjing {ours:.1f}, PyTorch "
          f"{theirs:.1f}, ratio {ours / theirs:.2f} (fastest steps: {fastest:.2f})")


def status_mib(field: str) -> float:
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
    before = status_mib("VmRSS")
    trainer.steps(steps)
    peak = status_mib("VmHWM")
    print(f"{peak:.0f} {peak - before:.0f}")


def report_peak_memory(script: str, arguments: list[str]) -> None:
    """Run ``script --peak-rss LIBRARY`` for each library and print what it measured."""
    for library in ("shenjing", "torch"):
        out = subprocess.run([sys.executable, script, *arguments, "--peak-rss", library],
                             capture_output=True, text=True, check=True).stdout.split()
        print(f"peak resident memory training {library}: {out[0]} MiB "
              f"({out[1]} MiB above the resident set between steps)")
