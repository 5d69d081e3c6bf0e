"""Group and instance norm, upsampling, pixel shuffle, Bilinear and the parameter containers
against their PyTorch twins: the twin's weights loaded through state dicts, then outputs, input
gradients and parameter gradients compared, and the printed forms."""

import numpy as np
import pytest
import torch

import shenjing as sj
from tests.nn.test_modules import compare, pair

LAYERS = [
    (lambda m: m.nn.GroupNorm(2, 4), (3, 4, 5)),
    (lambda m: m.nn.GroupNorm(3, 6, eps=1e-3), (2, 6, 3, 3)),
    (lambda m: m.nn.GroupNorm(1, 4, affine=False), (3, 4)),
    (lambda m: m.nn.GroupNorm(4, 4, bias=False), (2, 4, 6)),
    (lambda m: m.nn.InstanceNorm1d(3), (2, 3, 6)),
    (lambda m: m.nn.InstanceNorm1d(3, affine=True), (2, 3, 6)),
    (lambda m: m.nn.InstanceNorm1d(3, affine=True), (3, 6)),  # no batch dim
    (lambda m: m.nn.InstanceNorm1d(3, track_running_stats=True), (4, 3, 5)),
    (lambda m: m.nn.InstanceNorm2d(3, affine=True, track_running_stats=True), (2, 3, 4, 5)),
    (lambda m: m.nn.InstanceNorm2d(2, momentum=0.3), (2, 4, 4)),  # no batch dim
]


@pytest.mark.parametrize("make, shape", LAYERS)
def test_layer_matches_torch(make, shape):
    ours, theirs = pair(make)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    compare(ours, theirs, x, rtol=1e-4, atol=1e-5)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_instance_norm_running_statistics_and_eval_match_torch():
    ours, theirs = pair(lambda m: m.nn.InstanceNorm1d(4, momentum=0.3, affine=True,
                                                      track_running_stats=True))
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = (rng.standard_normal((5, 4, 6)) * 3 + 2).astype(np.float32)
        ours(sj.tensor(x))
        theirs(torch.tensor(x))
    for key in ("running_mean", "running_var", "num_batches_tracked"):
        np.testing.assert_allclose(ours.state_dict()[key].numpy(),
                                   theirs.state_dict()[key].numpy(), rtol=1e-5)
    ours.eval()
    theirs.eval()
    compare(ours, theirs, rng.standard_normal((3, 4, 6)).astype(np.float32))


@pytest.mark.parametrize("call", [
    lambda m: m.nn.GroupNorm(3, 4),
    lambda m: m.nn.GroupNorm(2, 4)(m.ones(4)),
    lambda m: m.nn.InstanceNorm1d(3)(m.ones(3)),
    lambda m: m.nn.InstanceNorm2d(3)(m.ones(1, 2, 3, 4, 5)),
    lambda m: m.nn.InstanceNorm1d(4, affine=True)(m.ones(2, 3, 5)),
    lambda m: m.nn.InstanceNorm1d(3)(m.ones(2, 3, 1)),
])
def test_norm_layer_errors_are_pytorchs_types(call):
    with pytest.raises(Exception) as theirs:
        call(torch)
    with pytest.raises(theirs.type):
        call(sj)


def test_instance_norm_warns_when_channels_differ_without_affine():
    with pytest.warns(UserWarning, match="num_features"):
        sj.nn.InstanceNorm1d(4)(sj.randn(2, 3, 5))


RESIZE_LAYERS = [
    (lambda m: m.nn.Upsample(scale_factor=2), (2, 3, 5)),
    (lambda m: m.nn.Upsample(size=(5, 7)), (1, 2, 3, 4)),
    (lambda m: m.nn.Upsample(scale_factor=(2, 3), mode="bilinear"), (1, 2, 3, 4)),
    (lambda m: m.nn.Upsample(size=7, mode="linear", align_corners=True), (2, 3, 4)),
    (lambda m: m.nn.Upsample(scale_factor=1.5, mode="bilinear", align_corners=False), (1, 2, 4, 4)),
    (lambda m: m.nn.UpsamplingNearest2d(scale_factor=2), (1, 2, 3, 3)),
    (lambda m: m.nn.UpsamplingNearest2d(size=5), (1, 2, 3, 3)),
    (lambda m: m.nn.UpsamplingBilinear2d(scale_factor=2), (1, 2, 3, 3)),
    (lambda m: m.nn.UpsamplingBilinear2d(size=(4, 6)), (1, 2, 3, 3)),
    (lambda m: m.nn.PixelShuffle(2), (2, 8, 3, 3)),
    (lambda m: m.nn.PixelUnshuffle(3), (2, 2, 6, 3)),
]


@pytest.mark.parametrize("make, shape", RESIZE_LAYERS)
def test_resize_layer_matches_torch(make, shape):
    ours, theirs = pair(make)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    compare(ours, theirs, x)
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("bias", [True, False])
def test_bilinear_layer_matches_torch(bias):
    ours, theirs = pair(lambda m: m.nn.Bilinear(3, 4, 5, bias=bias))
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    rng = np.random.default_rng(0)
    x1 = rng.standard_normal((6, 2, 3)).astype(np.float32)
    x2 = rng.standard_normal((6, 2, 4)).astype(np.float32)
    ins = [sj.tensor(x1, requires_grad=True), sj.tensor(x2, requires_grad=True)]
    tins = [torch.tensor(x1, requires_grad=True), torch.tensor(x2, requires_grad=True)]
    y, yt = ours(*ins), theirs(*tins)
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-5)
    g = rng.standard_normal(y.shape).astype(np.float32)
    y.backward(sj.tensor(g))
    yt.backward(torch.tensor(g))
    for a, b in zip(ins, tins):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-5, atol=1e-5)
    for (name, p), (_, pt) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), pt.grad.numpy(), rtol=1e-5, atol=1e-5,
                                   err_msg=name)


