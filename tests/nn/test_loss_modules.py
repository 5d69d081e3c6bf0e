"""Loss modules against PyTorch's: values, gradients, attributes, buffers, reprs."""

import numpy as np
import pytest
import torch

import shenjing as sj
from shenjing.nn.modules import loss as losses

RNG = np.random.default_rng(0)
LOGITS = RNG.standard_normal((6, 4)).astype(np.float32)
LOGITS_3D = RNG.standard_normal((2, 4, 3)).astype(np.float32)
CLASSES = np.array([0, 3, 1, -100, 2, 2])
CLASSES_3D = np.array([[0, 3, 1], [1, 2, 2]])
PROBS = RNG.dirichlet(np.ones(4), 6).astype(np.float32)
CLASS_WEIGHT = RNG.uniform(0.5, 2.0, 4).astype(np.float32)
VALUES = RNG.standard_normal((6, 4)).astype(np.float32)
BINARY = (RNG.random((6, 4)) < 0.5).astype(np.float32)
PROBABILITIES = RNG.uniform(0.05, 0.95, (6, 4)).astype(np.float32)

# (class name, constructor kwargs (numpy arrays become tensors), input, target)
CASES = [
    ("CrossEntropyLoss", {}, LOGITS, CLASSES),
    ("CrossEntropyLoss", {"weight": CLASS_WEIGHT, "label_smoothing": 0.1}, LOGITS, CLASSES),
    ("CrossEntropyLoss", {"ignore_index": 2, "reduction": "sum"}, LOGITS, CLASSES.clip(0)),
    ("CrossEntropyLoss", {"reduction": "none"}, LOGITS_3D, CLASSES_3D),
    ("CrossEntropyLoss", {"weight": CLASS_WEIGHT}, LOGITS, PROBS),
    ("NLLLoss", {}, LOGITS, CLASSES),
    ("NLLLoss", {"weight": CLASS_WEIGHT, "reduction": "none"}, LOGITS, CLASSES),
    ("NLLLoss", {"ignore_index": 1}, LOGITS_3D, CLASSES_3D),
    ("MSELoss", {}, VALUES, LOGITS),
    ("MSELoss", {"reduction": "sum"}, VALUES, LOGITS),
    ("L1Loss", {}, VALUES, LOGITS),
    ("L1Loss", {"reduction": "none"}, VALUES, LOGITS),
    ("SmoothL1Loss", {}, VALUES, LOGITS),
    ("SmoothL1Loss", {"beta": 0.5, "reduction": "sum"}, VALUES, LOGITS),
    ("HuberLoss", {}, VALUES, LOGITS),
    ("HuberLoss", {"delta": 0.5, "reduction": "none"}, VALUES, LOGITS),
    ("BCELoss", {}, PROBABILITIES, BINARY),
    ("BCELoss", {"weight": CLASS_WEIGHT, "reduction": "sum"}, PROBABILITIES, BINARY),
    ("BCEWithLogitsLoss", {}, VALUES * 5, BINARY),
    ("BCEWithLogitsLoss", {"weight": CLASS_WEIGHT, "pos_weight": CLASS_WEIGHT[::-1].copy()},
     VALUES * 5, BINARY),
    ("MultiMarginLoss", {}, LOGITS, CLASSES.clip(0)),
    ("MultiMarginLoss", {"p": 2, "margin": 0.5, "weight": CLASS_WEIGHT, "reduction": "none"},
     LOGITS, CLASSES.clip(0)),
]


