"""``fit(..., save_last=..., resume_from=...)`` and ``fit_sequence`` likewise: a run stopped
after any epoch and resumed ends bitwise as the run left alone; Ctrl-C stops at a step."""

import os
import signal

import numpy as np
import pytest

import shenjing as sj
from shenjing.data import DataLoader, TensorDataset
from shenjing.serialization import CheckpointError


def _classifier_run(epochs, stop_after=None, generator=None, min_delta=0.0, callbacks=(),
                    **options):
    """A small classifier with dropout, shuffling (global or a loader's own generator),
    a cosine schedule, early stopping and a best-model checkpoint."""
    sj.manual_seed(0)
    x = sj.randn(120, 5)
    y = (x.sum(1) > 0).long()
    model = sj.nn.Sequential(sj.nn.Linear(5, 16), sj.nn.ReLU(), sj.nn.Dropout(0.3),
                             sj.nn.Linear(16, 2))
    optimizer = sj.optim.Adam(model.parameters(), lr=1e-2)
    scheduler = sj.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    train = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True, generator=generator)
    val = DataLoader(TensorDataset(x, y), batch_size=64)
    callbacks = [sj.train.EarlyStopping("val_loss", patience=2, min_delta=min_delta),
                 *callbacks]
    history = sj.train.fit(model, train, val, loss=sj.nn.functional.cross_entropy,
                           optimizer=optimizer, scheduler=scheduler, callbacks=callbacks,
                           epochs=stop_after or epochs, verbose=False, **options)
    return model, history, callbacks[0]


def _assert_same(model_a, model_b):
    for (name, a), (_, b) in zip(model_a.state_dict().items(), model_b.state_dict().items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)


@pytest.mark.parametrize("generator", [None, 5])
@pytest.mark.parametrize("stop_after", [1, 3])
def test_fit_resumed_after_any_epoch_ends_as_the_run_left_alone(tmp_path, stop_after,
                                                                generator):
    last = tmp_path / "last.safetensors"
    alone, history, stopper = _classifier_run(8, generator=generator)
    _classifier_run(8, stop_after=stop_after, generator=generator, save_last=last)
    resumed, resumed_history, resumed_stopper = _classifier_run(
        8, generator=generator, save_last=last, resume_from=last)
    _assert_same(alone, resumed)
    assert resumed_history.to_dict() == history.to_dict()
    assert (resumed_stopper.best_epoch, resumed_stopper.stopped_epoch) == \
        (stopper.best_epoch, stopper.stopped_epoch)


def test_a_run_that_stopped_early_resumes_to_its_end_without_training(tmp_path):
    last = tmp_path / "last.safetensors"
    alone, history, stopper = _classifier_run(60, min_delta=0.01, save_last=last)
    assert stopper.stopped_epoch is not None and len(history.epochs) < 60
    resumed, resumed_history, _ = _classifier_run(60, min_delta=0.01, resume_from=last)
    assert resumed_history.to_dict() == history.to_dict()
    _assert_same(alone, resumed)  # early stopping's best weights restored again


def test_fit_sequence_resumes_bitwise(tmp_path):
    last = tmp_path / "last.safetensors"

    def run(epochs, **options):
        sj.manual_seed(1)
        model = sj.models.CharLM(6, 4, 8, dropout=0.2, num_layers=2)
        batches = sj.data.BPTTLoader(sj.tensor([0, 1, 2, 3, 4, 5, 1, 3] * 12), 2, 6)
        optimizer = sj.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        scheduler = sj.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)
        history = sj.train.fit_sequence(model, batches, batches, optimizer=optimizer,
                                        scheduler=scheduler, scheduler_interval="step",
                                        epochs=epochs, verbose=False, **options)
        return model, history

    alone, history = run(5)
    run(2, save_last=last)
    resumed, resumed_history = run(5, resume_from=last)
    _assert_same(alone, resumed)
    assert resumed_history.to_dict() == history.to_dict()