def test_bilinear_initialisation_is_pytorchs_bound():
    layer = sj.nn.Bilinear(16, 3, 200)
    bound = 1 / 4  # 1 / sqrt(in1_features)
    for p in (layer.weight, layer.bias):
        assert -bound <= p.min().item() and p.max().item() <= bound
        assert p.max().item() > 0.9 * bound


def test_parameter_list_matches_torch():
    def make(m):
        return m.nn.ParameterList([m.nn.Parameter(m.ones(2, 3)), m.zeros(4)])

    ours, theirs = pair(make)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["0", "1"]
    assert isinstance(ours[1], sj.nn.Parameter) and ours[-1].shape == (4,)
    assert repr(ours) == repr(theirs).replace("torch.", "shenjing.")
    ours.append(sj.ones(1))
    ours += [sj.ones(5)]
    ours.extend([sj.ones(6)])
    assert [p.shape for p in ours] == [(2, 3), (4,), (1,), (5,), (6,)]
    assert len(list(ours.parameters())) == 5 and len(ours[1:3]) == 2
    ours[0] = sj.zeros(7)
    assert ours[0].shape == (7,) and isinstance(ours[0], sj.nn.Parameter)
    with pytest.raises(IndexError):
        ours[5]
    assert repr(sj.nn.ParameterList()) == repr(torch.nn.ParameterList())


def test_parameter_list_trains_inside_a_model():
    class Model(sj.nn.Module):
        def __init__(self):
            super().__init__()
            self.scales = sj.nn.ParameterList([sj.ones(3) for _ in range(2)])

        def forward(self, x):
            for scale in self.scales:
                x = x * scale
            return x.sum()

    model = Model()
    assert [name for name, _ in model.named_parameters()] == ["scales.0", "scales.1"]
    model(sj.ones(3)).backward()
    assert all(p.grad is not None for p in model.parameters())


def test_parameter_dict_matches_torch():
    def make(m):
        return m.nn.ParameterDict({"a": m.nn.Parameter(m.ones(2)), "b": m.zeros(3)})

    ours, theirs = pair(make)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["a", "b"]
    assert list(ours) == list(theirs) and list(ours.keys()) == ["a", "b"]
    assert isinstance(ours["b"], sj.nn.Parameter) and "a" in ours and "c" not in ours
    assert repr(ours).startswith("ParameterDict(\n    (a): Parameter containing: "
                                 "[shenjing.float32 of size 2]")
    ours["c"] = sj.ones(4)
    ours.update([("d", sj.ones(1))])
    assert [k for k, _ in ours.named_parameters()] == ["a", "b", "c", "d"]
    assert ours.pop("a").shape == (2,) and len(ours) == 3
    del ours["b"]
    assert list(ours) == ["c", "d"] and ours.get("b") is None
    for m, container in ((sj, ours), (torch, theirs)):
        with pytest.raises(AttributeError):  # PyTorch's type; a KeyError too, for dict users
            container["zz"]
        with pytest.raises(TypeError):
            container[1] = m.ones(1)
    with pytest.raises(KeyError):
        ours["zz"]
    assert repr(sj.nn.ParameterDict()) == repr(torch.nn.ParameterDict())


def test_module_dict_matches_torch():
    def make(m):
        return m.nn.ModuleDict([("fc", m.nn.Linear(2, 3)), ("act", m.nn.ReLU())])

    ours, theirs = pair(make)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for container in (ours, theirs):
        container.update({"out": type(container["fc"])(3, 1)})
        assert list(container) == ["fc", "act", "out"]
        assert type(container.pop("act")).__name__ == "ReLU"
        del container["out"]
        assert list(container.keys()) == ["fc"] and len(container) == 1
        container.clear()
        assert len(container) == 0
    with pytest.raises(KeyError):
        ours["missing"]


@pytest.mark.parametrize("make, shape", [
    (lambda m: m.nn.GroupNorm(2, 4), (0, 4, 3)),
    (lambda m: m.nn.InstanceNorm1d(4), (0, 4, 3)),
    (lambda m: m.nn.Upsample(scale_factor=2, mode="bilinear"), (0, 2, 3, 3)),
])
def test_empty_batch_matches_torch(make, shape):
    ours, theirs = pair(make)
    compare(ours, theirs, np.zeros(shape, dtype=np.float32))


@pytest.mark.parametrize("make, shape, out", [
    (lambda m: m.nn.InstanceNorm1d(4, affine=True), (0, 4, 3), (0, 4, 3)),
    (lambda m: m.nn.PixelShuffle(2), (0, 4, 2, 2), (0, 1, 4, 4)),
])
def test_empty_batch_has_empty_gradients(make, shape, out):
    """PyTorch 2.13 fails on these (an IndexError in affine instance norm's forward, a
    gradient of the wrong shape from pixel shuffle's backward); here the output has its
    shape and the gradients are zeros of the right shapes."""
    layer = make(sj)
    x = sj.zeros(*shape, requires_grad=True)
    y = layer(x)
    assert y.shape == out
    y.backward(sj.zeros(*y.shape))
    assert x.grad.shape == shape
    assert all(not p.grad.numpy().any() for p in layer.parameters())
