"""Autograd speed against PyTorch on the same machine, in one run.

Two workloads, forward + backward + an SGD update, in shenjing and PyTorch side by side:

- mlp:   a 784-256-256-10 ReLU network on a batch of 128 (array work dominates);
- chain: 100 x (multiply, tanh) on a 10-element vector (per-operation Python overhead dominates).

Prints milliseconds per step (median of repeats) and the ratio shenjing / PyTorch.

    python benchmarks/autograd_overhead.py [--repeats 30]
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import statistics
import time

import numpy as np
import torch

import shenjing as sj


def mlp_step(m, params, x, target):
    w1, b1, w2, b2, w3, b3 = params
    h = m.relu(x @ w1 + b1)
    h = m.relu(h @ w2 + b2)
    logp = m.log_softmax(h @ w3 + b3, dim=1)
    loss = -logp.gather(1, target.unsqueeze(1)).mean()
    loss.backward()
    with m.no_grad():
        for p in params:
            p -= 0.01 * p.grad
            p.grad = None
    return loss


def chain_step(m, x):
    y = x
    for _ in range(100):
        y = (y * 1.01).tanh()
    y.sum().backward()
    x.grad = None


def make_mlp(m, rng):
    sizes = [(784, 256), (256, 256), (256, 10)]
    params = []
    for n_in, n_out in sizes:
        params.append(m.tensor(rng.standard_normal((n_in, n_out)).astype(np.float32) * 0.05,
                               requires_grad=True))
        params.append(m.tensor(np.zeros(n_out, dtype=np.float32), requires_grad=True))
    x = m.tensor(rng.standard_normal((128, 784)).astype(np.float32))
    target = m.tensor(rng.integers(0, 10, 128))
    return params, x, target


def timed(step, repeats: int) -> float:
    for _ in range(3):  # warm-up
        step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"numpy {np.__version__}, torch {torch.__version__}")
    results = {}
    for m in (sj, torch):
        params, x, target = make_mlp(m, np.random.default_rng(0))
        mlp = functools.partial(mlp_step, m, params, x, target)
        chain = functools.partial(chain_step, m, m.ones(10, requires_grad=True))
        results[("mlp", m.__name__)] = timed(mlp, args.repeats)
        results[("chain", m.__name__)] = timed(chain, args.repeats)
    print(f"{'workload':8s} {'shenjing ms':>12s} {'torch ms':>10s} {'ratio':>7s}")
    for workload in ("mlp", "chain"):
        ours, theirs = results[(workload, "shenjing")], results[(workload, "torch")]
        print(f"{workload:8s} {ours:12.3f} {theirs:10.3f} {ours / theirs:7.2f}")


if __name__ == "__main__":
    main()
