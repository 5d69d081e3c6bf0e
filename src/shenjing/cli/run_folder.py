"""Run folders: what ``shenjing train`` writes, and the rules that keep a user's work.

A run owns a fixed set of file names in its folder and touches nothing else there. A folder
that already holds a run is never emptied before the new run has something to show: a new run
into it is refused unless the user asks to ``--resume`` it or to ``--overwrite`` it, and
overwriting replaces the old files one at a time, each only when its new version is complete.
``metrics.json`` is written last and carries the run's id: a folder whose config names a run
without matching metrics holds an unfinished (interrupted) run.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from pathlib import Path

from shenjing.train.callbacks import Callback

CONFIG, VOCAB = "config.json", "vocab.json"  # what the run is: written before its first step
LAST, BEST = "last.safetensors", "best.safetensors"  # after epochs: to resume; the best so far
MODEL, HISTORY, METRICS = "model.safetensors", "history.json", "metrics.json"  # at the end
# What a run may leave in its folder; nothing else there is ever touched.
RUN_FILES = (CONFIG, MODEL, BEST, LAST, HISTORY, METRICS, VOCAB)
# The temporary name of a killed atomic write: ".NAME.<random>.tmp" (serialization.atomic_file)
_TEMPORARY = re.compile(r"^\.(?P<name>[^/]+)\.[A-Za-z0-9_]+\.tmp$")


class RunFolderError(ValueError):
    """A run folder cannot be used as asked (it holds another run, or no run to resume)."""


class AlreadyFinished(Exception):
    """``--resume`` of a run that has finished: nothing to do (not an error)."""


class RunInterrupted(Exception):
    """Ctrl-C stopped a run; the message says what was kept and how to resume."""


def new_run_id() -> str:
    """A fresh id for a run, written into its config, its checkpoints and its metrics."""
    return uuid.uuid4().hex[:12]


class RunTag(Callback):
    """Stamps a run's training checkpoints (last.safetensors) with its id, so that a resume
    never continues another run's; and adds up the training time over resumed sessions."""

    def __init__(self, run_id: str):
        self.run_id = run_id
        self._previous, self._start = 0.0, None

    @property
    def seconds(self) -> float:
        """Time spent training so far, over every session of the run."""
        running = 0.0 if self._start is None else time.perf_counter() - self._start
        return self._previous + running

    def on_train_begin(self, state) -> None:
        self._previous, self._start = 0.0, time.perf_counter()

    def on_train_end(self, state) -> None:
        self._previous, self._start = self.seconds, None

    def state_dict(self) -> dict:
        return {"run_id": self.run_id, "seconds": self.seconds}

    def load_state_dict(self, state_dict: dict) -> None:
        if state_dict["run_id"] != self.run_id:
            raise ValueError(f"resume: the checkpoint is run {state_dict['run_id']}'s, not "
                             f"{self.run_id}'s")
        self._previous = float(state_dict["seconds"])


def checkpoint_run_id(path: Path) -> str | None:
    """The run id a checkpoint of a run folder carries (None: unreadable, or none).

    last.safetensors carries it in its ``RunTag`` state, best.safetensors in its metadata.
    """
    from shenjing.serialization import CheckpointError, load

    try:
        checkpoint = load(path)
    except (CheckpointError, OSError):
        return None
    if not isinstance(checkpoint, dict):
        return None
    metadata = checkpoint.get("metadata")
    if isinstance(metadata, dict):
        return metadata.get("run_id")
    for entry in checkpoint.get("callbacks") or ():
        if isinstance(entry, dict) and entry.get("type") == RunTag.__name__:
            return entry["state"].get("run_id")
    return None


def read_weights(path: Path) -> dict:
    """The dict in a run's checkpoint file; anything else is a CheckpointError."""
    from shenjing.serialization import CheckpointError, load

    state = load(path)
    if not isinstance(state, dict):
        raise CheckpointError(f"{path}: holds a {type(state).__name__}, not a state dict")
    return state


