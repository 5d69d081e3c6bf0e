"""Learning-rate schedulers against PyTorch: the learning rate of every group, epoch by epoch."""

import warnings

import numpy as np
import pytest
import torch

import shenjing as sj
import shenjing.optim as optim
from shenjing.optim import lr_scheduler
from shenjing.static import TraceError

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
    "multistep": lambda m, o: m.MultiStepLR(o, milestones=[3, 7, 7, 15], gamma=0.5),
    "multistep-default-gamma": lambda m, o: m.MultiStepLR(o, milestones=[10, 20]),
    "lambda": lambda m, o: m.LambdaLR(o, lambda epoch: 0.95**epoch),
    "lambda-per-group": lambda m, o: m.LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: 0.9**e]),
    "multiplicative": lambda m, o: m.MultiplicativeLR(o, lambda e: 0.9 if e % 2 else 1.0),
    "constant": lambda m, o: m.ConstantLR(o, factor=0.5, total_iters=4),
    "constant-default": lambda m, o: m.ConstantLR(o),
    "polynomial": lambda m, o: m.PolynomialLR(o, total_iters=20, power=2.0),
    "polynomial-default": lambda m, o: m.PolynomialLR(o),
    "warm-restarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=5),
    "warm-restarts-mult": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2,
                                                                      eta_min=0.001),
    "one-cycle-cos": lambda m, o: m.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=EPOCHS),
    "one-cycle-linear-three-phase": lambda m, o: m.OneCycleLR(
        o, max_lr=1.0, total_steps=EPOCHS, anneal_strategy="linear", three_phase=True,
        pct_start=0.25),
    "one-cycle-cos-three-phase": lambda m, o: m.OneCycleLR(
        o, max_lr=0.8, total_steps=EPOCHS + 5, three_phase=True, pct_start=0.4),
    "one-cycle-epochs": lambda m, o: m.OneCycleLR(
        o, max_lr=0.3, epochs=5, steps_per_epoch=7, cycle_momentum=False, div_factor=10.0,
        final_div_factor=100.0),
    "sequential": lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, start_factor=0.1, total_iters=4), m.CosineAnnealingLR(o, T_max=10),
            m.ExponentialLR(o, gamma=0.9)], milestones=[5, 15]),
    "sequential-constant-multistep": lambda m, o: m.SequentialLR(
        o, [m.ConstantLR(o, factor=0.2, total_iters=3), m.MultiStepLR(o, [4, 8], gamma=0.5)],
        milestones=[6]),
    "sequential-warm-restarts": lambda m, o: m.SequentialLR(
        o, [m.ConstantLR(o, factor=0.5, total_iters=3),
            m.CosineAnnealingWarmRestarts(o, T_0=4, T_mult=2)], milestones=[3]),
    "chained": lambda m, o: m.ChainedScheduler([
        m.ConstantLR(o, factor=0.5, total_iters=6), m.ExponentialLR(o, gamma=0.9),
        m.MultiStepLR(o, milestones=[10, 20], gamma=0.5)]),
    "chained-given-optimizer": lambda m, o: m.ChainedScheduler(
        [m.LinearLR(o, start_factor=0.2, total_iters=5), m.CosineAnnealingLR(o, T_max=12)],
        optimizer=o),
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
@pytest.mark.parametrize("name", [
    "step-3", "exponential", "cosine-7-eta-min", "linear-warmup", "multistep", "lambda",
    "multiplicative", "constant", "polynomial", "warm-restarts-mult", "one-cycle-cos",
    "one-cycle-linear-three-phase", "sequential", "sequential-warm-restarts", "chained",
])
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


@pytest.mark.parametrize("name", ["step-3", "exponential", "cosine-10", "linear-warmup",
                                  "multistep", "constant", "polynomial", "warm-restarts"])
