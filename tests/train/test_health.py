"""GradientHealth: per-layer gradient norms, update ratios and dead ReLUs, and its warnings."""

import math

import numpy as np
import pytest

import shenjing as sj
from shenjing.train import GradientHealth


def _data(n=32, seed=0):
    rng = np.random.default_rng(seed)
    x = sj.tensor(rng.normal(size=(n, 3)).astype(np.float32))
    y = sj.tensor(rng.integers(0, 2, n))
    return sj.data.DataLoader(sj.data.TensorDataset(x, y), batch_size=8)


def _fit(model, health, epochs=1, lr=0.1, loader=None):
    optimizer = sj.optim.SGD(model.parameters(), lr=lr)
    return sj.train.fit(model, loader or _data(), loss=sj.nn.functional.cross_entropy,
                        optimizer=optimizer, epochs=epochs, callbacks=[health], verbose=False)


def test_a_relu_layer_with_a_very_negative_bias_is_all_dead(capsys):
    model = sj.nn.Sequential(sj.nn.Linear(3, 5), sj.nn.ReLU(), sj.nn.Linear(5, 4), sj.nn.ReLU(),
                             sj.nn.Linear(4, 2))
    with sj.no_grad():
        model[2].bias.fill_(-100.0)
    health = GradientHealth()
    optimizer = sj.optim.SGD(model.parameters(), lr=0.1)
    sj.train.fit(model, _data(), loss=sj.nn.functional.cross_entropy, optimizer=optimizer,
                 epochs=1, callbacks=[health])
    assert health.dead_fraction["3"] == [1.0] * 4
    assert all(f < 1.0 for f in health.dead_fraction["1"])
    assert health.grad_norm["0"] == [0.0] * 4  # nothing flows back through dead units
    logged = capsys.readouterr().err
    assert "warning: ReLU 3: 100 % of its units are dead" in logged
    assert any("ReLU 3" in w for w in health.warnings)


def test_gradient_norms_and_update_ratios_are_exact():
    sj.manual_seed(0)
    model = sj.nn.Sequential(sj.nn.Linear(3, 4), sj.nn.Tanh(), sj.nn.Linear(4, 2))
    batches = list(_data())
    expected_norm, expected_ratio = [], []
    twin = sj.nn.Sequential(sj.nn.Linear(3, 4), sj.nn.Tanh(), sj.nn.Linear(4, 2))
    twin.load_state_dict(model.state_dict())
    lr = 0.1
    for x, y in batches:  # the same steps by hand
        twin.zero_grad()
        sj.nn.functional.cross_entropy(twin(x), y).backward()
        g = twin[0].weight.grad.numpy()
        w = twin[0].weight.detach().numpy().copy()
        expected_norm.append(np.linalg.norm(g))
        expected_ratio.append(np.linalg.norm(lr * g) / np.linalg.norm(w))
        with sj.no_grad():
            for p in twin.parameters():
                p -= lr * p.grad
    health = GradientHealth()
    _fit(model, health, lr=lr, loader=batches)
    assert health.steps == [1, 2, 3, 4]
    np.testing.assert_allclose(health.grad_norm["0"], expected_norm, rtol=1e-5)
    np.testing.assert_allclose(health.update_ratio["0"], expected_ratio, rtol=1e-4)
    assert set(health.grad_norm) == {"0", "2"} and health.dead_fraction == {}


def test_every_n_steps_still_measures_each_recorded_update():
    sj.manual_seed(0)
    model = sj.nn.Sequential(sj.nn.Linear(3, 4), sj.nn.ReLU(), sj.nn.Linear(4, 2))
    health = GradientHealth(every=3)
    _fit(model, health, epochs=2)  # 8 steps
    assert health.steps == [3, 6]
    assert all(math.isfinite(r) and r > 0 for r in health.update_ratio["0"])
    assert not model[1]._forward_hooks  # removed when training ends
    with pytest.raises(ValueError, match="every must be at least 1"):
        GradientHealth(every=0)


def test_vanishing_gradients_are_warned_about_once():
    sj.manual_seed(0)
    layers = []
    for width_in in (3, 16, 16, 16, 16, 16, 16):
        layers += [sj.nn.Linear(width_in, 16), sj.nn.Sigmoid()]
    model = sj.nn.Sequential(*layers, sj.nn.Linear(16, 2))
    health = GradientHealth()
    _fit(model, health, epochs=2)
    vanishing = [w for w in health.warnings if w.startswith("warning: vanishing gradients")]
    assert len(vanishing) == 1
    first, last = health.grad_norm["0"][0], health.grad_norm["14"][0]
    assert first < 1e-2 * last


def test_a_healthy_small_network_gets_no_warning():
    sj.manual_seed(0)
    model = sj.nn.Sequential(sj.nn.Linear(3, 8), sj.nn.ReLU(), sj.nn.Linear(8, 2))
    health = GradientHealth()
    _fit(model, health, epochs=3, lr=0.05)
    assert health.warnings == []


def test_gradient_norms_are_those_before_clipping():
    model = sj.nn.Sequential(sj.nn.Linear(3, 5), sj.nn.ReLU(), sj.nn.Linear(5, 2))
    health = GradientHealth()
    optimizer = sj.optim.SGD(model.parameters(), lr=0.1)
    sj.train.fit(model, _data(), loss=sj.nn.functional.cross_entropy, optimizer=optimizer,
                 callbacks=[health], clip_grad_norm=1e-6, verbose=False)
    # Clipped, every layer's gradient norm would be at most 1e-6.
    assert min(health.grad_norm["0"] + health.grad_norm["2"]) > 1e-3


class _TwoUses(sj.nn.Module):
    """One ReLU module applied twice: to a negative copy of the features and to a positive one."""

    def __init__(self):
        super().__init__()
        self.relu = sj.nn.ReLU()
        self.head = sj.nn.Linear(6, 2)

    def forward(self, x):
        features = x.abs() + 1  # positive
        return self.head(sj.cat([self.relu(-features), self.relu(features)], dim=1))


def test_a_relu_used_twice_is_judged_on_both_uses():
    health = GradientHealth()
    _fit(_TwoUses(), health)
    # The first use's 3 units are dead, the second's 3 alive: half, not the last use's 0.
    assert health.dead_fraction["relu"] == [0.5] * 4
