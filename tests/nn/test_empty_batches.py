"""A batch of size 0 gives an empty output wherever PyTorch gives one: layers in train and eval
mode, their gradients, losses (NaN for a mean over nothing, 0 for a sum) and softmax."""

import numpy as np
import pytest
import torch

import shenjing as sj

# (layer, input shape with a 0 somewhere): every layer, in both modes.
LAYERS = [
    (lambda m: m.nn.Linear(3, 2), (0, 3)),
    (lambda m: m.nn.Linear(3, 2), (4, 0, 3)),
    (lambda m: m.nn.Conv2d(3, 2, 3, padding=1), (0, 3, 5, 5)),
    (lambda m: m.nn.Conv2d(3, 4, 3, stride=2, groups=1), (0, 3, 5, 5)),
    (lambda m: m.nn.MaxPool2d(2), (0, 3, 4, 4)),
    (lambda m: m.nn.AvgPool2d(2), (0, 3, 4, 4)),
    (lambda m: m.nn.AdaptiveAvgPool2d(1), (0, 3, 4, 4)),
    (lambda m: m.nn.BatchNorm1d(3), (0, 3)),
    (lambda m: m.nn.BatchNorm1d(3), (0, 3, 5)),
    (lambda m: m.nn.BatchNorm1d(3), (2, 3, 0)),
    (lambda m: m.nn.BatchNorm1d(3, momentum=None), (0, 3)),
    (lambda m: m.nn.BatchNorm1d(3, affine=False, track_running_stats=False), (0, 3)),
    (lambda m: m.nn.BatchNorm2d(3), (0, 3, 4, 4)),
    (lambda m: m.nn.BatchNorm2d(3), (2, 3, 0, 4)),
    (lambda m: m.nn.LayerNorm(3), (0, 3)),
    (lambda m: m.nn.LayerNorm((2, 3)), (0, 2, 3)),
    (lambda m: m.nn.PReLU(3), (0, 3)),
    (lambda m: m.nn.ReLU(), (0, 3)),
    (lambda m: m.nn.Softmax(dim=1), (0, 5)),
    (lambda m: m.nn.Softmax(dim=0), (0, 5)),
    (lambda m: m.nn.LogSoftmax(dim=-1), (0, 5)),
    (lambda m: m.nn.Dropout(0.5), (0, 3)),
    (lambda m: m.nn.Dropout2d(0.5), (0, 3, 2, 2)),
    (lambda m: m.nn.Flatten(), (0, 3, 2, 2)),
    (lambda m: m.nn.RNNCell(3, 2), (0, 3)),
    (lambda m: m.nn.LSTMCell(3, 2), (0, 3)),
    (lambda m: m.nn.GRUCell(3, 2), (0, 3)),
    (lambda m: m.nn.RNN(3, 2), (4, 0, 3)),
    (lambda m: m.nn.LSTM(3, 2, num_layers=2, bidirectional=True), (4, 0, 3)),
    (lambda m: m.nn.GRU(3, 2, batch_first=True, bidirectional=True), (0, 4, 3)),
]


def outputs(y) -> list:
    """Every tensor a layer returns, flattened: (output, (h, c)) -> [output, h, c]."""
    if isinstance(y, (tuple, list)):
        return [t for part in y for t in outputs(part)]
    return [y]


def load_into_torch(ours: sj.nn.Module, theirs: torch.nn.Module) -> None:
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("make, shape", LAYERS)
def test_layers_give_empty_outputs_and_gradients_as_pytorch(make, shape, training):
    ours, theirs = make(sj).train(training), make(torch).train(training)
    load_into_torch(ours, theirs)
    x = np.zeros(shape, np.float32)
    xs, xt = sj.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ys, yt = outputs(ours(xs)), outputs(theirs(xt))
    assert [y.shape for y in ys] == [tuple(y.shape) for y in yt]
    for y, expected in zip(ys, yt):  # a state of an empty batch is empty; no NaN appears
        np.testing.assert_array_equal(y.detach().numpy(), expected.detach().numpy())
    sum(y.sum() for y in ys).backward()
    sum(y.sum() for y in yt).backward()
    assert xs.grad.shape == tuple(xt.grad.shape) == shape
    for (name, p), (_, pt) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_array_equal(p.grad.numpy(), pt.grad.numpy(), err_msg=name)


@pytest.mark.parametrize("momentum", [0.1, None])
def test_batch_norm_leaves_running_statistics_alone_on_an_empty_batch(momentum):
    ours = sj.nn.BatchNorm2d(3, momentum=momentum)
    theirs = torch.nn.BatchNorm2d(3, momentum=momentum)
    rng = np.random.default_rng(0)
    # Statistics that an update by NaN or by zeros would show.
    ours.running_mean.copy_(sj.tensor(rng.standard_normal(3).astype(np.float32)))
    load_into_torch(ours, theirs)
    for shape in [(0, 3, 4, 4), (2, 3, 4, 4), (0, 3, 4, 4)]:
        x = rng.standard_normal(shape).astype(np.float32)
        ours(sj.tensor(x))
        theirs(torch.tensor(x))
        for name, value in theirs.state_dict().items():
            np.testing.assert_allclose(ours.state_dict()[name].numpy(), value.numpy(),
                                       rtol=1e-6, err_msg=name)
    assert ours.num_batches_tracked.item() == 3


