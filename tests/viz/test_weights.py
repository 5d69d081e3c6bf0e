"""Learned weights as pictures: one tile per neuron, one template per class."""

import numpy as np
import pytest

import shenjing as sj
from shenjing.viz import weights
from tests.viz import check_png


def _tiles(figure):
    return [ax for ax in figure.axes if ax.get_label().startswith("tile ")]


def test_first_layer_weights_give_one_tile_per_hidden_neuron(tmp_path):
    model = sj.models.MLP(784, [12], 10)
    figure = weights.first_layer_weights(model, (28, 28), tmp_path / "w.png")
    check_png(tmp_path / "w.png", figure)
    tiles = _tiles(figure)
    assert len(tiles) == 12
    W = model[1].weight.detach().numpy()
    for k, ax in enumerate(tiles):
        (image,) = ax.images
        shown = image.get_array()
        assert shown.shape == (28, 28)
        # centred on zero: each tile scaled by its largest |w|, drawn from -1 (red) to 1 (green)
        assert image.get_clim() == (-1.0, 1.0)
        np.testing.assert_allclose(shown, W[k].reshape(28, 28) / np.abs(W[k]).max(), rtol=1e-6)
    assert len(figure.axes) == 13  # and one colour bar


def test_max_tiles_and_conv_kernels(tmp_path):
    model = sj.models.MLP(16, [9], 2)
    assert len(_tiles(weights.first_layer_weights(model, max_tiles=4))) == 4  # 16 = 4x4 images
    conv = sj.nn.Conv2d(1, 6, 3)
    assert len(_tiles(weights.weight_tiles(conv.weight))) == 6
    colour = sj.nn.Conv2d(3, 5, 3)
    figure = weights.weight_tiles(colour.weight)
    assert len(_tiles(figure)) == 5 and figure.axes[0].images[0].get_array().shape == (3, 3, 3)


def test_class_templates_of_a_linear_classifier(tmp_path):
    rng = np.random.default_rng(0)
    # Three classes of 6x6 "images", each a bright bar in its own place.
    X = rng.normal(0, 0.1, (90, 6, 6)).astype(np.float32)
    y = np.repeat([3, 5, 7], 30)
    for i, label in enumerate(y):
        X[i, (label - 3), :] += 1.0
    classifier = sj.classic.LinearClassifier("softmax", lr=0.5, epochs=20, batch_size=30)
    classifier.fit(sj.tensor(X), sj.tensor(y))
    figure = weights.class_templates(classifier, tmp_path / "t.png")
    check_png(tmp_path / "t.png", figure)
    tiles = _tiles(figure)
    assert [ax.get_title() for ax in tiles] == ["3", "5", "7"]
    for ax, row in zip(tiles, (0, 2, 4)):
        shown = ax.images[0].get_array()
        assert shown[row].mean() == shown.mean(axis=1).max()  # each template finds its bar
    named = weights.class_templates(classifier, class_names=["three", "five", "seven"])
    assert [ax.get_title() for ax in _tiles(named)] == ["three", "five", "seven"]


def test_shapes_that_are_not_images_are_named():
    with pytest.raises(ValueError, match=r"rows of 10 weights do not make images of shape"):
        weights.weight_tiles(np.zeros((3, 10)), (3, 3))
    with pytest.raises(ValueError, match="not square images"):
        weights.weight_tiles(np.zeros((3, 10)))
    with pytest.raises(ValueError, match="has no Linear or Conv2d"):
        weights.first_layer_weights(sj.nn.Sequential(sj.nn.ReLU()))
