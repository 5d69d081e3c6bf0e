"""Padding and distance layers against their PyTorch twins: values, gradients and reprs."""

import numpy as np
import pytest
import torch

import shenjing as sj

LAYERS = [
    ("ZeroPad1d", (2,)), ("ZeroPad2d", ((1, 0, 2, 1),)), ("ConstantPad1d", ((1, 2), 3.5)),
    ("ConstantPad2d", (1, -1.0)), ("ReflectionPad1d", (2,)), ("ReflectionPad2d", ((1, 2, 0, 1),)),
    ("ReplicationPad1d", ((0, 3),)), ("ReplicationPad2d", (2,)), ("CircularPad1d", (1,)),
    ("CircularPad2d", ((1, 1, 2, 0),)), ("ZeroPad2d", ((-1, 1, 0, -1),)),
]


@pytest.mark.parametrize("name,args", LAYERS, ids=[f"{n}{a}" for n, a in LAYERS])
def test_padding_layers_match_torch(name, args):
    shape = (2, 3, 5) if name.endswith("1d") else (2, 3, 4, 5)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    ours, theirs = getattr(sj.nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(ours) == repr(theirs)
    xs, xt = sj.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, yt = ours(xs), theirs(xt)
    np.testing.assert_array_equal(y.detach().numpy(), yt.detach().numpy())
    g = np.random.default_rng(1).standard_normal(tuple(yt.shape)).astype(np.float32)
    y.backward(sj.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(xs.grad.numpy(), xt.grad.numpy(), rtol=1e-6)


def test_padding_widths_are_checked():
    with pytest.raises(ValueError, match="4 ints"):
        sj.nn.ZeroPad2d((1, 2))


@pytest.mark.parametrize("make", [
    lambda m: m.nn.CosineSimilarity(), lambda m: m.nn.CosineSimilarity(dim=0, eps=1e-4),
    lambda m: m.nn.PairwiseDistance(), lambda m: m.nn.PairwiseDistance(p=1.0, keepdim=True),
])
def test_distance_layers_match_torch(make):
    rng = np.random.default_rng(2)
    a, b = (rng.standard_normal((3, 4)).astype(np.float32) for _ in range(2))
    ours, theirs = make(sj), make(torch)
    assert repr(ours) == repr(theirs)
    xs = [sj.tensor(v, requires_grad=True) for v in (a, b)]
    xt = [torch.tensor(v, requires_grad=True) for v in (a, b)]
    y, yt = ours(*xs), theirs(*xt)
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-5)
    y.sum().backward()
    yt.sum().backward()
    for s, t in zip(xs, xt):
        np.testing.assert_allclose(s.grad.numpy(), t.grad.numpy(), rtol=1e-4, atol=1e-6)
