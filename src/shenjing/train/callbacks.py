"""Callbacks: code that runs at points of the training loop (early stopping, checkpoints)."""

from __future__ import annotations

import math
from pathlib import Path


class Callback:
    """Base class: override the hooks you need. ``state`` is the running ``TrainingState``."""

    def on_train_begin(self, state) -> None:
        pass

    def on_epoch_begin(self, state) -> None:
        pass

    def on_after_backward(self, state) -> None:
        """Called when the step's gradients are computed, before clipping and the update."""

    def on_batch_end(self, state, logs: dict) -> None:
        pass

    def on_epoch_end(self, state, logs: dict) -> None:
        pass

    def on_train_end(self, state) -> None:
        """Called however training ends: epochs used up, stopped early, or an error."""

    def state_dict(self) -> dict:
        """What a resumed run needs of this callback (saved with ``fit(..., save_last=...)``).

        Like PyTorch Lightning's ``Callback.state_dict``; stateless callbacks keep ``{}``.
        """
        return {}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore what ``state_dict`` returned; called after ``on_train_begin`` on resume."""


class _Monitor(Callback):
    """Shared by callbacks that watch one logged value for improvement."""

    def __init__(self, monitor: str, mode: str, min_delta: float):
        if mode == "auto":
            mode = "max" if "acc" in monitor else "min"
        if mode not in ("min", "max"):
            raise ValueError(f"{type(self).__name__}: mode must be 'min', 'max' or 'auto', "
                             f"got {mode!r}")
        self.monitor, self.mode, self.min_delta = monitor, mode, abs(min_delta)
        self.best = math.inf if mode == "min" else -math.inf

    def _value(self, logs: dict) -> float:
        if self.monitor not in logs:
            raise KeyError(f"{type(self).__name__}: monitor {self.monitor!r} is not logged; "
                           f"logged values: {sorted(logs)} (val_* needs a val_loader)")
        return float(logs[self.monitor])

    def _improved(self, value: float) -> bool:
        if math.isnan(value):
            return False
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta


class EarlyStopping(_Monitor):
    """Stop when ``monitor`` has not improved for ``patience`` epochs; keep the best weights.

    With ``restore_best_weights`` the model ends with the weights of its best epoch however
    training ends (patience exhausted, epochs used up, or an error). Like Keras's EarlyStopping.

    >>> EarlyStopping(monitor="val_accuracy", patience=3).mode
    'max'
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 5, mode: str = "auto",
                 min_delta: float = 0.0, restore_best_weights: bool = True):
        super().__init__(monitor, mode, min_delta)
        self.patience, self.restore_best_weights = patience, restore_best_weights
        self.wait = 0
        self.best_epoch: int | None = None
        self.stopped_epoch: int | None = None
        self._best_state: dict | None = None

    def on_train_begin(self, state) -> None:
        self.wait, self.best_epoch, self.stopped_epoch, self._best_state = 0, None, None, None
        self.best = math.inf if self.mode == "min" else -math.inf

    def on_epoch_end(self, state, logs: dict) -> None:
        value = self._value(logs)
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, state.epoch, 0
            if self.restore_best_weights:
                self._best_state = {k: v.clone() for k, v in state.model.state_dict().items()}
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = state.epoch
            state.stop_training = True
            state.log(f"early stopping at epoch {state.epoch}: {self.monitor} has not improved "
                      f"for {self.patience} epochs (best {self.best:.4f} at epoch "
                      f"{self.best_epoch})")

    def state_dict(self) -> dict:
        return {"best": self.best, "wait": self.wait, "best_epoch": self.best_epoch,
                "stopped_epoch": self.stopped_epoch, "best_state": self._best_state}

    def load_state_dict(self, state_dict: dict) -> None:
        self.best, self.wait = float(state_dict["best"]), int(state_dict["wait"])
        self.best_epoch, self.stopped_epoch = state_dict["best_epoch"], state_dict["stopped_epoch"]
        self._best_state = state_dict["best_state"]

    def on_train_end(self, state) -> None:
        if self.restore_best_weights and self._best_state is not None:
            state.model.load_state_dict(self._best_state)
            state.log(f"restored the weights of epoch {self.best_epoch} "
                      f"({self.monitor} {self.best:.4f})")


class ModelCheckpoint(_Monitor):
    """Save the model (and the optimizer, to resume) after an epoch, atomically.

    ``path`` may hold ``{epoch}``. With ``save_best_only`` a file is written only when
    ``monitor`` improves. The file holds ``{"model", "optimizer", "epoch", monitor}`` as
    ``sj.save`` writes it, and ``metadata`` (a dict of your own, such as a run's id) under
    ``"metadata"`` when given.

    >>> ModelCheckpoint("best.safetensors").save_best_only
    True
    """

    def __init__(self, path: str | Path, monitor: str = "val_loss", mode: str = "auto",
                 save_best_only: bool = True, save_optimizer: bool = True,
                 metadata: dict | None = None):
        super().__init__(monitor, mode, 0.0)
        self.path, self.save_best_only, self.save_optimizer = str(path), save_best_only, \
            save_optimizer
        self.metadata = metadata
        self.saved: list[str] = []

    def on_epoch_end(self, state, logs: dict) -> None:
        value = self._value(logs) if self.save_best_only or self.monitor in logs else None
        if self.save_best_only:
            if not self._improved(value):
                return
            self.best = value
        from shenjing.serialization import save

        checkpoint = {"model": state.model.state_dict(), "epoch": state.epoch}
        if value is not None:
            checkpoint[self.monitor] = value
        if self.save_optimizer and state.optimizer is not None:
            checkpoint["optimizer"] = state.optimizer.state_dict()
        if self.metadata is not None:
            checkpoint["metadata"] = self.metadata
        path = self.path.format(epoch=state.epoch)
        save(checkpoint, path)
        self.saved.append(path)

    def state_dict(self) -> dict:
        return {"best": self.best, "saved": list(self.saved)}

    def load_state_dict(self, state_dict: dict) -> None:
        self.best, self.saved = float(state_dict["best"]), list(state_dict["saved"])
