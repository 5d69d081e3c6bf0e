"""`shenjing demo`: every picture of the notes, with no download. What it draws is asserted here:
which files, their sizes, that each holds a picture; how long it takes is benchmarks/demo.py's."""

import numpy as np

from shenjing.cli import main
from shenjing.viz.activations import elementwise_activations
from tests.datasets import SHARED_DATA, requires_mnist
from tests.viz import check_gif, check_png

# Each picture's size in pixels: its figure's size in inches at 100 dpi, as shenjing.viz draws
# it. The graphs' depend on their layout (Graphviz's or matplotlib's), so they are not fixed here.
# Activations: 5 panels a row, 2.3 inches a row plus 0.4 for the title.
ACTIVATION_ROWS = -(-len(elementwise_activations()) // 5)
SIZES = {"quadrants-surface.png": (420, 420), "quadrants-curves.png": (720, 320),
         "universal-approximation.png": (900, 620),
         "activations.png": (1300, round(230 * ACTIVATION_ROWS + 40)),
         "graph.png": None, "static-graph.png": None, "gradient-flow.png": (1000, 380),
         "training-health.png": (1200, 340), "optimizers.png": (1380, 460)}
MNIST_SIZES = {"mnist-weights.png": (800, 765), "mnist-templates.png": (730, 355)}
PICTURES = list(SIZES)


def _lines(printed: str, out) -> dict:
    """{file name: what it shows} from the demo's one line per file."""
    found = {}
    for line in printed.splitlines():
        parts = line.split(maxsplit=1)
        if parts and parts[0].startswith(str(out)):
            found[parts[0].rsplit("/", 1)[1]] = parts[1]
    return found


def _check_pictures(out, sizes: dict, frames: int) -> None:
    """Every picture of ``sizes`` is a non-blank PNG of its size, small enough for a repository;
    the animation has ``frames`` frames of one size, and the surface moves while it trains; the
    graph of the 2-6-4 network holds its layers, and the static graph of its training step (the
    program sj.compile traced, drawn beside the dynamic graph) every phase up to the updates."""
    for name, size in sizes.items():
        check_png(out / name, size=size)
        assert (out / name).stat().st_size < 200_000, name
    width, height = check_png(out / "graph.png").shape[1::-1]
    assert width >= 300 and height >= 300, (width, height)
    animation = check_gif(out / "quadrants-training.gif", frames=frames)
    assert {frame.shape for frame in animation} == {(273, 259)}
    assert np.abs(animation[0] - animation[-1]).mean() > 1  # training changed the surface
    dot = (out / "graph.dot").read_text()
    assert dot.startswith("digraph shenjing")
    for node in ("input\\n(8, 2)", "Linear\\n(8, 6)", "Tanh\\n(8, 6)", "Linear\\n(8, 4)",
                 "CrossEntropy"):
        assert node in dot, node
    assert dot.count("->") == 9
    width, height = check_png(out / "static-graph.png").shape[1::-1]
    assert width >= 900 and height >= 600, (width, height)  # two graphs side by side
    program = (out / "static-graph.txt").read_text().splitlines()
    assert program[0].startswith("%input : (8, 2) float32 = input")
    assert sum("= linear(" in line for line in program) == 2
    assert sum("= accumulate_grad(" in line for line in program) == 4
    assert sum("= adam.update" in line for line in program) == 4, "no updates in the program"
    assert program[-1].startswith("return %")


def test_quick_demo_without_mnist_draws_the_rest(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SHENJING_DATA", str(tmp_path / "no-data"))
    monkeypatch.setenv("HOME", str(tmp_path))  # nor in ~/.cache/shenjing
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--quick"]) == 0
    printed = capsys.readouterr().out
    shown = _lines(printed, out)
    assert sorted(shown) == sorted(PICTURES + ["quadrants-training.gif", "graph.dot",
                                               "static-graph.txt"])
    assert sorted(p.name for p in out.iterdir()) == sorted(shown)  # nothing else written
    _check_pictures(out, SIZES, frames=5)
    assert "MNIST not found" in printed
    assert f"12 pictures in {out}/" in printed


@requires_mnist
def test_the_real_demo_end_to_end(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--data", str(SHARED_DATA)]) == 0
    printed = capsys.readouterr().out
    shown = _lines(printed, out)
    assert len(shown) == 14 and f"14 pictures in {out}/" in printed
    assert sorted(p.name for p in out.iterdir()) == sorted(shown)
    _check_pictures(out, SIZES | MNIST_SIZES, frames=21)
    # what the lines promise, the training delivered
    assert float(shown["quadrants-surface.png"].split("(")[1].split(" %")[0]) > 97
    assert float(shown["mnist-weights.png"].split("(")[1].split(" %")[0]) > 88
    assert float(shown["mnist-templates.png"].split("(")[1].split(" %")[0]) > 85


def test_without_matplotlib_the_demo_says_what_to_install(monkeypatch, capsys, tmp_path):
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert main(["demo", "--out", str(tmp_path / "demo")]) == 2
    assert "shenjing demo: shenjing.viz draws with matplotlib" in capsys.readouterr().err
