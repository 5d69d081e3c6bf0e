"""Learning-rate schedulers against PyTorch: the learning rate of every group, epoch by epoch."""

import warnings

import numpy as np
import pytest
import torch

import shenjing as sj
import shenjing.optim as optim
from shenjing.optim import lr_scheduler

EPOCHS = 30
LIBS = {"sj": (sj, optim), "torch": (torch, torch.optim)}


def make_optimizer(lib_name, lrs=(0.1, 0.05)):
    lib, opt_module = LIBS[lib_name]
    groups = [{"params": [lib.zeros(1, requires_grad=True)], "lr": lr} for lr in lrs]
    return opt_module.SGD(groups, lr=lrs[0])


def lr_sequence(lib_name, make, epochs=EPOCHS, lrs=(0.1, 0.05)):
    """[get_last_lr(), group lrs] at construction and after each epoch's step."""
    opt = make_optimizer(lib_name, lrs)
    module = LIBS[lib_name][1].lr_scheduler
    schedulers = make(module, opt)
    if not isinstance(schedulers, list):
        schedulers = [schedulers]
    sequence = [(schedulers[-1].get_last_lr(), [g["lr"] for g in opt.param_groups])]
    for _ in range(epochs):
        opt.step()
        for scheduler in schedulers:
            scheduler.step()
        sequence.append((schedulers[-1].get_last_lr(), [g["lr"] for g in opt.param_groups]))
    return sequence


SCHEDULES = {
    "step-3": lambda m, o: m.StepLR(o, step_size=3, gamma=0.5),
    "step-1": lambda m, o: m.StepLR(o, step_size=1, gamma=0.9),
    "step-default-gamma": lambda m, o: m.StepLR(o, step_size=7),
    "exponential": lambda m, o: m.ExponentialLR(o, gamma=0.9),
    "cosine-10": lambda m, o: m.CosineAnnealingLR(o, T_max=10),
    "cosine-7-eta-min": lambda m, o: m.CosineAnnealingLR(o, T_max=7, eta_min=0.01),
    "cosine-30": lambda m, o: m.CosineAnnealingLR(o, T_max=30, eta_min=1e-4),
    "linear-default": lambda m, o: m.LinearLR(o),
    "linear-warmup": lambda m, o: m.LinearLR(o, start_factor=0.1, total_iters=5),
    "linear-decay": lambda m, o: m.LinearLR(o, start_factor=0.5, end_factor=0.2, total_iters=10),
    "warmup-then-cosine": lambda m, o: [
        m.LinearLR(o, start_factor=0.01, total_iters=4),
        m.CosineAnnealingLR(o, T_max=12, eta_min=0.001),
    ],
    "step-and-exponential": lambda m, o: [
        m.StepLR(o, step_size=4, gamma=0.5),
        m.ExponentialLR(o, gamma=0.95),
    ],
}


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_lr_sequence_equals_pytorch(name):
    ours = lr_sequence("sj", SCHEDULES[name])
    theirs = lr_sequence("torch", SCHEDULES[name])
    assert len(ours) == EPOCHS + 1
    # the same formulas in the same order of Python float operations: equal to the last bit
    assert ours == theirs
    assert len({lrs[0] for lrs, _ in ours}) > 1  # the schedule did change the rate


def test_cosine_values_follow_the_closed_form():
    ours = lr_sequence("sj", lambda m, o: m.CosineAnnealingLR(o, T_max=10, eta_min=0.01))
    for epoch, (lrs, _) in enumerate(ours):
        for lr, base in zip(lrs, (0.1, 0.05)):
            expected = 0.01 + (base - 0.01) * (1 + np.cos(np.pi * epoch / 10)) / 2
            assert lr == pytest.approx(expected, rel=1e-12, abs=1e-15)


# -- ReduceLROnPlateau -----------------------------------------------------------------------------
def metric_sequence(seed=3, epochs=EPOCHS):
    """A loss that falls, plateaus, wobbles and falls again: every branch gets exercised."""
    rng = np.random.default_rng(seed)
    base = np.concatenate([np.linspace(1.0, 0.5, 6), np.full(8, 0.5), np.linspace(0.5, 0.3, 6),
                           np.full(10, 0.3)])[:epochs]
    return [float(v) for v in base + rng.uniform(-0.01, 0.01, epochs) * (base < 0.55)]