def test_resuming_with_last_epoch_equals_pytorch(name):
    make_kwargs = {
        "step-3": ("StepLR", {"step_size": 3, "gamma": 0.5}),
        "exponential": ("ExponentialLR", {"gamma": 0.9}),
        "cosine-10": ("CosineAnnealingLR", {"T_max": 10}),
        "linear-warmup": ("LinearLR", {"start_factor": 0.1, "total_iters": 5}),
        "multistep": ("MultiStepLR", {"milestones": [6, 9, 9], "gamma": 0.5}),
        "constant": ("ConstantLR", {"factor": 0.5, "total_iters": 8}),
        "polynomial": ("PolynomialLR", {"total_iters": 12, "power": 0.5}),
        "warm-restarts": ("CosineAnnealingWarmRestarts", {"T_0": 3, "T_mult": 2}),
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


@pytest.mark.parametrize("name", [
    "step-3", "exponential", "cosine-7-eta-min", "linear-warmup", "multistep", "constant",
    "polynomial", "lambda",
])
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
    (lambda o: lr_scheduler.LambdaLR(o, [lambda e: 1.0]), ValueError, "expected 2 values"),
    (lambda o: lr_scheduler.LambdaLR(o, 0.5), TypeError, "lr_lambda should be a function"),
    (lambda o: lr_scheduler.MultiplicativeLR(o, [None, None]), TypeError, "function"),
    (lambda o: lr_scheduler.ConstantLR(o, factor=1.5), ValueError, "between 0 and 1"),
    (lambda o: lr_scheduler.PolynomialLR(o, total_iters=0), ValueError, "total_iters"),
    (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=0), ValueError, "T_0"),
    (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=2.5), ValueError, "T_0"),
    (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0), ValueError,
     "T_mult"),
    (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=2, eta_min="0"), ValueError,
     "eta_min"),
    (lambda o: lr_scheduler.OneCycleLR(o, max_lr=1.0), ValueError, "total_steps OR"),
    (lambda o: lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=0), ValueError, "total_steps"),
    (lambda o: lr_scheduler.OneCycleLR(o, max_lr=1.0, epochs=2, steps_per_epoch=0), ValueError,
     "steps_per_epoch"),
    (lambda o: lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=9, pct_start=1.5), ValueError,
     "pct_start"),
    (lambda o: lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=9, anneal_strategy="exp"),
     ValueError, "anneal_strategy"),
    (lambda o: lr_scheduler.OneCycleLR(o, max_lr=[1.0], total_steps=9), ValueError, "max_lr"),
    (lambda o: lr_scheduler.OneCycleLR(optim.Adagrad(o.param_groups[0]["params"]), max_lr=1.0,
                                       total_steps=9), ValueError, "momentum or beta1"),
    (lambda o: lr_scheduler.SequentialLR(o, [], milestones=[]), ValueError, "at least one"),
    (lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.ConstantLR(o)], milestones=[3]),
     ValueError, "one more than the number of milestone"),
    (lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.ReduceLROnPlateau(o)], milestones=[]),
     ValueError, "ReduceLROnPlateau"),
    (lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.ConstantLR(make_optimizer("sj"))],
                                         milestones=[]), ValueError, "same optimizer"),
    (lambda o: lr_scheduler.ChainedScheduler([]), ValueError, "at least one"),
    (lambda o: lr_scheduler.ChainedScheduler([object()], optimizer=o), TypeError,
     "should have `optimizer`"),
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


