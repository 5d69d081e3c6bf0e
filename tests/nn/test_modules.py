"""Modules against PyTorch: same weights, same outputs, gradients, names, state and printing."""

import numpy as np
import pytest
import torch

import shenjing as sj


def copy_weights(ours: sj.nn.Module, theirs: torch.nn.Module) -> None:
    """Load PyTorch's weights and buffers into ours, through state dicts."""
    state = {k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()}
    ours.load_state_dict(state)


def pair(make):
    """The same layer built from both libraries, with PyTorch's weights copied into ours."""
    ours, theirs = make(sj), make(torch)
    copy_weights(ours, theirs)
    return ours, theirs


def compare(ours, theirs, x, rtol=1e-5, atol=1e-6):
    """Forward, backward with a random output gradient, and every parameter's gradient."""
    xs = sj.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    y, yt = ours(xs), theirs(xt)
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=rtol, atol=atol)
    g = np.random.default_rng(1).standard_normal(y.shape).astype(x.dtype)
    y.backward(sj.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(xs.grad.numpy(), xt.grad.numpy(), rtol=rtol, atol=atol)
    for (name, p), (_, pt) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), pt.grad.numpy(), rtol=rtol, atol=atol,
                                   err_msg=name)


LAYERS = [
    (lambda m: m.nn.Linear(5, 3), (4, 5)),
    (lambda m: m.nn.Linear(5, 3, bias=False), (2, 4, 5)),
    (lambda m: m.nn.ReLU(), (4, 5)),
    (lambda m: m.nn.Sigmoid(), (4, 5)),
    (lambda m: m.nn.Tanh(), (4, 5)),
    (lambda m: m.nn.LeakyReLU(0.2), (4, 5)),
    (lambda m: m.nn.PReLU(), (4, 5)),
    (lambda m: m.nn.PReLU(3), (4, 3, 2)),
    (lambda m: m.nn.ELU(0.7), (4, 5)),
    (lambda m: m.nn.SELU(), (4, 5)),
    (lambda m: m.nn.GELU(), (4, 5)),
    (lambda m: m.nn.GELU(approximate="tanh"), (4, 5)),
    (lambda m: m.nn.SiLU(), (4, 5)),
    (lambda m: m.nn.Softplus(beta=2.0), (4, 5)),
    (lambda m: m.nn.Softmax(dim=1), (4, 5)),
    (lambda m: m.nn.LogSoftmax(dim=-1), (4, 5)),
    (lambda m: m.nn.Identity(), (4, 5)),
    (lambda m: m.nn.Flatten(), (2, 3, 4)),
    (lambda m: m.nn.Dropout(0.5).eval(), (4, 5)),
    (lambda m: m.nn.LayerNorm(5), (4, 5)),
    (lambda m: m.nn.LayerNorm((3, 4)), (2, 3, 4)),
    (lambda m: m.nn.BatchNorm1d(5), (8, 5)),
    (lambda m: m.nn.BatchNorm1d(3), (4, 3, 6)),
    (lambda m: m.nn.BatchNorm1d(5, affine=False), (8, 5)),
]


@pytest.mark.parametrize("make, shape", LAYERS)
def test_layer_matches_torch(make, shape):
    ours, theirs = pair(make)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    compare(ours, theirs, x)
    assert repr(ours) == repr(theirs)


def test_batchnorm_running_statistics_and_eval_match_torch():
    ours, theirs = pair(lambda m: m.nn.BatchNorm1d(4, momentum=0.3))
    rng = np.random.default_rng(0)
    for _ in range(5):
        x = (rng.standard_normal((16, 4)) * 3 + 2).astype(np.float32)
        ours(sj.tensor(x))
        theirs(torch.tensor(x))
    for key in ("running_mean", "running_var", "num_batches_tracked"):
        np.testing.assert_allclose(ours.state_dict()[key].numpy(),
                                   theirs.state_dict()[key].numpy(), rtol=1e-5)
    ours.eval()
    theirs.eval()
    compare(ours, theirs, rng.standard_normal((3, 4)).astype(np.float32))


