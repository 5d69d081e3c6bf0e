"""The loss modules of issue 14 against PyTorch's: values, gradients of every input, reprs."""

import warnings

import numpy as np
import pytest
import torch

import shenjing as sj

RNG = np.random.default_rng(0)
X = RNG.standard_normal((6, 4)).astype(np.float32)
Y = RNG.standard_normal((6, 4)).astype(np.float32)
Z = RNG.standard_normal((6, 4)).astype(np.float32)
SIGNS = np.where(RNG.random((6, 4)) < 0.5, -1.0, 1.0).astype(np.float32)
ROW_SIGNS = np.array([1, -1, 1, 1, -1, -1])  # int64 targets, as users often pass
PROBS = RNG.dirichlet(np.ones(4), 6).astype(np.float32)
LOG_PROBS = np.log(RNG.dirichlet(np.ones(4), 6)).astype(np.float32)
COUNTS = RNG.poisson(2.0, (6, 4)).astype(np.float32)
POSITIVE = RNG.uniform(0.1, 2.0, (6, 4)).astype(np.float32)

# (class name, constructor kwargs, inputs, which inputs take gradients)
CASES = [
    ("KLDivLoss", {"reduction": "batchmean"}, (LOG_PROBS, PROBS), (0, 1)),
    ("KLDivLoss", {"reduction": "sum", "log_target": True}, (LOG_PROBS, LOG_PROBS + X), (0, 1)),
    ("KLDivLoss", {}, (LOG_PROBS, PROBS), (0,)),
    ("KLDivLoss", {"reduction": "none"}, (LOG_PROBS, PROBS), (0,)),
    ("CosineEmbeddingLoss", {}, (X, Y, ROW_SIGNS), (0, 1)),
    ("CosineEmbeddingLoss", {"margin": 0.2, "reduction": "none"}, (X, Y, ROW_SIGNS), (0, 1)),
    ("MarginRankingLoss", {"margin": 0.3}, (X, Y, SIGNS), (0, 1)),
    ("MarginRankingLoss", {"reduction": "sum"}, (X[:, 0], Y[:, 0], SIGNS[:, 0]), (0, 1, 2)),
    ("TripletMarginLoss", {}, (X, Y, Z), (0, 1, 2)),
    ("TripletMarginLoss", {"margin": 2.0, "p": 1.0, "swap": True, "reduction": "none"},
     (X, Y, Z), (0, 1, 2)),
    ("HingeEmbeddingLoss", {}, (np.abs(X), SIGNS), (0,)),
    ("HingeEmbeddingLoss", {"margin": 2.0, "reduction": "sum"}, (X, SIGNS), (0,)),
    ("SoftMarginLoss", {}, (X, SIGNS), (0,)),
    ("SoftMarginLoss", {"reduction": "none"}, (X, SIGNS), (0,)),
    ("PoissonNLLLoss", {}, (X, COUNTS), (0,)),
    ("PoissonNLLLoss", {"log_input": False, "full": True, "reduction": "sum"}, (POSITIVE, COUNTS),
     (0,)),
    ("GaussianNLLLoss", {}, (X, Y, POSITIVE), (0, 1, 2)),
    ("GaussianNLLLoss", {"full": True, "reduction": "none"}, (X, Y, POSITIVE[:, :1]), (0, 2)),
    ("GaussianNLLLoss", {"eps": 0.5, "reduction": "sum"}, (X, Y, POSITIVE[:, 0]), (0, 2)),
]


def _inputs(m, arrays, grads):
    tensors = [m.tensor(a) for a in arrays]
    for i in grads:
        tensors[i].requires_grad_()
    return tensors


@pytest.mark.parametrize("name, kwargs, arrays, grads", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_matches_torch(name, kwargs, arrays, grads):
    ours, theirs = getattr(sj.nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(ours) == repr(theirs)
    xs, ts = _inputs(sj, arrays, grads), _inputs(torch, arrays, grads)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # KLDivLoss's 'mean' warns in both
        y, r = ours(*xs), theirs(*ts)
    assert y.shape == tuple(r.shape)
    np.testing.assert_allclose(y.detach().numpy(), r.detach().numpy(), rtol=1e-5, atol=1e-5)
    g = RNG.standard_normal(y.shape).astype(np.float32)
    y.backward(sj.tensor(g))
    r.backward(torch.tensor(g))
    for i in grads:
        np.testing.assert_allclose(xs[i].grad.numpy(), ts[i].grad.numpy(), rtol=1e-4, atol=1e-5,
                                   err_msg=f"{name}: gradient of input {i}")


@pytest.mark.parametrize("name", ["KLDivLoss", "CosineEmbeddingLoss", "MarginRankingLoss",
                                  "TripletMarginLoss", "HingeEmbeddingLoss", "SoftMarginLoss",
                                  "PoissonNLLLoss", "GaussianNLLLoss"])
def test_attributes_like_torch(name):
    ours, theirs = getattr(sj.nn, name)(), getattr(torch.nn, name)()
    for attr in ("reduction", "margin", "p", "eps", "swap", "log_input", "full", "log_target"):
        if hasattr(theirs, attr):
            assert getattr(ours, attr) == getattr(theirs, attr), attr
    assert ours.state_dict().keys() == theirs.state_dict().keys()


def test_constructor_errors_like_torch():
    with pytest.raises(ValueError):
        torch.nn.TripletMarginLoss(margin=0.0)
    with pytest.raises(ValueError):
        sj.nn.TripletMarginLoss(margin=0.0)
    with pytest.raises(ValueError):
        sj.nn.KLDivLoss(reduction="batch")
    with pytest.warns(UserWarning):
        assert sj.nn.KLDivLoss(size_average=False).reduction == "sum"
