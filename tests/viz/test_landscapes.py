"""Shenjing's optimizers on a saddle, Rosenbrock and a bowl."""

import numpy as np
import pytest

from shenjing.viz import landscapes
from shenjing.viz.landscapes import LANDSCAPES, OPTIMIZERS, optimizer_path
from tests.viz import check_png


def test_a_path_is_the_optimizer_s_own_steps():
    bowl = LANDSCAPES["bowl"]
    path = optimizer_path(bowl, "SGD", steps=3, lr=0.1)
    x, y = bowl.start
    for k in range(1, 4):  # plain gradient descent on 0.1 x^2 + 2 y^2, by hand
        x, y = x - 0.1 * 0.2 * x, y - 0.1 * 4 * y
        np.testing.assert_allclose(path[k], [x, y], rtol=1e-12)


def test_every_optimizer_gets_down_the_bowl_and_off_the_saddle():
    for name in OPTIMIZERS:
        bowl = optimizer_path(LANDSCAPES["bowl"], name)
        assert np.hypot(*bowl[-1]) < 0.5 * np.hypot(*bowl[0]), name
        saddle = optimizer_path(LANDSCAPES["saddle"], name)
        assert abs(saddle[-1, 1]) > 1.0, name  # escaped along y
    adam = optimizer_path(LANDSCAPES["rosenbrock"], "Adam")
    assert np.hypot(*(adam[-1] - 1.0)) < 0.1  # to Rosenbrock's minimum at (1, 1)


def test_one_panel_per_landscape_one_line_per_optimizer(tmp_path):
    figure = landscapes.optimizer_paths(tmp_path / "o.png", landscapes=("saddle", "bowl"),
                                        steps=20)
    check_png(tmp_path / "o.png", figure)
    assert [ax.get_label() for ax in figure.axes] == ["saddle", "bowl"]
    for ax in figure.axes:
        labels = [line.get_label() for line in ax.get_lines() if "lr" in line.get_label()]
        assert [label.split(" (")[0] for label in labels] == list(OPTIMIZERS)
    with pytest.raises(ValueError, match="unknown landscape 'moon'"):
        landscapes.optimizer_paths(landscapes=("moon",))
    with pytest.raises(ValueError, match="unknown optimizer 'Lion'"):
        landscapes.make_optimizer("Lion", [], 0.1)