PLATEAU = {
    "default": {},
    "patience-2": {"patience": 2, "factor": 0.5},
    "max-mode": {"mode": "max", "patience": 1, "factor": 0.5},
    "abs-threshold": {"threshold_mode": "abs", "threshold": 0.02, "patience": 1},
    "rel-threshold": {"threshold": 0.05, "patience": 1, "factor": 0.3},
    "max-abs": {"mode": "max", "threshold_mode": "abs", "threshold": 0.01, "patience": 2},
    "cooldown": {"patience": 1, "cooldown": 3, "factor": 0.5},
    "min-lr": {"patience": 0, "factor": 0.5, "min_lr": 0.01},
    "min-lr-list": {"patience": 0, "factor": 0.5, "min_lr": [0.02, 0.001]},
    "eps": {"patience": 0, "factor": 0.9, "eps": 0.006},
}


def plateau_sequence(lib_name, kwargs, metrics):
    opt = make_optimizer(lib_name)
    scheduler = LIBS[lib_name][1].lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
    sequence = [scheduler.get_last_lr()]
    for value in metrics:
        opt.step()
        scheduler.step(value)
        sequence.append((scheduler.get_last_lr(), [g["lr"] for g in opt.param_groups],
                         scheduler.best, scheduler.num_bad_epochs, scheduler.cooldown_counter,
                         scheduler.last_epoch))
    return sequence


@pytest.mark.parametrize("name", list(PLATEAU))
def test_reduce_lr_on_plateau_equals_pytorch(name):
    metrics = metric_sequence()
    if PLATEAU[name].get("mode") == "max":
        metrics = [-m for m in metrics]
    ours = plateau_sequence("sj", PLATEAU[name], metrics)
    theirs = plateau_sequence("torch", PLATEAU[name], metrics)
    assert ours == theirs


def test_reduce_lr_on_plateau_takes_a_tensor_metric():
    opt = make_optimizer("sj")
    scheduler = lr_scheduler.ReduceLROnPlateau(opt, patience=0)
    scheduler.step(sj.tensor(1.0))
    scheduler.step(sj.tensor([2.0]))
    assert scheduler.get_last_lr() == pytest.approx([0.01, 0.005])


def test_reduce_lr_on_plateau_state_dict_round_trip():
    metrics = metric_sequence()
    kwargs = {"patience": 1, "cooldown": 2, "factor": 0.5, "mode": "min"}
    opt = make_optimizer("sj")
    scheduler = lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
    for value in metrics[:12]:
        scheduler.step(value)
    saved_opt, saved = opt.state_dict(), scheduler.state_dict()
    assert "optimizer" not in saved
    rest = []
    for value in metrics[12:]:
        scheduler.step(value)
        rest.append(scheduler.get_last_lr())
    fresh_opt = make_optimizer("sj")
    fresh = lr_scheduler.ReduceLROnPlateau(fresh_opt, mode="max")
    fresh_opt.load_state_dict(saved_opt)
    fresh.load_state_dict(saved)
    assert fresh.mode == "min" and fresh.mode_worse == float("inf")
    resumed = []
    for value in metrics[12:]:
        fresh.step(value)
        resumed.append(fresh.get_last_lr())
    assert resumed == rest


# -- state, resuming, the deprecated epoch argument ------------------------------------------------
@pytest.mark.parametrize("name", ["step-3", "exponential", "cosine-7-eta-min", "linear-warmup"])
def test_state_dict_round_trip_mid_run(name):
    make = SCHEDULES[name]
    uninterrupted = lr_sequence("sj", make)
    opt = make_optimizer("sj")
    scheduler = make(lr_scheduler, opt)
    for _ in range(10):
        opt.step()
        scheduler.step()
    saved_opt, saved = opt.state_dict(), scheduler.state_dict()
    assert "optimizer" not in saved
    fresh_opt = make_optimizer("sj", lrs=(1.0, 2.0))
    fresh = make(lr_scheduler, fresh_opt)  # the scheduler first, then the state (PyTorch's order)
    fresh_opt.load_state_dict(saved_opt)
    fresh.load_state_dict(saved)
    assert fresh.get_last_lr() == uninterrupted[10][0]
    for epoch in range(10, EPOCHS):
        fresh_opt.step()
        fresh.step()
        assert fresh.get_last_lr() == uninterrupted[epoch + 1][0]


def test_state_dict_is_a_snapshot():
    opt = make_optimizer("sj")
    scheduler = lr_scheduler.StepLR(opt, step_size=2)
    saved = scheduler.state_dict()
    saved["base_lrs"].append(9.0)
    saved["_last_lr"][0] = 9.0
    assert scheduler.base_lrs == [0.1, 0.05]
    assert scheduler.get_last_lr() == [0.1, 0.05]
    scheduler.get_last_lr()[0] = 5.0
    assert scheduler.get_last_lr() == [0.1, 0.05]


