"""Compiled training steps side by side (issue 12's speed acceptance), one machine, one run.

Median milliseconds per training step of four workloads, each in up to five columns:

- PyTorch eager (``--threads`` intra-op threads, 2 by default);
- ``torch.compile`` of the whole step (skipped, with the reason, where it cannot run);
- the NumPy floor: a hand-written forward, backward and update doing the same array calls as
  shenjing's operations, nothing else (the two MLPs only: ``NumpyMLP``);
- shenjing eager;
- shenjing compiled: ``sj.compile(train_step)``, where ``train_step(x, y)`` does zero_grad,
  forward, loss, backward and the optimizer's step and returns the loss.

Workloads: ``sigmoid`` 784-16-16-10 sigmoid MLP, batch 10, SGD lr 0.1; ``relu`` 784-256-256-10
ReLU MLP, batch 128, SGD lr 0.01 momentum 0.9; ``cnn`` the MNIST CNN of cnn_training.py, batch
64, Adam; ``lstm`` the character LSTM of lstm_training.py (hidden 256, sequence 64, batch 32,
Adam). All columns start from the same initial weights (PyTorch's initialisation under seed 0)
and see the same batches; before timing, each column trains 20 steps and the script checks that
every column's first loss is shenjing eager's, and that the NumPy floor's and the compiled step's
20 losses are shenjing eager's to 1e-6 relative (the floor does the same arithmetic; the compiled
step replays it). Then the columns train in alternating rounds, each after a pause that lets the
last one's threads go idle. Prints each column's median, the ratios issue 12 asks for with its
targets, and a table of all workloads.

    python benchmarks/compiled_step.py [--only sigmoid relu cnn lstm] [--rounds R] [--steps S]
    python benchmarks/compiled_step.py --memory [--steps 20]

``--memory`` reports the peak resident memory of S eager and S compiled steps of the CNN, each in
a fresh process, and the peak of the arrays alive at once over 5 more steps (tracemalloc: the
resident set also holds what the allocator kept after frees, which moves with their order).
OpenBLAS reads OPENBLAS_CORETYPE, which some machines set to an older kernel
(the first lines printed say so); for NumPy's own choice of kernel run
``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python ...``.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import subprocess
import sys
import traceback
import tracemalloc
from dataclasses import dataclass, field
from functools import cache

import cnn_training
import lstm_training
import numpy as np
import side_by_side
import torch

import shenjing as sj

VERIFY_STEPS = 20
SAME_START = 1e-4  # first losses of PyTorch and shenjing: same weights, same batch
SAME_ARITHMETIC = 1e-6  # NumPy floor and compiled step against shenjing eager, every step
COLUMNS = {"torch": "PyTorch eager", "torch.compile": "torch.compile", "numpy": "NumPy floor",
           "shenjing": "shenjing eager", "compiled": "shenjing compiled"}


@dataclass
class Workload:
    """A training step to time: how to build it in one library, and what it must reach."""

    title: str
    rounds: int
    steps: int
    targets: dict = field(default_factory=dict)  # column -> most compiled / column may be


WORKLOADS = {
    "sigmoid": Workload("784-16-16-10 sigmoid, batch 10, SGD", rounds=10, steps=300,
                        targets={"torch": 0.3, "numpy": 1.5}),
    "relu": Workload("784-256-256-10 ReLU, batch 128, SGD momentum", rounds=10, steps=50,
                     targets={"torch": 1.0, "numpy": 1.1}),
    "cnn": Workload("the MNIST CNN of cnn_training.py, batch 64, Adam", rounds=8, steps=6,
                    targets={"shenjing": 1.0}),
    "lstm": Workload("character LSTM 256, sequence 64, batch 32, Adam", rounds=8, steps=5,
                     targets={"shenjing": 1.0}),
}
MLPS = {  # sizes, activation, batch, lr, momentum
    "sigmoid": ((784, 16, 16, 10), "sigmoid", 10, 0.1, 0.0),
    "relu": ((784, 256, 256, 10), "relu", 128, 0.01, 0.9),
}


# -- the MLPs, in a library and as the NumPy floor -----------------------------------------------
def mlp(m, sizes, activation):
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(m.nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(m.nn.Sigmoid() if activation == "sigmoid" else m.nn.ReLU())
    return m.nn.Sequential(*layers)


class MLP(side_by_side.Trainer):
    """An MLP in one library with SGD, cross-entropy on class labels."""

    def __init__(self, m, name: str, weights: dict, batches: list):
        sizes, activation, _, lr, momentum = MLPS[name]
        super().__init__(m, mlp(m, sizes, activation), weights, lr, batches,
                         optimizer=lambda p: m.optim.SGD(p, lr=lr, momentum=momentum))

    def loss(self, x, y):
        return self.m.nn.functional.cross_entropy(self.model(x), y)


class NumpyMLP:
    """The MLP's training step written out in NumPy: the array calls of shenjing's operations
    (ops/linalg.py Linear, ops/activation.py Sigmoid and ReLU, ops/loss.py CrossEntropy,
    optim/sgd.py), in the same order on the same dtypes, and no other work. Its losses must
    equal shenjing eager's: that is what makes it the floor of a compiled step."""

    steps = side_by_side.Trainer.steps

    def __init__(self, name: str, weights: dict, batches: list):
        _, self.activation, batch, self.lr, self.momentum = MLPS[name]
        layers = sorted({int(k.split(".")[0]) for k in weights})
        self.W = [weights[f"{i}.weight"].copy() for i in layers]
        self.b = [weights[f"{i}.bias"].copy() for i in layers]
        # SGD's momentum buffers, started at the first gradient as in optim/sgd.py
        self.buffers = [None] * (2 * len(layers))
        self.rows = np.arange(batch)
        self.batches = batches
        self.next, self.last_loss = 0, None
        self.run = self.train_step

    def train_step(self, x, y):
        # forward: Linear is x @ W.T + b, b added in place; activations keep their outputs
        hs = [x]
        last = len(self.W) - 1
        for i, (W, b) in enumerate(zip(self.W, self.b)):
            z = np.matmul(hs[-1], W.T)
            z += b
            if i < last:
                hs.append(_sigmoid(z) if self.activation == "sigmoid" else np.maximum(z, 0))
        # fused softmax-cross-entropy, mean over the batch (no ignored labels, no weights)
        shifted = z - _row_max(z)
        p = np.exp(shifted)
        total = p.sum(axis=1, keepdims=True)
        logp = shifted
        logp -= np.log(total)
        p /= total
        key = (self.rows, y)
        loss = (-logp[key]).sum() / np.float32(len(y))
        g = np.ones((), dtype=np.float32) * (1.0 / len(y))  # the engine's seed, times 1/N
        gy = p * g
        gy[key] -= g
        # backward, last layer first: gx = gy @ W, gW = gy.T @ x, gb = sum of gy over the
        # batch; each layer is updated once its gx is computed
        for i in range(last, -1, -1):
            h, W = hs[i], self.W[i]
            gW = np.matmul(gy.T, h)
            gb = gy.sum(axis=0)
            if i > 0:
                gx = np.matmul(gy, W)
                if self.activation == "sigmoid":
                    gy = gx * (h * (1 - h))
                else:
                    gy = _zero_unless(h != 0, gx)
            self.update(2 * i, W, gW)
            self.update(2 * i + 1, self.b[i], gb)
        return loss

    def update(self, k: int, p, g) -> None:
        """SGD: ``p -= lr * g``, or through the momentum buffer ``b = momentum * b + g``."""
        if self.momentum:
            b = self.buffers[k]
            if b is None:
                b = self.buffers[k] = np.array(g, dtype=p.dtype)
            else:
                b *= self.momentum
                b += g
            g = b
        p -= self.lr * g


