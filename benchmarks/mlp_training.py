"""Training speed against PyTorch on real MNIST, same machine, one run.

1. One epoch of a 784-256-256-10 ReLU MLP, batch 128, SGD with momentum 0.9, cross-entropy:
   array work dominates.
2. The 784-16-16-10 sigmoid network of 3Blue1Brown with batch 10: tiny matrices, so the cost of
   each operation's dispatch dominates.

Both libraries get the same data, batch order, initial weights and number of threads. Prints
seconds per epoch (median of repeats), the ratio shenjing / PyTorch, and peak memory.

    python benchmarks/mlp_training.py [--data ../shared/data] [--repeats 3] [--threads 2]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time

import numpy as np
import side_by_side
import torch

import shenjing as sj


def load(data: str):
    train = sj.datasets.MNIST(data, train=True)
    images = train.data.numpy().reshape(-1, 784).astype(np.float32) / 255.0
    images = (images - images.mean()) / images.std()
    return images, train.targets.numpy()


def make(m, sizes, activation, weights):
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layer = m.nn.Linear(n_in, n_out)
        with m.no_grad():
            layer.weight.copy_(m.tensor(weights[2 * i]))
            layer.bias.copy_(m.tensor(weights[2 * i + 1]))
        layers.append(layer)
        if i < len(sizes) - 2:
            layers.append(m.nn.ReLU() if activation == "relu" else m.nn.Sigmoid())
    return m.nn.Sequential(*layers)


def epoch(m, model, optimizer, x, y, order, batch_size, steps=None) -> float:
    """Seconds for one pass (or ``steps`` steps) over the data in the given order."""
    batches = [(m.tensor(x[order[i:i + batch_size]]), m.tensor(y[order[i:i + batch_size]]))
               for i in range(0, len(order), batch_size)][:steps]
    loss_fn = m.nn.functional.cross_entropy
    start = time.perf_counter()
    for inputs, target in batches:
        loss = loss_fn(model(inputs), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return time.perf_counter() - start


def compare(name, sizes, activation, batch_size, x, y, repeats, steps=None):
    rng = np.random.default_rng(0)
    weights = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        bound = 1 / np.sqrt(n_in)
        weights += [rng.uniform(-bound, bound, (n_out, n_in)).astype(np.float32),
                    rng.uniform(-bound, bound, n_out).astype(np.float32)]
    times = {}
    for m in (sj, torch):
        model = make(m, sizes, activation, weights)
        optimizer = m.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        runs = []
        for r in range(repeats + 1):  # the first pass warms caches and allocators up
            order = np.random.default_rng(r).permutation(len(y))
            runs.append(epoch(m, model, optimizer, x, y, order, batch_size, steps))
        times[m.__name__] = statistics.median(runs[1:])
    ours, theirs = times["shenjing"], times["torch"]
    unit = "epoch" if steps is None else f"{steps} steps"
    print(f"{name:34s} {ours:9.3f} s {theirs:9.3f} s {ours / theirs:7.2f}   (per {unit})")
    return ours / theirs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("SHENJING_DATA", "../shared/data"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2, help="PyTorch's intra-op threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    x, y = load(args.data)
    print(side_by_side.describe_machine(torch))
    print(f"{'workload':34s} {'shenjing':>11s} {'torch':>11s} {'ratio':>7s}")
    compare("784-256-256-10 ReLU, batch 128", [784, 256, 256, 10], "relu", 128, x, y,
            args.repeats)
    compare("784-16-16-10 sigmoid, batch 10", [784, 16, 16, 10], "sigmoid", 10, x, y,
            args.repeats, steps=2000)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of this process (both libraries): {peak:.0f} MiB")


if __name__ == "__main__":
    main()