def test_batchnorm_cumulative_average_matches_torch():
    ours, theirs = pair(lambda m: m.nn.BatchNorm1d(2, momentum=None))
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = rng.standard_normal((8, 2)).astype(np.float32)
        ours(sj.tensor(x))
        theirs(torch.tensor(x))
    np.testing.assert_allclose(ours.running_var.numpy(), theirs.running_var.numpy(), rtol=1e-5)


def test_batchnorm_rejects_wrong_shapes():
    with pytest.raises(ValueError, match=r"BatchNorm1d\(4\).*4 channels.*\(8, 3\)"):
        sj.nn.BatchNorm1d(4)(sj.ones(8, 3))


class Net:
    """The same nested model in both libraries."""

    @staticmethod
    def make(m):
        class Block(m.nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = m.nn.Linear(4, 4)
                self.norm = m.nn.BatchNorm1d(4)

            def forward(self, x):
                return self.norm(self.fc(x)).relu()

        class Model(m.nn.Module):
            def __init__(self):
                super().__init__()
                self.blocks = m.nn.ModuleList([Block(), Block()])
                self.head = m.nn.Sequential(m.nn.Dropout(0.1), m.nn.Linear(4, 2))

            def forward(self, x):
                for block in self.blocks:
                    x = block(x)
                return self.head(x)

        return Model()


def test_names_state_dict_and_repr_match_torch():
    ours, theirs = Net.make(sj), Net.make(torch)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [type(c).__name__ for c in ours.children()] == ["ModuleList", "Sequential"]
    assert repr(ours).replace("sj", "") == repr(theirs)


def test_load_torch_weights_then_outputs_match():
    ours, theirs = Net.make(sj), Net.make(torch)
    copy_weights(ours, theirs)
    ours.eval()
    theirs.eval()
    compare(ours, theirs, np.random.default_rng(0).standard_normal((6, 4)).astype(np.float32))


def test_load_state_dict_reports_problems():
    model = sj.nn.Sequential(sj.nn.Linear(3, 2))
    state = model.state_dict()
    with pytest.raises(RuntimeError, match=r"size mismatch for 0.weight.*\(2, 4\).*\(2, 3\)"):
        model.load_state_dict({**state, "0.weight": np.zeros((2, 4), np.float32)})
    with pytest.raises(RuntimeError, match="missing keys: 0.bias"):
        model.load_state_dict({"0.weight": state["0.weight"]})
    with pytest.raises(RuntimeError, match="unexpected keys: extra"):
        model.load_state_dict({**state, "extra": np.zeros(1)})
    result = model.load_state_dict({"0.weight": state["0.weight"], "x": np.zeros(1)},
                                   strict=False)
    assert result.missing_keys == ["0.bias"] and result.unexpected_keys == ["x"]


def test_state_dict_shares_memory_and_load_copies():
    model = sj.nn.Linear(2, 2)
    state = model.state_dict()
    assert not state["weight"].requires_grad
    with sj.no_grad():
        model.weight.fill_(3.0)
    assert state["weight"][0, 0].item() == 3.0
    other = sj.nn.Linear(2, 2)
    other.load_state_dict(state)
    assert other.weight is not model.weight
    np.testing.assert_array_equal(other.weight.detach().numpy(), model.weight.detach().numpy())


def test_train_eval_zero_grad_and_requires_grad():
    model = Net.make(sj)
    assert all(m.training for m in model.modules())
    model.eval()
    assert not any(m.training for m in model.modules())
    model.train()
    model(sj.randn(4, 4)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model.requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())


def test_attribute_rules():
    model = sj.nn.Linear(2, 2)
    with pytest.raises(TypeError, match="parameter 'weight'"):
        model.weight = sj.ones(2, 2)
    model.weight = sj.nn.Parameter(sj.ones(2, 2))
    assert model.weight.shape == (2, 2)
    del model.bias
    assert "bias" not in dict(model.named_parameters())

    class Early(sj.nn.Module):
        def __init__(self):
            self.fc = sj.nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="super\\(\\).__init__\\(\\)"):
        Early()