def _sigmoid(x):
    """ops/activation.py's stable sigmoid: exp of a non-positive number only."""
    z = np.exp(-np.abs(x))
    return np.maximum(z, x >= 0) / (1 + z)


def _row_max(z):
    """ops/activation.py's max of each row: down the columns of the transposed copy where rows
    are short (NumPy reduces short rows slowly); exact either way."""
    if z.shape[1] <= 32 and z.shape[0] >= 16:
        return z.T.copy().max(axis=0)[:, None]
    return z.max(axis=1, keepdims=True)


def _zero_unless(condition, a):
    """ops/elementwise.py's select of ``where(condition, a, 0)``: the float words multiplied,
    as integers, by the condition's 0 or 1 (NumPy's where is ten times slower on a random mask)."""
    ints = f"i{a.dtype.itemsize}"
    return np.multiply(a.view(ints), condition, dtype=ints).view(a.dtype)


# -- data and initial weights --------------------------------------------------------------------
@cache
def mnist(data: str, count: int):
    return cnn_training.load(data, count)  # (count, 1, 28, 28) normalised, labels


@cache
def shakespeare(text: str):
    return lstm_training.load(text)


def initial_weights(network) -> dict:
    """PyTorch's initialisation under seed 0, as arrays: every column starts from these."""
    torch.manual_seed(0)
    return {k: v.detach().numpy().copy() for k, v in network.state_dict().items()}


