"""Character-LSTM training speed against PyTorch on tiny-shakespeare, same machine, one run.

Embedding(65, 64) -> one-layer LSTM(64, 256) -> Linear(256, 65), sequences of 64 characters,
batch 32, Adam, cross-entropy on the next character. Both libraries get the same batches, the same
initial weights (PyTorch's, loaded through state dicts) and PyTorch the same number of threads as
OpenBLAS. The two train in alternating rounds, so that a busy moment on a shared machine falls on
both, each round after a pause that lets the other library's threads go idle. Prints
milliseconds per step (median over all rounds), the ratio shenjing / PyTorch, both losses at the
end (equal up to float32 rounding: same weights, same batches), and each library's peak memory
(resident set) while training, measured in a separate process each.

    python benchmarks/lstm_training.py [--data ../shared/data/tinyshakespeare/input.txt]
        [--rounds 16] [--steps 5] [--threads 2]

OpenBLAS uses ``OPENBLAS_NUM_THREADS`` threads (by default one per core): keep it equal to
``--threads``. It also reads OPENBLAS_CORETYPE, which these machines set to an older kernel
(AVX2) for safety; the benchmark prints the kernel it runs. For NumPy's own choice of kernel, run
it as ``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python ...``.
"""

from __future__ import annotations

import argparse
import os

import numpy as np
import side_by_side
import torch
from side_by_side import alternate, peak_memory, report_peak_memory, report_times

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
            return self.head(output)  # (T, N, vocab)

    return CharLSTM()


def load(path: str) -> tuple[np.ndarray, int]:
    """The text as character codes 0..vocab-1, and the vocabulary size (65 for this corpus)."""
    for candidate in (path, os.path.join(path, "input.txt"),
                      os.path.join(path, "tinyshakespeare", "input.txt")):
        if os.path.isfile(candidate):
            with open(candidate, encoding="utf-8") as f:
                text = f.read()
            break
    else:
        raise SystemExit(f"no tiny-shakespeare input.txt at {path}")
    chars = sorted(set(text))
    codes = {c: i for i, c in enumerate(chars)}
    return np.array([codes[c] for c in text], dtype=np.int64), len(chars)


def make_batches(codes: np.ndarray, count: int, seed: int = 0) -> list:
    """``count`` (input, target) pairs of (SEQ_LEN, BATCH) codes, time first, random windows."""
    rng = np.random.default_rng(seed)
    batches = []
    for _ in range(count):
        starts = rng.integers(0, len(codes) - SEQ_LEN - 1, BATCH)
        window = np.stack([codes[s:s + SEQ_LEN + 1] for s in starts], axis=1)
        batches.append((window[:-1], window[1:]))
    return batches


def initial_weights(vocab: int) -> dict:
    torch.manual_seed(0)
    return {k: v.detach().numpy().copy() for k, v in network(torch, vocab).state_dict().items()}


class Trainer(side_by_side.Trainer):
    """The character LSTM in one library, Adam 2e-3, on (SEQ_LEN, BATCH) code batches."""

    def __init__(self, m, vocab: int, weights: dict, batches: list):
        self.vocab = vocab
        super().__init__(m, network(m, vocab), weights, 2e-3, batches)

    def loss(self, x, y):
        logits = self.model(x)  # (T, N, vocab)
        return self.m.nn.functional.cross_entropy(logits.reshape(-1, self.vocab), y.reshape(-1))


def peak_rss(library: str, data: str, steps: int) -> None:
    """In a fresh process: one library's peak memory while it trains."""
    codes, vocab = load(data)
    peak_memory(Trainer(sj if library == "shenjing" else torch, vocab, initial_weights(vocab),
                        make_batches(codes, steps + 1)), steps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/data/tinyshakespeare/input.txt",
                        help="tiny-shakespeare's input.txt, or a folder holding it")
    side_by_side.add_arguments(parser, rounds=16, steps=5)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.peak_rss:
        return peak_rss(args.peak_rss, args.data, 10)
    codes, vocab = load(args.data)
    batches = make_batches(codes, 5 + args.rounds * args.steps)
    weights = initial_weights(vocab)
    print(side_by_side.describe_machine(torch))
    print(f"Embedding({vocab}, {EMBED}) -> LSTM({EMBED}, {HIDDEN}) -> Linear({HIDDEN}, {vocab}), "
          f"sequence {SEQ_LEN}, batch {BATCH}, Adam, cross-entropy; {len(codes):,} characters")
    trainers = {m.__name__: Trainer(m, vocab, weights, batches) for m in (sj, torch)}
    report_times(alternate(trainers, args.rounds, args.steps))
    ours, theirs = trainers["shenjing"].last_loss, trainers["torch"].last_loss
    print(f"loss after {trainers['torch'].next} steps: shenjing {ours:.4f}, PyTorch {theirs:.4f}")
    report_peak_memory(__file__, ["--data", args.data, "--threads", str(args.threads)])


if __name__ == "__main__":
    main()