def _build(m, name, kwargs):
    args = {k: m.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    return (getattr(losses, name) if m is sj else getattr(torch.nn, name))(**args)


def _ids(cases):
    return [f"{name}-{i}" for i, (name, *_) in enumerate(cases)]


@pytest.mark.parametrize("name, kwargs, input, target", CASES, ids=_ids(CASES))
def test_module_matches_torch(name, kwargs, input, target):
    ours, theirs = _build(sj, name, kwargs), _build(torch, name, kwargs)
    x, xt = sj.tensor(input, requires_grad=True), torch.tensor(input, requires_grad=True)
    y, yt = ours(x, sj.tensor(target)), theirs(xt, torch.tensor(target))
    assert y.shape == tuple(yt.shape) and y.dtype == yt.detach().numpy().dtype
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    g = np.random.default_rng(1).standard_normal(y.shape).astype(np.float32)
    y.backward(sj.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name, kwargs, input, target", CASES, ids=_ids(CASES))
def test_module_state_matches_torch(name, kwargs, input, target):
    ours, theirs = _build(sj, name, kwargs), _build(torch, name, kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for (key, buffer), (key_t, buffer_t) in zip(ours.named_buffers(), theirs.named_buffers()):
        assert key == key_t
        np.testing.assert_array_equal(buffer.numpy(), buffer_t.numpy())
    assert list(ours.parameters()) == []
    for attribute in ("reduction", "ignore_index", "label_smoothing", "beta", "delta", "p",
                      "margin"):
        assert getattr(ours, attribute, None) == getattr(theirs, attribute, None), attribute


def test_weight_buffers_move_with_the_module():
    criterion = losses.CrossEntropyLoss(weight=sj.tensor(CLASS_WEIGHT)).double()
    assert criterion.weight.dtype == sj.float64
    y = criterion(sj.tensor(LOGITS.astype(np.float64)), sj.tensor(CLASSES))
    assert y.dtype == sj.float64
    expected = torch.nn.CrossEntropyLoss(weight=torch.tensor(CLASS_WEIGHT))(
        torch.tensor(LOGITS), torch.tensor(CLASSES))
    np.testing.assert_allclose(y.item(), expected.item(), rtol=1e-6)


def test_absent_weights_are_registered_as_none():
    criterion = losses.BCEWithLogitsLoss()
    assert criterion.weight is None and criterion.pos_weight is None
    assert list(criterion.state_dict()) == []
    criterion.load_state_dict({})


def test_state_dict_round_trip():
    source = losses.NLLLoss(weight=sj.tensor(CLASS_WEIGHT))
    target = losses.NLLLoss(weight=sj.ones(4))
    target.load_state_dict(source.state_dict())
    np.testing.assert_array_equal(target.weight.numpy(), CLASS_WEIGHT)


@pytest.mark.parametrize("legacy, reduction", [({"size_average": False}, "sum"),
                                               ({"reduce": False}, "none"),
                                               ({"size_average": True, "reduce": True}, "mean")])
def test_deprecated_constructor_arguments(legacy, reduction):
    with pytest.warns(UserWarning, match="deprecated"):
        criterion = losses.MSELoss(**legacy)
    with pytest.warns(UserWarning):
        assert torch.nn.MSELoss(**legacy).reduction == reduction
    assert criterion.reduction == reduction


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="p == 1 and p == 2"):
        losses.MultiMarginLoss(p=3)
    with pytest.raises(ValueError, match="weight must be 1-D"):
        losses.MultiMarginLoss(weight=sj.ones(2, 2))
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none'"):
        losses.L1Loss(reduction="average")
    with pytest.raises(TypeError, match="weight"):
        losses.CrossEntropyLoss(weight=[1.0, 2.0])


def test_loss_module_in_a_training_step():
    """A module's loss drives gradients into a model's parameters, as in a training loop."""
    weight = sj.nn.Parameter(sj.tensor(RNG.standard_normal((4, 4)).astype(np.float32)))
    criterion = losses.CrossEntropyLoss(label_smoothing=0.05)
    before = criterion(sj.tensor(LOGITS) @ weight, sj.tensor(CLASSES))
    before.backward()
    with sj.no_grad():
        weight -= 0.5 * weight.grad
    after = criterion(sj.tensor(LOGITS) @ weight, sj.tensor(CLASSES))
    assert after.item() < before.item()
