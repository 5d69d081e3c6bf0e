"""Decision surfaces of 2-D classifiers: one network, a row of widths, and training as a GIF.

The colour of each point of the plane mixes the class colours by the network's softmax
probabilities there: pure colours where it is sure, blends along the boundaries. The data points
sit on top in their own class colours, ringed in black.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from shenjing.autograd.grad_mode import no_grad
from shenjing.autograd.tensor import Tensor
from shenjing.nn.modules.module import Module
from shenjing.viz.canvas import CLASS_COLORS, check_suffix, finish, new_figure, to_numpy

RESOLUTION = 150  # grid points along each axis of the plane


def fit_points(model: Module, X: Tensor, y: Tensor, steps: int = 500, lr: float = 0.03,
               on_step=None) -> float:
    """Train ``model`` on all the points at once with Adam for ``steps`` steps; the accuracy.

    ``on_step(step)`` runs after each step (the animation draws frames from it). Small 2-D sets
    fit in one batch, so full-batch steps are the quickest way to a converged surface.
    """
    from shenjing.ops.loss import cross_entropy
    from shenjing.optim.adam import Adam

    optimizer = Adam(model.parameters(), lr=lr)
    model.train()
    for step in range(1, steps + 1):
        loss = cross_entropy(model(X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if on_step is not None:
            on_step(step)
    return accuracy(model, X, y)


@no_grad()
def accuracy(model: Module, X: Tensor, y: Tensor) -> float:
    """The fraction of points ``model`` classifies correctly (in eval mode)."""
    was_training = model.training
    model.eval()
    try:
        return float((model(X).argmax(dim=1) == y).float().mean().item())
    finally:
        model.train(was_training)


def plane_extent(X, margin: float = 0.15) -> tuple[float, float, float, float]:
    """(left, right, bottom, top) around the points ``X`` (N, 2), with a margin.

    >>> import shenjing as sj
    >>> plane_extent(sj.tensor([[0.0, 0.0], [1.0, 2.0]]), margin=0.5)
    (-0.5, 1.5, -1.0, 3.0)
    """
    points = to_numpy(X) if isinstance(X, Tensor) else X
    (x0, y0), (x1, y1) = points.min(axis=0), points.max(axis=0)
    dx, dy = (x1 - x0) * margin or 1.0, (y1 - y0) * margin or 1.0
    return float(x0 - dx), float(x1 + dx), float(y0 - dy), float(y1 + dy)


@no_grad()
def class_probabilities(model: Module, extent, resolution: int = RESOLUTION):
    """The model's softmax probabilities on a grid over ``extent``: (resolution, resolution, C),
    row 0 at the bottom."""
    import numpy

    from shenjing.creation import tensor
    from shenjing.ops.activation import softmax

    left, right, bottom, top = extent
    xs = numpy.linspace(left, right, resolution)
    ys = numpy.linspace(bottom, top, resolution)
    grid = numpy.stack(numpy.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    parameter = next(model.parameters(), None)
    dtype = parameter.dtype if parameter is not None else None
    device = parameter.device if parameter is not None else None
    was_training = model.training
    model.eval()
    try:
        scores = model(tensor(grid, dtype=dtype, device=device))
    finally:
        model.train(was_training)
    if scores.ndim != 2:
        raise ValueError(f"decision_surface: the model must map (N, 2) points to (N, C) class "
                         f"scores, got an output of shape {scores.shape}")
    return to_numpy(softmax(scores, dim=1)).reshape(resolution, resolution, -1)


def _rgb(colors: Sequence[str]):
    import numpy
    from matplotlib.colors import to_rgb

    return numpy.array([to_rgb(c) for c in colors])


def draw_surface(ax, model: Module, X: Tensor, y: Tensor, extent=None,
                 resolution: int = RESOLUTION, title: str | None = None,
                 smooth: bool = True) -> None:
    """Draw ``model``'s decision surface and the points ``X``, ``y`` into the axes ``ax``
    (``smooth=False``: grid cells as flat squares, which GIFs store far more compactly)."""
    import numpy

    extent = extent or plane_extent(X)
    probabilities = class_probabilities(model, extent, resolution)
    classes = probabilities.shape[-1]
    if classes > len(CLASS_COLORS):
        raise ValueError(f"decision_surface: at most {len(CLASS_COLORS)} classes can be told "
                         f"apart by colour, the model gives {classes}")
    colors = _rgb(CLASS_COLORS[:classes])
    mixed = probabilities @ colors
    background = 1.0 - 0.55 * (1.0 - mixed)  # paler than the points drawn on top
    ax.imshow(background, origin="lower", extent=extent,
              interpolation="bilinear" if smooth else "nearest",
              aspect="auto")
    xs = numpy.linspace(extent[0], extent[1], resolution)
    ys = numpy.linspace(extent[2], extent[3], resolution)
    for c in range(classes if classes > 1 else 0):
        # The boundary of class c: where its probability meets the best of the others. A
        # smooth function's zero line, where the winner's label would give stairs.
        others = numpy.delete(probabilities, c, axis=-1).max(axis=-1)
        margin = probabilities[..., c] - others
        if margin.min() < 0 < margin.max():
            ax.contour(xs, ys, margin, levels=[0.0], colors="0.25", linewidths=0.8)
    points, labels = to_numpy(X), to_numpy(y).astype(int)
    ax.scatter(points[:, 0], points[:, 1], c=colors[labels % len(colors)], s=9,
               edgecolors="black", linewidths=0.3)
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=10)


def decision_surface(model: Module, X: Tensor, y: Tensor, path: str | Path | None = None, *,
                     title: str | None = None, resolution: int = RESOLUTION):
    """The decision surface of a 2-D classifier with its data points; returns the Figure.

    ``model`` maps points (N, 2) to class scores (N, C); ``X`` (N, 2) and integer ``y`` (N,)
    are drawn on top. Written to ``path`` (PNG or SVG by the suffix) when given.

    >>> import shenjing as sj
    >>> X, y = sj.datasets.quadrants(40)
    >>> figure = decision_surface(sj.models.quadrants_net(), X, y)
    >>> len(figure.axes), len(figure.axes[0].collections[-1].get_offsets())
    (1, 40)
    """
    figure = new_figure(4.2, 4.2)
    ax = figure.add_subplot()
    draw_surface(ax, model, X, y, resolution=resolution, title=title)
    return finish(figure, path)


def universal_approximation(X: Tensor, y: Tensor, hidden: Sequence[int] = (1, 2, 4, 8, 16, 32),
                            path: str | Path | None = None, *, activation: str = "tanh",
                            steps: int = 1500, lr: float = 0.03, seed: int = 0,
                            columns: int = 3):
    """Train one 2-h-C network per width ``h`` in ``hidden`` and draw their surfaces side by
    side: with more hidden neurons the boundary can bend more (the universal-approximation
    picture). Returns the Figure; its first ``len(hidden)`` axes are the surfaces, in order."""
    from shenjing.backend import manual_seed
    from shenjing.models.mlp import MLP

    if not hidden:
        raise ValueError("universal_approximation: hidden must name at least one width")
    classes = int(y.max().item()) + 1
    columns = min(columns, len(hidden))
    rows = -(-len(hidden) // columns)
    figure = new_figure(3.0 * columns, 3.1 * rows)
    extent = plane_extent(X)
    for i, width in enumerate(hidden):
        manual_seed(seed + i)
        model = MLP(2, [width], classes, activation)
        score = fit_points(model, X, y, steps, lr)
        ax = figure.add_subplot(rows, columns, i + 1)
        noun = "neuron" if width == 1 else "neurons"
        draw_surface(ax, model, X, y, extent, title=f"{width} hidden {noun}: {100 * score:.0f} %")
    figure.suptitle(f"2-h-{classes} {activation} networks: more neurons, more bends")
    return finish(figure, path)


def training_animation(model: Module, X: Tensor, y: Tensor, path: str | Path, *,
                       steps: int = 300, frames: int = 30, lr: float = 0.03, fps: int = 8,
                       dpi: int = 72) -> int:
    """Write a GIF of ``model``'s decision surface while it trains (full-batch Adam) on
    ``X``, ``y``: one frame before training and then every ``steps // frames`` steps, the last
    one held for a second. Written by Pillow; returns the number of frames."""
    import numpy

    path = check_suffix(path, (".gif",))
    if frames < 1 or steps < frames:
        raise ValueError(f"training_animation: need 1 <= frames <= steps, got frames={frames}, "
                         f"steps={steps}")
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("writing a GIF needs Pillow: pip install 'shenjing[plots]'") from None
    path.parent.mkdir(parents=True, exist_ok=True)
    figure = new_figure(3.6, 3.8)
    figure.set_dpi(dpi)
    ax = figure.add_subplot()
    extent = plane_extent(X)
    every = steps // frames
    images = []

    def frame(step: int) -> None:
        if step % every and step != steps:
            return
        ax.clear()
        title = f"step {step}: {100 * accuracy(model, X, y):.0f} % right"
        draw_surface(ax, model, X, y, extent, resolution=80, title=title)
        figure.canvas.draw()
        rgb = Image.fromarray(numpy.asarray(figure.canvas.buffer_rgba())).convert("RGB")
        # A palette without dithering: flat areas stay flat and the GIF stays small.
        images.append(rgb.quantize(256, method=Image.Quantize.FASTOCTREE,
                                   dither=Image.Dither.NONE))

    frame(0)
    fit_points(model, X, y, steps, lr, on_step=frame)
    durations = [round(1000 / fps)] * (len(images) - 1) + [1000]
    images[0].save(path, save_all=True, append_images=images[1:], duration=durations, loop=0,
                   optimize=True)
    return len(images)
