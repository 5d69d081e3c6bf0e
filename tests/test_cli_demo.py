"""`shenjing demo`: every picture of the notes, with no download, in well under two minutes."""

import time

from shenjing.cli import main
from tests.datasets import SHARED_DATA, requires_mnist
from tests.viz import check_gif, check_png

PICTURES = ["quadrants-surface.png", "quadrants-curves.png", "universal-approximation.png",
            "activations.png", "graph.png", "gradient-flow.png", "training-health.png",
            "optimizers.png"]


def _lines(printed: str, out) -> dict:
    """{file name: what it shows} from the demo's one line per file."""
    found = {}
    for line in printed.splitlines():
        parts = line.split(maxsplit=1)
        if parts and parts[0].startswith(str(out)):
            found[parts[0].rsplit("/", 1)[1]] = parts[1]
    return found


def test_quick_demo_without_mnist_draws_the_rest(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SHENJING_DATA", str(tmp_path / "no-data"))
    monkeypatch.setenv("HOME", str(tmp_path))  # nor in ~/.cache/shenjing
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--quick"]) == 0
    printed = capsys.readouterr().out
    shown = _lines(printed, out)
    assert sorted(shown) == sorted(PICTURES + ["quadrants-training.gif", "graph.dot"])
    for name in PICTURES:
        check_png(out / name)
    check_gif(out / "quadrants-training.gif")
    assert "MNIST not found" in printed
    assert "digraph shenjing" in (out / "graph.dot").read_text()


@requires_mnist
def test_the_real_demo_end_to_end(tmp_path, capsys):
    out = tmp_path / "demo"
    start = time.perf_counter()
    assert main(["demo", "--out", str(out), "--data", str(SHARED_DATA)]) == 0
    seconds = time.perf_counter() - start
    printed = capsys.readouterr().out
    shown = _lines(printed, out)
    assert len(shown) == 12 and f"12 pictures in {out}/" in printed
    for name in PICTURES + ["mnist-weights.png", "mnist-templates.png"]:
        check_png(out / name)
        assert (out / name).stat().st_size < 200_000, name  # small enough for the repository
    assert len(check_gif(out / "quadrants-training.gif")) == 21
    # what the lines promise, the training delivered
    assert float(shown["quadrants-surface.png"].split("(")[1].split(" %")[0]) > 97
    assert float(shown["mnist-weights.png"].split("(")[1].split(" %")[0]) > 88
    assert seconds < 120


def test_without_matplotlib_the_demo_says_what_to_install(monkeypatch, capsys, tmp_path):
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert main(["demo", "--out", str(tmp_path / "demo")]) == 2
    assert "shenjing demo: shenjing.viz draws with matplotlib" in capsys.readouterr().err
