"""nn.Embedding against PyTorch: initialisation, padding, lookups, gradients, from_pretrained."""

import numpy as np
import pytest
import torch

import shenjing as sj


def test_forward_and_weight_gradient_equal_torch_with_padding():
    theirs = torch.nn.Embedding(10, 4, padding_idx=3)
    ours = sj.nn.Embedding(10, 4, padding_idx=3)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    indices = np.random.default_rng(0).integers(0, 10, (5, 7))
    y, yt = ours(sj.tensor(indices)), theirs(torch.tensor(indices))
    np.testing.assert_array_equal(y.detach().numpy(), yt.detach().numpy())
    g = np.random.default_rng(1).standard_normal((5, 7, 4)).astype(np.float32)
    y.backward(sj.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), atol=1e-6)
    assert not ours.weight.grad.numpy()[3].any()


def test_initialisation_is_standard_normal_with_a_zero_padding_row():
    layer = sj.nn.Embedding(1000, 50, padding_idx=-1)
    assert layer.padding_idx == 999
    w = layer.weight.detach().numpy()
    assert not w[999].any()
    assert abs(w[:999].mean()) < 0.01 and abs(w[:999].std() - 1) < 0.01
    assert layer.weight.shape == (1000, 50) and layer.weight.requires_grad


def test_padding_row_stays_zero_while_training():
    layer = sj.nn.Embedding(5, 3, padding_idx=0)
    optimizer = sj.optim.SGD(layer.parameters(), lr=0.5, momentum=0.9)
    for _ in range(3):
        loss = (layer(sj.tensor([[0, 1, 0, 2]])) ** 2).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert not layer.weight.detach().numpy()[0].any()


def test_from_pretrained_shares_the_tensor_and_is_frozen_by_default():
    table = sj.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    layer = sj.nn.Embedding.from_pretrained(table)
    assert not layer.weight.requires_grad
    table[1, 0] = 30.0  # the layer sees the change: no copy was made
    np.testing.assert_array_equal(layer(sj.tensor([1])).numpy(), [[30.0, 4.0]])
    trainable = sj.nn.Embedding.from_pretrained(table, freeze=False, padding_idx=2)
    assert trainable.weight.requires_grad and trainable.padding_idx == 2
    np.testing.assert_array_equal(trainable.weight.detach().numpy()[2], [5.0, 6.0])
    assert repr(trainable) == "Embedding(3, 2, padding_idx=2)"
    with pytest.raises(ValueError, match="must be a matrix"):
        sj.nn.Embedding.from_pretrained(sj.ones(3))


def test_options_and_state_dict_names_as_torch():
    ours = sj.nn.Embedding(7, 2, max_norm=1.0, scale_grad_by_freq=True)
    theirs = torch.nn.Embedding(7, 2, max_norm=1.0, scale_grad_by_freq=True)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
    with pytest.raises(NotImplementedError, match="sparse"):
        sj.nn.Embedding(7, 2, sparse=True)
    with pytest.raises(ValueError, match="padding_idx 7 must be within num_embeddings 7"):
        sj.nn.Embedding(7, 2, padding_idx=7)


def test_lookup_errors_name_the_shapes():
    layer = sj.nn.Embedding(4, 2)
    with pytest.raises(IndexError, match=r"embedding: index 4 is out of range for weight of "
                                         r"shape \(4, 2\) \(indices of shape \(1, 2\)"):
        layer(sj.tensor([[0, 4]]))
    with pytest.raises(RuntimeError, match=r"indices must be an integer tensor \(int64 or "
                                           r"int32\), got float32 .*\.long\(\)"):
        layer(sj.tensor([0.5]))
    with pytest.raises(RuntimeError, match="indices"):  # PyTorch's type for the same mistake
        torch.nn.Embedding(4, 2)(torch.tensor([0.5]))
