"""Optimizers on a landscape: the paths of SGD, momentum, Nesterov, AdaGrad, RMSprop and Adam.

Each optimizer is shenjing's own, stepping one 2-parameter tensor ``(x, y)`` down a function
written with shenjing's operations, so the picture shows exactly what they do in training:
on a saddle ``x^2 - y^2`` (who escapes, and how fast), along Rosenbrock's curved valley, and
down an elongated bowl (where momentum helps and plain SGD zigzags).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from shenjing.viz.canvas import CLASS_COLORS, finish, new_figure

OPTIMIZERS = ("SGD", "momentum", "Nesterov", "AdaGrad", "RMSprop", "Adam")


@dataclass
class Landscape:
    """A function of ``(x, y)`` on tensors, where to start, what to show, and a learning rate
    per optimizer (each tuned so that its path is typical, not its best)."""

    name: str
    function: Callable
    start: tuple[float, float]
    extent: tuple[float, float, float, float]  # left, right, bottom, top
    lr: dict[str, float] = field(default_factory=dict)
    steps: int = 100
    minimum: tuple[float, float] | None = None
    log_levels: bool = False


def _saddle(x, y):
    return x * x - y * y


def _rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def _bowl(x, y):
    return 0.1 * x * x + 2 * y * y


LANDSCAPES = {
    "saddle": Landscape("saddle x^2 - y^2", _saddle, (-1.8, 1e-3), (-2.0, 2.0, -2.0, 2.0),
                        {"SGD": 0.05, "momentum": 0.01, "Nesterov": 0.01, "AdaGrad": 0.2,
                         "RMSprop": 0.02, "Adam": 0.05}, steps=120),
    "rosenbrock": Landscape("Rosenbrock (1 - x)^2 + 100 (y - x^2)^2", _rosenbrock, (-1.5, 2.0),
                            (-2.0, 2.0, -1.0, 3.0),
                            {"SGD": 1.5e-3, "momentum": 4e-4, "Nesterov": 4e-4, "AdaGrad": 0.5,
                             "RMSprop": 0.01, "Adam": 0.05}, steps=1000, minimum=(1.0, 1.0),
                            log_levels=True),
    "bowl": Landscape("elongated bowl 0.1 x^2 + 2 y^2", _bowl, (-4.5, 1.5),
                      (-5.0, 5.0, -2.5, 2.5),
                      {"SGD": 0.45, "momentum": 0.05, "Nesterov": 0.05, "AdaGrad": 1.0,
                       "RMSprop": 0.05, "Adam": 0.2}, steps=100, minimum=(0.0, 0.0)),
}


def make_optimizer(name: str, params, lr: float):
    """Shenjing's optimizer called ``name`` (one of ``OPTIMIZERS``) over ``params``."""
    from shenjing import optim

    makers = {
        "SGD": lambda: optim.SGD(params, lr=lr),
        "momentum": lambda: optim.SGD(params, lr=lr, momentum=0.9),
        "Nesterov": lambda: optim.SGD(params, lr=lr, momentum=0.9, nesterov=True),
        "AdaGrad": lambda: optim.Adagrad(params, lr=lr),
        "RMSprop": lambda: optim.RMSprop(params, lr=lr),
        "Adam": lambda: optim.Adam(params, lr=lr),
    }
    if name not in makers:
        raise ValueError(f"unknown optimizer {name!r}; choose from {', '.join(OPTIMIZERS)}")
    return makers[name]()


def optimizer_path(landscape: Landscape, optimizer: str, steps: int | None = None,
                   lr: float | None = None):
    """The points ``(steps + 1, 2)`` (a NumPy array) an optimizer visits from the start; it
    stops early when it leaves the picture far behind or the value stops being finite.

    >>> path = optimizer_path(LANDSCAPES["bowl"], "Adam", steps=200)
    >>> path.shape, bool(abs(path[-1]).max() < 0.1)
    ((201, 2), True)
    """
    import math

    import numpy

    from shenjing.backend import dtype
    from shenjing.creation import tensor
    from shenjing.nn.parameter import Parameter

    point = Parameter(tensor(landscape.start, dtype=dtype.float64))
    step_size = lr if lr is not None else landscape.lr[optimizer]
    opt = make_optimizer(optimizer, [point], step_size)
    left, right, bottom, top = landscape.extent
    span = max(right - left, top - bottom)
    visited = [tuple(landscape.start)]
    for _ in range(steps or landscape.steps):
        value = landscape.function(point[0], point[1])
        opt.zero_grad()
        value.backward()
        opt.step()
        x, y = point.tolist()
        if not (math.isfinite(x) and math.isfinite(y)):
            break
        visited.append((x, y))
        if not (left - span <= x <= right + span and bottom - span <= y <= top + span):
            break  # gone: the rest would not be on the picture
    return numpy.array(visited)


def _contours(ax, landscape: Landscape) -> None:
    import numpy

    from shenjing.creation import tensor

    left, right, bottom, top = landscape.extent
    xs = numpy.linspace(left, right, 200)
    ys = numpy.linspace(bottom, top, 200)
    gx, gy = numpy.meshgrid(xs, ys)
    z = landscape.function(tensor(gx), tensor(gy)).numpy()
    if landscape.log_levels:
        # the valley is shallow and the walls steep: levels evenly spaced in log(value)
        z = numpy.log10(z + 1e-2)
    ax.contourf(xs, ys, z, levels=12, cmap="Greys", alpha=0.3)
    ax.contour(xs, ys, z, levels=12, colors="0.5", linewidths=0.5, linestyles="solid")


def optimizer_paths(path: str | Path | None = None, *,
                    landscapes: Sequence[str] = ("saddle", "rosenbrock", "bowl"),
                    optimizers: Sequence[str] = OPTIMIZERS, steps: int | None = None):
    """One panel per landscape: contours, and the path of each optimizer from the same start.

    Returns the Figure: one axes per landscape (labelled with its key), one line per
    optimizer in each (labelled with the optimizer's name and learning rate).
    """
    unknown = [name for name in landscapes if name not in LANDSCAPES]
    if unknown:
        raise ValueError(f"optimizer_paths: unknown landscape {unknown[0]!r}; choose from "
                         f"{', '.join(LANDSCAPES)}")
    figure = new_figure(4.6 * len(landscapes), 4.6)
    for i, key in enumerate(landscapes):
        landscape = LANDSCAPES[key]
        ax = figure.add_subplot(1, len(landscapes), i + 1, label=key)
        _contours(ax, landscape)
        for color, name in zip(CLASS_COLORS, optimizers):
            points = optimizer_path(landscape, name, steps)
            ax.plot(points[:, 0], points[:, 1], "-", color=color, linewidth=1.6,
                    label=f"{name} (lr {landscape.lr[name]:g})")
            ax.plot(points[-1, 0], points[-1, 1], "o", color=color, markersize=4)
        ax.plot(*landscape.start, "k^", markersize=7)
        if landscape.minimum is not None:
            ax.plot(*landscape.minimum, "k*", markersize=10)
        left, right, bottom, top = landscape.extent
        ax.set_xlim(left, right)
        ax.set_ylim(bottom, top)
        ax.set_title(f"{landscape.name}, {steps or landscape.steps} steps", fontsize=10)
        ax.legend(fontsize=7, loc="lower right" if key != "saddle" else "upper right")
    figure.suptitle("Optimizers on a landscape (start: triangle, minimum: star)", fontsize=11)
    return finish(figure, path)