def test_resume_refuses_files_that_do_not_fit(tmp_path):
    weights = tmp_path / "model.safetensors"
    sj.save(sj.nn.Linear(5, 16).state_dict(), weights)
    with pytest.raises(CheckpointError, match="not a training checkpoint"):
        _classifier_run(3, resume_from=weights)
    last = tmp_path / "last.safetensors"
    _classifier_run(3, stop_after=1, save_last=last)
    sj.manual_seed(0)
    model = sj.nn.Linear(5, 2)
    loader = DataLoader(TensorDataset(sj.randn(8, 5), sj.zeros(8, dtype=sj.int64)), 4)
    with pytest.raises(ValueError, match="callbacks"):
        sj.train.fit(model, loader, loss=sj.nn.functional.cross_entropy,
                     optimizer=sj.optim.SGD(model.parameters(), lr=0.1), resume_from=last,
                     verbose=False)


class _CtrlC(sj.train.Callback):
    """Presses Ctrl-C in the middle of the third step of the second epoch."""

    def on_after_backward(self, state):
        if (state.epoch, state.step) == (2, 3):
            os.kill(os.getpid(), signal.SIGINT)


@pytest.fixture
def ctrl_c():
    """Python's own Ctrl-C handler, even where the test runner was started ignoring SIGINT
    (a background job): what a user's program has."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


def test_ctrl_c_stops_after_the_current_step(tmp_path, ctrl_c):
    last = tmp_path / "last.safetensors"
    sj.manual_seed(0)
    model = sj.nn.Linear(5, 2)
    loader = DataLoader(TensorDataset(sj.randn(64, 5), sj.zeros(64, dtype=sj.int64)), 8)
    optimizer = sj.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(sj.train.TrainingInterrupted) as caught:
        sj.train.fit(model, loader, loss=sj.nn.functional.cross_entropy, optimizer=optimizer,
                     epochs=5, callbacks=[_CtrlC()], save_last=last, verbose=False)
    assert (caught.value.epoch, caught.value.step) == (2, 3)  # the step was finished
    assert isinstance(caught.value, KeyboardInterrupt)
    assert sj.load(last)["epoch"] == 1
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored


def test_gradient_health_carries_its_records_across_a_resume(tmp_path):
    last = tmp_path / "last.safetensors"

    def run(stop_after=None, **options):
        health = sj.train.GradientHealth(every=2)
        _classifier_run(6, stop_after=stop_after, callbacks=[health], **options)
        return health

    alone = run()
    run(stop_after=2, save_last=last)
    resumed = run(save_last=last, resume_from=last)
    assert resumed.steps == alone.steps
    for name in alone.grad_norm:
        np.testing.assert_array_equal(resumed.grad_norm[name], alone.grad_norm[name])
        np.testing.assert_array_equal(resumed.update_ratio[name], alone.update_ratio[name])
    assert resumed.warnings == alone.warnings


class _CtrlCWhileValidating:
    """A validation loader that presses Ctrl-C while the first epoch is being validated."""

    def __init__(self, batches):
        self.batches, self.pressed = batches, False

    def __iter__(self):
        if not self.pressed:
            self.pressed = True
            os.kill(os.getpid(), signal.SIGINT)
        return iter(self.batches)


def test_ctrl_c_during_validation_stops_once_the_epoch_is_saved(tmp_path, ctrl_c):
    last = tmp_path / "last.safetensors"
    sj.manual_seed(0)
    model = sj.nn.Linear(5, 2)
    batches = [(sj.randn(8, 5), sj.zeros(8, dtype=sj.int64))] * 4
    with pytest.raises(sj.train.TrainingInterrupted) as caught:
        sj.train.fit(model, batches, _CtrlCWhileValidating(batches),
                     loss=sj.nn.functional.cross_entropy, epochs=5, save_last=last,
                     optimizer=sj.optim.SGD(model.parameters(), lr=0.1), verbose=False)
    assert caught.value.epoch == 1  # no step of epoch 2 was taken
    assert sj.load(last)["epoch"] == 1
