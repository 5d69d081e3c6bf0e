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


class Trainer(side_by_side.Trainer):
    """The CNN in one library, Adam 1e-3, on batches of 64 images."""

    def __init__(self, m, weights, images, labels):
        batches = [(images[i:i + BATCH], labels[i:i + BATCH])
                   for i in range(0, len(images) - BATCH + 1, BATCH)]
        super().__init__(m, network(m), weights, 1e-3, batches)

    def loss(self, x, y):
        return self.m.nn.functional.cross_entropy(self.model(x), y)


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
