"""LBFGS against torch.optim.LBFGS: Rosenbrock and a small network, step for step."""

import numpy as np
import pytest
import torch

import shenjing as sj
import shenjing.optim as optim
from shenjing.static import TraceError
from tests.optim.test_optimizers import assert_same_trajectory, initial_weights, run

LIBS = {"sj": (sj, optim), "torch": (torch, torch.optim)}
START = {"a": np.array([-1.5, 2.0, -0.5]), "b": np.array([[1.2], [0.3]])}


def rosenbrock(x):
    """The N-dimensional Rosenbrock function of a flat tensor, in either library."""
    return (100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2).sum()


def rosenbrock_run(lib_name, kwargs, steps):
    """Parameters, returned losses and step counters after each ``step(closure)``."""
    lib, opt_module = LIBS[lib_name]
    # two parameters of different shapes: the method works on their concatenation
    a = lib.tensor(START["a"].copy(), requires_grad=True)
    b = lib.tensor(START["b"].copy(), requires_grad=True)
    opt = opt_module.LBFGS([a, b], **kwargs)

    def closure():
        opt.zero_grad()
        loss = rosenbrock(lib.cat([a, b.reshape(-1)]))
        loss.backward()
        return loss

    out = []
    for _ in range(steps):
        loss = opt.step(closure)
        state = opt.state[a]
        out.append(([a.detach().numpy().copy(), b.detach().numpy().copy()], loss.item(),
                    state["func_evals"], state["n_iter"]))
    return out, opt, (a, b)


# (options, steps): rounding differences (the order of a dot product's sum) grow along a run, so
# runs that are sensitive to them, near the end of a search, are compared over fewer steps
ROSENBROCK_CASES = [
    ({}, 12),
    ({"line_search_fn": "strong_wolfe"}, 12),
    ({"max_iter": 5, "history_size": 3}, 12),
    ({"max_iter": 5, "history_size": 3, "line_search_fn": "strong_wolfe"}, 12),
    ({"lr": 0.5, "max_iter": 7, "max_eval": 9, "line_search_fn": "strong_wolfe"}, 12),
    ({"lr": 0.1, "max_iter": 4, "history_size": 2}, 12),
    ({"tolerance_change": 1e-4, "tolerance_grad": 1e-3, "line_search_fn": "strong_wolfe"}, 12),
    # short first steps: the line search extrapolates
    ({"lr": 1e-3, "line_search_fn": "strong_wolfe"}, 5),
    # long first steps: the zoom phase, and its moves away from the bracket's ends
    ({"lr": 30.0, "max_iter": 5, "line_search_fn": "strong_wolfe"}, 12),
    ({"lr": 1000.0, "history_size": 1, "line_search_fn": "strong_wolfe"}, 6),
    # so few evaluations allowed that the line search runs out of them
    ({"lr": 0.05, "max_iter": 3, "max_eval": 4, "line_search_fn": "strong_wolfe"}, 12),
]


@pytest.mark.parametrize("kwargs, steps", ROSENBROCK_CASES,
                         ids=[str(kwargs) for kwargs, _ in ROSENBROCK_CASES])
def test_rosenbrock_equals_pytorch_step_for_step(kwargs, steps):
    ours, _, _ = rosenbrock_run("sj", kwargs, steps)
    theirs, _, _ = rosenbrock_run("torch", kwargs, steps)
    for step, ((x, loss, evals, iters), (tx, tloss, tevals, titers)) in enumerate(
            zip(ours, theirs)):
        assert (evals, iters) == (tevals, titers), f"step {step + 1}"
        np.testing.assert_allclose(loss, tloss, rtol=1e-9, atol=1e-12, err_msg=f"step {step + 1}")
        for p, tp in zip(x, tx):
            np.testing.assert_allclose(p, tp, rtol=1e-8, atol=1e-10, err_msg=f"step {step + 1}")


def test_strong_wolfe_reaches_a_stationary_point():
    out, _, _ = rosenbrock_run("sj", {"line_search_fn": "strong_wolfe"}, steps=10)
    x = torch.tensor(np.concatenate([out[-1][0][0], out[-1][0][1].ravel()]), requires_grad=True)
    loss = rosenbrock(x)
    loss.backward()
    # from this start, 5-d Rosenbrock's local minimum near x[0] = -1 (f = 3.93) is the one reached
    assert loss.item() < rosenbrock(torch.tensor(np.r_[START["a"], START["b"].ravel()])) / 100
    assert x.grad.abs().max() < 1e-3  # stopped by tolerance_change on the loss


@pytest.mark.parametrize("kwargs", [{"history_size": 4}, {"line_search_fn": "strong_wolfe"}],
                         ids=str)
def test_small_network_trajectory_equals_pytorch(kwargs):
    kwargs = {"max_iter": 4, **kwargs}
    ours, _, _ = run("sj", "LBFGS", kwargs, steps=6, closure=True)
    theirs, _, _ = run("torch", "LBFGS", kwargs, steps=6, closure=True)
    assert_same_trajectory(ours, theirs, rtol=1e-8, atol=1e-10)
    assert not np.allclose(ours[-1][0], initial_weights()["W1"])


