"""Training recurrent language models by truncated backpropagation through time.

``fit_sequence`` is ``fit`` for a model that takes and returns a recurrent state,
``model(inputs, state) -> (logits, state)``, fed consecutive chunks of parallel streams (as
``sj.data.BPTTLoader`` yields them). The state carries from one chunk to the next, so the model
reads each stream without a gap, but it is detached between chunks, so backward reaches only the
current chunk and the graph never grows past one chunk; it starts from zeros (``None``) at every
epoch and every evaluation. Losses are in nats per token, with bits per token (``bpc``, bits per
character for a character model: nats / ln 2) beside them.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable

from shenjing.autograd.grad_mode import no_grad
from shenjing.autograd.tensor import Tensor
from shenjing.nn.modules.module import Module
from shenjing.train.callbacks import Callback
from shenjing.train.history import History
from shenjing.train.loop import (
    TrainingState,
    Update,
    _loss_function,
    _progress,
    _split,
    detach_state,  # noqa: F401 - also this module's name for it
    run_epochs,
)

LN2 = math.log(2.0)


def sequence_cross_entropy(logits: Tensor, target: Tensor) -> Tensor:
    """The mean cross-entropy per token, in nats: logits (N, T, V), target (N, T) indices.

    >>> import shenjing as sj
    >>> round(sequence_cross_entropy(sj.zeros(2, 3, 4), sj.zeros(2, 3, dtype=sj.int64)).item(), 4)
    1.3863
    """
    from shenjing.ops.loss import cross_entropy

    # (N, T, V) -> (N*T, V): every position is one classification
    return cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1))


def _call(model: Module, inputs, state, where: str):
    result = model(inputs, state)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise TypeError(f"{where}: the model must return (output, state), got "
                        f"{type(result).__name__}")
    return result


def fit_sequence(model: Module, train_batches: Iterable, val_batches: Iterable | None = None,
                 *, optimizer, epochs: int = 1, loss=None, callbacks: Iterable[Callback] = (),
                 scheduler=None, scheduler_interval: str = "epoch",
                 clip_grad_norm: float | None = None, verbose: bool = True,
                 save_last: str | os.PathLike | None = None,
                 resume_from: str | os.PathLike | None = None,
                 compile: bool = False) -> History:  # noqa: A002 - PyTorch's name
    """Train a stateful sequence model by truncated backpropagation through time.

    Each step: ``output, state = model(inputs, state)``, ``loss(output, target)`` (default: the
    mean cross-entropy per token, ``sequence_cross_entropy``), backward through this chunk only,
    the callbacks' ``on_after_backward``, optional gradient clipping by global norm,
    ``optimizer.step()``; then the state is detached and carried to the next chunk. The state is
    reset to ``None`` at every epoch. After each epoch: ``loss`` and ``bpc`` (training means,
    weighted by tokens), ``val_loss`` and ``val_bpc`` (``evaluate_sequence``), ``lr``, the
    callbacks (``EarlyStopping``, ``ModelCheckpoint``) and ``scheduler.step()``, or after every
    update with ``scheduler_interval="step"``, as in ``fit``. A NaN or infinite loss raises
    ``NonFiniteLossError`` naming the epoch and the step. ``save_last``, ``resume_from``,
    ``compile`` and Ctrl-C work as in ``fit``; a compiled step takes the carried state as an
    input, so each replay continues from the last chunk's state.

    PyTorch users write this loop by hand (its word_language_model example's ``train()``).

    >>> import shenjing as sj
    >>> model = sj.models.CharLM(5, 4, 8)
    >>> batches = sj.data.BPTTLoader(sj.tensor([0, 1, 2, 3, 4] * 8), batch_size=2, seq_len=5)
    >>> history = fit_sequence(model, batches, batches, epochs=2, verbose=False,
    ...                        optimizer=sj.optim.Adam(model.parameters(), lr=0.01))
    >>> sorted(history.keys())
    ['bpc', 'loss', 'lr', 'val_bpc', 'val_loss']
    """
    if epochs < 1:
        raise ValueError(f"fit_sequence: epochs must be at least 1, got {epochs}")
    loss_fn = sequence_cross_entropy if loss is None else _loss_function(loss)
    callbacks = list(callbacks)
    state = TrainingState(model, optimizer, epochs, verbose=verbose)
    update = Update(state, callbacks, clip_grad_norm, scheduler, scheduler_interval,
                    "fit_sequence", compile)

    def forward(inputs, target, carried):
        output, carried = _call(model, inputs, carried, "fit_sequence")
        return loss_fn(output, target), carried

    return run_epochs(
        state, callbacks, update,
        lambda: _train_epoch(state, train_batches, forward, update, callbacks),
        None if val_batches is None else lambda: evaluate_sequence(model, val_batches, loss_fn),
        loaders=[train_batches], save_last=save_last, resume_from=resume_from)


def _train_epoch(state: TrainingState, batches, forward, update, callbacks) -> dict:
    model = state.model
    model.train()
    total = len(batches) if hasattr(batches, "__len__") else None
    bar = _progress(batches, total, f"epoch {state.epoch}/{state.epochs}", state.verbose)
    loss_sum, tokens = 0.0, 0
    carried = None  # a fresh state every epoch
    for step, batch in enumerate(bar, start=1):
        state.step = step
        inputs, target = _split(batch)
        # The state comes back detached: its values carry to the next chunk, its history does
        # not, so the next backward stops at the next chunk's start.
        value, carried = update.step(forward, inputs, target, carried)
        n = target.numel()
        tokens += n
        loss_sum += value * n
        if bar is not batches:
            mean = loss_sum / tokens
            bar.set_postfix({"loss": f"{mean:.4f}", "bpc": f"{mean / LN2:.4f}"}, refresh=False)
        for callback in callbacks:
            callback.on_batch_end(state, {"loss": value})
    if bar is not batches:
        bar.close()
    if not tokens:
        raise ValueError("fit_sequence: the training batches were empty")
    mean = loss_sum / tokens
    return {"loss": mean, "bpc": mean / LN2}


@no_grad()
def evaluate_sequence(model: Module, batches: Iterable, loss=None) -> dict:
    """The mean loss per token (nats) and bits per token of a stateful model over ``batches``.

    The state starts from ``None`` and carries across the chunks, as in training; eval mode,
    no gradients. Returns ``{"loss": nats, "bpc": nats / ln 2}``.

    >>> import shenjing as sj
    >>> scores = evaluate_sequence(sj.models.CharLM(5, 4, 8),
    ...                            sj.data.BPTTLoader(sj.tensor([0, 1, 2, 3, 4] * 4), 2, 4))
    >>> sorted(scores)
    ['bpc', 'loss']
    """
    loss_fn = sequence_cross_entropy if loss is None else _loss_function(loss)
    was_training = model.training
    model.eval()
    loss_sum, tokens, carried = 0.0, 0, None
    try:
        for batch in batches:
            inputs, target = _split(batch)
            output, carried = _call(model, inputs, carried, "evaluate_sequence")
            n = target.numel()
            loss_sum += loss_fn(output, target).item() * n
            tokens += n
    finally:
        model.train(was_training)
    if not tokens:
        raise ValueError("evaluate_sequence: the batches were empty")
    mean = loss_sum / tokens
    return {"loss": mean, "bpc": mean / LN2}
