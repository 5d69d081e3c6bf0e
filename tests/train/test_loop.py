"""The training loop: learning, history, determinism, callbacks, errors."""

import math
import warnings

import numpy as np
import pytest

import shenjing as sj
from shenjing.data import DataLoader, TensorDataset
from shenjing.datasets import quadrants
from shenjing.train import EarlyStopping, ModelCheckpoint, NonFiniteLossError


def nll(output, target):
    return -output.log_softmax(dim=1).gather(1, target.unsqueeze(1)).mean()


def setup(seed=0, dropout=0.0, lr=0.05):
    sj.manual_seed(seed)
    x, y = quadrants(400, seed=1)
    xv, yv = quadrants(200, seed=2)
    model = sj.models.MLP(2, [16], 4, "tanh", dropout=dropout)
    optimizer = sj.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
    val = DataLoader(TensorDataset(xv, yv), batch_size=100)
    return model, optimizer, train, val


def test_fit_learns_and_records_history():
    model, optimizer, train, val = setup()
    history = sj.train.fit(model, train, val, loss=nll, optimizer=optimizer, epochs=15,
                           verbose=False)
    assert history.epochs == list(range(1, 16))
    assert set(history.keys()) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr"}
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert history["val_accuracy"][-1] >= 0.95
    scores = sj.train.evaluate(model, val, loss=nll)
    assert scores["accuracy"] == pytest.approx(history["val_accuracy"][-1])
    assert sj.train.predict(model, val).shape == (200, 4)


def test_one_seed_makes_the_whole_run_repeat():
    runs = []
    for _ in range(2):
        model, optimizer, train, val = setup(seed=3, dropout=0.2)
        history = sj.train.fit(model, train, val, loss=nll, optimizer=optimizer, epochs=3,
                               verbose=False)
        runs.append((history.to_dict(), model.state_dict()))
    assert runs[0][0] == runs[1][0]
    for key in runs[0][1]:
        np.testing.assert_array_equal(runs[0][1][key].numpy(), runs[1][1][key].numpy())
    model, optimizer, train, val = setup(seed=4, dropout=0.2)
    other = sj.train.fit(model, train, val, loss=nll, optimizer=optimizer, epochs=3,
                         verbose=False)
    assert other.to_dict() != runs[0][0]


class Snapshots(sj.train.Callback):
    """Keeps the weights after every epoch."""

    def __init__(self):
        self.weights = {}

    def on_epoch_end(self, state, logs):
        self.weights[state.epoch] = {k: v.numpy().copy()
                                     for k, v in state.model.state_dict().items()}


def test_early_stopping_stops_and_restores_the_best_weights():
    model, optimizer, train, val = setup(lr=0.5)  # a rate high enough to wander
    snapshots = Snapshots()
    stopper = EarlyStopping("val_loss", patience=2, min_delta=1e9)  # never "improves" after 1
    history = sj.train.fit(model, train, val, loss=nll, optimizer=optimizer, epochs=20,
                           callbacks=[snapshots, stopper], verbose=False)
    assert len(history.epochs) == 3 and stopper.stopped_epoch == 3 and stopper.best_epoch == 1
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), snapshots.weights[1][key])


def test_early_stopping_restores_when_epochs_run_out():
    model, optimizer, train, val = setup(lr=0.5)
    snapshots = Snapshots()
    stopper = EarlyStopping("val_accuracy", patience=100)
    history = sj.train.fit(model, train, val, loss=nll, optimizer=optimizer, epochs=6,
                           callbacks=[snapshots, stopper], verbose=False)
    best = int(np.argmax(history["val_accuracy"])) + 1
    assert stopper.best_epoch == best and stopper.stopped_epoch is None
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), snapshots.weights[best][key])


def test_model_checkpoint_keeps_the_best_model_and_optimizer(tmp_path):
    model, optimizer, train, val = setup()
    path = tmp_path / "best.safetensors"
    checkpoint = ModelCheckpoint(path, monitor="val_loss")
    history = sj.train.fit(model, train, val, loss=nll, optimizer=optimizer, epochs=5,
                           callbacks=[checkpoint], verbose=False)
    saved = sj.load(path)
    best = int(np.argmin(history["val_loss"])) + 1
    assert saved["epoch"] == best and saved["val_loss"] == pytest.approx(min(history["val_loss"]))
    fresh, fresh_optimizer, _, _ = setup()
    fresh.load_state_dict(saved["model"])
    fresh_optimizer.load_state_dict(saved["optimizer"])
    assert fresh_optimizer.state_dict()["param_groups"][0]["lr"] == 0.05
    assert len(checkpoint.saved) <= 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best.safetensors"]


