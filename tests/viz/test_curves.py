"""Training curves from a History, its dict, a history.json or a run folder."""

import json

import pytest

import shenjing as sj
from shenjing.viz import curves
from tests.viz import check_png


def _history():
    history = sj.train.History()
    for epoch, lr in zip(range(1, 6), (0.1, 0.1, 0.05, 0.05, 0.01)):
        history.append(epoch, {"loss": 1 / epoch, "accuracy": 1 - 0.5 / epoch,
                               "val_loss": 1.2 / epoch, "val_accuracy": 1 - 0.6 / epoch,
                               "lr": lr})
    return history


def test_one_panel_per_quantity_with_training_and_validation(tmp_path):
    figure = curves.training_curves(_history(), tmp_path / "c.png")
    check_png(tmp_path / "c.png", figure)
    assert [ax.get_label() for ax in figure.axes] == ["loss", "accuracy", "lr"]
    loss, accuracy, _ = figure.axes
    assert [line.get_label() for line in loss.get_lines()] == ["training", "validation"]
    assert list(loss.get_lines()[1].get_ydata()) == pytest.approx([1.2 / e for e in range(1, 6)])
    assert list(accuracy.get_lines()[0].get_xdata()) == [1, 2, 3, 4, 5]


def test_a_constant_learning_rate_gets_no_panel():
    history = sj.train.History()
    history.append(1, {"loss": 1.0, "lr": 0.1})
    history.append(2, {"loss": 0.5, "lr": 0.1})
    assert curves.curve_panels(history) == ["loss"]


def test_from_a_run_folder_and_its_history_file(tmp_path):
    _history().save(tmp_path / "history.json")
    assert len(curves.training_curves(tmp_path).axes) == 3
    assert len(curves.training_curves(tmp_path / "history.json").axes) == 3
    assert len(curves.training_curves(_history().to_dict()).axes) == 3


def test_missing_or_broken_histories_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="has no history.json"):
        curves.training_curves(tmp_path)
    with pytest.raises(FileNotFoundError, match="no history at"):
        curves.training_curves(tmp_path / "nope.json")
    (tmp_path / "h.json").write_text("not json")
    with pytest.raises(ValueError, match=r"h\.json is not a history"):
        curves.training_curves(tmp_path / "h.json")
    (tmp_path / "e.json").write_text(json.dumps({"epoch": []}))
    with pytest.raises(ValueError, match="holds no epochs"):
        curves.training_curves(tmp_path / "e.json")
