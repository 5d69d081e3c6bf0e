"""`shenjing plot ...`: every picture from the command line, from run folders and from scratch."""

import sys

import pytest

from shenjing.cli import main
from tests.datasets import SHARED_DATA, requires_mnist
from tests.viz import check_gif, check_png, check_svg


@pytest.fixture(scope="module")
def quadrants_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "quadrants"
    assert main(["train", "quadrants", "--epochs", "3", "--out", str(out), "--quiet"]) == 0
    return out


def test_curves_surface_and_graph_of_a_2d_run(quadrants_run, capsys):
    assert main(["plot", "curves", str(quadrants_run)]) == 0
    check_png(quadrants_run / "curves.png")
    assert main(["plot", "surface", str(quadrants_run)]) == 0
    check_png(quadrants_run / "surface.png")
    out = quadrants_run / "graph.svg"
    assert main(["plot", "graph", str(quadrants_run), "--out", str(out)]) == 0
    check_svg(out)
    assert "Linear" in (quadrants_run / "graph.dot").read_text()
    printed = capsys.readouterr().out
    assert "curves.png" in printed and "decision surface" in printed and "graph.dot" in printed


def test_weights_of_a_2d_run_are_refused_with_a_hint(quadrants_run, capsys):
    assert main(["plot", "weights", str(quadrants_run)]) == 2
    assert "try `shenjing plot surface" in capsys.readouterr().err


def test_a_missing_run_folder_is_named(tmp_path, capsys):
    assert main(["plot", "weights", str(tmp_path / "nope")]) == 2
    assert "nope is not a folder" in capsys.readouterr().err
    assert main(["plot", "curves", str(tmp_path)]) == 2
    assert "has no history.json" in capsys.readouterr().err


def test_pictures_made_from_scratch(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["plot", "activations"]) == 0
    check_png(tmp_path / "activations.png")
    assert main(["plot", "surface", "quadrants", "--hidden", "1", "3", "--steps", "40",
                 "--samples", "80", "--animate", "q.gif"]) == 0
    check_png(tmp_path / "surface-quadrants.png")
    check_gif(tmp_path / "q.gif")
    assert main(["plot", "surface", "moons", "--hidden", "4", "--steps", "30",
                 "--out", "moons.svg"]) == 0
    check_svg(tmp_path / "moons.svg")
    assert main(["plot", "optimizers", "--steps", "15", "--landscapes", "bowl"]) == 0
    check_png(tmp_path / "optimizers.png")
    assert main(["plot", "gradients", "--depth", "4", "--width", "8", "--steps", "3",
                 "--health", "health.png"]) == 0
    check_png(tmp_path / "gradient-flow.png")
    check_png(tmp_path / "health.png")
    assert main(["plot", "graph", "--engine", "matplotlib"]) == 0
    check_png(tmp_path / "graph.png")
    assert main(["plot", "graph", "--expression", "--out", "expr.png"]) == 0
    assert "MatMul" in (tmp_path / "expr.dot").read_text()
    printed = capsys.readouterr().out
    assert printed.count("\n") >= 10 and "first/last layer gradient norm" in printed


def test_unknown_sets_and_suffixes_are_named(tmp_path, capsys):
    assert main(["plot", "surface", "swirls", "--out", str(tmp_path / "s.png")]) == 2
    assert "unknown 2-D set 'swirls'" in capsys.readouterr().err
    assert main(["plot", "activations", "--out", str(tmp_path / "a.jpg")]) == 2
    assert "a.jpg: the suffix chooses the format" in capsys.readouterr().err


def test_without_matplotlib_the_command_says_what_to_install(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert main(["plot", "activations"]) == 2
    assert "pip install 'shenjing[plots]'" in capsys.readouterr().err


@requires_mnist
def test_weights_features_and_templates_on_real_mnist(tmp_path, capsys):
    mlp, cnn = tmp_path / "mlp", tmp_path / "cnn"
    common = ["--epochs", "1", "--val-size", "100", "--data", str(SHARED_DATA), "--quiet"]
    assert main(["train", "mnist", "--limit", "1000", "--out", str(mlp), *common]) == 0
    assert main(["plot", "weights", str(mlp), "--max", "20"]) == 0
    check_png(mlp / "weights.png")
    assert main(["train", "mnist", "--model", "cnn", "--limit", "300", "--out", str(cnn),
                 *common]) == 0
    assert main(["plot", "features", str(cnn), "--index", "3"]) == 0
    check_png(cnn / "filters.png")
    check_png(cnn / "feature-maps.png")
    assert main(["plot", "weights", str(cnn)]) == 0  # the first conv layer's 32 kernels
    assert main(["plot", "features", str(mlp)]) == 2
    assert main(["plot", "templates", "--data", str(SHARED_DATA),
                 "--out", str(tmp_path / "t.png")]) == 0
    check_png(tmp_path / "t.png")
    printed = capsys.readouterr()
    assert "test image 3 (labelled 0 - zero)" in printed.out
    assert "mlp run without convolutions" in printed.err