def test_a_non_finite_loss_names_the_epoch_and_step():
    model, optimizer, train, _ = setup()
    calls = {"n": 0}

    def exploding(output, target):
        calls["n"] += 1
        loss = nll(output, target)
        return loss * math.inf if calls["n"] == 17 else loss

    with pytest.raises(NonFiniteLossError, match="inf at epoch 2, step 4"):
        sj.train.fit(model, train, loss=exploding, optimizer=optimizer, epochs=3, verbose=False)


def test_a_non_finite_loss_stops_a_compiled_run_after_its_update():
    model, optimizer, train, _ = setup()
    for group in optimizer.param_groups:
        group["lr"] = 3e38  # the weights overflow to inf, then the loss to NaN
    with pytest.raises(NonFiniteLossError, match="at epoch 1, step"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's overflow on the way to inf
        sj.train.fit(model, train, loss=nll, optimizer=optimizer, epochs=3, verbose=False,
                     compile=True)


def test_compile_refuses_callbacks_that_read_gradients_inside_the_step():
    model, optimizer, train, _ = setup()
    with pytest.raises(ValueError, match=r"on_after_backward \(GradientHealth\)"):
        sj.train.fit(model, train, loss=nll, optimizer=optimizer, verbose=False,
                     callbacks=[sj.train.GradientHealth()], compile=True)


def test_scheduler_and_gradient_clipping():
    model, optimizer, train, val = setup()
    scheduler = sj.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    history = sj.train.fit(model, train, val, loss=nll, optimizer=optimizer, epochs=4,
                           scheduler=scheduler, clip_grad_norm=0.1, verbose=False)
    assert history["lr"] == [0.05, 0.05, 0.025, 0.025]
    plateau = sj.optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=0, factor=0.1)
    sj.train.fit(model, train, val, loss=nll, optimizer=optimizer, epochs=2, scheduler=plateau,
                 verbose=False)


def test_a_scheduler_stepped_after_every_update():
    """``scheduler_interval="step"``: a cosine over every step of the run, as a hand-written
    loop that calls ``scheduler.step()`` after ``optimizer.step()`` would give."""
    model, optimizer, train, _ = setup()
    steps = 2 * len(train)
    scheduler = sj.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
    history = sj.train.fit(model, train, loss=nll, optimizer=optimizer, epochs=2,
                           scheduler=scheduler, scheduler_interval="step", verbose=False)
    cosine = [0.025 * (1 + math.cos(math.pi * k / steps)) for k in (len(train), steps)]
    assert history["lr"] == pytest.approx(cosine)
    assert history["lr"][-1] == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="scheduler_interval must be 'epoch' or 'step'"):
        sj.train.fit(model, train, loss=nll, optimizer=optimizer, scheduler=scheduler,
                     scheduler_interval="batch", verbose=False)
    plateau = sj.optim.lr_scheduler.ReduceLROnPlateau(optimizer)
    with pytest.raises(ValueError, match="ReduceLROnPlateau.*once an epoch"):
        sj.train.fit(model, train, loss=nll, optimizer=optimizer, scheduler=plateau,
                     scheduler_interval="step", verbose=False)


def test_callbacks_see_the_gradients_before_clipping():
    class Norms(sj.train.Callback):
        def __init__(self):
            self.after_backward, self.after_step = [], []

        def on_after_backward(self, state):
            self.after_backward.append(_global_norm(state.model))

        def on_batch_end(self, state, logs):
            self.after_step.append(_global_norm(state.model))

    model, optimizer, train, _ = setup()
    norms = Norms()
    sj.train.fit(model, train, loss=nll, optimizer=optimizer, callbacks=[norms],
                 clip_grad_norm=1e-3, verbose=False)
    assert len(norms.after_backward) == len(norms.after_step) == len(train)
    assert min(norms.after_backward) > 1e-3  # what backward made
    assert max(norms.after_step) == pytest.approx(1e-3, rel=1e-4)  # what the update used


def _global_norm(model) -> float:
    return math.sqrt(sum(float((p.grad * p.grad).sum()) for p in model.parameters()))


def test_history_round_trips_through_json(tmp_path):
    history = sj.train.History()
    history.append(1, {"loss": 1.0, "val_loss": math.nan})
    history.save(tmp_path / "history.json")
    loaded = sj.train.History.load(tmp_path / "history.json")
    assert loaded.epochs == [1] and loaded["loss"] == [1.0] and math.isnan(loaded["val_loss"][0])


def test_bad_arguments():
    model, optimizer, train, _ = setup()
    with pytest.raises(ValueError, match="epochs"):
        sj.train.fit(model, train, loss=nll, optimizer=optimizer, epochs=0)
    with pytest.raises(ValueError, match="unknown metric"):
        sj.train.fit(model, train, loss=nll, optimizer=optimizer, metrics=["f1"], verbose=False)
    with pytest.raises(KeyError, match="val_loss.*val_loader"):
        sj.train.fit(model, train, loss=nll, optimizer=optimizer,
                     callbacks=[EarlyStopping()], verbose=False)
