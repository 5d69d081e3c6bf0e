"""The convolutional networks: shapes, sizes, equality with PyTorch, and learning."""

import numpy as np
import pytest
import torch

import shenjing as sj
from shenjing.data import DataLoader, TensorDataset


def torch_mnist_cnn():
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(32, 64, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(3136, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))


@pytest.mark.parametrize("make, shape, params", [
    (lambda: sj.models.LeNet5(), (2, 1, 28, 28), 61_706),
    (lambda: sj.models.MnistCNN(), (2, 1, 28, 28), 421_642),
    (lambda: sj.models.SmallVGG(), (2, 3, 32, 32), None),
    (lambda: sj.models.resnet20(), (2, 3, 32, 32), None),
])
def test_shapes_and_sizes(make, shape, params):
    model = make()
    assert model(sj.randn(*shape)).shape == (2, 10)
    if params is not None:
        assert sum(p.numel() for p in model.parameters()) == params


def test_resnet20_has_twenty_weighted_layers():
    model = sj.models.resnet20()
    convs = [m for m in model.modules() if isinstance(m, sj.nn.Conv2d) and m.kernel_size == (3, 3)]
    linears = [m for m in model.modules() if isinstance(m, sj.nn.Linear)]
    assert len(convs) + len(linears) == 20
    assert sum(p.numel() for p in model.parameters()) == 269_722  # the paper's 0.27 M
    projected = sj.models.resnet20(shortcut="B")
    assert sum(p.numel() for p in projected.parameters()) == 272_474


def test_zero_padding_shortcut_subsamples_and_pads_channels():
    block = sj.models.cnn.BasicBlock(16, 32, stride=2)
    x = sj.randn(2, 16, 8, 8, requires_grad=True)
    shortcut = block.shortcut(x)
    assert shortcut.shape == (2, 32, 4, 4)
    np.testing.assert_array_equal(shortcut[:, 8:24].detach().numpy(),
                                  x[:, :, ::2, ::2].detach().numpy())
    assert not shortcut[:, :8].detach().numpy().any()
    block(x).sum().backward()
    assert x.grad is not None


def test_mnist_cnn_equals_torch_with_the_same_weights():
    ours, theirs = sj.models.MnistCNN(), torch_mnist_cnn()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((3, 1, 28, 28)).astype(np.float32)
    xs, xt = sj.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, yt = ours(xs), theirs(xt)
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-4, atol=1e-5)
    g = np.random.default_rng(1).standard_normal(y.shape).astype(np.float32)
    y.backward(sj.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(xs.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-6)
    for (name, p), (_, pt) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), pt.grad.numpy(), rtol=1e-3, atol=1e-5,
                                   err_msg=name)


def test_resnet20_learns_a_small_image_set():
    sj.manual_seed(0)
    rng = np.random.default_rng(0)
    x = sj.tensor(rng.standard_normal((32, 3, 32, 32)).astype(np.float32))
    y = sj.tensor(rng.integers(0, 10, 32))
    model = sj.models.resnet20()
    optimizer = sj.optim.Adam(model.parameters(), lr=3e-3)
    history = sj.train.fit(model, DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True),
                           loss=sj.nn.functional.cross_entropy, optimizer=optimizer, epochs=8,
                           verbose=False)
    assert history["loss"][-1] < 0.5 * history["loss"][0]


def test_summary_leaves_out_receptive_fields_of_residual_networks():
    chain = sj.summary(sj.models.LeNet5(), (1, 28, 28)).rows
    assert [r.receptive_field for r in chain if r.receptive_field] == [
        (5, 5), (6, 6), (14, 14), (16, 16)]
    # Zero-padding shortcuts hold no kernel: the widest path is the chain of convolutions.
    residual = sj.summary(sj.models.resnet20(), (3, 32, 32)).rows
    after_blocks = [r.receptive_field[0] for r in residual if r.name.endswith("conv2")]
    assert after_blocks == [7, 11, 15, 21, 29, 37, 49, 65, 81]  # by hand, block by block
    # Projection shortcuts are convolutions off the chain: no field rather than a wrong one.
    projected = sj.summary(sj.models.resnet20(shortcut="B"), (3, 32, 32)).rows
    assert all(r.receptive_field is None for r in projected)


def test_conv_keeps_its_columns_only_for_the_weight_gradient():
    x = sj.randn(2, 3, 8, 8, requires_grad=True)
    frozen = sj.nn.functional.conv2d(x, sj.randn(4, 3, 3, 3))
    assert frozen.grad_fn.columns is None
    trained = sj.nn.functional.conv2d(x, sj.randn(4, 3, 3, 3, requires_grad=True))
    assert trained.grad_fn.columns is not None
    trained.sum().backward()
    assert trained.grad_fn.columns is None  # freed with the graph


def test_conv_checks_dtypes_and_layer_arguments():
    with pytest.raises(RuntimeError, match="float64 and weight of dtype float32"):
        sj.nn.functional.conv2d(sj.ones(1, 1, 4, 4, dtype=sj.float64), sj.ones(1, 1, 3, 3))
    with pytest.raises(ValueError, match="padding='same' needs stride 1"):
        sj.nn.Conv2d(4, 4, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="must be positive"):
        sj.nn.Conv2d(4, 4, 0)
    assert sj.nn.functional.conv2d(sj.zeros(0, 3, 8, 8), sj.ones(4, 3, 3, 3),
                                   padding=1).shape == (0, 4, 8, 8)
