"""How long ``shenjing demo`` takes, and each of its pictures, as a user runs it.

Each repeat runs ``python -m shenjing demo --out TMP [--data D] [--quick]`` in a fresh process
(imports, training and drawing included, as a user waits for them) and notes when each of its
lines appears, so the time of every picture is the time since the line before. Prints the
median and the fastest of the total, the median of each picture, and the peak resident memory
of the demo processes. There is no PyTorch twin: the demo is shenjing's own. The tests assert
what the demo draws (tests/test_cli_demo.py); its time is measured here, never asserted.

    python benchmarks/demo.py [--data ../shared/data] [--repeats 3] [--quick]
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
from pathlib import Path

from side_by_side import cpu_model, describe_blas


def run_demo(data: str | None, quick: bool) -> tuple[float, dict[str, float]]:
    """One demo in a fresh process: its total seconds and {file name: seconds to draw it}."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "demo"
        command = [sys.executable, "-m", "shenjing", "demo", "--out", str(out)]
        if data is not None:
            command += ["--data", data]
        if quick:
            command.append("--quick")
        pictures, start = {}, time.perf_counter()
        last = start
        with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as demo:
            for line in demo.stdout:
                now = time.perf_counter()
                name = line.split(maxsplit=1)[0] if line.strip() else ""
                if line.startswith("shenjing demo: drawing into"):
                    pictures["(start: Python, imports)"] = now - last
                    last = now
                elif name.startswith(str(out)):  # one line per file, once it is written
                    pictures[Path(name).name] = now - last
                    last = now
        total = time.perf_counter() - start
        if demo.returncode != 0:
            raise SystemExit(f"shenjing demo failed (exit status {demo.returncode})")
    return total, pictures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("SHENJING_DATA", "../shared/data"),
                        help="folder holding mnist/ (without it the demo skips two pictures)")
    parser.add_argument("--repeats", type=int, default=3, help="demos to run, one after another")
    parser.add_argument("--quick", action="store_true", help="time `shenjing demo --quick`")
    args = parser.parse_args()
    import numpy

    print(f"{cpu_model()}, {os.cpu_count()} cores; numpy {numpy.__version__}\n{describe_blas()}")
    totals, per_picture = [], {}
    for _ in range(args.repeats):
        total, pictures = run_demo(args.data, args.quick)
        totals.append(total)
        for name, seconds in pictures.items():
            per_picture.setdefault(name, []).append(seconds)
    mode = "shenjing demo --quick" if args.quick else "shenjing demo"
    files = len(per_picture) - 1
    print(f"{mode}: {files} files, median {statistics.median(totals):.1f} s, fastest "
          f"{min(totals):.1f} s over {len(totals)} runs (a fresh process each, imports included)")
    for name, seconds in per_picture.items():
        print(f"  {name:30} {statistics.median(seconds):6.1f} s")
    # ru_maxrss of waited-for children: the largest peak of the demo processes, in KiB on Linux.
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak resident memory of a demo process: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