@pytest.mark.parametrize("name", ["step-3", "exponential", "cosine-10", "linear-warmup"])
def test_resuming_with_last_epoch_equals_pytorch(name):
    make_kwargs = {
        "step-3": ("StepLR", {"step_size": 3, "gamma": 0.5}),
        "exponential": ("ExponentialLR", {"gamma": 0.9}),
        "cosine-10": ("CosineAnnealingLR", {"T_max": 10}),
        "linear-warmup": ("LinearLR", {"start_factor": 0.1, "total_iters": 5}),
    }
    cls, kwargs = make_kwargs[name]

    def sequence(lib_name):
        opt = make_optimizer(lib_name)
        for group in opt.param_groups:
            group["initial_lr"] = group["lr"]
            group["lr"] = group["lr"] * 0.5
        scheduler = getattr(LIBS[lib_name][1].lr_scheduler, cls)(opt, last_epoch=4, **kwargs)
        out = [scheduler.get_last_lr()]
        for _ in range(12):
            opt.step()
            scheduler.step()
            out.append(scheduler.get_last_lr())
        return out

    assert sequence("sj") == sequence("torch")


def test_resuming_needs_initial_lr():
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(make_optimizer("sj"), step_size=2, last_epoch=3)


@pytest.mark.parametrize("name", ["step-3", "exponential", "cosine-7-eta-min", "linear-warmup"])
def test_epoch_argument_uses_the_closed_form_like_pytorch(name):
    def sequence(lib_name):
        opt = make_optimizer(lib_name)
        scheduler = SCHEDULES[name](LIBS[lib_name][1].lr_scheduler, opt)
        out = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for epoch in [3, 1, 8, 8, 20, 0]:
                scheduler.step(epoch)
                out.append(scheduler.get_last_lr())
        return out

    assert sequence("sj") == sequence("torch")
    with pytest.warns(UserWarning, match="deprecated"):
        lr_scheduler.StepLR(make_optimizer("sj"), step_size=2).step(3)


def test_scheduler_writes_the_optimizer_lr_used_by_step():
    w = sj.tensor([1.0], requires_grad=True)
    opt = optim.SGD([w], lr=1.0)
    scheduler = lr_scheduler.LinearLR(opt, start_factor=0.5, total_iters=2)
    assert opt.param_groups[0]["lr"] == 0.5
    assert opt.param_groups[0]["initial_lr"] == 1.0
    (w * w).sum().backward()  # gradient 2
    opt.step()
    assert w.tolist() == [0.0]
    scheduler.step()
    assert opt.param_groups[0]["lr"] == 0.75


# -- argument checks -------------------------------------------------------------------------------
@pytest.mark.parametrize("make, error, message", [
    (lambda o: lr_scheduler.StepLR(o, step_size=0), ValueError, "step_size"),
    (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=0), ValueError, "T_max"),
    (lambda o: lr_scheduler.LinearLR(o, start_factor=0.0), ValueError, "start_factor"),
    (lambda o: lr_scheduler.LinearLR(o, start_factor=1.5), ValueError, "start_factor"),
    (lambda o: lr_scheduler.LinearLR(o, end_factor=1.5), ValueError, "end_factor"),
    (lambda o: lr_scheduler.LinearLR(o, total_iters=0), ValueError, "total_iters"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, factor=1.0), ValueError, "factor"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, mode="avg"), ValueError, "mode 'avg'"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, threshold_mode="x"), ValueError, "threshold"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, min_lr=[0.1]), ValueError, "min_lrs"),
    (lambda o: lr_scheduler.StepLR(object(), step_size=1), TypeError, "not an Optimizer"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(object()), TypeError, "not an Optimizer"),
])
def test_bad_arguments(make, error, message):
    with pytest.raises(error, match=message):
        make(make_optimizer("sj"))


def test_reduce_lr_on_plateau_after_a_new_group():
    opt = make_optimizer("sj")
    scheduler = lr_scheduler.ReduceLROnPlateau(opt, patience=0, min_lr=[0.0, 0.0])
    opt.add_param_group({"params": [sj.zeros(1, requires_grad=True)], "lr": 1.0})
    scheduler.step(1.0)
    with pytest.raises(RuntimeError, match="min_lrs"):
        scheduler.step(2.0)
    scheduler = lr_scheduler.ReduceLROnPlateau(make_optimizer("sj"), patience=0, min_lr=0.001)
    scheduler.optimizer.add_param_group({"params": [sj.zeros(1, requires_grad=True)], "lr": 1.0})
    scheduler.step(1.0)
    scheduler.step(2.0)
    assert scheduler.get_last_lr() == pytest.approx([0.01, 0.005, 0.1])