def columns(name: str, args) -> dict:
    """The trainers of one workload, by column: each ``steps(n)`` trains and times n steps."""
    if name in MLPS:
        sizes, activation, batch, _, _ = MLPS[name]
        images, labels = mnist(args.data, 2560)
        x = images.reshape(len(images), -1)
        batches = [(x[i:i + batch], labels[i:i + batch])
                   for i in range(0, len(x) - batch + 1, batch)]
        weights = initial_weights(mlp(torch, sizes, activation))

        def make(m):
            return MLP(m, name, weights, batches)

        floor = NumpyMLP(name, weights, batches)
    elif name == "cnn":
        images, labels = mnist(args.data, 2560)
        weights = cnn_training.initial_weights()

        def make(m):
            return cnn_training.Trainer(m, weights, images, labels)

        floor = None
    else:
        codes, vocab = shakespeare(args.text)
        batches = lstm_training.make_batches(codes, 20)
        weights = lstm_training.initial_weights(vocab)

        def make(m):
            return lstm_training.Trainer(m, vocab, weights, batches)

        floor = None
    trainers = {"torch": make(torch), "torch.compile": compiled(make(torch), torch.compile)}
    if floor is not None:
        trainers["numpy"] = floor
    trainers["shenjing"] = make(sj)
    trainers["compiled"] = compiled(make(sj), getattr(sj, "compile", None))
    return {column: trainer for column, trainer in trainers.items() if trainer is not None}


def compiled(trainer, compile_fn):
    """The trainer with its step compiled by ``compile_fn``; None where there is none."""
    if compile_fn is None:
        return None
    trainer.run = compile_fn(trainer.train_step)
    return trainer


# -- checking that the columns compute the same thing --------------------------------------------
def relative(a: float, b: float) -> float:
    return abs(a - b) / max(abs(b), 1e-30)


def first_losses(trainer, n: int) -> list[float]:
    """The losses of the trainer's next ``n`` steps."""
    losses = []
    for _ in range(n):
        trainer.steps(1)
        losses.append(trainer.last_loss)
    return losses


