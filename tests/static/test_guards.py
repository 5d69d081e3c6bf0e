"""What a trace assumes is guarded (a miss traces again); what it must not bake in is re-read."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import shenjing as sj


def _setup(seed=0, dropout=0.0, optimizer=lambda params: sj.optim.SGD(params, lr=0.1)):
    sj.manual_seed(seed)
    layers = [sj.nn.Linear(4, 8), sj.nn.Tanh()]
    if dropout:
        layers.append(sj.nn.Dropout(dropout))
    model = sj.nn.Sequential(*layers, sj.nn.Linear(8, 3))
    optimizer = optimizer(model.parameters())

    def step(x, y):
        optimizer.zero_grad()
        loss = sj.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    return model, optimizer, step


def _batch(n=5, seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return sj.tensor(rng.standard_normal((n, 4)).astype(dtype)), sj.tensor(rng.integers(0, 3, n))


def test_a_new_input_shape_traces_again_and_the_old_variant_is_kept():
    _, _, fn = _setup()
    step = sj.compile(fn)
    step(*_batch(5))
    step(*_batch(5, seed=1))
    assert step.traces == 1
    step(*_batch(7))
    assert step.traces == 2
    step(*_batch(5, seed=2))
    assert step.traces == 2


def test_dtype_grad_mode_and_train_mode_are_guarded():
    model, _, fn = _setup()
    model.double()
    step = sj.compile(fn)
    step(*_batch(dtype=np.float64))
    assert step.traces == 1
    model.eval()
    step(*_batch(dtype=np.float64))
    assert step.traces == 2
    model.train()
    step(*_batch(dtype=np.float64))
    assert step.traces == 2  # the train-mode variant is kept beside the eval-mode one

    @sj.compile
    def forward(x):
        return model(x)

    with sj.no_grad():
        forward(_batch(dtype=np.float64)[0])
        forward(_batch(dtype=np.float64)[0])
    assert forward.traces == 1


def test_a_replaced_or_frozen_parameter_traces_again():
    model, _, fn = _setup()
    step = sj.compile(fn)
    step(*_batch())
    model[0].weight = sj.nn.Parameter(sj.zeros(8, 4))
    step(*_batch())
    assert step.traces == 2
    model[0].bias.requires_grad = False
    step(*_batch())
    assert step.traces == 3


def test_new_parameter_values_and_learning_rates_are_read_on_every_replay():
    model, optimizer, fn = _setup()
    twin_model, twin_optimizer, twin_fn = _setup()
    step = sj.compile(fn)
    for i in range(6):
        if i == 3:
            for group in (optimizer.param_groups[0], twin_optimizer.param_groups[0]):
                group["lr"] = 0.01
            with sj.no_grad():
                model[0].weight.mul_(0.5)
                twin_model[0].weight.mul_(0.5)
        x, y = _batch(seed=i)
        assert step(x, y).item() == twin_fn(x, y).item()
    assert step.traces == 1


def test_dropout_replays_draw_the_eager_stream():
    model, _, fn = _setup(dropout=0.5)
    sj.manual_seed(5)
    step = sj.compile(fn)
    compiled = [step(*_batch(seed=i)).item() for i in range(5)]
    _, _, eager_fn = _setup(dropout=0.5)
    sj.manual_seed(5)
    eager = [eager_fn(*_batch(seed=i)).item() for i in range(5)]
    assert compiled == eager
    assert len(set(compiled)) == 5


def test_the_cache_is_bounded_and_then_runs_eagerly_with_a_warning():
    _, _, fn = _setup()
    step = sj.compile(fn, cache_size=2)
    step(*_batch(3))
    step(*_batch(4))
    with pytest.warns(RuntimeWarning, match="running it eagerly"):
        loss = step(*_batch(5))
    assert loss.grad_fn is not None  # the eager result
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        step(*_batch(6))  # warned once
    assert step.traces == 2


def test_the_graph_prints_one_line_per_operation_with_shapes():
    _, _, fn = _setup()
    step = sj.compile(fn)
    with pytest.raises(RuntimeError, match="not been called"):
        str(step.graph)
    step(*_batch())
    text = str(step.graph)
    assert "%x : (5, 4) float32 = input" in text
    assert "%0.weight : (8, 4) float32 = state" in text
    assert "linear(%x, %0.weight, %0.bias)" in text
    assert "sgd.update" in text and "accumulate_grad" in text
    assert "def replay" in step.code


def test_loading_optimizer_state_traces_again_and_the_replay_uses_the_loaded_state():
    model, optimizer, step = _setup(optimizer=lambda params: sj.optim.Adam(params, lr=0.01))
    compiled = sj.compile(step)
    compiled(*_batch())
    saved_model, saved_optimizer = model.state_dict(), optimizer.state_dict()
    saved_model = {k: v.clone() for k, v in saved_model.items()}
    expected = [compiled(*_batch(seed=i)).item() for i in range(3)]
    model.load_state_dict(saved_model)
    optimizer.load_state_dict(saved_optimizer)
    again = [compiled(*_batch(seed=i)).item() for i in range(3)]
    assert again == expected
    assert compiled.traces == 2


def test_a_module_setting_changed_between_calls_traces_again():
    model, _, fn = _setup(dropout=0.1)
    step = sj.compile(fn)
    step(*_batch())
    model[2].p = 0.9  # Dropout's probability: baked into the trace
    step(*_batch())
    assert step.traces == 2


def test_optimizer_state_or_groups_replaced_by_hand_trace_again():
    model, optimizer, fn = _setup(optimizer=lambda params: sj.optim.Adam(params, lr=0.01))
    step = sj.compile(fn)
    step(*_batch())
    optimizer.state.clear()
    step(*_batch())
    assert step.traces == 2
    optimizer.param_groups[0] = dict(optimizer.param_groups[0])
    step(*_batch())
    assert step.traces == 3


def test_input_checks_run_on_every_replay():
    _, _, fn = _setup()
    step = sj.compile(fn)
    step(*_batch())
    x, y = _batch()
    y._data[0] = 7  # out of range for 3 classes
    with pytest.raises(IndexError, match="target 7 is out of bounds for 3 classes"):
        step(x, y)


def test_the_default_dtype_is_guarded():
    f = sj.compile(lambda x: x + sj.ones(3))
    assert f(sj.ones(3)).dtype == sj.float32
    sj.set_default_dtype(sj.float64)
    try:
        assert f(sj.ones(3)).dtype == sj.float64  # sj.ones follows the default: a new trace
        assert f.traces == 2
    finally:
        sj.set_default_dtype(sj.float32)
    assert f(sj.ones(3)).dtype == sj.float32 and f.traces == 2


def test_a_call_unlike_the_last_one_leaves_the_fast_path_for_the_cache():
    # Calls like the last one skip building the cache key (CompiledFunction.__call__); each
    # way of differing from it must still reach the right variant or trace anew.
    w = sj.ones(1, requires_grad=True)

    @sj.compile
    def f(a, b):
        out = a * w + b
        if out.requires_grad:
            out.sum().backward()
        return out.detach()

    x, y = sj.ones(3), sj.full((3,), 2.0)
    assert f(x, y).tolist() == [3.0, 3.0, 3.0] and w.grad.tolist() == [3.0]
    assert f(x, x).tolist() == [2.0, 2.0, 2.0]  # one array twice: a pattern of its own
    assert f.traces == 2
    assert f(x, y).tolist() == [3.0, 3.0, 3.0] and f.traces == 2
    assert f(sj.ones(4), sj.ones(4)).tolist() == [2.0] * 4 and f.traces == 3  # a new shape
    assert f(x, y.double()).dtype == sj.float64 and f.traces == 4  # a new dtype
    with sj.no_grad():
        f(x, y)
    assert f.traces == 5  # grad mode: a variant with no backward
    assert f(x, 1.0).tolist() == [2.0, 2.0, 2.0] and f.traces == 6  # a number, not a tensor
    before = w.grad.item()
    f(x, y)
    assert w.grad.item() == before + 3 and f.traces == 6  # back to a cached variant


def test_a_parameter_array_replaced_in_place_of_kind_is_read_and_a_new_shape_traces_again():
    model, _, fn = _setup()
    twin_model, _, twin_fn = _setup()
    step = sj.compile(fn)
    step(*_batch())
    twin_fn(*_batch())
    entry = step._last.entry
    for m in (model, twin_model):
        m[0].weight.data = sj.full((8, 4), 0.25)  # the same kind of array: no new trace
    assert step(*_batch(seed=1)).item() == twin_fn(*_batch(seed=1)).item()
    assert model[0].weight._data is step._last.arrays[0]  # the entry expects the new array now
    assert step._last.entry is entry  # read from a list, not written into the entry's code
    assert step(*_batch(seed=2)).item() == twin_fn(*_batch(seed=2)).item()
    assert step.traces == 1
    model[0].weight.data = sj.zeros(8, 5)  # not a module change, but not the traced kind
    with pytest.raises(RuntimeError, match="linear"):  # traced again: eager's own error
        step(*_batch())
    assert step.traces == 2


def test_the_entry_of_the_last_variant_is_python_to_read():
    _, _, fn = _setup()
    step = sj.compile(fn)
    with pytest.raises(RuntimeError, match="not been called"):
        _ = step.entry_code
    step(*_batch())
    code = step.entry_code
    assert "def entry(args):" in code and "d0.shape != (5, 4)" in code
    assert "guarded0._guard_key() != key0" in code and "run((d0, d1, ), states)" in code
    f = sj.compile(lambda x, scale: x * scale)
    f(sj.ones(2), scale=2.0)
    assert f.entry_code is None  # keyword arguments: the general path


def test_grads_a_replay_leaves_are_tensors_when_read_and_equal_eagers():
    # A replay stores each .grad as its bare array; reading .grad wraps it once.
    model, _, fn = _setup()
    twin_model, _, twin_fn = _setup()
    step = sj.compile(fn)
    for seed in range(3):
        step(*_batch(seed=seed))
        twin_fn(*_batch(seed=seed))
    for p, q in zip(model.parameters(), twin_model.parameters()):
        assert not isinstance(p._grad, sj.Tensor)  # not wrapped until read
        assert type(p.grad) is sj.Tensor and p.grad is p.grad and not p.grad.requires_grad
        np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())