# -- issue 14 schedulers: momentum cycling, fractional epochs, lambdas, compiled steps ------------
@pytest.mark.parametrize("opt_name, kwargs", [
    ("SGD", {"max_lr": [1.0, 0.5], "total_steps": 25}),
    ("SGD", {"max_lr": 0.4, "total_steps": 25, "three_phase": True, "base_momentum": [0.8, 0.7],
             "max_momentum": 0.99, "anneal_strategy": "linear"}),
    ("Adam", {"max_lr": 0.01, "total_steps": 25}),
    ("Adam", {"max_lr": 0.01, "total_steps": 25, "three_phase": True, "pct_start": 0.2}),
])
def test_one_cycle_momentum_and_betas_equal_pytorch(opt_name, kwargs):
    def sequence(lib_name):
        lib, opt_module = LIBS[lib_name]
        groups = [{"params": [lib.zeros(1, requires_grad=True)]} for _ in range(2)]
        opt = getattr(opt_module, opt_name)(groups, lr=0.1, **(
            {"momentum": 0.9} if opt_name == "SGD" else {"betas": (0.9, 0.99)}))
        scheduler = opt_module.lr_scheduler.OneCycleLR(opt, **kwargs)
        key = "momentum" if opt_name == "SGD" else "betas"
        out = []
        for _ in range(kwargs["total_steps"]):
            out.append((scheduler.get_last_lr(), [tuple(g[key]) if key == "betas" else g[key]
                                                  for g in opt.param_groups]))
            opt.step()
            scheduler.step()
        return out

    ours, theirs = sequence("sj"), sequence("torch")
    assert ours == theirs
    assert len({m[0] for _, m in ours}) > 2  # the momentum did cycle


def test_one_cycle_refuses_to_step_past_total_steps():
    opt = make_optimizer("sj")
    scheduler = lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=3)
    for _ in range(3):
        scheduler.step()
    with pytest.raises(ValueError, match="Tried to step 4 times.*total steps is 3"):
        scheduler.step()


@pytest.mark.parametrize("T_mult", [1, 2, 3])
def test_warm_restarts_with_fractional_epochs_equal_pytorch(T_mult):
    def sequence(lib_name):
        opt = make_optimizer(lib_name)
        scheduler = LIBS[lib_name][1].lr_scheduler.CosineAnnealingWarmRestarts(
            opt, T_0=2, T_mult=T_mult, eta_min=0.01)
        out = []
        for epoch in range(12):
            for i in range(4):
                opt.step()
                scheduler.step(epoch + i / 4)
                out.append((scheduler.get_last_lr(), scheduler.T_cur, scheduler.T_i,
                            scheduler.last_epoch))
        for epoch in [30, 3, 0, 7.5]:  # jumps, back and forth
            scheduler.step(epoch)
            out.append((scheduler.get_last_lr(), scheduler.T_cur, scheduler.T_i))
        return out

    assert sequence("sj") == sequence("torch")
    with pytest.raises(ValueError, match="non-negative epoch"):
        lr_scheduler.CosineAnnealingWarmRestarts(make_optimizer("sj"), T_0=2).step(-1)


class Halving:
    """A callable object: its attributes travel in the scheduler's state dict."""

    def __init__(self):
        self.factor = 0.5

    def __call__(self, epoch):
        return self.factor ** epoch


@pytest.mark.parametrize("cls", ["LambdaLR", "MultiplicativeLR"])
def test_lambda_state_dict_saves_callable_objects_not_functions(cls):
    def make(lib_name, fns):
        opt = make_optimizer(lib_name)
        return opt, getattr(LIBS[lib_name][1].lr_scheduler, cls)(opt, fns)

    opt, scheduler = make("sj", [Halving(), lambda e: 0.9])
    _, tscheduler = make("torch", [Halving(), lambda e: 0.9])
    saved = scheduler.state_dict()
    assert saved["lr_lambdas"] == tscheduler.state_dict()["lr_lambdas"] == [{"factor": 0.5}, None]
    saved["lr_lambdas"][0]["factor"] = 0.25
    assert scheduler.lr_lambdas[0].factor == 0.5  # a snapshot
    _, fresh = make("sj", [Halving(), lambda e: 0.9])
    fresh.load_state_dict(saved)
    assert fresh.lr_lambdas[0].factor == 0.25
    assert "lr_lambdas" in saved  # the caller's dict is left whole


def test_multistep_milestones_stay_a_counter_after_loading():
    opt = make_optimizer("sj")
    scheduler = lr_scheduler.MultiStepLR(opt, milestones=[2, 2, 5])
    saved = scheduler.state_dict()
    fresh = lr_scheduler.MultiStepLR(make_optimizer("sj"), milestones=[1])
    fresh.load_state_dict(saved)
    assert fresh.milestones == {2: 2, 5: 1}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fresh.step(6)  # the closed form reads the Counter's elements
    assert fresh.get_last_lr() == pytest.approx([0.1 * 0.1**3, 0.05 * 0.1**3])