def verify(trainers: dict, skipped: dict) -> bool:
    """Train each column VERIFY_STEPS steps (compiling on the first) and compare the losses.

    A column whose first steps raise, or whose losses are not what they must be, is dropped
    with the reason in ``skipped``; returns False if a check failed (not for a missing
    ``torch.compile``, which only some machines can run).
    """
    losses = {}
    for column, trainer in list(trainers.items()):
        try:
            losses[column] = first_losses(trainer, VERIFY_STEPS)
        except Exception as error:  # noqa: BLE001 (torch.compile may lack a compiler, say)
            if column not in ("torch.compile", "compiled"):
                raise
            if column == "compiled":
                traceback.print_exc()
            skipped[column] = f"failed: {type(error).__name__}: {str(error).splitlines()[0]}"
            del trainers[column]
    reference = losses["shenjing"]
    ok = not skipped.get("compiled", "").startswith("failed")  # sj.compile raised
    for column, values in losses.items():
        if relative(values[0], reference[0]) > SAME_START:
            raise SystemExit(f"{COLUMNS[column]}'s first loss {values[0]:.7g} is not shenjing "
                             f"eager's {reference[0]:.7g}: not the same weights and data")
    checked = []
    for column in ("numpy", "compiled"):
        if column not in losses:
            continue
        differences = [relative(a, b) for a, b in zip(losses[column], reference)]
        if max(differences) > SAME_ARITHMETIC:
            step = next(i for i, d in enumerate(differences) if d > SAME_ARITHMETIC)
            skipped[column] = (f"MISMATCH, not timed: loss {losses[column][step]:.9g} at step "
                               f"{step + 1}, shenjing eager's {reference[step]:.9g} (more than "
                               f"{SAME_ARITHMETIC:g} relative apart)")
            del trainers[column]
            ok = False
        else:
            checked.append(f"{COLUMNS[column]} (largest relative difference "
                           f"{max(differences):.1e})")
    line = f"  checked: every column's first loss is {reference[0]:.5f} (to {SAME_START:g})"
    if checked:
        line += f"; {VERIFY_STEPS} losses equal shenjing eager's: " + ", ".join(checked)
    print(line)
    return ok


# -- timing and reporting ------------------------------------------------------------------------
def run_workload(name: str, args, failed: list) -> dict:
    """Verify, time and report one workload; returns the median ms of each column."""
    workload = WORKLOADS[name]
    rounds, steps = args.rounds or workload.rounds, args.steps or workload.steps
    print(f"\n{workload.title}: median ms per step over {rounds} rounds of {steps} steps")
    skipped = {}
    if getattr(sj, "compile", None) is None:
        skipped["compiled"] = "not available (this shenjing has no sj.compile yet)"
    trainers = columns(name, args)
    if not verify(trainers, skipped):
        failed.append(name)
    times = side_by_side.alternate(trainers, rounds, steps, warm_up=2)
    ms = {column: statistics.median(times[column]) * 1e3 for column in trainers}
    for column, label in COLUMNS.items():
        if column in ms:
            print(f"  {label:18s} {ms[column]:8.3f}")
        elif column in skipped:
            print(f"  {label:18s} {skipped[column]}")
    report_ratios(ms, workload.targets)
    return ms


def report_ratios(ms: dict, targets: dict) -> None:
    """compiled / each other column, against issue 12's targets; shenjing eager's for context."""
    if "compiled" in ms:
        for column in ("torch", "numpy", "shenjing", "torch.compile"):
            if column not in ms:
                continue
            ratio = ms["compiled"] / ms[column]
            line = f"  compiled / {COLUMNS[column]:15s} {ratio:6.2f}"
            if column in targets:
                verdict = "met" if ratio <= targets[column] else "MISSED"
                line += f"   (target <= {targets[column]}: {verdict})"
            print(line)
    else:
        wanted = ", ".join(f"<= {t} of {COLUMNS[c]}" for c, t in targets.items())
        print(f"  compiled: targets {wanted}; no compiled figures")
    context = [f"{ms['shenjing'] / ms[c]:.2f}x {COLUMNS[c]}" for c in ("torch", "numpy")
               if c in ms]
    print(f"  shenjing eager is {', '.join(context)}")


def report_table(results: dict) -> None:
    """All workloads as one Markdown table, issue 12's layout."""
    header = ["workload", *COLUMNS.values()]
    print("\n| " + " | ".join(header) + " |\n|" + "---|" * len(header))
    for name, ms in results.items():
        cells = [f"{ms[c]:.3g}" if c in ms else "-" for c in COLUMNS]
        print(f"| {WORKLOADS[name].title} | " + " | ".join(cells) + " |")