def test_shared_parameters_are_listed_once():
    fc = sj.nn.Linear(3, 3)
    model = sj.nn.Sequential(fc, sj.nn.ReLU(), fc)
    assert len(list(model.parameters())) == 2


def test_to_double_converts_parameters_and_float_buffers():
    model = sj.nn.Sequential(sj.nn.Linear(2, 2), sj.nn.BatchNorm1d(2)).double()
    assert all(p.dtype == sj.float64 for p in model.parameters())
    assert model[1].running_mean.dtype == sj.float64
    assert model[1].num_batches_tracked.dtype == sj.int64
    assert model(sj.randn(4, 2, dtype=sj.float64)).dtype == sj.float64


def test_forward_hooks():
    model = sj.nn.Sequential(sj.nn.Linear(2, 3), sj.nn.ReLU())
    seen = []
    remove = model[0].register_forward_hook(lambda m, i, o: seen.append(o.shape))
    model(sj.ones(4, 2))
    remove()
    model(sj.ones(4, 2))
    assert seen == [(4, 3)]


def test_containers():
    seq = sj.nn.Sequential(sj.nn.Linear(2, 2), sj.nn.ReLU(), sj.nn.Linear(2, 1))
    assert isinstance(seq[1:], sj.nn.Sequential) and len(seq[1:]) == 2
    with pytest.raises(IndexError, match="index 3 is out of range for 3"):
        seq[3]
    layers = sj.nn.ModuleList()
    layers.append(sj.nn.Linear(1, 1)).extend([sj.nn.ReLU()])
    layers.insert(0, sj.nn.Tanh())
    assert [type(m).__name__ for m in layers] == ["Tanh", "Linear", "ReLU"]
    heads = sj.nn.ModuleDict({"a": sj.nn.Linear(1, 2)})
    heads["b"] = sj.nn.Linear(1, 3)
    assert list(heads) == ["a", "b"] and "b" in heads


class TestInit:
    def test_default_linear_init_matches_torch_bounds(self):
        layer = sj.nn.Linear(400, 300)
        bound = 1 / np.sqrt(400)
        w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
        assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
        assert np.abs(b).max() <= bound
        np.testing.assert_allclose(w.std(), bound / np.sqrt(3), rtol=0.02)

    @pytest.mark.parametrize("name, kwargs, std", [
        ("xavier_uniform_", {}, np.sqrt(2 / (200 + 300))),
        ("xavier_normal_", {"gain": 2.0}, 2 * np.sqrt(2 / (200 + 300))),
        ("kaiming_uniform_", {"nonlinearity": "relu"}, np.sqrt(2 / 200)),
        ("kaiming_normal_", {"mode": "fan_out", "nonlinearity": "relu"}, np.sqrt(2 / 300)),
        ("kaiming_normal_", {"a": 0.1}, np.sqrt(2 / (1 + 0.01)) / np.sqrt(200)),
        ("normal_", {"std": 0.02}, 0.02),
    ])
    def test_distributions(self, name, kwargs, std):
        w = sj.empty(300, 200)
        getattr(sj.nn.init, name)(w, **kwargs)
        np.testing.assert_allclose(w.numpy().std(), std, rtol=0.03)

    @pytest.mark.parametrize("nonlinearity, param", [("relu", None), ("tanh", None),
                                                     ("leaky_relu", 0.2), ("selu", None),
                                                     ("sigmoid", None), ("conv2d", None)])
    def test_gains_match_torch(self, nonlinearity, param):
        assert sj.nn.init.calculate_gain(nonlinearity, param) == pytest.approx(
            torch.nn.init.calculate_gain(nonlinearity, param))

    def test_constants(self):
        w = sj.empty(3, 2)
        assert (sj.nn.init.constant_(w, 0.5).numpy() == 0.5).all()
        assert not sj.nn.init.zeros_(w).numpy().any()
        assert (sj.nn.init.ones_(w).numpy() == 1).all()

    def test_init_of_a_parameter_keeps_it_a_leaf(self):
        layer = sj.nn.Linear(3, 3)
        sj.nn.init.xavier_uniform_(layer.weight)
        assert layer.weight.is_leaf and layer.weight.requires_grad


