"""CNN training speed against PyTorch on real MNIST, same machine, one run.

The network of issue 4: conv(1->32, 3x3, pad 1)-ReLU-maxpool 2-conv(32->64, 3x3, pad 1)-ReLU-
maxpool 2-Linear(3136->128)-ReLU-Linear(128->10), batch 64, Adam, cross-entropy. Both libraries
get the same batches and initial weights, and PyTorch the same number of threads as OpenBLAS.
The two train in alternating rounds, so that a busy moment on a shared machine falls on both,
each round after a pause that lets the other library's threads go idle.
Prints milliseconds per step (median over all rounds), the ratio shenjing / PyTorch, and each
library's peak memory (resident set) while training, measured in a separate process each.

    python benchmarks/cnn_training.py [--data ../shared/data] [--rounds 6] [--threads 2]

OpenBLAS reads OPENBLAS_CORETYPE, which these machines set to an older kernel for safety; for
NumPy's own speed run it as ``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python ...``.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import side_by_side
import torch
from side_by_side import alternate, peak_memory, report_peak_memory, report_times

import shenjing as sj

BATCH = 64


def network(m):
    return m.nn.Sequential(
        m.nn.Conv2d(1, 32, 3, padding=1), m.nn.ReLU(), m.nn.MaxPool2d(2),
        m.nn.Conv2d(32, 64, 3, padding=1), m.nn.ReLU(), m.nn.MaxPool2d(2),
        m.nn.Flatten(), m.nn.Linear(3136, 128), m.nn.ReLU(), m.nn.Linear(128, 10),
    )


class Trainer:
    """One library's model, optimizer and batches: ``steps(n)`` times n training steps."""

    def __init__(self, m, weights, images, labels):
        self.m = m
        self.model = network(m)
        self.model.load_state_dict({k: m.tensor(v) for k, v in weights.items()})
        self.optimizer = m.optim.Adam(self.model.parameters(), lr=1e-3)
        self.batches = [(m.tensor(images[i:i + BATCH]), m.tensor(labels[i:i + BATCH]))
                        for i in range(0, len(images) - BATCH + 1, BATCH)]
        self.next = 0

    def steps(self, n: int) -> list[float]:
        times = []
        for _ in range(n):
            x, y = self.batches[self.next % len(self.batches)]
            self.next += 1
            start = time.perf_counter()
            loss = self.m.nn.functional.cross_entropy(self.model(x), y)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            times.append(time.perf_counter() - start)
        return times


def load(data: str, count: int):
    train = sj.datasets.MNIST(data, train=True)
    images = (train.data.numpy()[:count].astype(np.float32) / 255.0 - 0.1307) / 0.3081
    return images[:, None], train.targets.numpy()[:count]


def initial_weights() -> dict:
    torch.manual_seed(0)
    return {k: v.detach().numpy().copy() for k, v in network(torch).state_dict().items()}


def peak_rss(library: str, data: str, steps: int) -> None:
    """In a fresh process: one library's peak memory while it trains."""
    images, labels = load(data, BATCH * (steps + 1))
    peak_memory(Trainer(sj if library == "shenjing" else torch, initial_weights(), images,
                        labels), steps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("SHENJING_DATA", "../shared/data"))
    side_by_side.add_arguments(parser, rounds=6, steps=10)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.peak_rss:
        return peak_rss(args.peak_rss, args.data, 20)
    images, labels = load(args.data, BATCH * args.steps * 4)
    weights = initial_weights()
    print(side_by_side.describe_machine(torch))
    trainers = {m.__name__: Trainer(m, weights, images, labels) for m in (sj, torch)}
    report_times(alternate(trainers, args.rounds, args.steps))
    report_peak_memory(__file__, ["--data", args.data, "--threads", str(args.threads)])


if __name__ == "__main__":
    main()
