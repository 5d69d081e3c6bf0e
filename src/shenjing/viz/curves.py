"""Training curves: loss and metrics per epoch, training against validation.

From a ``History`` (what ``sj.train.fit`` returns), its dict, a ``history.json`` file, or the run
folder ``shenjing train`` writes (which holds ``history.json``).
"""

from __future__ import annotations

import json
from pathlib import Path

from shenjing.train.history import History
from shenjing.viz.canvas import CLASS_COLORS, finish, new_figure


def load_history(source) -> History:
    """A History from a History, a dict of lists, a history.json file or a run folder."""
    if isinstance(source, History):
        return source
    if isinstance(source, dict):
        return History(source)
    path = Path(source)
    if path.is_dir():
        path = path / "history.json"
        if not path.exists():
            raise FileNotFoundError(f"{path.parent} has no history.json: is it a run folder "
                                    "written by `shenjing train`?")
    elif not path.exists():
        raise FileNotFoundError(f"no history at {path}: give a run folder written by "
                                "`shenjing train` or its history.json")
    try:
        return History.load(path)
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError, TypeError) as exc:
        raise ValueError(f"{path} is not a history written by `shenjing train` "
                         f"({exc})") from None


def curve_panels(history: History) -> list[str]:
    """The quantities to draw, one panel each: loss first, then each metric, then the learning
    rate when it changed. A panel shows ``name`` and ``val_name`` where either was logged.

    >>> curve_panels(load_history({"epoch": [1, 2], "val_accuracy": [0.8, 0.9],
    ...                            "loss": [0.5, 0.4], "lr": [0.1, 0.01]}))
    ['loss', 'accuracy', 'lr']
    """
    names = []
    for key in history.keys():
        base = key[4:] if key.startswith("val_") else key
        if base not in names and base != "lr":
            names.append(base)
    names.sort(key=lambda n: n != "loss")
    if "lr" in history and len(set(history["lr"])) > 1:
        names.append("lr")
    return names


def training_curves(source, path: str | Path | None = None, *, title: str | None = None):
    """Loss and metrics per epoch, training (solid) against validation (dashed).

    ``source``: a History, a dict, a history.json file or a run folder. Returns the Figure, one
    axes per quantity (loss, accuracy, ..., the learning rate if it was scheduled), in the order
    of ``curve_panels``; each axes is labelled with its quantity.
    """
    history = load_history(source)
    panels = curve_panels(history)
    if not panels or not history.epochs:
        raise ValueError(f"training_curves: the history of {source!r} holds no epochs")
    figure = new_figure(3.6 * len(panels), 3.2)
    epochs = history.epochs
    for i, name in enumerate(panels):
        ax = figure.add_subplot(1, len(panels), i + 1, label=name)
        for key, style, label in ((name, "-", "training"), (f"val_{name}", "--", "validation")):
            if key in history:
                color = CLASS_COLORS[0] if style == "-" else CLASS_COLORS[1]
                ax.plot(epochs, history[key], style, color=color, marker="o", markersize=3,
                        label=label if name != "lr" else None)
        if name in ("loss", "lr"):
            ax.set_yscale("log")
        ax.set_title("learning rate" if name == "lr" else name, fontsize=10)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        if name != "lr":
            ax.legend(fontsize=8)
    if title is None and not isinstance(source, (History, dict)):
        title = f"Training curves of {source}"
    if title:
        figure.suptitle(title, fontsize=11)
    return finish(figure, path)
