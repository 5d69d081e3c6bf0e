"""History: what each epoch of training measured, as lists by name; saved as JSON."""

from __future__ import annotations

import json
import math
from pathlib import Path


class History:
    """Per-epoch values: ``history["loss"]``, ``history["val_accuracy"]``, ``history.epochs``.

    Like the ``History`` that Keras's ``fit`` returns.

    >>> h = History()
    >>> h.append(1, {"loss": 0.5, "val_loss": 0.6})
    >>> h["loss"], h.epochs
    ([0.5], [1])
    """

    def __init__(self, data: dict | None = None):
        data = data or {}
        self.epochs: list[int] = list(data.get("epoch", []))
        self.history: dict[str, list[float]] = {k: list(v) for k, v in data.items()
                                                if k != "epoch"}

    def append(self, epoch: int, logs: dict) -> None:
        """Record the values of one epoch."""
        self.epochs.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(float(value))

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    def __contains__(self, key: str) -> bool:
        return key in self.history

    def keys(self):
        """The names of the recorded values."""
        return self.history.keys()

    def to_dict(self) -> dict:
        """``{"epoch": [...], "loss": [...], ...}``."""
        return {"epoch": list(self.epochs), **{k: list(v) for k, v in self.history.items()}}

    def save(self, path: str | Path) -> None:
        """Write the history as JSON (non-finite values as null)."""
        clean = {k: [None if isinstance(v, float) and not math.isfinite(v) else v for v in vs]
                 for k, vs in self.to_dict().items()}
        from shenjing.serialization import save_json

        save_json(clean, path)

    @classmethod
    def load(cls, path: str | Path) -> History:
        """Read a history written by ``save`` (and by ``shenjing train``)."""
        data = json.loads(Path(path).read_text())
        return cls({k: [math.nan if v is None else v for v in vs] for k, vs in data.items()})

    def __repr__(self) -> str:
        last = {k: round(v[-1], 4) for k, v in self.history.items() if v}
        return f"History(epochs={len(self.epochs)}, last={last})"