def read_json(path: Path):
    """A JSON file's value, or None where the file is missing or is not JSON."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def is_run_config(value) -> bool:
    """Whether a parsed config.json was written by ``shenjing train``."""
    return isinstance(value, dict) and isinstance(value.get("dataset"), str) \
        and isinstance(value.get("train"), dict)


def run_files(out: Path) -> list[str]:
    """The run-owned files present in ``out``."""
    return [name for name in RUN_FILES if (out / name).exists()]


def finished(out: Path) -> bool:
    """Whether ``out`` holds a finished run: metrics.json of the run its config names."""
    config, metrics = read_json(out / CONFIG), read_json(out / METRICS)
    if not is_run_config(config) or not isinstance(metrics, dict):
        return False
    return metrics.get("run_id") == config.get("run_id")  # both absent: a run from before ids


def remove_temporaries(out: Path) -> list[str]:
    """Delete what killed atomic writes of run files left behind; returns their names."""
    removed = []
    if not out.is_dir():
        return removed
    for path in out.iterdir():
        match = _TEMPORARY.match(path.name)
        if match and match["name"] in RUN_FILES and path.is_file():
            path.unlink(missing_ok=True)
            removed.append(path.name)
    return removed


def open_run_folder(out: Path, command: str, resume: bool, overwrite: bool) -> dict | None:
    """Check that ``out`` may take the run as asked, make it, clear killed writes' leftovers.

    Returns the recorded config to resume (``resume``), else None. A folder that holds a run
    is refused without ``--resume`` or ``--overwrite``; a config.json that shenjing did not
    write is never overwritten.
    """
    if resume and overwrite:
        raise RunFolderError("--resume and --overwrite: choose one (continue the run in the "
                             "folder, or replace it)")
    config_path = out / CONFIG
    config = read_json(config_path) if config_path.exists() else None
    if config_path.exists() and not is_run_config(config):
        raise RunFolderError(f"{config_path} exists and was not written by `shenjing train`; "
                             "it is left alone: choose another --out")
    if resume:
        if config is None:
            raise RunFolderError(f"{out} holds no run to resume (no config.json); start one "
                                 f"with `{command} --out {out}`")
        remove_temporaries(out)
        return config
    present = run_files(out)
    if present and config is None:
        raise RunFolderError(f"{out} holds {', '.join(present)} but no run of `shenjing "
                             "train` (no config.json): they are left alone; choose another --out")
    if present and not overwrite:
        what = "a finished run" if finished(out) else "an unfinished run"
        raise RunFolderError(
            f"{out} already holds {what} ({', '.join(present)}): add --resume to continue it, "
            f"--overwrite to replace it, or choose another --out")
    remove_temporaries(out)
    return None


def remove_stale(out: Path, run_id: str) -> None:
    """At the end of a run: delete what an overwritten run left that this run did not write
    again (its vocab.json, its best.safetensors), so that none is taken for this run's."""
    for name in (BEST, LAST):
        if (out / name).exists() and checkpoint_run_id(out / name) != run_id:
            (out / name).unlink()
    config = read_json(out / CONFIG) or {}
    if config.get("dataset") != "charlm":
        (out / VOCAB).unlink(missing_ok=True)


def unfinished_message(out: Path, dataset: str) -> str:
    """What to say of a folder whose run has not finished (killed, interrupted, running)."""
    kept = ""
    if written_by_this_run(out, LAST):
        kept = " (last.safetensors holds its finished epochs)"
    return (f"{out} holds a run that has not finished{kept}: continue it with `shenjing train "
            f"{dataset} --out {out} --resume`")


def written_by_this_run(out: Path, name: str) -> bool:
    """Whether ``out/name`` belongs to the run that config.json describes (never an
    overwritten run's file): a checkpoint by the run id it carries, another file by the run
    having finished."""
    path = out / name
    if not path.exists():
        return False
    if name in (BEST, LAST):
        return checkpoint_run_id(path) == (read_json(out / CONFIG) or {}).get("run_id")
    return finished(out)
