"""Peak memory (resident set) of training, each workload in a fresh process.

- ``mnist-cli``: ``shenjing train mnist --data D --out TMP --epochs 1``, the 784-100-10 MLP, as a
  user runs it (target: under 300 MB);
- ``resnet20``: ResNet-20 training steps on batches of 128 random 3x32x32 images (forward,
  cross-entropy, backward, SGD with momentum; target: under 1 GB), and the same in PyTorch;
- ``vgg``: the small VGG the same way.

Each figure is the process's ``ru_maxrss``: its peak over the whole run, imports and data
included, so it is what the machine must hold. Also prints milliseconds per training step, so
that a change that saves memory can be seen not to cost speed.

    python benchmarks/memory.py [--data ../shared/data] [--steps 6] [--optimizer sgd|adam]
                                [--only resnet20 vgg ...] [--no-torch]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

from side_by_side import cpu_model, describe_blas

BATCH = 128
MODELS = ("resnet20", "vgg")


def torch_resnet20(torch):
    """A PyTorch twin of ``sj.models.resnet20()``: the same layers and zero-padding shortcuts."""
    nn = torch.nn

    class Block(nn.Module):
        def __init__(self, width, channels, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(width, channels, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(channels)
            self.conv2 = nn.Conv2d(channels, channels, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(channels)
            self.stride, self.extra = stride, channels - width

        def forward(self, x):
            out = torch.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            shortcut = x[:, :, ::self.stride, ::self.stride]
            if self.extra:
                half = self.extra // 2
                shortcut = nn.functional.pad(shortcut, (0, 0, 0, 0, half, self.extra - half))
            return torch.relu(out + shortcut)

    layers, width = [nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU()], 16
    for i, channels in enumerate((16, 32, 64)):
        for j in range(3):
            layers.append(Block(width, channels, 2 if i > 0 and j == 0 else 1))
            width = channels
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(width, 10)]
    return nn.Sequential(*layers)


def train_steps(library: str, model_name: str, steps: int, optimizer: str) -> None:
    """In a fresh process: train ``steps`` steps; print the peak resident MiB and ms per step."""
    import numpy as np

    if library == "torch":
        import torch as m

        m.set_num_threads(2)
        model = torch_resnet20(m)
    else:
        import shenjing as m

        model = m.models.resnet20() if model_name == "resnet20" else m.models.SmallVGG()
    rng = np.random.default_rng(0)
    x = m.tensor(rng.standard_normal((BATCH, 3, 32, 32)).astype(np.float32))
    y = m.tensor(rng.integers(0, 10, BATCH))
    if optimizer == "sgd":
        step = m.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    else:
        step = m.optim.Adam(model.parameters(), lr=1e-3)
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        loss = m.nn.functional.cross_entropy(model(x), y)
        step.zero_grad()
        loss.backward()
        step.step()
        times.append(time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"{peak:.0f} {statistics.median(times[1:] or times) * 1e3:.0f}")


def child_peak(arguments: list[str]) -> tuple[str, str]:
    """Run this script for one workload in a fresh process: (peak MiB, ms per step)."""
    out = subprocess.run([sys.executable, __file__, *arguments], capture_output=True, text=True,
                         check=True).stdout.split()
    return out[0], out[1]


def cli_peak(data: str) -> float:
    """Peak MiB of ``shenjing train mnist --epochs 1`` into a fresh folder, run as a user does."""
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, "-m", "shenjing", "train", "mnist", "--data", data,
                   "--out", os.path.join(out, "run"), "--epochs", "1", "--quiet"]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # wait4 gives the resources of this child alone; ru_maxrss is in KiB on Linux.
        _, status, usage = os.wait4(process.pid, 0)
        if status != 0:
            raise RuntimeError(f"{' '.join(command)} failed: {process.stderr.read().decode()}")
        process.stderr.close()
    return usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("SHENJING_DATA", "../shared/data"))
    parser.add_argument("--steps", type=int, default=6, help="training steps of each model")
    parser.add_argument("--optimizer", choices=("sgd", "adam"), default="sgd")
    parser.add_argument("--only", nargs="+", choices=("mnist-cli", *MODELS),
                        default=("mnist-cli", *MODELS), help="which workloads to measure")
    parser.add_argument("--no-torch", action="store_true", help="skip PyTorch's ResNet-20")
    parser.add_argument("--child", nargs=2, metavar=("LIBRARY", "MODEL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return train_steps(*args.child, args.steps, args.optimizer)
    print(f"{cpu_model()}, {os.cpu_count()} cores\n{describe_blas()}")
    if "mnist-cli" in args.only:
        print(f"mnist-cli  shenjing train mnist --epochs 1 (784-100-10 MLP): "
              f"peak {cli_peak(args.data):.0f} MiB")
    common = ["--steps", str(args.steps), "--optimizer", args.optimizer]
    for name in MODELS:
        if name not in args.only:
            continue
        libraries = ("shenjing", "torch") if name == "resnet20" and not args.no_torch else (
            "shenjing",)
        for library in libraries:
            peak, ms = child_peak([*common, "--child", library, name])
            print(f"{name:10} {library:8} batch {BATCH}, {args.optimizer}: peak {peak} MiB, "
                  f"{ms} ms per step (median of {args.steps - 1})")


if __name__ == "__main__":
    main()