def test_summary_counts_the_3blue1brown_network():
    net = sj.nn.Sequential(sj.nn.Flatten(), sj.nn.Linear(784, 16), sj.nn.Sigmoid(),
                           sj.nn.Linear(16, 16), sj.nn.Sigmoid(), sj.nn.Linear(16, 10))
    result = sj.summary(net, (1, 28, 28))
    assert result.total_params == 13_002 == result.trainable_params
    assert [r.output_shape for r in result.rows][:2] == [(-1, 784), (-1, 16)]
    assert "Total params: 13,002" in str(result)
    assert net.training  # summary leaves the mode as it was


def test_a_module_under_two_names_is_listed_under_both_as_in_torch():
    for m in (sj, torch):
        model = m.nn.Sequential()
        model.a = m.nn.Linear(2, 2)
        model.b = model.a
        assert list(model.state_dict()) == ["a.weight", "a.bias", "b.weight", "b.bias"]
        assert len(list(model.parameters())) == 2


def test_empty_layers_initialise_as_in_torch():
    layer = sj.nn.Linear(0, 10)
    assert layer.weight.shape == (10, 0)
    assert layer(sj.ones(3, 0)).shape == (3, 10)


CONV_LAYERS = [
    (lambda m: m.nn.Conv2d(3, 4, 3), (2, 3, 6, 6)),
    (lambda m: m.nn.Conv2d(3, 6, (3, 2), stride=2, padding=1, groups=3, bias=False),
     (2, 3, 7, 6)),
    (lambda m: m.nn.Conv2d(2, 2, 3, padding="same", dilation=2), (1, 2, 7, 7)),
    (lambda m: m.nn.BatchNorm2d(3), (4, 3, 5, 5)),
    (lambda m: m.nn.Sequential(m.nn.Conv2d(1, 4, 3, padding=1), m.nn.BatchNorm2d(4),
                               m.nn.ReLU(), m.nn.Flatten(), m.nn.Linear(4 * 6 * 6, 3)),
     (2, 1, 6, 6)),
]


@pytest.mark.parametrize("make, shape", CONV_LAYERS)
def test_conv_layers_match_torch(make, shape):
    ours, theirs = pair(make)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    compare(ours, theirs, x, rtol=1e-4, atol=1e-5)
    assert repr(ours) == repr(theirs)


def test_conv_layer_errors_name_the_layer():
    with pytest.raises(sj.ShapeError, match=r"Conv2d\(3, 8, kernel_size=\(5, 5\).*larger"):
        sj.nn.Conv2d(3, 8, 5)(sj.ones(1, 3, 4, 4))
    with pytest.raises(ValueError, match=r"BatchNorm2d\(4\).*4-D"):
        sj.nn.BatchNorm2d(4)(sj.ones(2, 4))


def test_summary_shows_receptive_fields_of_convolutions():
    net = sj.nn.Sequential(sj.nn.Conv2d(1, 4, 3, padding=1), sj.nn.ReLU(),
                           sj.nn.Conv2d(4, 4, 3, stride=2), sj.nn.Conv2d(4, 4, 3, dilation=2),
                           sj.nn.Flatten(), sj.nn.Linear(4 * 9 * 9, 2))
    rows = sj.summary(net, (1, 28, 28)).rows
    assert [r.receptive_field for r in rows] == [(3, 3), None, (5, 5), (13, 13), None, None]
    assert rows[3].output_shape == (-1, 4, 9, 9)
    assert "Receptive field" in str(sj.summary(net, (1, 28, 28)))