def test_batch_norm_still_refuses_one_value_per_channel_in_training():
    for m, error in ((sj, ValueError), (torch, ValueError)):
        with pytest.raises(error, match="more than 1 value per channel"):
            m.nn.BatchNorm1d(3)(m.ones(1, 3))
    assert sj.nn.BatchNorm1d(3).eval()(sj.ones(1, 3)).shape == (1, 3)


def test_functional_batch_norm_on_an_empty_batch():
    for m in (sj, torch):
        mean, var = m.zeros(3) + 2, m.ones(3) + 2
        y = m.nn.functional.batch_norm(m.ones(0, 3), mean, var, training=True)
        assert tuple(y.shape) == (0, 3)
        assert mean.tolist() == [2.0, 2.0, 2.0] and var.tolist() == [3.0, 3.0, 3.0]
        assert tuple(m.nn.functional.batch_norm(m.ones(0, 3), None, None,
                                                training=True).shape) == (0, 3)


def test_recurrent_layers_refuse_an_empty_sequence_as_pytorch():
    for m in (sj, torch):
        with pytest.raises((RuntimeError, ValueError)):
            m.nn.LSTM(3, 2)(m.ones(0, 2, 3))


# (loss, input, target): 0 samples. PyTorch's mean over nothing is NaN, its sum 0.
LOSSES = [
    ("cross_entropy", (0, 5), "classes"),
    ("cross_entropy", (0, 5), "probabilities"),
    ("cross_entropy", (0, 5, 2, 2), "classes"),
    ("nll_loss", (0, 5), "classes"),
    ("mse_loss", (0, 5), "values"),
    ("l1_loss", (0, 5), "values"),
    ("smooth_l1_loss", (0, 5), "values"),
    ("huber_loss", (0, 5), "values"),
    ("binary_cross_entropy", (0, 5), "values"),
    ("binary_cross_entropy_with_logits", (0, 5), "values"),
]


def loss_target(m, shape, kind):
    if kind == "classes":
        return m.zeros(*((shape[0],) + shape[2:]), dtype=m.int64)
    return m.zeros(*shape) + 0.5 if kind == "values" else m.zeros(*shape) + 0.2


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name, shape, target", LOSSES)
def test_losses_over_no_samples_as_pytorch(name, shape, target, reduction):
    results = []
    for m in (sj, torch):
        x = m.zeros(*shape) + 0.5
        x.requires_grad_()
        loss = getattr(m.nn.functional, name)(x, loss_target(m, shape, target),
                                              reduction=reduction)
        loss.sum().backward()
        results.append((tuple(loss.shape), loss.detach().numpy(), tuple(x.grad.shape)))
    (shape_s, value_s, grad_s), (shape_t, value_t, grad_t) = results
    assert shape_s == shape_t and grad_s == grad_t == shape
    np.testing.assert_array_equal(value_s, value_t)  # NaN where PyTorch's is NaN
    assert np.isnan(value_s).all() if reduction == "mean" else not np.isnan(value_s).any()


@pytest.mark.parametrize("p", [1, 2])
def test_multi_margin_loss_over_no_samples(p):
    """No losses for reduction='none', as PyTorch. Its mean and sum over nothing read memory
    that was never written (values like 7e31): shenjing gives NaN and 0 as for other losses."""
    x, target = sj.zeros(0, 5, requires_grad=True), sj.zeros(0, dtype=sj.int64)
    F = sj.nn.functional
    none = F.multi_margin_loss(x, target, p=p, reduction="none")
    expected = torch.nn.functional.multi_margin_loss(torch.zeros(0, 5), torch.zeros(0).long(),
                                                     p=p, reduction="none")
    assert none.shape == tuple(expected.shape) == (0,)
    assert np.isnan(F.multi_margin_loss(x, target, p=p).item())
    total = F.multi_margin_loss(x, target, p=p, reduction="sum", weight=sj.ones(5))
    assert total.item() == 0.0
    (none.sum() + total).backward()
    assert x.grad.shape == (0, 5) and not x.grad.numpy().any()
    with pytest.raises(sj.ShapeError, match=r"\(C,\) or \(N, C\) tensor with C > 0"):
        F.multi_margin_loss(sj.zeros(3, 0), sj.zeros(3, dtype=sj.int64))


@pytest.mark.parametrize("options", [{"weight": "ones"}, {"label_smoothing": 0.1}])
def test_cross_entropy_options_over_no_samples_as_pytorch(options):
    values = []
    for m in (sj, torch):
        kwargs = {k: (m.ones(5) if v == "ones" else v) for k, v in options.items()}
        values.append(m.nn.functional.cross_entropy(m.zeros(0, 5), m.zeros(0, dtype=m.int64),
                                                    **kwargs).item())
    assert np.isnan(values).all()


@pytest.mark.parametrize("module", ["CrossEntropyLoss", "MSELoss", "NLLLoss"])
def test_loss_modules_over_no_samples_as_pytorch(module):
    values = []
    for m in (sj, torch):
        target = (m.zeros(0, dtype=m.int64) if module != "MSELoss" else m.zeros(0, 5))
        values.append(getattr(m.nn, module)()(m.zeros(0, 5), target).item())
    assert np.isnan(values).all()