# -- peak memory ---------------------------------------------------------------------------------
def peak_rss(mode: str, args) -> None:
    """In a fresh process: the CNN's peak memory over its first step (eager, or tracing) and
    over ``steps`` more. Prints the whole process's peak after the first step, then
    ``peak_memory``'s peak over the later steps and its rise above the resident set."""
    images, labels = mnist(args.data, 2560)
    trainer = cnn_training.Trainer(sj, cnn_training.initial_weights(), images, labels)
    if mode == "compiled":
        trainer.run = sj.compile(trainer.train_step)
    trainer.steps(1)
    print(f"{side_by_side.status_mib('VmHWM'):.0f}", end=" ")
    side_by_side.peak_memory(trainer, args.steps or 20)
    # The resident set also counts what the allocator keeps after a free, which moves with the
    # order of frees; the arrays alive at once (NumPy reports them to tracemalloc) do not.
    tracemalloc.start()
    start = tracemalloc.get_traced_memory()[0]
    trainer.steps(5)
    print(f"{(tracemalloc.get_traced_memory()[1] - start) / 2**20:.1f}")


def report_memory(args) -> None:
    steps = args.steps or 20
    print(f"\nthe MNIST CNN, batch 64, Adam, in a fresh process each: peak resident MiB\n"
          f"{'':20s} {'up to step 1':>12s} {f'steps 3 to {steps + 2}':>14s} "
          f"{'their rise above the resident set':>34s} {'arrays alive at once, 5 steps':>30s}")
    for mode in ("eager", "compiled"):
        label = f"  shenjing {mode}"
        if mode == "compiled" and getattr(sj, "compile", None) is None:
            print(f"{label:20s} not available (this shenjing has no sj.compile yet)")
            continue
        command = [sys.executable, __file__, "--peak-rss", mode, "--steps", str(steps),
                   "--data", args.data, "--threads", str(args.threads)]
        out = subprocess.run(command, capture_output=True, text=True)
        if out.returncode:
            print(f"{label:20s} failed:\n{out.stderr}")
            continue
        first, peak, rise, live = out.stdout.split()[-4:]
        print(f"{label:20s} {first:>12s} {peak:>14s} {rise:>34s} {live:>30s}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("SHENJING_DATA", "../shared/data"),
                        help="the folder holding mnist/")
    parser.add_argument("--text", default=None,
                        help="tiny-shakespeare's input.txt (default: under --data)")
    parser.add_argument("--only", nargs="+", choices=tuple(WORKLOADS), default=tuple(WORKLOADS),
                        help="which workloads to time")
    parser.add_argument("--rounds", type=int, help="alternating rounds (default per workload)")
    parser.add_argument("--steps", type=int, help="steps per round (default per workload); "
                        "with --memory, the steps measured (20)")
    parser.add_argument("--threads", type=int, default=2, help="PyTorch's intra-op threads")
    parser.add_argument("--memory", action="store_true",
                        help="peak memory of eager and compiled CNN steps, fresh processes")
    parser.add_argument("--peak-rss", choices=("eager", "compiled"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.text = args.text or os.path.join(args.data, "tinyshakespeare", "input.txt")
    torch.set_num_threads(args.threads)
    if args.peak_rss:
        return peak_rss(args.peak_rss, args)
    print(side_by_side.describe_machine(torch))
    if args.memory:
        return report_memory(args)
    torch._logging.set_logs(dynamo=logging.ERROR)  # graph breaks at backward() are expected
    failed = []
    results = {name: run_workload(name, args, failed) for name in WORKLOADS if name in args.only}
    report_table(results)
    if failed:
        raise SystemExit(f"checks failed for {', '.join(failed)}: see MISMATCH and failed above")


if __name__ == "__main__":
    main()
