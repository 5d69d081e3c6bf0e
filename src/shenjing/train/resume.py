"""Resumable training: everything a run needs to continue, saved after each epoch and restored.

A training checkpoint (``fit(..., save_last=PATH)``, ``last.safetensors`` in a run folder)
holds the model, the optimizer, the scheduler, the epoch, the history, each callback's state
(early stopping's patience and best weights, the checkpoint's best value) and the random
generators: the ones ``sj.manual_seed`` seeds (shuffling, dropout, augmentation) and the data
loaders' own. ``fit(..., resume_from=PATH)`` restores all of it, so a run killed and resumed
ends with exactly the weights and history of the same run left alone.

Not saved: a generator private to a transform or a dataset (``generator=`` given to it), and
CuPy's generators, whose state stays on the GPU: a run that draws from those resumes with other
random numbers.
"""

from __future__ import annotations

import json
import os

from shenjing.backend import get_rng_state, set_rng_state
from shenjing.serialization import CheckpointError, load, save
from shenjing.train.history import History

KIND = "shenjing.training"
VERSION = 1


def save_training(path: str | os.PathLike, state, callbacks: list, scheduler,
                  loaders: list) -> None:
    """Write ``state`` (a ``TrainingState``) and what surrounds it to ``path``, atomically."""
    checkpoint = {
        "kind": KIND,
        "version": VERSION,
        "epoch": state.epoch,
        "epochs": state.epochs,
        "step": state.step,
        "stop_training": state.stop_training,
        "model": state.model.state_dict(),
        "optimizer": None if state.optimizer is None else state.optimizer.state_dict(),
        "scheduler": None if scheduler is None else scheduler.state_dict(),
        "history": state.history.to_dict(),
        "callbacks": [{"type": type(c).__name__, "state": c.state_dict()} for c in callbacks],
        # JSON text: generator states hold 128-bit integers
        "rng": json.dumps(get_rng_state()),
        "loaders": [json.dumps(_loader_state(loader)) for loader in loaders],
    }
    save(checkpoint, path)


def restore_training(path: str | os.PathLike, state, callbacks: list, scheduler,
                     loaders: list) -> list[dict]:
    """Load what ``save_training`` wrote into ``state``, the scheduler and the random
    generators; returns the callbacks' states, to load once their ``on_train_begin`` has run
    (which resets them). Raises ``CheckpointError`` for a file that is not a training
    checkpoint and ``ValueError`` for one that does not fit this training (other callbacks,
    other model)."""
    checkpoint = load(path)
    if not isinstance(checkpoint, dict) or checkpoint.get("kind") != KIND:
        raise CheckpointError(f"{path}: not a training checkpoint (it holds no training state "
                              "to resume from; write one with fit(..., save_last=PATH))")
    if checkpoint.get("version") != VERSION:
        raise CheckpointError(f"{path}: training checkpoint version {checkpoint.get('version')}"
                              f" is not {VERSION}")
    saved = [entry["type"] for entry in checkpoint["callbacks"]]
    names = [type(c).__name__ for c in callbacks]
    if saved != names:
        raise ValueError(f"resume: {path} was saved with callbacks {saved}, this training has "
                         f"{names}")
    if len(checkpoint["loaders"]) != len(loaders):
        raise ValueError(f"resume: {path} was saved with {len(checkpoint['loaders'])} data "
                         f"loaders, this training has {len(loaders)}")
    if (checkpoint["optimizer"] is None) != (state.optimizer is None) or \
            (checkpoint["scheduler"] is None) != (scheduler is None):
        raise ValueError(f"resume: {path} was saved with another optimizer or scheduler setup "
                         "(one of them is missing)")
    try:
        state.model.load_state_dict(checkpoint["model"])
    except (RuntimeError, KeyError) as exc:
        raise ValueError(f"resume: the model in {path} does not fit this model ({exc})") from None
    if state.optimizer is not None:
        state.optimizer.load_state_dict(checkpoint["optimizer"])
    if scheduler is not None:
        scheduler.load_state_dict(checkpoint["scheduler"])
    state.history = History(checkpoint["history"])
    state.epoch, state.step = int(checkpoint["epoch"]), int(checkpoint["step"])
    state.stop_training = bool(checkpoint["stop_training"])
    set_rng_state(json.loads(checkpoint["rng"]))
    for loader, text in zip(loaders, checkpoint["loaders"]):
        _set_loader_state(loader, json.loads(text))
    return [entry["state"] for entry in checkpoint["callbacks"]]


def _loader_state(loader):
    """The state of a loader's own generator (``DataLoader(generator=seed)``), else None."""
    bit_generator = getattr(getattr(loader, "generator", None), "bit_generator", None)
    return None if bit_generator is None else bit_generator.state


def _set_loader_state(loader, state) -> None:
    if state is not None:
        loader.generator.bit_generator.state = state
