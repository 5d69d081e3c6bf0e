"""The training loop: ``fit``, ``evaluate`` and ``predict``.

``fit`` is the loop every course writes by hand (forward, loss, backward, step), with what
practitioners expect around it: a progress bar per epoch, validation, metrics, a history,
callbacks (early stopping, checkpoints), a learning-rate scheduler and gradient clipping.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from shenjing.autograd.grad_mode import no_grad
from shenjing.autograd.tensor import Tensor
from shenjing.nn.modules.module import Module
from shenjing.ops.shape import cat
from shenjing.train.callbacks import Callback
from shenjing.train.history import History
from shenjing.train.interrupt import TrainingInterrupted, deferred_interrupts
from shenjing.train.metrics import resolve
from shenjing.train.resume import restore_training, save_training


class NonFiniteLossError(FloatingPointError):
    """The training loss became NaN or infinite; the message names the epoch and the step."""


@dataclass
class TrainingState:
    """What callbacks see: the model, the optimizer, the epoch, and a flag to stop."""

    model: Module
    optimizer: object
    epochs: int
    epoch: int = 0
    step: int = 0
    stop_training: bool = False
    history: History = field(default_factory=History)
    verbose: bool = True
    interrupt_requested: bool = False  # set by the first Ctrl-C; the loop stops after the step

    def log(self, message: str) -> None:
        """Print a line without breaking a progress bar."""
        if self.verbose:
            _print(message)


def _print(message: str) -> None:
    try:
        from tqdm import tqdm

        tqdm.write(message, file=sys.stderr)
    except ImportError:
        print(message, file=sys.stderr)


def _loss_function(loss) -> Callable:
    if isinstance(loss, str):
        from shenjing.nn import functional

        if not hasattr(functional, loss):
            raise ValueError(f"fit: unknown loss {loss!r}; pass a function or a loss module")
        return getattr(functional, loss)
    if not callable(loss):
        raise TypeError(f"fit: loss must be callable (a function or a loss module), got {loss!r}")
    return loss


def _split(batch):
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        raise TypeError("fit: each batch must be an (input, target) pair, got "
                        f"{type(batch).__name__}")
    return batch


def _progress(iterable, total: int | None, description: str, enabled: bool):
    if not enabled:
        return iterable
    try:
        from tqdm import tqdm
    except ImportError:
        return iterable
    return tqdm(iterable, total=total, desc=description, leave=True, dynamic_ncols=True,
                file=sys.stderr)


def fit(model: Module, train_loader: Iterable, val_loader: Iterable | None = None, *,
        loss, optimizer, epochs: int = 1, metrics=("accuracy",),
        callbacks: Iterable[Callback] = (), scheduler=None, scheduler_interval: str = "epoch",
        clip_grad_norm: float | None = None, verbose: bool = True,
        save_last: str | os.PathLike | None = None,
        resume_from: str | os.PathLike | None = None,
        compile: bool = False) -> History:  # noqa: A002 - PyTorch's name
    """Train ``model`` for ``epochs`` passes over ``train_loader``; returns the History.

    Each step: forward, ``loss(output, target)``, backward, the callbacks'
    ``on_after_backward``, optional gradient clipping, ``optimizer.step()``. After each epoch:
    the validation loss and metrics (``val_*``), the learning rate, the callbacks, and
    ``scheduler.step()`` (``ReduceLROnPlateau`` gets the validation loss, or the training loss
    without a validation set). With ``scheduler_interval="step"`` the scheduler steps after
    every update instead (its periods, such as ``T_max``, then count steps), and the ``lr``
    logged for an epoch is the rate after its last step, the next epoch's. A NaN or infinite
    loss stops training with ``NonFiniteLossError`` naming the epoch and the step.
    ``sj.manual_seed`` makes the whole run repeat exactly (initialisation, shuffling, dropout).

    ``save_last`` writes a training checkpoint after every epoch (atomically): the model, the
    optimizer, the scheduler, the history, the callbacks' state and every random generator's.
    ``resume_from`` continues from such a file, with the same arguments as the run that wrote it:
    the run then ends exactly as it would have without the interruption. Ctrl-C stops after the
    current step with ``TrainingInterrupted`` (a ``KeyboardInterrupt``); a second Ctrl-C stops
    at once.

    ``compile=True`` runs each step (forward, loss, backward, clipping, update) as a static
    graph (``sj.compile``): traced at the first step, replayed at the next ones, with the same
    results. It needs callbacks without ``on_after_backward`` (which reads the gradients between
    backward and the update); a non-finite loss is then detected after its update.

    Like Keras's ``model.fit``; PyTorch users write this loop by hand.
    """
    if epochs < 1:
        raise ValueError(f"fit: epochs must be at least 1, got {epochs}")
    loss_fn = _loss_function(loss)
    metric_fns = resolve(metrics)
    callbacks = list(callbacks)
    state = TrainingState(model, optimizer, epochs, verbose=verbose)
    update = Update(state, callbacks, clip_grad_norm, scheduler, scheduler_interval, "fit",
                    compile)

    def forward(inputs, target):
        output = model(inputs)
        return loss_fn(output, target), output

    return run_epochs(
        state, callbacks, update,
        lambda: _train_epoch(state, train_loader, forward, metric_fns, update, callbacks),
        None if val_loader is None else lambda: evaluate(model, val_loader, loss_fn, metric_fns),
        loaders=[train_loader], save_last=save_last, resume_from=resume_from)


class Update:
    """One training step's update after the forward pass, shared by ``fit`` and ``fit_sequence``:
    backward, the callbacks' ``on_after_backward``, optional clipping by global norm,
    ``optimizer.step()``, and the scheduler when it steps per update."""

    def __init__(self, state: TrainingState, callbacks: list, clip_grad_norm, scheduler,
                 interval: str, caller: str, compile: bool = False) -> None:
        from shenjing.optim.lr_scheduler import ReduceLROnPlateau

        if interval not in ("epoch", "step"):
            raise ValueError(f"{caller}: scheduler_interval must be 'epoch' or 'step', got "
                             f"{interval!r}")
        if interval == "step" and isinstance(scheduler, ReduceLROnPlateau):
            raise ValueError(f"{caller}: ReduceLROnPlateau steps on a validation loss, once an "
                             "epoch: use scheduler_interval='epoch'")
        self.state, self.callbacks, self.clip_grad_norm = state, callbacks, clip_grad_norm
        self.scheduler = scheduler
        self.step_scheduler = scheduler if interval == "step" else None
        self.epoch_scheduler = scheduler if interval == "epoch" else None
        self.caller = caller
        self.compiled = None
        if compile:
            reading = [type(c).__name__ for c in callbacks
                       if type(c).on_after_backward is not Callback.on_after_backward]
            if reading:
                raise ValueError(f"{caller}: compile=True cannot run the callbacks' "
                                 f"on_after_backward ({', '.join(reading)}) inside a compiled "
                                 "step; leave compile off for them")
            from shenjing.static import compile as compile_step

            self.compiled = compile_step(self._whole_step)

    def step(self, forward, *args) -> tuple:
        """One training step: ``forward(*args) -> (loss, extra)``, then backward and the update.

        Returns ``(loss value, extra)``, ``extra`` detached; a non-finite loss raises
        ``NonFiniteLossError`` (before the update, unless the step is compiled).
        """
        if self.compiled is not None:
            loss, extra = self.compiled(forward, *args)
            self._check(loss.item())
            self._after_update()
            return loss.item(), extra
        loss, extra = forward(*args)
        value = loss.item()
        self._check(value)
        self(loss)
        return value, detach_state(extra)

    def _whole_step(self, forward, *args):
        loss, extra = forward(*args)
        self._backward_and_update(loss)
        return loss.detach(), detach_state(extra)

    def _check(self, value: float) -> None:
        if not math.isfinite(value):
            raise NonFiniteLossError(
                f"{self.caller}: the loss became {value} at epoch {self.state.epoch}, step "
                f"{self.state.step}; try a lower learning rate, gradient clipping, or "
                "sj.autograd.detect_anomaly() to find the operation that made it"
            )

    def __call__(self, loss) -> None:
        self._backward_and_update(loss)
        self._after_update()

    def _backward_and_update(self, loss) -> None:
        model, optimizer = self.state.model, self.state.optimizer
        optimizer.zero_grad()
        loss.backward()
        for callback in self.callbacks:
            callback.on_after_backward(self.state)
        if self.clip_grad_norm is not None:
            from shenjing.nn.utils import clip_grad_norm_

            clip_grad_norm_(model.parameters(), self.clip_grad_norm)
        optimizer.step()

    def _after_update(self) -> None:
        if self.step_scheduler is not None:
            self.step_scheduler.step()
        if self.state.interrupt_requested:
            raise TrainingInterrupted(self.state.epoch, self.state.step)


def detach_state(state):
    """``state`` with its history cut: every tensor detached, tuples and lists kept as they are.

    >>> import shenjing as sj
    >>> h = sj.ones(2, requires_grad=True) * 2
    >>> detach_state((h, [h]))[1][0].requires_grad
    False
    """
    if state is None:
        return None
    if isinstance(state, Tensor):
        return state.detach()
    if isinstance(state, (tuple, list)):
        return type(state)(detach_state(s) for s in state)
    raise TypeError(f"detach_state: expected tensors in tuples or lists, got "
                    f"{type(state).__name__}")


def run_epochs(state: TrainingState, callbacks: list, update: Update,
               train_epoch: Callable[[], dict], validate: Callable[[], dict] | None, *,
               loaders: list = (), save_last=None, resume_from=None) -> History:
    """The epochs around a training pass, shared by ``fit`` and ``fit_sequence``.

    Each epoch: the callbacks' ``on_epoch_begin``, ``train_epoch()`` (its logs), ``validate()``
    (logged as ``val_*``), the learning rate, the history and the log line, ``on_epoch_end``,
    the scheduler, then the training checkpoint (``save_last``); stops early when a callback
    sets ``state.stop_training``. With ``resume_from`` the epochs continue after the last one
    that file holds. ``on_train_end`` runs however training ends.
    """
    scheduler = update.epoch_scheduler
    loaders = [loader for loader in loaders if loader is not None]
    # Restored before on_train_begin, so that callbacks see the resumed model (as in
    # Lightning); their own state after it, since on_train_begin resets it.
    saved_callbacks = None
    if resume_from is not None:
        saved_callbacks = restore_training(resume_from, state, callbacks, update.scheduler,
                                           loaders)
    for callback in callbacks:
        callback.on_train_begin(state)
    try:
        if saved_callbacks is not None:
            for callback, saved in zip(callbacks, saved_callbacks):
                callback.load_state_dict(saved)
            state.log(f"resumed after epoch {state.epoch} from {resume_from}")
        with deferred_interrupts(state):
            for epoch in range(state.epoch + 1, state.epochs + 1):
                if state.stop_training:
                    break
                state.epoch, state.step = epoch, 0
                for callback in callbacks:
                    callback.on_epoch_begin(state)
                logs = train_epoch()
                if validate is not None:
                    logs.update({f"val_{k}": v for k, v in validate().items()})
                optimizer = state.optimizer
                if optimizer is not None and getattr(optimizer, "param_groups", None):
                    logs["lr"] = float(optimizer.param_groups[0]["lr"])
                state.history.append(epoch, logs)
                state.log(f"epoch {epoch}/{state.epochs}: "
                          + ", ".join(f"{k} {v:.4g}" for k, v in logs.items()))
                for callback in callbacks:
                    callback.on_epoch_end(state, logs)
                if scheduler is not None:
                    _step_scheduler(scheduler, logs)
                if save_last is not None:
                    save_training(save_last, state, callbacks, update.scheduler, loaders)
                if state.interrupt_requested:  # Ctrl-C during validation or the callbacks
                    raise TrainingInterrupted(state.epoch, state.step)
    finally:
        for callback in callbacks:
            callback.on_train_end(state)
    return state.history


def _train_epoch(state: TrainingState, loader, forward, metric_fns, update: Update,
                 callbacks) -> dict:
    model = state.model
    model.train()
    total = len(loader) if hasattr(loader, "__len__") else None
    bar = _progress(loader, total, f"epoch {state.epoch}/{state.epochs}", state.verbose)
    sums: dict[str, float] = {"loss": 0.0, **{name: 0.0 for name in metric_fns}}
    seen = 0
    for step, batch in enumerate(bar, start=1):
        state.step = step
        inputs, target = _split(batch)
        value, output = update.step(forward, inputs, target)
        n = len(target) if hasattr(target, "__len__") else 1
        seen += n
        sums["loss"] += value * n
        with no_grad():
            for name, fn in metric_fns.items():
                sums[name] += fn(output.detach(), target) * n
        if bar is not loader:
            bar.set_postfix({k: f"{v / seen:.4f}" for k, v in sums.items()}, refresh=False)
        for callback in callbacks:
            callback.on_batch_end(state, {"loss": value})
    if bar is not loader:
        bar.close()
    if not seen:
        raise ValueError("fit: the training loader gave no batches")
    return {k: v / seen for k, v in sums.items()}


def _step_scheduler(scheduler, logs: dict) -> None:
    from shenjing.optim.lr_scheduler import ReduceLROnPlateau

    if isinstance(scheduler, ReduceLROnPlateau):
        scheduler.step(logs.get("val_loss", logs["loss"]))
    else:
        scheduler.step()


@no_grad()
def evaluate(model: Module, loader: Iterable, loss=None, metrics=("accuracy",)) -> dict:
    """The mean loss and metrics of ``model`` over ``loader``, in eval mode, without gradients.

    >>> import shenjing as sj
    >>> model = sj.nn.Linear(2, 2)
    >>> batches = [(sj.randn(4, 2), sj.tensor([0, 1, 0, 1]))]
    >>> list(evaluate(model, batches, loss=lambda out, y: (out ** 2).mean()))
    ['loss', 'accuracy']
    """
    loss_fn = _loss_function(loss) if loss is not None else None
    metric_fns = resolve(metrics) if not isinstance(metrics, dict) else metrics
    was_training = model.training
    model.eval()
    sums: dict[str, float] = {name: 0.0 for name in metric_fns}
    if loss_fn is not None:
        sums["loss"] = 0.0
    seen = 0
    try:
        for batch in loader:
            inputs, target = _split(batch)
            output = model(inputs)
            n = len(target) if hasattr(target, "__len__") else 1
            seen += n
            if loss_fn is not None:
                sums["loss"] += loss_fn(output, target).item() * n
            for name, fn in metric_fns.items():
                sums[name] += fn(output, target) * n
    finally:
        model.train(was_training)
    if not seen:
        raise ValueError("evaluate: the loader gave no batches")
    ordered = (["loss"] if loss_fn is not None else []) + list(metric_fns)
    return {name: sums[name] / seen for name in ordered}


@no_grad()
def predict(model: Module, data, batch_size: int = 256) -> Tensor:
    """``model``'s outputs for every input in ``data`` (a tensor, or a loader of batches).

    Runs in eval mode without gradients; a loader's batches may be (input, target) pairs.

    >>> import shenjing as sj
    >>> predict(sj.nn.Linear(3, 2), sj.ones(10, 3), batch_size=4).shape
    (10, 2)
    """
    was_training = model.training
    model.eval()
    try:
        if isinstance(data, Tensor):
            batches = (data[i:i + batch_size] for i in range(0, len(data), batch_size))
        else:
            batches = (b[0] if isinstance(b, (tuple, list)) else b for b in data)
        outputs = [model(batch) for batch in batches]
    finally:
        model.train(was_training)
    if not outputs:
        raise ValueError("predict: no inputs")
    return cat(outputs) if len(outputs) > 1 else outputs[0]
