"""``sj.onnx.export`` checked by the real client: onnxruntime gives shenjing's outputs."""

from __future__ import annotations

import numpy as np
import pytest

import shenjing as sj
import shenjing.onnx

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
nn = sj.nn


def _run(path, x):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]


def check(model, shape, tmp_path, batches=(2, 5), integers=None, atol=1e-5):
    """Export at the first batch size; onnxruntime matches shenjing at each of ``batches``."""
    sj.manual_seed(0)
    make = (lambda n: sj.randint(0, integers, (n, *shape))) if integers else \
        (lambda n: sj.randn(n, *shape))
    path = tmp_path / "model.onnx"
    proto = sj.onnx.export(model, make(batches[0]), path)
    onnx.checker.check_model(proto)
    assert model.training  # the mode is restored
    model.eval()
    for n in batches:
        x = make(n)
        with sj.no_grad():
            expected = model(x).numpy()
        got = _run(path, x)
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=atol)
    model.train()


def _with_statistics(model):
    """Batch norm with running statistics that are not 0 and 1, so eval mode is really used."""
    sj.manual_seed(1)
    for name, buffer in model.named_buffers():
        if name.endswith("running_mean"):
            buffer.copy_(sj.randn(*buffer.shape) * 0.5)
        elif name.endswith("running_var"):
            buffer.copy_(sj.rand(*buffer.shape) + 0.5)
    return model


ACTIVATIONS = [nn.Sigmoid(), nn.Tanh(), nn.ReLU(), nn.LeakyReLU(0.2), nn.PReLU(),
               nn.PReLU(4, init=0.3), nn.ELU(), nn.ELU(alpha=0.5), nn.SELU(), nn.GELU(),
               nn.GELU(approximate="tanh"), nn.SiLU(), nn.Softplus(), nn.Softplus(beta=2.0,
                                                                                 threshold=3.0),
               nn.Softmax(dim=1), nn.LogSoftmax(dim=1), nn.Softmax(dim=-1), nn.Dropout(0.5)]


@pytest.mark.parametrize("layer", ACTIVATIONS, ids=lambda m: repr(m))
def test_activations(layer, tmp_path):
    check(layer, (4, 3, 3), tmp_path)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(6,), (3, 6)])
def test_linear(bias, shape, tmp_path):
    check(nn.Linear(6, 4, bias=bias), shape, tmp_path)


CONVS = [
    dict(kernel_size=3),
    dict(kernel_size=3, stride=2),
    dict(kernel_size=3, padding=1),
    dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0)),
    dict(kernel_size=3, padding="same"),
    dict(kernel_size=4, padding="same"),
    dict(kernel_size=3, padding="same", dilation=2),
    dict(kernel_size=3, dilation=2, stride=2),
    dict(kernel_size=3, padding=1, groups=2),
    dict(kernel_size=3, padding=1, groups=4, bias=False),
    dict(kernel_size=1, bias=False),
]


@pytest.mark.parametrize("options", CONVS, ids=str)
def test_conv2d(options, tmp_path):
    out = 8 if options.get("groups", 1) != 4 else 4
    check(nn.Conv2d(4, out, **options), (4, 9, 9), tmp_path)


POOLS = [
    nn.MaxPool2d(2), nn.MaxPool2d(3, stride=2), nn.MaxPool2d(3, stride=2, padding=1),
    nn.MaxPool2d(2, stride=2, ceil_mode=True), nn.MaxPool2d(3, dilation=2),
    nn.AvgPool2d(2), nn.AvgPool2d(3, stride=2, padding=1),
    nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False),
    nn.AvgPool2d(2, ceil_mode=True), nn.AvgPool2d(3, stride=2, divisor_override=4),
    nn.AdaptiveAvgPool2d(1), nn.AdaptiveAvgPool2d(3), nn.AdaptiveAvgPool2d((2, 4)),
    nn.AdaptiveAvgPool2d(4),
]


@pytest.mark.parametrize("layer", POOLS, ids=lambda m: repr(m))
def test_pooling(layer, tmp_path):
    check(layer, (3, 9, 9), tmp_path)


