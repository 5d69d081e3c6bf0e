"""The shared drawing machinery: lazy matplotlib, Agg figures, saving by suffix."""

import subprocess
import sys

import pytest

from shenjing.viz import canvas
from tests.viz import check_png, check_svg


def _scribble(figure):
    ax = figure.add_subplot()
    ax.plot([0, 1, 2], [0, 1, 0], linewidth=8)
    ax.fill_between([0, 1, 2], [0, 1, 0], color="tab:orange")
    return figure


def test_importing_shenjing_and_viz_leaves_matplotlib_and_pil_out():
    code = ("import sys, shenjing, shenjing.viz, shenjing.cli.plot, shenjing.cli.demo\n"
            "print(sorted({'matplotlib', 'PIL'} & set(sys.modules)))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_a_missing_matplotlib_is_an_error_that_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails
    with pytest.raises(ImportError, match=r"pip install 'shenjing\[plots\]'"):
        canvas.new_figure(2, 2)


def test_figures_are_on_the_agg_canvas_outside_pyplot():
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    figure = canvas.new_figure(3, 2)
    assert isinstance(figure.canvas, FigureCanvasAgg)


def test_the_suffix_chooses_png_or_svg(tmp_path):
    figure = _scribble(canvas.new_figure(3, 2))
    check_png(canvas.save(figure, tmp_path / "sub" / "a.png"), figure)
    check_svg(canvas.save(figure, tmp_path / "a.svg"), min_shapes=3)
    assert "<dc:date>" not in (tmp_path / "a.svg").read_text()
    with pytest.raises(ValueError, match=r"a\.jpg: the suffix chooses the format"):
        canvas.save(figure, tmp_path / "a.jpg")


def test_compact_png_keeps_the_picture_and_its_size(tmp_path):
    import numpy as np

    figure = _scribble(canvas.new_figure(4, 3))
    path = canvas.save(figure, tmp_path / "a.png")
    before = check_png(path, figure)
    assert canvas.compact_png(path)
    after = check_png(path, figure)
    # no dithering: colours move by a few levels at most, nowhere a speckle
    assert np.abs(before.astype(int) - after.astype(int)).max() <= 16


def test_diverging_colormap_is_red_white_green():
    cmap = canvas.diverging_colormap()
    red, white, green = cmap(0.0), cmap(0.5), cmap(1.0)
    assert red[0] > 0.6 and red[1] < 0.2
    assert min(white[:3]) > 0.98
    assert green[1] > 0.4 and green[0] < 0.2
