"""CNN training speed against PyTorch on real MNIST, same machine, one run.

The network of issue 4: conv(1->32, 3x3, pad 1)-ReLU-maxpool 2-conv(32->64, 3x3, pad 1)-ReLU-
maxpool 2-Linear(3136->128)-ReLU-Linear(128->10), batch 64, Adam, cross-entropy. Both libraries
get the same batches and initial weights. Prints milliseconds per step (median), the ratio
shenjing / PyTorch, and the peak memory each adds while training.

    python benchmarks/cnn_training.py [--data ../shared/data] [--steps 50] [--threads 2]

OpenBLAS reads OPENBLAS_CORETYPE, which these machines set to an older kernel for safety; for
NumPy's own speed run it as ``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python ...``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import tracemalloc

import numpy as np
import torch

import shenjing as sj


def network(m):
    return m.nn.Sequential(
        m.nn.Conv2d(1, 32, 3, padding=1), m.nn.ReLU(), m.nn.MaxPool2d(2),
        m.nn.Conv2d(32, 64, 3, padding=1), m.nn.ReLU(), m.nn.MaxPool2d(2),
        m.nn.Flatten(), m.nn.Linear(3136, 128), m.nn.ReLU(), m.nn.Linear(128, 10),
    )


def steps(m, model, batches) -> list[float]:
    optimizer = m.optim.Adam(model.parameters(), lr=1e-3)
    times = []
    for x, y in batches:
        start = time.perf_counter()
        loss = m.nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("SHENJING_DATA", "../shared/data"))
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2, help="PyTorch's intra-op threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    train = sj.datasets.MNIST(args.data, train=True)
    images = (train.data.numpy()[: 64 * (args.steps + 5)].astype(np.float32) / 255.0 - 0.1307)
    images = (images / 0.3081)[:, None]
    labels = train.targets.numpy()[: len(images)]
    reference = network(torch)
    weights = {k: v.detach().numpy().copy() for k, v in reference.state_dict().items()}
    print(f"{os.cpu_count()} cores; numpy {np.__version__}, torch {torch.__version__} with "
          f"{torch.get_num_threads()} threads; OPENBLAS_CORETYPE="
          f"{os.environ.get('OPENBLAS_CORETYPE', 'unset')}")
    results = {}
    for m in (sj, torch):
        model = network(m)
        model.load_state_dict({k: m.tensor(v) for k, v in weights.items()})
        batches = [(m.tensor(images[i:i + 64]), m.tensor(labels[i:i + 64]))
                   for i in range(0, len(images), 64)]
        steps(m, model, batches[:5])  # warm up
        tracemalloc.start()
        times = steps(m, model, batches[5:])
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        results[m.__name__] = (statistics.median(times) * 1e3, peak)
    (ours, our_peak), (theirs, _) = results["shenjing"], results["torch"]
    print(f"ms per step: shenjing {ours:.1f}, PyTorch {theirs:.1f}, ratio {ours / theirs:.2f}")
    print(f"peak memory allocated during shenjing's steps (NumPy arrays): {our_peak:.0f} MiB")


if __name__ == "__main__":
    main()
