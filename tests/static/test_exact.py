"""200 compiled steps give the same losses and weights as 200 eager steps under one seed.

Bitwise: a replay calls the same forward functions and kernels on the same arrays in the same
order as the eager step it was traced from, so every float is rounded the same way.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import shenjing as sj
from shenjing.train.sequence import detach_state, sequence_cross_entropy

STEPS = 200


def _run(make_model, make_optimizer, batches, compiled: bool, *, clip=None, schedule=None,
         carry=False, seed=0):
    sj.manual_seed(seed)
    model = make_model()
    optimizer = make_optimizer(model)
    scheduler = schedule(optimizer) if schedule else None
    loss_fn = sequence_cross_entropy if carry else sj.nn.functional.cross_entropy

    def step(x, y, state=None):
        optimizer.zero_grad()
        if carry:
            out, state = model(x, state)
        else:
            out = model(x)
        loss = loss_fn(out, y)
        loss.backward()
        if clip is not None:
            sj.nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        return (loss.detach(), detach_state(state)) if carry else loss.detach()

    run = sj.compile(step) if compiled else step
    sj.manual_seed(seed + 1)  # the same dropout draws in both runs
    losses, state = [], None
    for x, y in batches:
        if carry:
            loss, state = run(x, y, state)
        else:
            loss = run(x, y)
        losses.append(loss.item())
        if scheduler is not None:
            scheduler.step()
    weights = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    return losses, weights, run


def _assert_same(make_model, make_optimizer, batches, **kw):
    eager_losses, eager_weights, _ = _run(make_model, make_optimizer, batches, False, **kw)
    losses, weights, step = _run(make_model, make_optimizer, batches, True, **kw)
    # Traced once; a carried state is None at the first step and tensors after: twice.
    assert step.traces == (2 if kw.get("carry") else 1), step.traces
    assert losses == eager_losses  # bitwise
    for name, w in eager_weights.items():
        np.testing.assert_array_equal(weights[name], w, err_msg=name)
    assert all(math.isfinite(v) for v in losses)
    return step


def _images(n, shape, classes, seed=0):
    rng = np.random.default_rng(seed)
    return [(sj.tensor(rng.standard_normal((n, *shape)).astype(np.float32)),
             sj.tensor(rng.integers(0, classes, n))) for _ in range(STEPS)]


def test_sigmoid_mlp_784_16_16_10_sgd():
    batches = _images(10, (784,), 10)
    step = _assert_same(
        lambda: sj.nn.Sequential(sj.nn.Linear(784, 16), sj.nn.Sigmoid(), sj.nn.Linear(16, 16),
                                 sj.nn.Sigmoid(), sj.nn.Linear(16, 10)),
        lambda m: sj.optim.SGD(m.parameters(), lr=0.1), batches)
    assert "sigmoid" in str(step.graph) and "update" in str(step.graph)


def test_mlp_with_dropout_draws_a_fresh_mask_every_replay():
    batches = _images(16, (784,), 10)
    _assert_same(lambda: sj.models.MLP(784, [100], 10, dropout=0.5),
                 lambda m: sj.optim.SGD(m.parameters(), lr=0.05, momentum=0.9), batches)


def test_mnist_cnn_adam():
    batches = _images(8, (1, 28, 28), 10)
    _assert_same(lambda: sj.models.MnistCNN(), lambda m: sj.optim.Adam(m.parameters(), 1e-3),
                 batches)


def test_resnet20_batchnorm_sgd_momentum():
    batches = _images(4, (3, 16, 16), 10)  # 16x16 images: the same layers, 4x less work
    _assert_same(lambda: sj.models.resnet20(),
                 lambda m: sj.optim.SGD(m.parameters(), lr=0.05, momentum=0.9,
                                        weight_decay=5e-4), batches)


def test_char_lstm_carried_state_clipping_and_a_per_step_cosine_schedule():
    rng = np.random.default_rng(0)
    batches = [(sj.tensor(rng.integers(0, 20, (4, 16))), sj.tensor(rng.integers(0, 20, (4, 16))))
               for _ in range(STEPS)]
    _assert_same(lambda: sj.models.CharLM(20, 16, 32),
                 lambda m: sj.optim.Adam(m.parameters(), lr=3e-3), batches, clip=1.0,
                 schedule=lambda o: sj.optim.lr_scheduler.CosineAnnealingLR(o, T_max=STEPS),
                 carry=True)


@pytest.mark.parametrize("compiled", [False, True])
def test_fit_compile_gives_the_eager_history(compiled):
    def train(compile_flag):
        sj.manual_seed(0)
        model = sj.nn.Sequential(sj.nn.Linear(4, 8), sj.nn.ReLU(), sj.nn.Dropout(0.2),
                                 sj.nn.Linear(8, 3))
        rng = np.random.default_rng(0)
        data = sj.data.TensorDataset(sj.tensor(rng.standard_normal((64, 4)).astype(np.float32)),
                                     sj.tensor(rng.integers(0, 3, 64)))
        loader = sj.data.DataLoader(data, batch_size=16, shuffle=True)
        history = sj.train.fit(model, loader, loader, loss=sj.nn.functional.cross_entropy,
                               optimizer=sj.optim.Adam(model.parameters(), lr=0.01), epochs=3,
                               verbose=False, compile=compile_flag)
        return {k: history[k] for k in history.keys()}, model

    eager, eager_model = train(False)
    other, model = train(compiled)
    assert other == eager
    for a, b in zip(eager_model.parameters(), model.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def _compare_steps(make_loss, batches, *, optimizer=lambda p: sj.optim.SGD(p, lr=0.1)):
    """Eager and compiled runs of ``make_loss(model, *batch)`` give the same losses and weights."""
    def train(compiled):
        sj.manual_seed(0)
        model = sj.nn.Linear(4, 3)
        opt = optimizer(model.parameters())

        def step(*batch):
            opt.zero_grad()
            loss = make_loss(model, *batch)
            loss.backward()
            opt.step()
            return loss.detach()

        run = sj.compile(step) if compiled else step
        losses = [run(*batch).item() for batch in batches]
        return losses, model.weight.detach().numpy().copy()

    (eager, w_eager), (replayed, w_replayed) = train(False), train(True)
    assert replayed == eager
    np.testing.assert_array_equal(w_replayed, w_eager)


@pytest.mark.parametrize("loss", [
    lambda out, y: sj.nn.functional.cross_entropy(out, y, ignore_index=-1),
    lambda out, y: sj.nn.functional.cross_entropy(out, y, ignore_index=-1, reduction="sum"),
    lambda out, y: sj.nn.functional.cross_entropy(out, y, ignore_index=-1,
                                                  weight=sj.tensor([1.0, 2.0, 0.5])),
    lambda out, y: sj.nn.functional.cross_entropy(out, y, ignore_index=-1, label_smoothing=0.1),
    lambda out, y: sj.nn.functional.nll_loss(sj.log_softmax(out, 1), y, ignore_index=-1),
], ids=["mean", "sum", "weight", "smoothing", "nll"])
@pytest.mark.parametrize("first_ignores", [False, True])
def test_targets_ignored_in_some_batches_only(loss, first_ignores):
    # Which targets a batch ignores is data: the trace must not bake the first batch's choice.
    rng = np.random.default_rng(0)
    batches = []
    for i in range(6):
        y = rng.integers(0, 3, 5)
        if (i % 2 == 0) == first_ignores:
            y[[1, 3]] = -1
        batches.append((sj.tensor(rng.standard_normal((5, 4)).astype(np.float32)),
                        sj.tensor(y)))
    _compare_steps(lambda model, x, y: loss(model(x), y), batches)


def test_prod_with_a_zero_in_some_batches_only():
    rng = np.random.default_rng(1)
    batches = []
    for i in range(4):
        x = rng.standard_normal((2, 4)).astype(np.float32)
        if i % 2:
            x[0, 1] = 0.0
        batches.append((sj.tensor(x),))
    _compare_steps(lambda model, x: (model(x) * 0.5 + x[:, :3]).prod(), batches)


def test_a_scheduler_stepped_inside_the_step_steps_on_every_replay():
    def train(compiled):
        sj.manual_seed(0)
        model = sj.nn.Linear(4, 3)
        opt = sj.optim.SGD(model.parameters(), lr=1.0)
        scheduler = sj.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)

        def step(x):
            opt.zero_grad()
            model(x).sum().backward()
            opt.step()
            scheduler.step()
            return model.weight.sum().detach()

        run = sj.compile(step) if compiled else step
        return ([run(sj.ones(2, 4)).item() for _ in range(5)]
                + [opt.param_groups[0]["lr"], scheduler.last_epoch])

    assert train(True) == train(False)


def test_the_same_array_passed_twice_is_traced_apart_from_two_arrays():
    f = sj.compile(lambda a, b: a * 2 + b)
    a, b = sj.ones(3), sj.full((3,), 5.0)
    assert f(a, a).tolist() == [3.0, 3.0, 3.0]
    assert f(a, b).tolist() == [7.0, 7.0, 7.0]
    assert f.traces == 2
