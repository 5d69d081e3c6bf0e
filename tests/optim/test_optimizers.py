"""Optimizers against PyTorch: 20-step trajectories over option grids, state dicts, param groups."""

import itertools

import numpy as np
import pytest
import torch

import shenjing as sj
import shenjing.optim as optim

STEPS = 20
RTOL, ATOL = 1e-10, 1e-12  # float64 throughout: only the order of rounding may differ


# -- the problem: a small tanh network with a squared-error loss, identical in both libraries ------
def initial_weights(dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    shapes = {"W1": (4, 3), "b1": (4,), "W2": (2, 4), "b2": (2,), "scale": ()}
    weights = {name: rng.standard_normal(shape).astype(dtype) for name, shape in shapes.items()}
    weights["b1"] *= 0.1
    return weights


def data(dtype=np.float64, seed=1):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((6, 3)).astype(dtype), rng.standard_normal((6, 2)).astype(dtype)


def loss_fn(lib, params, X, Y):
    W1, b1, W2, b2, scale = params
    hidden = lib.tanh(X @ W1.T + b1)
    out = (hidden @ W2.T + b2) * scale
    return ((out - Y) ** 2).mean() + 0.01 * (W1**4).sum()


def make_params(lib, weights):
    return [lib.tensor(np.array(w), requires_grad=True) for w in weights.values()]


LIBS = {"sj": (sj, optim), "torch": (torch, torch.optim)}


def run(lib_name, opt_name, kwargs, steps=STEPS, weights=None, dtype=np.float64, groups=None,
        closure=False):
    """Parameter values after each of ``steps`` optimizer steps (a list of lists of arrays)."""
    lib, opt_module = LIBS[lib_name]
    weights = initial_weights(dtype) if weights is None else weights
    params = make_params(lib, weights)
    X, Y = (lib.tensor(a) for a in data(dtype))
    spec = params if groups is None else [
        {"params": [params[i] for i in idx], **opts} for idx, opts in groups
    ]
    opt = getattr(opt_module, opt_name)(spec, **kwargs)

    # maximize climbs the negated loss, which keeps the trajectory bounded
    sign = -1.0 if kwargs.get("maximize") else 1.0

    def compute_loss():
        opt.zero_grad()
        loss = loss_fn(lib, params, X, Y) * sign
        loss.backward()
        return loss

    trajectory = []
    for _ in range(steps):
        if closure:
            loss = opt.step(compute_loss)
            assert loss is not None
        else:
            compute_loss()
            opt.step()
        trajectory.append([p.detach().numpy().copy() for p in params])
    return trajectory, opt, params


def assert_same_trajectory(ours, theirs, rtol=RTOL, atol=ATOL):
    assert len(ours) == len(theirs)
    for step, (a, b) in enumerate(zip(ours, theirs)):
        for i, (x, y) in enumerate(zip(a, b)):
            assert x.dtype == y.dtype, f"step {step}, parameter {i}"
            np.testing.assert_allclose(x, y, rtol=rtol, atol=atol,
                                       err_msg=f"step {step + 1}, parameter {i}")


def grid(**options):
    names = list(options)
    for values in itertools.product(*options.values()):
        yield dict(zip(names, values))


def case_id(case):
    name, kwargs = case
    return name + "-" + ",".join(f"{k}={v}" for k, v in kwargs.items())


SGD_CASES = [
    kw for kw in grid(lr=[0.1], momentum=[0.0, 0.9], dampening=[0.0, 0.3], nesterov=[False, True],
                      weight_decay=[0.0, 0.05], maximize=[False, True])
    if not (kw["nesterov"] and (kw["momentum"] == 0 or kw["dampening"] != 0))
]
ADAM_CASES = list(grid(lr=[0.01], betas=[(0.9, 0.999), (0.5, 0.8)], weight_decay=[0.0, 0.1],
                       amsgrad=[False, True], maximize=[False, True]))
ADAM_CASES.append({"lr": 0.05, "eps": 1e-2, "betas": (0.0, 0.99)})
ADAMW_CASES = list(grid(lr=[0.01], weight_decay=[0.0, 0.01, 0.3], amsgrad=[False, True],
                        maximize=[False, True]))
RMSPROP_CASES = list(grid(lr=[0.01], alpha=[0.99, 0.5], momentum=[0.0, 0.9],
                          centered=[False, True], weight_decay=[0.0, 0.1], maximize=[False, True]))
ADAGRAD_CASES = list(grid(lr=[0.1], lr_decay=[0.0, 0.1], weight_decay=[0.0, 0.1],
                          initial_accumulator_value=[0.0, 0.5], eps=[1e-10, 1e-2]))
ADAGRAD_CASES.append({"lr": 0.1, "maximize": True, "lr_decay": 0.05})
ADADELTA_CASES = list(grid(lr=[1.0, 0.5], rho=[0.9, 0.5], weight_decay=[0.0, 0.1],
                           maximize=[False, True]))
ADADELTA_CASES.append({"eps": 1e-3})
ADAMAX_CASES = list(grid(lr=[0.01], betas=[(0.9, 0.999), (0.5, 0.8)], weight_decay=[0.0, 0.1],
                         maximize=[False, True]))
ADAMAX_CASES.append({"lr": 0.05, "eps": 1e-2})
NADAM_CASES = list(grid(lr=[0.01], betas=[(0.9, 0.999), (0.5, 0.8)], weight_decay=[0.0, 0.1],
                        decoupled_weight_decay=[False, True], maximize=[False, True]))
NADAM_CASES.append({"lr": 0.05, "momentum_decay": 0.1, "eps": 1e-3})
# betas (0.5, 0.8) and (0.9, 0.9) cross rho_t = 5 early: both branches of the rectification run
RADAM_CASES = list(grid(lr=[0.01], betas=[(0.9, 0.999), (0.5, 0.8), (0.9, 0.9)],
                        weight_decay=[0.0, 0.1], decoupled_weight_decay=[False, True],
                        maximize=[False, True]))
# t0 within the 20 steps: the averaging of ax starts mid-run
ASGD_CASES = list(grid(lr=[0.05], lambd=[1e-4, 0.1], alpha=[0.75, 1.0], t0=[1e6, 5.0],
                       weight_decay=[0.0, 0.1]))
ASGD_CASES.append({"lr": 0.05, "maximize": True, "t0": 3.0})

CASES = (
    [("SGD", kw) for kw in SGD_CASES]
    + [("Adam", kw) for kw in ADAM_CASES]
    + [("AdamW", kw) for kw in ADAMW_CASES]
    + [("RMSprop", kw) for kw in RMSPROP_CASES]
    + [("Adagrad", kw) for kw in ADAGRAD_CASES]
    + [("Adadelta", kw) for kw in ADADELTA_CASES]
    + [("Adamax", kw) for kw in ADAMAX_CASES]
    + [("NAdam", kw) for kw in NADAM_CASES]
    + [("RAdam", kw) for kw in RADAM_CASES]
    + [("ASGD", kw) for kw in ASGD_CASES]
)

# One configuration per optimizer that fills every kind of state buffer.
FULL_STATE = {
    "SGD": {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01},
    "Adam": {"lr": 0.01, "amsgrad": True, "weight_decay": 0.01},
    "AdamW": {"lr": 0.01, "amsgrad": True},
    "RMSprop": {"lr": 0.01, "momentum": 0.5, "centered": True},
    "Adagrad": {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1},
    "Adadelta": {"lr": 0.5, "weight_decay": 0.01},
    "Adamax": {"lr": 0.01, "weight_decay": 0.01},
    "NAdam": {"lr": 0.01, "weight_decay": 0.01},
    "RAdam": {"lr": 0.01, "betas": (0.9, 0.9), "weight_decay": 0.01},
    "ASGD": {"lr": 0.05, "lambd": 0.01, "t0": 5.0},
}


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_trajectory_equals_pytorch(case):
    name, kwargs = case
    ours, _, _ = run("sj", name, kwargs)
    theirs, _, _ = run("torch", name, kwargs)
    assert_same_trajectory(ours, theirs)
    # the loss really moved the parameters
    assert not np.allclose(ours[-1][0], initial_weights()["W1"])


@pytest.mark.parametrize("name", list(FULL_STATE))
def test_float32_trajectory_and_state_dtype(name):
    ours, opt, params = run("sj", name, FULL_STATE[name], dtype=np.float32)
    theirs, _, _ = run("torch", name, FULL_STATE[name], dtype=np.float32)
    assert_same_trajectory(ours, theirs, rtol=1e-5, atol=1e-6)
    for p in params:
        assert p.dtype == sj.float32
        for value in opt.state[p].values():
            if isinstance(value, sj.Tensor):
                assert value.dtype == sj.float32


@pytest.mark.parametrize("name", list(FULL_STATE))
def test_closure_trajectory(name):
    ours, _, _ = run("sj", name, FULL_STATE[name], closure=True)
    theirs, _, _ = run("torch", name, FULL_STATE[name], closure=True)
    assert_same_trajectory(ours, theirs)


def test_closure_runs_with_grad_enabled_and_returns_loss():
    w = sj.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with sj.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 5.0
    np.testing.assert_allclose(w.detach().numpy(), [0.8, 1.6])


# -- parameter groups ----------------------------------------------------------------------------
GROUPS = {
    "SGD": [((0, 1), {"lr": 0.2}), ((2, 3, 4), {"lr": 0.01, "momentum": 0.5})],
    "Adam": [((0, 1), {"lr": 0.02}), ((2, 3, 4), {"betas": (0.8, 0.9), "amsgrad": True})],
    "AdamW": [((0, 1), {"weight_decay": 0.5}), ((2, 3, 4), {"lr": 0.001})],
    "RMSprop": [((0, 1), {"centered": True}), ((2, 3, 4), {"lr": 0.001, "momentum": 0.9})],
    "Adagrad": [((0, 1), {"lr": 0.3}), ((2, 3, 4), {"lr_decay": 0.2, "weight_decay": 0.1})],
    "Adadelta": [((0, 1), {"rho": 0.5}), ((2, 3, 4), {"lr": 0.1})],
    "Adamax": [((0, 1), {"lr": 0.02}), ((2, 3, 4), {"betas": (0.8, 0.9)})],
    "NAdam": [((0, 1), {"momentum_decay": 0.1}), ((2, 3, 4), {"decoupled_weight_decay": True})],
    "RAdam": [((0, 1), {"betas": (0.5, 0.8)}), ((2, 3, 4), {"decoupled_weight_decay": True})],
    "ASGD": [((0, 1), {"t0": 2.0}), ((2, 3, 4), {"lr": 0.01, "alpha": 1.0})],
}


@pytest.mark.parametrize("name", list(GROUPS))
def test_param_groups_with_different_options(name):
    ours, opt, _ = run("sj", name, FULL_STATE[name], groups=GROUPS[name])
    theirs, topt, _ = run("torch", name, FULL_STATE[name], groups=GROUPS[name])
    assert_same_trajectory(ours, theirs)
    assert [g["lr"] for g in opt.param_groups] == [g["lr"] for g in topt.param_groups]


@pytest.mark.parametrize("name", list(FULL_STATE))
def test_add_param_group_mid_run(name):
    def trajectory(lib_name):
        lib, opt_module = LIBS[lib_name]
        params = make_params(lib, initial_weights())
        X, Y = (lib.tensor(a) for a in data())
        opt = getattr(opt_module, name)(params[:2], **FULL_STATE[name])
        out = []
        for step in range(STEPS):
            if step == 5:
                opt.add_param_group({"params": params[2:], "lr": 0.005})
            opt.zero_grad()
            loss_fn(lib, params, X, Y).backward()
            opt.step()
            out.append([p.detach().numpy().copy() for p in params])
        return out

    assert_same_trajectory(trajectory("sj"), trajectory("torch"))


def test_add_param_group_fills_defaults_and_rejects_overlap():
    a, b = sj.zeros(2, requires_grad=True), sj.zeros(3, requires_grad=True)
    opt = optim.Adam([a], lr=0.1, betas=(0.5, 0.6))
    opt.add_param_group({"params": b, "eps": 1e-3})
    group = opt.param_groups[1]
    assert group["params"][0] is b
    assert (group["lr"], group["betas"], group["eps"]) == (0.1, (0.5, 0.6), 1e-3)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(TypeError, match="ordered collections"):
        opt.add_param_group({"params": {sj.zeros(1, requires_grad=True)}})
    with pytest.raises(TypeError, match="must be a dict"):
        opt.add_param_group([b])


# -- state dicts ---------------------------------------------------------------------------------
PLAIN = (int, float, bool, str, type(None))


def assert_plain(obj, where="state_dict"):
    """Only Tensors, numbers, bools, None, strings, lists and dicts: writable without pickle."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            assert isinstance(k, (int, str)), f"{where}: key {k!r}"
            assert_plain(v, f"{where}[{k!r}]")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            assert_plain(v, f"{where}[{i}]")
    else:
        assert isinstance(obj, (sj.Tensor, *PLAIN)), f"{where} is a {type(obj).__name__}"


@pytest.mark.parametrize("name", list(FULL_STATE))
def test_state_dict_layout_equals_pytorch(name):
    _, opt, _ = run("sj", name, FULL_STATE[name], groups=GROUPS[name])
    _, topt, _ = run("torch", name, FULL_STATE[name], groups=GROUPS[name])
    ours, theirs = opt.state_dict(), topt.state_dict()
    assert set(ours) == {"state", "param_groups"}
    assert_plain(ours)
    assert list(ours["state"]) == list(theirs["state"])
    for index, buffers in ours["state"].items():
        assert set(buffers) == set(theirs["state"][index])
        for key, value in buffers.items():
            if key == "step":
                assert isinstance(value, float)
                assert value == float(theirs["state"][index][key])
            else:
                np.testing.assert_allclose(value.numpy(), theirs["state"][index][key].numpy(),
                                           rtol=RTOL, atol=ATOL)
    assert len(ours["param_groups"]) == len(theirs["param_groups"])
    for group, tgroup in zip(ours["param_groups"], theirs["param_groups"]):
        assert set(group) <= set(tgroup)
        for key, value in group.items():
            expected = tgroup[key]
            assert value == (list(expected) if isinstance(expected, tuple) else expected), key


@pytest.mark.parametrize("name", list(FULL_STATE))
def test_state_dict_round_trip_mid_run(name):
    kwargs = FULL_STATE[name]
    first, opt, params = run("sj", name, kwargs, steps=10)
    saved = opt.state_dict()
    frozen = {i: {k: (v.numpy().copy() if isinstance(v, sj.Tensor) else v)
                  for k, v in s.items()} for i, s in saved["state"].items()}
    X, Y = (sj.tensor(a) for a in data())

    def continue_run(opt, params):
        out = []
        for _ in range(STEPS - 10):
            opt.zero_grad()
            loss_fn(sj, params, X, Y).backward()
            opt.step()
            out.append([p.detach().numpy().copy() for p in params])
        return out

    uninterrupted = first + continue_run(opt, params)
    # the snapshot did not move with the live optimizer
    for i, buffers in saved["state"].items():
        for k, v in buffers.items():
            if isinstance(v, sj.Tensor):
                np.testing.assert_array_equal(v.numpy(), frozen[i][k])
    # a fresh optimizer (other hyperparameters, to be overwritten) over the step-10 weights
    weights = dict(zip(initial_weights(), first[-1]))
    fresh_params = make_params(sj, weights)
    fresh = getattr(optim, name)(fresh_params, lr=0.5)
    fresh.load_state_dict(saved)
    resumed = first + continue_run(fresh, fresh_params)
    for a, b in zip(uninterrupted, resumed):
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)
    theirs, _, _ = run("torch", name, kwargs)
    assert_same_trajectory(resumed, theirs)


@pytest.mark.parametrize("name", list(FULL_STATE))
def test_load_state_dict_after_a_serialisation_round_trip(name):
    """String keys and raw arrays, as a JSON + array file would give them back, load too."""
    kwargs = FULL_STATE[name]
    first, opt, _ = run("sj", name, kwargs, steps=10)
    saved = opt.state_dict()
    flattened = {
        "state": {str(i): {k: (v.numpy() if isinstance(v, sj.Tensor) else v)
                           for k, v in s.items()} for i, s in saved["state"].items()},
        "param_groups": saved["param_groups"],
    }
    fresh_params = make_params(sj, dict(zip(initial_weights(), first[-1])))
    fresh = getattr(optim, name)(fresh_params)
    fresh.load_state_dict(flattened)
    X, Y = (sj.tensor(a) for a in data())
    for _ in range(STEPS - 10):
        fresh.zero_grad()
        loss_fn(sj, fresh_params, X, Y).backward()
        fresh.step()
    theirs, _, _ = run("torch", name, kwargs)
    for x, y in zip(fresh_params, theirs[-1]):
        np.testing.assert_allclose(x.detach().numpy(), y, rtol=RTOL, atol=ATOL)
    for state in fresh.state.values():
        assert_plain(state)


def test_state_dict_shares_nothing_with_the_optimizer():
    w = sj.ones(3, requires_grad=True)
    opt = optim.Adam([w], lr=0.1, amsgrad=True)
    w.sum().backward()
    opt.step()
    sd = opt.state_dict()
    sd["param_groups"][0]["params"].append(7)
    sd["param_groups"][0]["betas"][0] = 0.0
    sd["param_groups"][0]["lr"] = 1.0
    sd["state"][0]["exp_avg"].numpy()[:] = 42.0
    assert len(opt.param_groups[0]["params"]) == 1
    assert opt.param_groups[0]["betas"] == (0.9, 0.999)
    assert opt.param_groups[0]["lr"] == 0.1
    assert not (opt.state[w]["exp_avg"].numpy() == 42.0).any()
    # and loading does not alias the dict that was loaded
    sd = opt.state_dict()
    opt.load_state_dict(sd)
    sd["state"][0]["exp_avg"].numpy()[:] = 42.0
    sd["param_groups"][0]["betas"][0] = 0.0
    assert not (opt.state[w]["exp_avg"].numpy() == 42.0).any()
    assert opt.param_groups[0]["betas"] == (0.9, 0.999)


def test_state_dict_indexes_parameters_across_groups_with_names():
    a, b, c = (sj.zeros(1, requires_grad=True) for _ in range(3))
    ta, tb, tc = (torch.zeros(1, requires_grad=True) for _ in range(3))
    opt = optim.SGD([{"params": [("a", a), ("b", b)]}, {"params": [("c", c)]}], lr=0.1)
    topt = torch.optim.SGD([{"params": [("a", ta), ("b", tb)]}, {"params": [("c", tc)]}], lr=0.1)
    ours, theirs = opt.state_dict(), topt.state_dict()
    for g, tg in zip(ours["param_groups"], theirs["param_groups"]):
        assert g["params"] == tg["params"]
        assert g["param_names"] == tg["param_names"]
    assert ours["state"] == theirs["state"] == {}


def test_load_state_dict_rejects_a_mismatch():
    a, b = sj.zeros(2, requires_grad=True), sj.zeros(2, requires_grad=True)
    sd = optim.SGD([a, b], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="different number of parameter groups"):
        optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="doesn't match the size"):
        optim.SGD([a], lr=0.1).load_state_dict(sd)


def test_adamw_keeps_decoupled_weight_decay_after_loading_adam_state():
    w = sj.ones(2, requires_grad=True)
    sd = optim.Adam([w], lr=0.1).state_dict()
    opt = optim.AdamW([w])
    opt.load_state_dict(sd)
    assert opt.param_groups[0]["decoupled_weight_decay"] is True


# -- stepping details ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(FULL_STATE))
def test_parameters_without_grad_are_left_alone(name):
    a = sj.tensor([1.0, 2.0], requires_grad=True)
    b = sj.tensor([3.0], requires_grad=True)
    opt = getattr(optim, name)([a, b], **FULL_STATE[name])
    (a * a).sum().backward()
    version = b._version
    opt.step()
    assert b.tolist() == [3.0] and b._version == version
    assert a._version > 0
    if name == "Adagrad":  # Adagrad makes its state up front, as PyTorch does
        assert opt.state[b]["step"] == 0.0
    else:
        assert b not in opt.state


def test_step_works_on_module_parameters_and_bumps_versions():
    w = sj.nn.Parameter(sj.tensor([1.0, -1.0]))
    opt = optim.SGD([w], lr=0.5, momentum=0.9)
    (w * w).sum().backward()
    before = w._version
    opt.step()
    assert w._version == before + 1
    assert isinstance(w, sj.nn.Parameter) and w.is_leaf and w.requires_grad
    assert w.grad_fn is None
    np.testing.assert_allclose(w.detach().numpy(), [0.0, 0.0])


def test_zero_grad():
    w = sj.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert w.grad.tolist() == [0.0, 0.0]
    assert not w.grad.requires_grad
    (w * w).sum().backward()
    assert w.grad.tolist() == [2.0, 4.0]
    opt.zero_grad()
    assert w.grad is None
    opt.zero_grad()  # nothing to clear is fine


def test_zero_grad_detaches_a_recorded_gradient():
    w = sj.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    (w * w * w).sum().backward(create_graph=True)
    assert w.grad.grad_fn is not None
    opt.zero_grad(set_to_none=False)
    assert w.grad.grad_fn is None and w.grad.tolist() == [0.0, 0.0]


def test_repr_lists_groups():
    opt = optim.SGD([sj.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
    text = repr(opt)
    assert text.startswith("SGD (\nParameter Group 0\n")
    assert "    lr: 0.1\n" in text and "    momentum: 0.9\n" in text and text.endswith(")")


def test_lr_changed_in_the_group_takes_effect():
    w = sj.tensor([1.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    opt.param_groups[0]["lr"] = 0.5
    (w * w).sum().backward()
    opt.step()
    assert w.tolist() == [0.0]


@pytest.mark.parametrize("name", list(FULL_STATE))
def test_lr_changed_between_steps_takes_effect(name):
    """Schedulers change group["lr"] between steps; the optimizer reads it when it steps."""
    def trajectory(lib_name):
        lib, opt_module = LIBS[lib_name]
        params = make_params(lib, initial_weights())
        X, Y = (lib.tensor(a) for a in data())
        opt = getattr(opt_module, name)(params, **FULL_STATE[name])
        out = []
        for step in range(8):
            opt.param_groups[0]["lr"] = 0.02 * (step % 3 + 1)
            opt.zero_grad()
            loss_fn(lib, params, X, Y).backward()
            opt.step()
            out.append([p.detach().numpy().copy() for p in params])
        return out

    assert_same_trajectory(trajectory("sj"), trajectory("torch"))


def test_sgd_without_momentum_keeps_no_state():
    w = sj.ones(2, requires_grad=True)
    tw = torch.ones(2, requires_grad=True)
    opt, topt = optim.SGD([w], lr=0.1), torch.optim.SGD([tw], lr=0.1)
    w.sum().backward()
    tw.sum().backward()
    opt.step()
    topt.step()
    assert opt.state_dict()["state"] == topt.state_dict()["state"] == {}


# -- the update as a recorded kernel (what sj.compile replays) -------------------------------------
def traced_step(opt):
    """Run one step while a trace records; returns the trace."""
    from shenjing.autograd import tracing

    trace = tracing.Trace()
    for group in opt.param_groups:  # as if a compiled backward had made the gradients
        for p in group["params"]:
            if p.grad is not None:
                trace.add_input(p.grad, "grad")
    tracing.start(trace)
    try:
        opt.step()
    finally:
        tracing.stop()
    return trace


@pytest.mark.parametrize("name", list(FULL_STATE))
def test_step_is_one_recorded_kernel_per_parameter_with_a_gradient(name):
    a = sj.tensor([1.0, 2.0], requires_grad=True)
    b = sj.tensor([3.0], requires_grad=True)
    c = sj.tensor([[0.5, -0.5]], requires_grad=True)
    opt = getattr(optim, name)([a, b, c], **FULL_STATE[name])
    ((a * a).sum() + (c * c * c).sum()).backward()
    trace = traced_step(opt)
    kernels = [call for call in trace.calls if call.kind == "kernel"]
    assert [call.name for call in kernels] == [f"{name.lower()}.update"] * 2
    assert [call.mutates.source for call in kernels] == [a, c]
    assert all(call.params["group"] is opt.param_groups[0] for call in kernels)


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad_is_a_recorded_kernel_that_replays(set_to_none):
    from shenjing.autograd import tracing

    w = sj.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    trace = tracing.Trace()
    tracing.start(trace)
    try:
        opt.zero_grad(set_to_none=set_to_none)
    finally:
        tracing.stop()
    (call,) = [c for c in trace.calls if c.kind == "kernel"]
    assert call.name == "zero_grad"
    (w * w).sum().backward()  # a gradient again, which a replay must clear
    call.target(**call.params)
    assert w.grad is None if set_to_none else w.grad.tolist() == [0.0, 0.0]


@pytest.mark.parametrize("name", list(FULL_STATE))
def test_replaying_the_recorded_updates_equals_stepping(name):
    """A replay calls the recorded update again with the same dicts, after lr has changed.

    Record the first step, then replay its kernels on the new gradients for the next steps (as
    sj.compile does) while an eager twin steps; both change lr between steps and must agree
    bitwise: every option is read when the update runs, and first-step branches (SGD's momentum
    buffer) are taken afresh.
    """
    X, Y = (sj.tensor(a) for a in data())

    def setup():
        params = make_params(sj, initial_weights())
        return params, getattr(optim, name)(params, **FULL_STATE[name])

    def backward(opt, params):
        opt.zero_grad()
        loss_fn(sj, params, X, Y).backward()

    eager_params, eager = setup()
    replay_params, replayed = setup()
    backward(replayed, replay_params)
    kernels = [call for call in traced_step(replayed).calls if call.kind == "kernel"]
    backward(eager, eager_params)
    eager.step()
    for step in range(1, 10):
        lr = 0.01 * (step % 4 + 1)
        eager.param_groups[0]["lr"] = replayed.param_groups[0]["lr"] = lr
        backward(eager, eager_params)
        eager.step()
        backward(replayed, replay_params)
        for call, p in zip(kernels, replay_params):
            call.target(p.detach().numpy(), p.grad.numpy(), **call.params)
        for x, y in zip(eager_params, replay_params):
            np.testing.assert_array_equal(x.detach().numpy(), y.detach().numpy())
    assert repr(eager.state_dict()) == repr(replayed.state_dict())


# -- argument checks -----------------------------------------------------------------------------
BAD_ARGUMENTS = [
    ("SGD", {"lr": -0.1}, "learning rate.*lr"),
    ("SGD", {"lr": 0.1, "momentum": -0.5}, "momentum"),
    ("SGD", {"lr": 0.1, "weight_decay": -1.0}, "weight_decay"),
    ("SGD", {"lr": 0.1, "nesterov": True}, "Nesterov momentum requires a momentum"),
    ("SGD", {"lr": 0.1, "nesterov": True, "momentum": 0.9, "dampening": 0.1},
     "zero dampening"),
    ("Adam", {"lr": -1e-3}, "learning rate"),
    ("Adam", {"betas": (1.0, 0.999)}, "beta parameter at index 0.*betas\\[0\\]"),
    ("Adam", {"betas": (0.9, -0.1)}, "beta parameter at index 1"),
    ("Adam", {"betas": (0.9,)}, "pair"),
    ("Adam", {"eps": -1e-8}, "epsilon.*eps"),
    ("Adam", {"weight_decay": -0.1}, "weight_decay"),
    ("AdamW", {"betas": (0.9, 1.5)}, "beta parameter at index 1"),
    ("AdamW", {"lr": -1.0}, "learning rate"),
    ("RMSprop", {"alpha": -0.1}, "alpha"),
    ("RMSprop", {"eps": -1.0}, "eps"),
    ("RMSprop", {"momentum": -0.9}, "momentum"),
    ("RMSprop", {"weight_decay": -0.9}, "weight_decay"),
    ("Adagrad", {"lr_decay": -0.1}, "lr_decay"),
    ("Adagrad", {"initial_accumulator_value": -1.0}, "initial_accumulator_value"),
    ("Adagrad", {"eps": -1.0}, "eps"),
    ("Adagrad", {"weight_decay": -1.0}, "weight_decay"),
    ("Adadelta", {"rho": 1.5}, "rho"),
    ("Adadelta", {"lr": -1.0}, "learning rate"),
    ("Adadelta", {"eps": -1.0}, "eps"),
    ("Adadelta", {"weight_decay": -1.0}, "weight_decay"),
    ("Adamax", {"betas": (1.0, 0.9)}, "beta parameter at index 0"),
    ("Adamax", {"eps": -1.0}, "eps"),
    ("NAdam", {"betas": (0.9, 1.0)}, "beta parameter at index 1"),
    ("NAdam", {"momentum_decay": -0.1}, "momentum_decay"),
    ("NAdam", {"weight_decay": -0.1}, "weight_decay"),
    ("RAdam", {"betas": (-0.1, 0.9)}, "beta parameter at index 0"),
    ("RAdam", {"lr": -1.0}, "learning rate"),
    ("ASGD", {"lr": -1.0}, "learning rate"),
    ("ASGD", {"weight_decay": -1.0}, "weight_decay"),
]


@pytest.mark.parametrize("name, kwargs, message", BAD_ARGUMENTS)
def test_bad_arguments_are_named(name, kwargs, message):
    with pytest.raises(ValueError, match=message):
        getattr(optim, name)([sj.zeros(1, requires_grad=True)], **kwargs)
    with pytest.raises((ValueError, IndexError)):  # PyTorch refuses them too
        getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)], **kwargs)


def test_tensor_learning_rate_is_refused():
    with pytest.raises(TypeError, match="lr must be a Python number"):
        optim.SGD([sj.zeros(1, requires_grad=True)], lr=sj.tensor(0.1))


def test_bad_params():
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="iterable of Tensors or dicts"):
        optim.SGD(sj.zeros(1, requires_grad=True), lr=0.1)
    with pytest.raises(TypeError, match="can only optimize Tensors"):
        optim.SGD([np.zeros(1)], lr=0.1)
    w = sj.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([w * 2], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [w]}, {"params": [w]}], lr=0.1)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        optim.SGD([w, w], lr=0.1)
    with pytest.raises(ValueError, match="with/without names"):
        optim.SGD([("w", w), sj.zeros(1, requires_grad=True)], lr=0.1)


def test_adam_first_step_is_lr_times_sign():
    """Independent of PyTorch: Adam's first step moves each coordinate by lr, against the slope."""
    w = sj.tensor([1.0, -3.0, 0.5], dtype=sj.float64, requires_grad=True)
    opt = optim.Adam([w], lr=0.01, eps=0.0)
    (w * w * w).sum().backward()
    opt.step()
    np.testing.assert_allclose(w.detach().numpy(), [0.99, -3.01, 0.49], rtol=1e-14)
    assert opt.state[w]["step"] == 1.0


@pytest.mark.parametrize("name", list(FULL_STATE))
def test_compiled_steps_equal_eager_steps(name):
    """sj.compile records the shared loop's update kernels once and replays them bitwise."""
    X, Y = (sj.tensor(a) for a in data())

    def train(compiled):
        params = make_params(sj, initial_weights())
        opt = getattr(optim, name)(params, **FULL_STATE[name])

        def step():
            opt.zero_grad()
            loss = loss_fn(sj, params, X, Y)
            loss.backward()
            opt.step()
            return loss.detach()

        run_step = sj.compile(step) if compiled else step
        losses = [run_step().item() for _ in range(8)]
        if compiled:
            assert run_step.traces == 1  # traced once, replayed seven times
        return losses, [p.detach().numpy().copy() for p in params], opt.state_dict()

    eager_losses, eager_params, eager_state = train(False)
    losses, params, state = train(True)
    assert losses == eager_losses
    for x, y in zip(params, eager_params):
        np.testing.assert_array_equal(x, y)
    assert repr(state) == repr(eager_state)


TORCH_ONLY_OPTIONS = {"foreach", "capturable", "differentiable", "fused"}


@pytest.mark.parametrize("name", ["Adadelta", "Adamax", "NAdam", "RAdam", "ASGD", "LBFGS"])
def test_signature_equals_pytorch(name):
    """The same option names, order and defaults (PyTorch's device-kernel switches aside)."""
    import inspect

    ours = inspect.signature(getattr(optim, name)).parameters
    theirs = inspect.signature(getattr(torch.optim, name)).parameters
    assert [(k, p.default) for k, p in ours.items()] == [
        (k, p.default) for k, p in theirs.items() if k not in TORCH_ONLY_OPTIONS]


@pytest.mark.parametrize("name, keys", [("NAdam", ["mu_product"]), ("ASGD", ["eta", "mu"])])
def test_float32_scalar_state_keeps_its_dtype_when_loaded(name, keys):
    """PyTorch keeps these in float32 and casts them to the parameter's dtype on loading; kept
    float32 here, a resumed float64 run goes on bit for bit (test_state_dict_round_trip_mid_run)."""
    _, opt, _ = run("sj", name, FULL_STATE[name], steps=3)
    fresh = getattr(optim, name)(make_params(sj, initial_weights()))
    fresh.load_state_dict(opt.state_dict())
    for state in fresh.state.values():
        for key in keys:
            assert state[key].dtype == sj.float32 and state[key].shape == ()
        assert state["exp_avg" if name == "NAdam" else "ax"].dtype == sj.float64