def test_composite_state_dicts_hold_their_schedulers_state():
    opt = make_optimizer("sj")
    chain = lr_scheduler.ChainedScheduler([lr_scheduler.ExponentialLR(opt, gamma=0.5),
                                           lr_scheduler.ConstantLR(opt, factor=0.5)])
    saved = chain.state_dict()
    assert "optimizer" not in saved and len(saved["_schedulers"]) == 2
    assert saved["_schedulers"][0]["gamma"] == 0.5
    assert all("optimizer" not in inner for inner in saved["_schedulers"])


# schedulers stepped inside a compiled step: every replay steps them, as the eager run does
COMPILED_SCHEDULES = {
    "sequential": lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, start_factor=0.1, total_iters=3), m.ExponentialLR(o, gamma=0.8)],
        milestones=[3]),
    "chained": lambda m, o: m.ChainedScheduler([m.ConstantLR(o, factor=0.5, total_iters=2),
                                                m.MultiStepLR(o, milestones=[2, 5])]),
    "one-cycle": lambda m, o: m.OneCycleLR(o, max_lr=0.05, total_steps=10, three_phase=True),
    "warm-restarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=2),
    "lambda": lambda m, o: m.LambdaLR(o, lambda e: 1 / (1 + e)),
    "multiplicative": lambda m, o: m.MultiplicativeLR(o, lambda e: 0.9),
    "polynomial": lambda m, o: m.PolynomialLR(o, total_iters=12, power=2.0),
}


@pytest.mark.parametrize("name", list(COMPILED_SCHEDULES))
def test_a_scheduler_stepped_inside_a_compiled_step_steps_on_every_replay(name):
    def train(compiled):
        sj.manual_seed(0)
        model = sj.nn.Linear(4, 3)
        opt = optim.Adam(model.parameters(), lr=0.01)
        scheduler = COMPILED_SCHEDULES[name](lr_scheduler, opt)

        def step(x):
            opt.zero_grad()
            (model(x) ** 2).sum().backward()
            opt.step()
            scheduler.step()
            return model.weight.sum().detach()

        run = sj.compile(step) if compiled else step
        out = [run(sj.ones(2, 4)).item() for _ in range(10)]
        return out + [opt.param_groups[0]["lr"], opt.param_groups[0]["betas"],
                      scheduler.get_last_lr()]

    eager = train(False)
    assert train(True) == eager
    assert len(set(eager[:10])) == 10


@pytest.mark.parametrize("cls, kwargs", [("CosineAnnealingWarmRestarts", {"T_0": 3}),
                                         ("StepLR", {"step_size": 2})])
def test_an_epoch_argument_is_refused_inside_a_compiled_step(cls, kwargs):
    model = sj.nn.Linear(2, 1)
    opt = optim.SGD(model.parameters(), lr=0.1)
    scheduler = getattr(lr_scheduler, cls)(opt, **kwargs)

    @sj.compile
    def step(x):
        opt.zero_grad()
        model(x).sum().backward()
        opt.step()
        scheduler.step(1.5 if cls == "CosineAnnealingWarmRestarts" else 3)
        return model.weight.sum().detach()

    with pytest.raises(TraceError, match=f"{cls}.step.epoch.*cannot be part of a static graph"):
        step(sj.ones(1, 2))


@pytest.mark.parametrize("name", [
    "LambdaLR", "MultiplicativeLR", "MultiStepLR", "ConstantLR", "PolynomialLR",
    "CosineAnnealingWarmRestarts", "OneCycleLR", "SequentialLR", "ChainedScheduler",
])
def test_signature_equals_pytorch(name):
    import inspect

    ours = inspect.signature(getattr(lr_scheduler, name)).parameters
    theirs = inspect.signature(getattr(torch.optim.lr_scheduler, name)).parameters
    assert [(k, p.default) for k, p in ours.items()] == [(k, p.default)
                                                         for k, p in theirs.items()]
