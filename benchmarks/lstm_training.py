"""Character-LSTM training speed against PyTorch on tiny-shakespeare, same machine, one run.

Embedding(65, 64) -> one-layer LSTM(64, 256) -> Linear(256, 65), sequences of 64 characters,
batch 32, Adam, cross-entropy on the next character. Both libraries get the same batches, the same
initial weights (PyTorch's, loaded through state dicts) and the same number of threads, and they
alternate in rounds, so that on a shared machine both see the same load. Prints milliseconds per
step (median over all rounds), the ratio shenjing / PyTorch, the losses (equal up to float32
rounding, since both train the same weights on the same batches) and shenjing's peak memory.

    python benchmarks/lstm_training.py [--data ../shared/data/tinyshakespeare/input.txt]
        [--steps 10] [--rounds 5] [--threads 2]

NumPy's BLAS (OpenBLAS) uses as many threads as ``OPENBLAS_NUM_THREADS`` says, by default every
core; run with ``OPENBLAS_NUM_THREADS`` equal to ``--threads`` when the two differ. These machines
set ``OPENBLAS_CORETYPE`` to an older kernel for safety; for NumPy's own speed run it as
``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python ...``.
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

SEQ_LEN, BATCH, EMBED, HIDDEN = 64, 32, 64, 256


def network(m, vocab: int):
    class CharLSTM(m.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = m.nn.Embedding(vocab, EMBED)
            self.lstm = m.nn.LSTM(EMBED, HIDDEN)
            self.head = m.nn.Linear(HIDDEN, vocab)

        def forward(self, x):
            output, _ = self.lstm(self.embed(x))  # (T, N) -> (T, N, E) -> (T, N, H)
            return self.head(output)

    return CharLSTM()


def read_text(path: str) -> str:
    for candidate in (path, os.path.join(path, "input.txt"),
                      os.path.join(path, "tinyshakespeare", "input.txt")):
        if os.path.isfile(candidate):
            with open(candidate, encoding="utf-8") as f:
                return f.read()
    raise SystemExit(f"no tiny-shakespeare input.txt at {path}")


def make_batches(codes: np.ndarray, count: int, seed: int = 0):
    """``count`` (input, target) pairs of (SEQ_LEN, BATCH) character codes, time first."""
    rng = np.random.default_rng(seed)
    batches = []
    for _ in range(count):
        starts = rng.integers(0, len(codes) - SEQ_LEN - 1, BATCH)
        window = np.stack([codes[s:s + SEQ_LEN + 1] for s in starts], axis=1)
        batches.append((window[:-1], window[1:]))
    return batches


def train_steps(m, model, optimizer, batches, vocab: int) -> tuple[list[float], float]:
    """Seconds of each step, and the last loss."""
    times, loss = [], None
    for x, y in batches:
        start = time.perf_counter()
        logits = model(x)
        loss = m.nn.functional.cross_entropy(logits.reshape(-1, vocab), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        times.append(time.perf_counter() - start)
    return times, loss.item()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/data/tinyshakespeare/input.txt",
                        help="tiny-shakespeare's input.txt, or a folder holding it")
    parser.add_argument("--steps", type=int, default=10, help="steps per round and library")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2, help="PyTorch's intra-op threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    text = read_text(args.data)
    chars = sorted(set(text))
    vocab = len(chars)
    codes = np.frombuffer(text.encode("latin-1"), dtype=np.uint8)
    codes = np.searchsorted(np.frombuffer("".join(chars).encode("latin-1"), dtype=np.uint8),
                            codes).astype(np.int64)
    batches = make_batches(codes, 5 + args.steps * args.rounds)
    torch.manual_seed(0)
    weights = {k: v.detach().numpy().copy() for k, v in network(torch, vocab).state_dict().items()}
    print(f"{os.cpu_count()} cores; numpy {np.__version__}, torch {torch.__version__} with "
          f"{torch.get_num_threads()} threads; OPENBLAS_NUM_THREADS="
          f"{os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}, OPENBLAS_CORETYPE="
          f"{os.environ.get('OPENBLAS_CORETYPE', 'unset')}")
    print(f"Embedding({vocab}, {EMBED}) -> LSTM({EMBED}, {HIDDEN}) -> Linear({HIDDEN}, {vocab}), "
          f"sequence {SEQ_LEN}, batch {BATCH}, Adam, cross-entropy; {len(text):,} characters")
    runs = {}
    for m in (sj, torch):
        model = network(m, vocab)
        model.load_state_dict({k: m.tensor(v) for k, v in weights.items()})
        optimizer = m.optim.Adam(model.parameters(), lr=2e-3)
        data = [(m.tensor(x), m.tensor(y)) for x, y in batches]
        train_steps(m, model, optimizer, data[:5], vocab)  # warm up caches and allocators
        runs[m.__name__] = (model, optimizer, data[5:], [], [])
    for r in range(args.rounds):
        for name, (model, optimizer, data, times, losses) in runs.items():
            m = sj if name == "shenjing" else torch
            chunk = data[r * args.steps:(r + 1) * args.steps]
            spent, loss = train_steps(m, model, optimizer, chunk, vocab)
            times.extend(spent)
            losses.append(loss)
    ours, theirs = (statistics.median(runs[k][3]) * 1e3 for k in ("shenjing", "torch"))
    print(f"ms per step: shenjing {ours:.1f}, PyTorch {theirs:.1f}, ratio {ours / theirs:.2f}")
    print(f"loss after {args.steps * args.rounds + 5} steps: shenjing {runs['shenjing'][4][-1]:.4f}"
          f", PyTorch {runs['torch'][4][-1]:.4f}")
    model, optimizer, data, _, _ = runs["shenjing"]
    tracemalloc.start()  # after the timing: tracing slows every allocation down
    train_steps(sj, model, optimizer, data[:3], vocab)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    print(f"peak memory allocated during shenjing's steps (NumPy arrays): {peak:.0f} MiB")


if __name__ == "__main__":
    main()
