"""Pictures of training health: what ``sj.train.GradientHealth`` recorded, and the vanishing
gradients of a deep sigmoid network next to a ReLU one.
"""

from __future__ import annotations

from pathlib import Path

from shenjing.nn.modules.module import Module
from shenjing.train.health import GradientHealth
from shenjing.viz.canvas import CLASS_COLORS, finish, new_figure, require_matplotlib


def _layer_colors(count: int):
    require_matplotlib()
    from matplotlib import colormaps

    cmap = colormaps["viridis"]
    return [cmap(i / max(count - 1, 1) * 0.9) for i in range(count)]


def training_health(health: GradientHealth, path: str | Path | None = None, *,
                    title: str | None = None):
    """Three panels over the training steps: each layer's gradient norm, each layer's
    update-to-weight ratio (the 1e-3 guide dashed), each ReLU's fraction of dead units.

    Returns the Figure; its axes are labelled 'grad_norm', 'update_ratio', 'dead_fraction'.
    """
    if not health.steps:
        raise ValueError("training_health: the GradientHealth callback recorded no steps; pass "
                         "it to fit(callbacks=[...]) first")
    panels = [("grad_norm", "gradient norm of each layer's weight", health.grad_norm, True),
              ("update_ratio", "update / weight per step", health.update_ratio, True),
              ("dead_fraction", "fraction of dead ReLU units", health.dead_fraction, False)]
    figure = new_figure(12, 3.4)
    for i, (key, heading, series, log) in enumerate(panels):
        ax = figure.add_subplot(1, 3, i + 1, label=key)
        colors = _layer_colors(len(series))
        for color, (name, values) in zip(colors, series.items()):
            ax.plot(health.steps, values, color=color, linewidth=1.2, label=f"layer {name}")
        if key == "update_ratio":
            ax.axhline(1e-3, color="0.4", linestyle="--", linewidth=0.8)
        if log:
            ax.set_yscale("log")
        else:
            ax.set_ylim(-0.05, 1.05)
        if not series:
            ax.text(0.5, 0.5, "no ReLU layers", ha="center", va="center",
                    transform=ax.transAxes)
        ax.set_title(heading, fontsize=10)
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
        if series and len(series) <= 12:
            ax.legend(fontsize=7)
    if title:
        figure.suptitle(title, fontsize=11)
    return finish(figure, path)


def deep_mlp(activation: str, depth: int = 8, width: int = 32, in_features: int = 2,
             classes: int = 2) -> Module:
    """A ``depth``-hidden-layer MLP, each layer with its textbook initialisation: Xavier
    (Glorot) for sigmoid and tanh, He (Kaiming) for ReLU; biases zero.

    >>> len(deep_mlp("sigmoid", depth=3, width=8))  # Flatten, 3 x (Linear, Sigmoid), Linear
    8
    """
    from shenjing.models.mlp import MLP
    from shenjing.nn import init
    from shenjing.nn.modules.linear import Linear

    model = MLP(in_features, [width] * depth, classes, activation)
    for module in model.modules():
        if isinstance(module, Linear):
            if activation == "relu":
                init.kaiming_normal_(module.weight, nonlinearity="relu")
            else:
                init.xavier_normal_(module.weight)
            init.zeros_(module.bias)
    return model


def gradient_flow(models: dict[str, Module], X, y, *, steps: int = 60, lr: float = 0.1,
                  batch_size: int = 64) -> dict[str, GradientHealth]:
    """Train each model (SGD, cross-entropy) for ``steps`` steps on ``X``, ``y`` with a
    ``GradientHealth`` callback; returns the callbacks by name."""
    from shenjing.data.dataloader import DataLoader
    from shenjing.data.dataset import TensorDataset
    from shenjing.ops.loss import cross_entropy
    from shenjing.optim.sgd import SGD
    from shenjing.train.loop import fit

    records = {}
    for name, model in models.items():
        loader = DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=True)
        epochs = -(-steps // len(loader))
        health = GradientHealth()
        optimizer = SGD(model.parameters(), lr=lr)
        fit(model, _first(loader, steps), loss=cross_entropy, optimizer=optimizer,
            epochs=epochs, metrics=(), callbacks=[health], verbose=False)
        records[name] = health
    return records


class _first:
    """A loader cut to ``steps`` batches in all, across epochs."""

    def __init__(self, loader, steps: int):
        self.loader, self.left = loader, steps

    def __iter__(self):
        for batch in self.loader:
            if self.left <= 0:
                return
            self.left -= 1
            yield batch


def gradient_flow_figure(records: dict[str, GradientHealth], path: str | Path | None = None, *,
                         title: str | None = None):
    """Compare networks' gradient flow: left, the mean gradient norm of each layer (first to
    last, log scale), one line per network; right, each network's first- and last-layer
    gradient norms over the steps. Axes labelled 'by_layer' and 'over_steps'."""
    import math

    figure = new_figure(10, 3.8)
    by_layer = figure.add_subplot(1, 2, 1, label="by_layer")
    over_steps = figure.add_subplot(1, 2, 2, label="over_steps")
    for color, (name, health) in zip(CLASS_COLORS, records.items()):
        means = []
        for values in health.grad_norm.values():
            finite = [v for v in values if math.isfinite(v) and v > 0]
            means.append(sum(finite) / len(finite) if finite else math.nan)
        by_layer.plot(range(1, len(means) + 1), means, "o-", color=color, label=name)
        layers = list(health.grad_norm)
        over_steps.plot(health.steps, health.grad_norm[layers[0]], color=color,
                        label=f"{name}: first layer")
        over_steps.plot(health.steps, health.grad_norm[layers[-1]], color=color,
                        linestyle="--", label=f"{name}: last layer")
    by_layer.set_yscale("log")
    by_layer.set_xlabel("layer with weights (1 = nearest the input, last = output)")
    by_layer.set_title("mean gradient norm of each layer's weight", fontsize=10)
    over_steps.set_yscale("log")
    over_steps.set_xlabel("step")
    over_steps.set_title("first and last layer over training", fontsize=10)
    for ax in (by_layer, over_steps):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    figure.suptitle(title or "Vanishing gradients: the same deep network with sigmoid and ReLU",
                    fontsize=11)
    return finish(figure, path)


def vanishing_gradients(path: str | Path | None = None, *, depth: int = 8, width: int = 32,
                        steps: int = 60, seed: int = 0):
    """The picture of vanishing gradients: a ``depth``-layer sigmoid MLP (Xavier init) and the
    same with ReLU (He init), trained for ``steps`` SGD steps on the two spirals; returns
    ``(figure, records)``, records being the ``GradientHealth`` of each network."""
    from shenjing.backend import manual_seed
    from shenjing.datasets.toy import spirals

    X, y = spirals(512, noise=0.05, seed=seed)
    models = {}
    for activation in ("sigmoid", "relu"):
        manual_seed(seed)
        models[activation] = deep_mlp(activation, depth, width)
    records = gradient_flow(models, X, y, steps=steps)
    title = (f"Vanishing gradients: {depth} hidden layers of {width}, sigmoid (Xavier init) "
             "against ReLU (He init)")
    return gradient_flow_figure(records, path, title=title), records
