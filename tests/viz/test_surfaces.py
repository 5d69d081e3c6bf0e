"""Decision surfaces: one network, the universal-approximation row, the training GIF."""

import numpy as np
import pytest

import shenjing as sj
from shenjing.viz import surfaces
from tests.viz import check_gif, check_png, check_svg


@pytest.fixture(scope="module")
def quadrants():
    sj.manual_seed(0)
    x, y = sj.datasets.quadrants(200, seed=0)
    model = sj.models.quadrants_net()
    score = surfaces.fit_points(model, x, y, steps=150, lr=0.05)
    return model, x, y, score


def test_the_surface_of_a_trained_2_6_4_network(quadrants, tmp_path):
    model, x, y, score = quadrants
    assert score > 0.95
    figure = surfaces.decision_surface(model, x, y, tmp_path / "s.png", title="quadrants")
    rgb = check_png(tmp_path / "s.png", figure)
    (ax,) = figure.axes
    assert len(ax.images) == 1
    assert ax.collections[-1].get_offsets().shape == (200, 2)  # every point is drawn
    # The background of the upper right quadrant is class 0's colour (pale blue), of the lower
    # left class 2's (pale green): sample the picture inside the axes, away from the points.
    height, width, _ = rgb.shape
    box = ax.get_window_extent()
    def at(u, v):  # (u, v) in axes fractions -> pixel
        col = int(box.x0 + u * box.width)
        row = int(height - (box.y0 + v * box.height))
        return rgb[row, col].astype(int)
    upper_right, lower_left = at(0.97, 0.97), at(0.03, 0.03)
    assert upper_right[2] > upper_right[0]  # blue over red
    assert lower_left[1] > lower_left[0] and lower_left[1] > lower_left[2]  # green


def test_class_probabilities_cover_the_plane(quadrants):
    model, x, _, _ = quadrants
    extent = surfaces.plane_extent(x)
    assert extent[0] < -1 and extent[1] > 1
    p = surfaces.class_probabilities(model, extent, resolution=21)
    assert p.shape == (21, 21, 4)
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=1e-5)
    assert p[-1, -1].argmax() == 0 and p[0, 0].argmax() == 2  # top right I, bottom left III


def test_universal_approximation_draws_one_surface_per_width(tmp_path):
    x, y = sj.datasets.circles(120, noise=0.05)
    figure = surfaces.universal_approximation(x, y, (1, 4), tmp_path / "ua.svg", steps=150)
    check_svg(tmp_path / "ua.svg")
    titles = [ax.get_title() for ax in figure.axes]
    assert titles[0].startswith("1 hidden neuron:") and titles[1].startswith("4 hidden neurons:")
    accuracy = [int(t.split(": ")[1].rstrip(" %")) for t in titles]
    assert accuracy[1] > accuracy[0]  # one neuron draws a line; four can enclose the circle
    with pytest.raises(ValueError, match="at least one width"):
        surfaces.universal_approximation(x, y, ())


def test_the_training_animation_is_a_gif_whose_frames_change(tmp_path):
    sj.manual_seed(0)
    x, y = sj.datasets.quadrants(100, seed=1)
    n = surfaces.training_animation(sj.models.quadrants_net(), x, y, tmp_path / "t.gif",
                                    steps=20, frames=4, lr=0.05)
    assert n == 5  # before training, then every 5 steps
    frames = check_gif(tmp_path / "t.gif", frames=n)
    assert np.abs(frames[0] - frames[-1]).mean() > 1.0
    with pytest.raises(ValueError, match="suffix"):
        surfaces.training_animation(sj.models.quadrants_net(), x, y, tmp_path / "t.png")
    with pytest.raises(ValueError, match="frames <= steps"):
        surfaces.training_animation(sj.models.quadrants_net(), x, y, tmp_path / "t.gif",
                                    steps=3, frames=5)


def test_a_model_that_does_not_give_class_scores_is_named(tmp_path):
    x, y = sj.datasets.quadrants(20)
    with pytest.raises(ValueError, match=r"\(N, C\) class scores"):
        surfaces.decision_surface(sj.nn.Flatten(0), x, y)
