"""Learned weights as pictures: a tile per hidden neuron, a template per class.

A first-layer neuron of an image network computes ``w . x``: its weights have the shape of an
image, and drawn as one they show the pattern it responds to. Green is positive (ink there
raises the neuron's input), red negative, white near zero; each tile is scaled to its own
largest weight, centred on zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from shenjing.autograd.tensor import Tensor
from shenjing.nn.modules.module import Module
from shenjing.viz.canvas import diverging_colormap, finish, new_figure, to_numpy


def first_layer(model: Module) -> tuple[str, Module]:
    """The name and module of the first Linear or Conv2d layer of ``model``.

    >>> import shenjing as sj
    >>> first_layer(sj.models.MLP(784, [100], 10))
    ('1', Linear(in_features=784, out_features=100, bias=True))
    """
    from shenjing.nn.modules.conv import Conv2d
    from shenjing.nn.modules.linear import Linear

    for name, module in model.named_modules():
        if isinstance(module, (Linear, Conv2d)):
            return name, module
    raise ValueError(f"{type(model).__name__} has no Linear or Conv2d layer whose weights "
                     "could be drawn")


def _tile_shape(count: int, columns: int | None) -> tuple[int, int]:
    columns = columns or max(1, round(count ** 0.5 + 0.49))
    columns = min(columns, count)
    return -(-count // columns), columns


def weight_tiles(weights, image_shape: Sequence[int] | None = None,
                 path: str | Path | None = None, *, titles: Sequence[str] | None = None,
                 columns: int | None = None, title: str | None = None,
                 tile_inches: float = 0.9):
    """Draw each row of ``weights`` as an image tile; returns the Figure.

    ``weights`` is a tensor or array (K, D) (a Linear layer's weight: one row per neuron) or
    (K, C, H, W) (a Conv2d weight); ``image_shape`` reshapes rows of D numbers into (H, W) or
    (C, H, W). One-channel tiles use the red-white-green colormap centred on zero; three-channel
    tiles are shown in colour, each stretched to [0, 1]. The Figure holds exactly one axes per
    tile (labelled ``tile <k>``), then a colour bar for one-channel tiles.

    >>> import shenjing as sj
    >>> figure = weight_tiles(sj.randn(6, 16))  # six neurons of 4x4 inputs
    >>> [ax.get_label() for ax in figure.axes][:3], len(figure.axes)
    (['tile 0', 'tile 1', 'tile 2'], 7)
    """
    import numpy

    array = to_numpy(weights) if isinstance(weights, Tensor) else numpy.asarray(weights)
    count = array.shape[0]
    if image_shape is not None:
        try:
            array = array.reshape(count, *image_shape)
        except ValueError:
            raise ValueError(f"weight_tiles: rows of {array[0].size} weights do not make images "
                             f"of shape {tuple(image_shape)}") from None
    if array.ndim == 4 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim == 2:
        side = int(round(array.shape[1] ** 0.5))
        if side * side != array.shape[1]:
            raise ValueError(f"weight_tiles: rows of {array.shape[1]} weights are not square "
                             "images; pass image_shape")
        array = array.reshape(count, side, side)
    colour = array.ndim == 4
    if colour and array.shape[1] != 3:
        raise ValueError(f"weight_tiles: tiles of {array.shape[1]} channels cannot be drawn; "
                         "one or three channels can")
    if titles is not None and len(titles) != count:
        raise ValueError(f"weight_tiles: {len(titles)} titles for {count} tiles")
    rows, columns = _tile_shape(count, columns)
    extra = 0.25 if titles is not None else 0.0
    figure = new_figure(tile_inches * columns + (0.0 if colour else 0.8),
                        (tile_inches + extra) * rows + (0.45 if title else 0.1),
                        layout="compressed")
    grid = figure.add_gridspec(rows, columns)
    cmap = diverging_colormap()
    image = None
    for k in range(count):
        ax = figure.add_subplot(grid[k // columns, k % columns], label=f"tile {k}")
        tile = array[k]
        if colour:
            tile = tile.transpose(1, 2, 0)
            low, high = tile.min(), tile.max()
            ax.imshow((tile - low) / (high - low) if high > low else tile * 0 + 0.5)
        else:
            scale = float(numpy.abs(tile).max()) or 1.0
            image = ax.imshow(tile / scale, cmap=cmap, vmin=-1.0, vmax=1.0,
                              interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        if titles is not None:
            ax.set_title(str(titles[k]), fontsize=9)
    if image is not None:
        bar = figure.colorbar(image, ax=figure.axes, shrink=0.6, ticks=[-1, 0, 1])
        bar.ax.set_yticklabels(["-max", "0", "+max"], fontsize=8)
    if title:
        figure.suptitle(title, fontsize=11)
    return finish(figure, path)


def first_layer_weights(model: Module, image_shape: Sequence[int] | None = None,
                        path: str | Path | None = None, *, max_tiles: int | None = None,
                        title: str | None = None):
    """The weights of ``model``'s first Linear (or Conv2d) layer, a tile per neuron (filter).

    For a 784-100-10 MNIST network: 100 tiles of 28x28. ``max_tiles`` draws only the first ones.
    """
    name, layer = first_layer(model)
    weight = layer.weight
    if max_tiles is not None:
        weight = weight[:max_tiles]
    kind = type(layer).__name__
    title = title or f"First-layer weights ({kind} {name}): one tile per neuron"
    return weight_tiles(weight, image_shape, path, title=title)


def class_templates(classifier, path: str | Path | None = None, *,
                    class_names: Sequence[str] | None = None, image_shape=None,
                    title: str | None = "What a linear classifier learned: one template a class"):
    """The templates of a fitted ``sj.classic.LinearClassifier``: each class's row of W as an
    image (``classifier.templates()``), titled with the class names (default: its labels)."""
    templates = classifier.templates(image_shape)
    if class_names is None:
        class_names = [str(c) for c in classifier.classes_.tolist()]
    return weight_tiles(templates, path=path, titles=class_names, columns=5, title=title,
                        tile_inches=1.3)
