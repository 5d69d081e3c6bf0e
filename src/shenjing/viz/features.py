"""What a trained CNN looks at: its filters, and the feature maps one image makes in each layer.

The maps are caught with forward hooks while the model classifies the image: for every Conv2d
layer, the output of the activation that follows it (the conv output itself when none does).
"""

from __future__ import annotations

from pathlib import Path

from shenjing.autograd.grad_mode import no_grad
from shenjing.autograd.tensor import Tensor
from shenjing.nn.modules.module import Module
from shenjing.viz.canvas import finish, new_figure, to_numpy
from shenjing.viz.weights import weight_tiles


def conv_layers(model: Module) -> list[tuple[str, Module]]:
    """``(name, layer)`` of every Conv2d in ``model``, in the order of ``named_modules``; a
    bare Conv2d passed as the model is named by its class (its own name is empty).

    >>> import shenjing as sj
    >>> [name for name, _ in conv_layers(sj.models.LeNet5())]
    ['0', '3']
    """
    from shenjing.nn.modules.conv import Conv2d

    layers = [(name or type(m).__name__, m) for name, m in model.named_modules()
              if isinstance(m, Conv2d)]
    if not layers:
        raise ValueError(f"{type(model).__name__} has no Conv2d layer")
    return layers


def conv_filters(model: Module, path: str | Path | None = None, *, layer: str | None = None,
                 max_filters: int = 64):
    """The kernels of ``model``'s first Conv2d (or of the one named ``layer``) as tiles.

    One-channel kernels are drawn red-white-green around zero, three-channel ones in colour;
    deeper layers (many input channels) show each kernel's first input channel.
    """
    layers = dict(conv_layers(model))
    name = layer if layer is not None else next(iter(layers))
    if name not in layers:
        raise ValueError(f"conv_filters: no Conv2d named {name!r}; the model has "
                         f"{', '.join(layers)}")
    weight = layers[name].weight[:max_filters]
    if weight.shape[1] not in (1, 3):
        weight = weight[:, :1]
    kh, kw = weight.shape[-2:]
    return weight_tiles(weight, path=path, columns=min(8, weight.shape[0]),
                        title=f"Filters of conv layer {name} ({kh}x{kw})", tile_inches=0.7)


def _activation_types():
    from shenjing.nn.modules import activation

    return tuple(getattr(activation, n) for n in ("ReLU", "Sigmoid", "Tanh", "LeakyReLU",
                                                   "PReLU", "ELU", "SELU", "GELU", "SiLU",
                                                   "Softplus"))


@no_grad()
def feature_maps_of(model: Module, image: Tensor) -> list[tuple[str, Tensor]]:
    """``(layer name, maps (C, H, W))`` for each Conv2d of ``model`` run on one ``image``
    (C, H, W): the activations after the layer (after its activation function, when the module
    called next is one)."""
    if image.ndim != 3:
        raise ValueError(f"feature_maps: expected one image (C, H, W), got shape {image.shape}")
    convs = {id(m): name for name, m in conv_layers(model)}
    activations = _activation_types()
    calls: list[tuple[Module, Tensor]] = []
    removers = [m.register_forward_hook(lambda m, args, out: calls.append((m, out)))
                for m in model.modules() if id(m) in convs or isinstance(m, activations)]
    was_training = model.training
    model.eval()
    try:
        model(image.unsqueeze(0))
    finally:
        model.train(was_training)
        for remove in removers:
            remove()
    maps = []
    for i, (module, out) in enumerate(calls):
        if id(module) not in convs:
            continue
        if i + 1 < len(calls) and isinstance(calls[i + 1][0], activations) \
                and calls[i + 1][1].shape == out.shape:
            out = calls[i + 1][1]
        maps.append((convs[id(module)], out[0]))
    return maps


def feature_maps(model: Module, image: Tensor, path: str | Path | None = None, *,
                 max_maps: int = 32, columns: int = 16, title: str | None = None):
    """The input image and, row by row, the feature maps of each conv layer for it.

    Returns the Figure: an axes labelled ``input``, then for each conv layer ``<name> map <k>``
    (up to ``max_maps`` a layer). Each map is shown in grey, scaled to its own maximum.
    """
    layers = feature_maps_of(model, image)
    shown = [(name, maps[:max_maps]) for name, maps in layers]
    columns = min(columns, max(len(maps) for _, maps in shown))
    # Placed by hand in inches: a title band, the input on the left, per layer a caption and
    # rows of tiles.
    tile, gap, caption, band, margin = 0.5, 0.06, 0.25, 0.4, 0.1
    input_side = 3 * tile
    rows = [-(-len(maps) // columns) for _, maps in shown]
    height = band + sum(caption + r * (tile + gap) for r in rows) + margin
    height = max(height, band + input_side + caption + margin)
    width = margin + input_side + 3 * margin + columns * (tile + gap) + margin
    figure = new_figure(width, height, layout=None)

    def place(left: float, top: float, w: float, h: float, label: str):
        box = (left / width, 1 - (top + h) / height, w / width, h / height)
        ax = figure.add_axes(box, label=label)
        ax.set_xticks([])
        ax.set_yticks([])
        return ax

    picture = to_numpy(image)
    ax = place(margin, band + caption, input_side, input_side, "input")
    if picture.shape[0] == 3:
        low, high = picture.min(), picture.max()
        ax.imshow(((picture - low) / (high - low + 1e-12)).transpose(1, 2, 0))
    else:
        ax.imshow(picture[0], cmap="gray")
    ax.set_title("input", fontsize=9)
    top = band
    left0 = margin + input_side + 3 * margin
    for (name, maps), (_, every_map), count in zip(shown, layers, rows):
        figure.text(left0 / width, 1 - (top + caption * 0.8) / height,
                    f"layer {name}: {len(maps)} of {every_map.shape[0]} maps, "
                    f"{maps.shape[1]}x{maps.shape[2]}", fontsize=8)
        top += caption
        for k, feature in enumerate(to_numpy(maps)):
            ax = place(left0 + (k % columns) * (tile + gap), top + (k // columns) * (tile + gap),
                       tile, tile, f"{name} map {k}")
            ax.imshow(feature, cmap="gray", vmin=min(0.0, float(feature.min())),
                      vmax=float(feature.max()) or 1.0)
        top += count * (tile + gap)
    figure.suptitle(title or "Feature maps: what each conv layer sees in one image",
                    fontsize=11, y=1 - 0.12 / height)
    return finish(figure, path)