@pytest.mark.parametrize("layer,shape", [
    (nn.BatchNorm1d(5), (5,)), (nn.BatchNorm2d(3), (3, 4, 4)), (nn.LayerNorm(6), (4, 6)),
    (nn.LayerNorm((4, 6)), (4, 6)), (nn.LayerNorm(6, elementwise_affine=False), (6,)),
    (nn.Flatten(), (3, 4, 4)),
], ids=lambda m: repr(m) if isinstance(m, nn.Module) else str(m))
def test_normalization_and_flatten(layer, shape, tmp_path):
    check(_with_statistics(layer), shape, tmp_path)


def test_embedding(tmp_path):
    check(nn.Sequential(nn.Embedding(12, 5), nn.Flatten(), nn.Linear(15, 2)), (3,), tmp_path,
          integers=12)


MODELS = [
    (lambda: sj.models.MLP(784, [32, 16], 10, "sigmoid"), (1, 28, 28)),
    (lambda: sj.models.MLP(2, [6], 2, "tanh", dropout=0.2), (2,)),
    (lambda: sj.models.LeNet5(), (1, 28, 28)),
    (lambda: sj.models.MnistCNN(dropout=0.2), (1, 28, 28)),
    (lambda: sj.models.SmallVGG(stages=(8, 16), convs_per_stage=1), (3, 32, 32)),
    (lambda: sj.models.resnet20(), (3, 32, 32)),
]


@pytest.mark.parametrize("build,shape", MODELS,
                         ids=["mlp", "mlp-2d", "lenet5", "mnist-cnn", "vgg", "resnet20"])
def test_models(build, shape, tmp_path):
    sj.manual_seed(0)
    check(_with_statistics(build()), shape, tmp_path, batches=(2, 3), atol=2e-5)


def test_static_batch(tmp_path):
    model = sj.models.MnistCNN()
    path = tmp_path / "model.onnx"
    proto = sj.onnx.export(model, sj.randn(3, 1, 28, 28), path, dynamic_batch=False)
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_value for d in dims] == [3, 1, 28, 28]


class _Gate(nn.Module):
    """A layer made of an operation with no converter (a comparison)."""

    def __init__(self) -> None:
        super().__init__()
        self.threshold = nn.Parameter(sj.zeros(4))

    def forward(self, x):
        return x * (x > self.threshold)


def test_unsupported_names_operation_and_layer(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), _Gate())
    with pytest.raises(NotImplementedError, match=r"Compare.*'1'.*no ONNX converter"):
        sj.onnx.export(model, sj.randn(2, 3), tmp_path / "model.onnx")


def test_batch_dim_is_checked(tmp_path):
    model = nn.Linear(3, 4)
    with pytest.raises(ValueError, match="batch_dim"):
        sj.onnx.export(model, sj.randn(2, 3), tmp_path / "model.onnx", batch_dim=(0, 1))
    with pytest.raises(ValueError, match="out of range"):
        sj.onnx.export(model, sj.randn(2, 3), tmp_path / "model.onnx", batch_dim=2)


def test_cli_round_trip(tmp_path):
    from shenjing.cli import main

    run = tmp_path / "run"
    assert main(["train", "quadrants", "--epochs", "2", "--quiet", "--out", str(run)]) == 0
    out = tmp_path / "quadrants.onnx"
    assert main(["export", str(run), "--format", "onnx", "--out", str(out)]) == 0
    from shenjing.cli.evaluate import load_run

    model, _ = load_run(run)
    x = sj.randn(7, 2)
    with sj.no_grad():
        expected = model(x).numpy()
    np.testing.assert_allclose(_run(out, x), expected, rtol=1e-5, atol=1e-6)
    props = {p.key: p.value for p in onnx.load(str(out)).metadata_props}
    assert props["dataset"] == "quadrants"


def test_import_shenjing_does_not_import_onnx():
    import subprocess
    import sys

    code = "import shenjing, sys; assert 'onnx' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