def test_float32_parameters_follow_pytorch_loosely():
    ours, _, _ = run("sj", "LBFGS", {"max_iter": 3}, steps=3, dtype=np.float32, closure=True)
    theirs, _, _ = run("torch", "LBFGS", {"max_iter": 3}, steps=3, dtype=np.float32,
                       closure=True)
    assert_same_trajectory(ours, theirs, rtol=1e-3, atol=1e-4)


def test_state_dict_round_trip_continues_the_run():
    kwargs = {"max_iter": 3, "history_size": 4, "line_search_fn": "strong_wolfe"}
    uninterrupted, _, _ = rosenbrock_run("sj", kwargs, steps=8)
    first, opt, (a, b) = rosenbrock_run("sj", kwargs, steps=4)
    saved = opt.state_dict()
    assert list(saved["state"]) == [0]  # everything lives with the first parameter
    state = saved["state"][0]
    assert isinstance(state["d"], sj.Tensor) and len(state["old_dirs"]) == len(state["ro"])
    fresh_a = sj.tensor(a.detach().numpy().copy(), requires_grad=True)
    fresh_b = sj.tensor(b.detach().numpy().copy(), requires_grad=True)
    fresh = optim.LBFGS([fresh_a, fresh_b], lr=0.01)
    fresh.load_state_dict(saved)
    assert fresh.param_groups[0]["line_search_fn"] == "strong_wolfe"

    def closure():
        fresh.zero_grad()
        loss = rosenbrock(sj.cat([fresh_a, fresh_b.reshape(-1)]))
        loss.backward()
        return loss

    for step in range(4, 8):
        fresh.step(closure)
        np.testing.assert_array_equal(fresh_a.detach().numpy(), uninterrupted[step][0][0])
        np.testing.assert_array_equal(fresh_b.detach().numpy(), uninterrupted[step][0][1])


def test_an_optimal_start_returns_after_one_evaluation():
    w = sj.tensor([1.0, 1.0], dtype=sj.float64, requires_grad=True)
    opt = optim.LBFGS([w])
    calls = []

    def closure():
        calls.append(1)
        opt.zero_grad()
        loss = ((w - 1.0) ** 2).sum()
        loss.backward()
        return loss

    assert opt.step(closure).item() == 0.0
    assert len(calls) == 1 and w.tolist() == [1.0, 1.0]


def test_closure_runs_with_grad_enabled_and_versions_are_bumped():
    w = sj.tensor([2.0, -1.0], dtype=sj.float64, requires_grad=True)
    opt = optim.LBFGS([w], max_iter=2)

    def closure():
        opt.zero_grad()
        loss = (w**4).sum()
        loss.backward()
        return loss

    version = w._version
    with sj.no_grad():
        opt.step(closure)
    assert w._version > version
    assert w.is_leaf and w.grad_fn is None


def test_arguments_are_checked():
    w = sj.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="learning rate"):
        optim.LBFGS([w], lr=-1.0)
    with pytest.raises(RuntimeError, match="strong_wolfe"):
        optim.LBFGS([w], line_search_fn="armijo")
    with pytest.raises(ValueError, match="parameter groups"):
        optim.LBFGS([{"params": [w]}, {"params": [sj.zeros(1, requires_grad=True)]}])
    with pytest.raises(TypeError, match="closure"):
        optim.LBFGS([w]).step()
    assert optim.LBFGS([w], max_iter=8).param_groups[0]["max_eval"] == 10


def test_refused_inside_a_compiled_step():
    model = sj.nn.Linear(2, 1)
    opt = optim.LBFGS(model.parameters())

    @sj.compile
    def step(x):
        def closure():
            opt.zero_grad()
            loss = model(x).sum()
            loss.backward()
            return loss

        return opt.step(closure).detach()

    with pytest.raises(TraceError, match="LBFGS.step.*cannot be part of a static graph"):
        step(sj.ones(1, 2))


def test_a_pytorch_state_dict_loads_and_the_run_goes_on_as_in_pytorch():
    """PyTorch keeps ro, H_diag and t as 0-d tensors: given as arrays, they are read as floats."""
    kwargs = {"max_iter": 4, "history_size": 3, "line_search_fn": "strong_wolfe"}
    theirs, topt, (ta, tb) = rosenbrock_run("torch", kwargs, steps=3)

    def numpy_tree(value):
        if isinstance(value, torch.Tensor):
            return value.detach().numpy().copy()
        if isinstance(value, list):
            return [numpy_tree(v) for v in value]
        if isinstance(value, dict):
            return {k: numpy_tree(v) for k, v in value.items()}
        return value

    saved = numpy_tree(topt.state_dict())
    a = sj.tensor(ta.detach().numpy().copy(), requires_grad=True)
    b = sj.tensor(tb.detach().numpy().copy(), requires_grad=True)
    opt = optim.LBFGS([a, b])
    opt.load_state_dict(saved)

    def closure():
        opt.zero_grad()
        loss = rosenbrock(sj.cat([a, b.reshape(-1)]))
        loss.backward()
        return loss

    def torch_closure():
        topt.zero_grad()
        loss = rosenbrock(torch.cat([ta, tb.reshape(-1)]))
        loss.backward()
        return loss

    for _ in range(3):
        opt.step(closure)
        topt.step(torch_closure)
        np.testing.assert_allclose(a.detach().numpy(), ta.detach().numpy(), rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(b.detach().numpy(), tb.detach().numpy(), rtol=1e-8, atol=1e-10)
    assert opt.state[a]["n_iter"] == topt.state[ta]["n_iter"]
