"""A CNN's filters and the feature maps of one image, caught by forward hooks."""

import numpy as np
import pytest

import shenjing as sj
from shenjing.viz import features
from tests.viz import check_png


def _cnn():
    sj.manual_seed(0)
    return sj.nn.Sequential(
        sj.nn.Conv2d(1, 4, 3, padding=1), sj.nn.ReLU(), sj.nn.MaxPool2d(2),
        sj.nn.Conv2d(4, 6, 3, padding=1),  # no activation after this one
        sj.nn.Flatten(), sj.nn.Linear(6 * 4 * 4, 3))


def test_feature_maps_are_each_conv_layer_s_activations():
    model = _cnn()
    image = sj.randn(1, 8, 8)
    maps = features.feature_maps_of(model, image)
    assert [(name, m.shape) for name, m in maps] == [("0", (4, 8, 8)), ("3", (6, 4, 4))]
    with sj.no_grad():
        after_relu = model[1](model[0](image.unsqueeze(0)))[0]
        conv2 = model[3](model[2](after_relu.unsqueeze(0)))[0]
    np.testing.assert_array_equal(maps[0][1].numpy(), after_relu.numpy())  # after the ReLU
    np.testing.assert_array_equal(maps[1][1].numpy(), conv2.numpy())  # the conv's own output
    assert all(not m._forward_hooks for m in model.modules())  # the hooks are gone
    # a bare Conv2d as the model: named by its class, not by its empty name
    assert [name for name, _ in features.feature_maps_of(model[0], image)] == ["Conv2d"]


def test_the_feature_map_figure_holds_every_map(tmp_path):
    model = _cnn()
    figure = features.feature_maps(model, sj.randn(1, 8, 8), tmp_path / "f.png", max_maps=5)
    check_png(tmp_path / "f.png", figure)
    labels = [ax.get_label() for ax in figure.axes]
    assert labels[0] == "input"
    assert labels[1:] == [f"0 map {k}" for k in range(4)] + [f"3 map {k}" for k in range(5)]


def test_filters_are_tiles_of_the_first_conv(tmp_path):
    model = _cnn()
    figure = features.conv_filters(model, tmp_path / "k.png")
    check_png(tmp_path / "k.png", figure, min_variance=20)
    tiles = [ax for ax in figure.axes if ax.get_label().startswith("tile")]
    assert len(tiles) == 4 and tiles[0].images[0].get_array().shape == (3, 3)
    deeper = features.conv_filters(model, layer="3")
    assert len([ax for ax in deeper.axes if ax.get_label().startswith("tile")]) == 6
    with pytest.raises(ValueError, match="no Conv2d named '9'"):
        features.conv_filters(model, layer="9")


def test_models_without_convolutions_and_batches_are_refused():
    with pytest.raises(ValueError, match="has no Conv2d"):
        features.feature_maps(sj.models.MLP(4, [3], 2), sj.randn(1, 2, 2))
    with pytest.raises(ValueError, match=r"one image \(C, H, W\)"):
        features.feature_maps(_cnn(), sj.randn(2, 1, 8, 8))
