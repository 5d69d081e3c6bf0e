"""PyTorch habits that shenjing accepts as PyTorch does: module names, tensor methods, loaders.

Each test runs the same call in PyTorch and in shenjing where PyTorch can run it here, so the
expected value or exception type is PyTorch's own.
"""

import numpy as np
import pytest
import torch

import shenjing as sj
from shenjing.data import transforms
from tests.datasets import SHARED_DATA, requires_mnist


def test_shape_errors_are_runtime_errors_and_value_errors():
    for m in (torch, sj):
        with pytest.raises(RuntimeError):
            m.ones(2, 3) @ m.ones(2, 3)
    with pytest.raises(ValueError):
        sj.ones(2, 3) @ sj.ones(2, 3)


def test_utils_data_is_the_data_package():
    import shenjing.utils.data as data

    assert data.DataLoader is sj.data.DataLoader and data.TensorDataset is sj.data.TensorDataset
    assert sj.utils.data.random_split is sj.data.random_split


def test_cuda_answers_from_the_backend():
    assert sj.cuda.is_available() == (sj.cuda.device_count() > 0)
    sj.cuda.manual_seed_all(3)
    assert sj.initial_seed() == 3
    sj.cuda.synchronize()  # nothing queued: returns


@pytest.mark.parametrize("use", ["context", "decorator", "called decorator"])
def test_inference_mode_records_no_graph(use):
    x = sj.ones(2, requires_grad=True)
    if use == "context":
        with sj.inference_mode():
            y = x * 2
    elif use == "decorator":
        y = sj.inference_mode(lambda: x * 2)()
    else:
        y = sj.inference_mode()(lambda: x * 2)()
    assert not y.requires_grad
    with sj.inference_mode(False):
        assert (x * 2).requires_grad


def test_tensor_questions():
    for m in (torch, sj):
        x = m.ones(2, 3)
        assert m.is_tensor(x) and not m.is_tensor(np.ones(2)) and m.numel(x) == 6
        assert m.is_floating_point(x) and not m.is_floating_point(m.ones(2, dtype=m.int64))
        assert x.is_floating_point() and x.element_size() == 4 and x.nelement() == 6
        assert x.ndimension() == 2 and not x.is_cuda and x.get_device() == -1
        assert x.stride() == (3, 1) and x.stride(0) == 3 and x.T.stride() == (1, 3)
        assert x.is_contiguous() and not x.T.is_contiguous()
        assert x.share_memory_() is x
    assert sj.ones(2).pin_memory().tolist() == [1.0, 1.0]  # PyTorch needs an accelerator here


def test_set_num_threads_changes_blas_threads():
    before = sj.get_num_threads()
    try:
        sj.set_num_threads(1)
        assert sj.get_num_threads() == 1
    finally:
        sj.set_num_threads(before)
    assert sj.get_num_threads() == before
    with pytest.raises(ValueError, match="positive number of threads"):
        sj.set_num_threads(0)


@pytest.mark.parametrize("call", [
    lambda m, x: m.sum(x, axis=0), lambda m, x: x.sum(axis=1, keepdim=True),
    lambda m, x: m.mean(x, axis=-1), lambda m, x: x.max(axis=0).values,
    lambda m, x: m.argmax(x, axis=1), lambda m, x: x.std(axis=0),
    lambda m, x: m.logsumexp(x, axis=1), lambda m, x: x.prod(axis=0),
    lambda m, x: m.amin(x, axis=1), lambda m, x: x.var(axis=1),
    lambda m, x: m.softmax(x, axis=1), lambda m, x: m.cat([x, x], axis=1),
    lambda m, x: x.cumsum(axis=0), lambda m, x: m.unsqueeze(x, axis=0),
    lambda m, x: m.sort(x, axis=1, descending=True).values, lambda m, x: x.squeeze(axis=0),
    lambda m, x: m.sum(x, axis=1, keepdims=True), lambda m, x: x.mean(dim=0, keepdims=True),
    lambda m, x: m.stack([x, x], axis=2), lambda m, x: m.topk(x, 2, axis=1).values,
])
def test_axis_is_dims_other_name(call):
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(call(sj, sj.tensor(x)).numpy(), call(torch, torch.tensor(x)),
                               rtol=1e-12)


def test_dim_and_axis_together_are_refused():
    with pytest.raises(TypeError, match="both dim and axis"):
        sj.sum(sj.ones(2), dim=0, axis=0)


@pytest.mark.parametrize("name,args", [
    ("new_zeros", (2, 3)), ("new_ones", ((2,),)), ("new_empty", (2,)),
    ("new_full", ((2, 2), 3.5)), ("new_tensor", ([1, 2],)),
])
@pytest.mark.parametrize("dtype", ["float64", "int32"])
def test_new_tensors_take_dtype_from_self(name, args, dtype):
    ours = getattr(sj.ones(1, dtype=getattr(sj, dtype)), name)(*args)
    theirs = getattr(torch.ones(1, dtype=getattr(torch, dtype)), name)(*args)
    assert ours.shape == tuple(theirs.shape) and str(ours.dtype) == dtype
    if name != "new_empty":
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert sj.ones(1).new_zeros(2, dtype=sj.int64).dtype == sj.int64
    assert sj.ones(1).new_ones(2, requires_grad=True).requires_grad


def test_type_names_and_conversions():
    x = sj.ones(2)
    assert x.type() == "shenjing.FloatTensor" and x.long().type() == "shenjing.LongTensor"
    assert x.type("torch.DoubleTensor").dtype == sj.float64
    assert x.type(sj.int32).dtype == sj.int32
    assert (x.byte().dtype, x.char().dtype, x.short().dtype) == (sj.uint8, sj.int8, sj.int16)
    with pytest.raises(ValueError, match="invalid type"):
        x.type("torch.NoSuchTensor")


def test_format_of_0d_tensors_and_contains():
    for m in (torch, sj):
        loss = m.tensor(0.123456)
        assert f"{loss:.4f}" == "0.1235" and format(m.tensor(3), "d") == "3"
        with pytest.raises(TypeError):
            format(m.ones(2), ".2f")
        assert 2.0 in m.tensor([1.0, 2.0]) and 5 not in m.tensor([1, 2])


def test_to_accepts_pytorch_keywords():
    x = sj.ones(2)
    assert x.to("cpu", non_blocking=True) is x
    assert x.to(sj.float32, memory_format=None) is x
    copied = x.to(copy=True)
    assert copied is not x and copied.tolist() == x.tolist()
    assert x.contiguous(memory_format=None) is x


def test_flatten_parameters_is_accepted_on_recurrent_layers():
    for layer in (sj.nn.LSTM(3, 4), sj.nn.GRU(3, 4), sj.nn.RNN(3, 4)):
        assert layer.flatten_parameters() is None


def test_dataloader_worker_arguments_are_accepted_and_checked_as_torch():
    ds = sj.data.TensorDataset(sj.arange(10.0), sj.arange(10))
    loader = sj.data.DataLoader(ds, batch_size=4, num_workers=2, pin_memory=True,
                                persistent_workers=True, prefetch_factor=2,
                                worker_init_fn=lambda i: None)
    assert [y.tolist() for _, y in loader] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    tds = torch.utils.data.TensorDataset(torch.arange(10.0))
    for kwargs in ({"num_workers": -1}, {"prefetch_factor": 2}, {"persistent_workers": True},
                   {"timeout": -1}):
        with pytest.raises(ValueError):
            torch.utils.data.DataLoader(tds, **kwargs)
        with pytest.raises(ValueError):
            sj.data.DataLoader(ds, **kwargs)


@pytest.mark.parametrize("shape", [(5, 4), (5, 4, 3)])
def test_to_tensor_matches_torchvisions_rule(shape):
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, shape, dtype=np.uint8)
    # torchvision's ToTensor: (H, W[, C]) uint8 -> (C, H, W) float32 / 255
    hwc = image if image.ndim == 3 else image[:, :, None]
    expected = torch.from_numpy(hwc.transpose(2, 0, 1).copy()).float().div(255)
    for given in (image, sj.tensor(image)):
        y = transforms.ToTensor()(given)
        assert y.dtype == sj.float32
        np.testing.assert_array_equal(y.numpy(), expected.numpy())
    batch = np.stack([image, image])
    np.testing.assert_array_equal(transforms.ToTensor().batched(sj.tensor(batch)).numpy(),
                                  np.stack([expected.numpy()] * 2))
    floats = rng.random(shape).astype(np.float64)  # not uint8: values and dtype are kept
    assert transforms.ToTensor()(floats).dtype == sj.float64
    with pytest.raises(ValueError, match="shape"):
        transforms.ToTensor()(np.zeros(4, dtype=np.uint8))


def test_to_tensor_reads_pil_images():
    from PIL import Image

    image = np.arange(12, dtype=np.uint8).reshape(2, 2, 3)
    y = transforms.ToTensor()(Image.fromarray(image))
    np.testing.assert_allclose(y.numpy(), image.transpose(2, 0, 1) / 255, rtol=1e-6)
    bits = Image.fromarray(np.array([[True, False]]))
    assert transforms.ToTensor()(bits).tolist() == [[[1.0, 0.0]]]


@requires_mnist
def test_mnist_gives_pil_images_when_asked():
    from PIL import Image

    pil = sj.datasets.MNIST(SHARED_DATA, train=False, pil_images=True)
    plain = sj.datasets.MNIST(SHARED_DATA, train=False)
    image, label = pil[0]
    assert isinstance(image, Image.Image) and image.size == (28, 28) and label == plain[0][1]
    to_tensor = transforms.Compose([transforms.ToTensor(), transforms.Normalize(0.1307, 0.3081)])
    pil.transform = plain.transform = to_tensor
    x, _ = next(iter(sj.data.DataLoader(pil, batch_size=3)))
    y, _ = next(iter(sj.data.DataLoader(plain, batch_size=3)))
    assert x.shape == (3, 1, 28, 28)
    np.testing.assert_array_equal(x.numpy(), y.numpy())


def test_generators_repeat_their_draws_and_leave_the_global_stream_alone():
    sj.manual_seed(0)
    expected_global = sj.rand(3).tolist()
    sj.manual_seed(0)
    g = sj.Generator().manual_seed(5)
    first = [sj.rand(2, generator=g), sj.randn(2, generator=g),
             sj.randint(0, 9, (4,), generator=g), sj.randperm(6, generator=g)]
    assert sj.rand(3).tolist() == expected_global  # the global stream did not move
    g.manual_seed(5)
    again = [sj.rand(2, generator=g), sj.randn(2, generator=g),
             sj.randint(0, 9, (4,), generator=g), sj.randperm(6, generator=g)]
    assert [t.tolist() for t in first] == [t.tolist() for t in again]
    assert g.initial_seed() == 5
    state = g.get_state()
    a = sj.rand(2, generator=g).tolist()
    g.set_state(state)
    assert sj.rand(2, generator=g).tolist() == a
    with pytest.raises(TypeError, match="Generator"):
        sj.rand(2, generator=np.random.default_rng(0))


def test_dataloader_and_random_split_take_a_generator():
    ds = sj.data.TensorDataset(sj.arange(8))

    def orders(seed):
        g = sj.Generator().manual_seed(seed)
        loader = sj.data.DataLoader(ds, batch_size=8, shuffle=True, generator=g)
        return [next(iter(loader))[0].tolist() for _ in range(2)]

    assert orders(1) == orders(1) and orders(1)[0] != orders(1)[1]
    parts = sj.data.random_split(ds, [4, 4], generator=sj.Generator().manual_seed(2))
    again = sj.data.random_split(ds, [4, 4], generator=sj.Generator().manual_seed(2))
    assert parts[0].indices == again[0].indices


@pytest.mark.parametrize("name", ["float64", "float16"])
def test_set_default_dtype_as_torch(name):
    calls = [lambda m: m.tensor([1.0]), lambda m: m.zeros(2), lambda m: m.arange(3) / 2,
             lambda m: m.nn.Linear(2, 1).weight, lambda m: m.tensor(1) * 0.5,
             lambda m: m.randn(2)]
    for m in (torch, sj):
        before = m.get_default_dtype()
        try:
            m.set_default_dtype(getattr(m, name))
            assert [str(call(m).dtype).removeprefix("torch.") for call in calls] == [name] * 6
            assert m.tensor(np.ones(1, dtype=np.float32)).dtype == m.float32  # arrays keep theirs
        finally:
            m.set_default_dtype(before)
        assert m.get_default_dtype() == m.float32
    with pytest.raises(TypeError, match="floating-point"):
        sj.set_default_dtype(sj.int64)


# Common mistakes: shenjing's exception must be an instance of the type PyTorch raises.
MISTAKES = {
 "linear dtype": lambda m: m.nn.Linear(2,2)(m.ones(1,2,dtype=m.float64)),
 "linear shape": lambda m: m.nn.Linear(3,2)(m.ones(1,2)),
 "conv channels": lambda m: m.nn.Conv2d(3,2,3)(m.ones(1,1,5,5)),
 "conv ndim": lambda m: m.nn.Conv2d(1,2,3)(m.ones(5,5)),
 "cat shapes": lambda m: m.cat([m.ones(2,3), m.ones(2,4)]),
 "cat dim": lambda m: m.cat([m.ones(2,3), m.ones(2,3)], dim=3),
 "stack shapes": lambda m: m.stack([m.ones(2), m.ones(3)]),
 "view": lambda m: m.ones(2,3).view(4),
 "reshape": lambda m: m.ones(2,3).reshape(4),
 "index oob": lambda m: m.ones(3)[5],
 "gather oob": lambda m: m.gather(m.ones(2,2), 1, m.tensor([[0,5],[0,0]])),
 "ce target oob": lambda m: m.nn.functional.cross_entropy(m.ones(2,3), m.tensor([0,3])),
 "ce float target shape": lambda m: m.nn.functional.cross_entropy(m.ones(2,3), m.ones(2,4)),
 "mse shapes": lambda m: m.nn.functional.mse_loss(m.ones(2,3), m.ones(3,3)),
 "add broadcast": lambda m: m.ones(2,3) + m.ones(4),
 "embedding oob": lambda m: m.nn.Embedding(3,2)(m.tensor([3])),
 "backward twice": lambda m: (lambda y: (y.backward(), y.backward()))(
     (m.ones(2, requires_grad=True) * 2).sum()),
 "backward nonscalar": lambda m: (m.ones(2, requires_grad=True)*2).backward(),
 "item multi": lambda m: m.ones(2).item(),
 "leaf inplace": lambda m: m.ones(2, requires_grad=True).add_(1),
 "squeeze dim oob": lambda m: m.ones(2).squeeze(3),
 "permute dims": lambda m: m.ones(2,3).permute(0),
 "transpose oob": lambda m: m.ones(2,3).transpose(0,2),
 "sum dim oob": lambda m: m.ones(2,3).sum(dim=2),
 "softmax dim oob": lambda m: m.softmax(m.ones(2,3), dim=2),
 "nll target dtype": lambda m: m.nn.functional.nll_loss(m.ones(2,3), m.tensor([0.0,1.0])),
 "lstm input size": lambda m: m.nn.LSTM(3,4)(m.ones(5,1,2)),
 "bn channels": lambda m: m.nn.BatchNorm2d(3)(m.ones(2,4,5,5)),
 "maxpool big kernel": lambda m: m.nn.functional.max_pool2d(m.ones(1,1,2,2), 3),
 "matmul 0d": lambda m: m.matmul(m.tensor(1.0), m.ones(2)),
 "expand": lambda m: m.ones(2,3).expand(3,3),
 "setitem shape": lambda m: m.ones(2,3).__setitem__(0, m.ones(4)),
 "where shapes": lambda m: m.where(m.ones(2,3)>0, m.ones(2,3), m.ones(4)),
 "split size": lambda m: m.ones(4).split(0),
 "tensor ragged": lambda m: m.tensor([[1,2],[3]]),
 "randint bad": lambda m: m.randint(5, 3, (2,)),
 "zeros neg": lambda m: m.zeros(-1),
 "load_state_dict missing": lambda m: m.nn.Linear(2,2).load_state_dict({}),
 "optimizer empty": lambda m: m.optim.SGD([], lr=0.1),
 "optimizer bad lr": lambda m: m.optim.SGD(m.nn.Linear(2,2).parameters(), lr=-1),
 "dropout p": lambda m: m.nn.Dropout(1.5),
}


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_mistakes_raise_what_pytorch_raises(name):
    import warnings

    call = MISTAKES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            call(torch)
        except Exception as exc:  # noqa: BLE001 - the type is what is compared
            expected = type(exc)
        else:
            expected = None
    if expected is None:
        call(sj)
        return
    with pytest.raises(expected):
        call(sj)


@pytest.mark.parametrize("source", ["float32", "float64", "int16", "uint8", "bool"])
@pytest.mark.parametrize("target", ["float32", "float16", "int64", "int8", "uint8"])
def test_view_as_dtype_reads_the_same_bytes_as_torch(source, target):
    values = np.arange(-4, 12).reshape(2, 8) % (2 if source == "bool" else 100)
    theirs = torch.tensor(values.astype(source))
    ours = sj.tensor(values.astype(source), requires_grad=source.startswith("float"))
    try:
        expected = theirs.view(getattr(torch, target))
    except RuntimeError:
        with pytest.raises(RuntimeError):
            ours.view(getattr(sj, target))
        return
    got = ours.view(getattr(sj, target))
    assert got.dtype == getattr(sj, target) and not got.requires_grad
    np.testing.assert_array_equal(got.numpy(), expected.numpy())


def test_view_as_dtype_errors_as_torch():
    for bad in (lambda m: m.ones(3, 3).t().view(m.int8), lambda m: m.ones(3).view(m.float64),
                lambda m: m.tensor(1.0).view(m.float64)):
        with pytest.raises(RuntimeError):
            bad(torch)
        with pytest.raises(RuntimeError):
            bad(sj)


IN_PLACE = {"abs_": (), "exp_": (), "log1p_": (), "sqrt_": (), "sigmoid_": (), "tanh_": (),
            "relu_": (), "neg_": (), "round_": (), "floor_": (), "reciprocal_": (),
            "square_": (), "pow_": (2,), "fmod_": (0.7,), "clip_": (0.2, 0.9),
            "lerp_": (None, 0.25), "sin_": (), "trunc_": ()}


@pytest.mark.parametrize("name", sorted(IN_PLACE))
def test_in_place_methods_change_the_tensor_as_torch(name):
    values = np.random.default_rng(0).uniform(0.1, 2.0, (2, 3)).astype(np.float32)
    args = IN_PLACE[name]
    outs = []
    for m in (torch, sj):
        x = m.tensor(values)
        call = [m.ones(2, 3) if a is None else a for a in args]
        assert getattr(x, name)(*call) is x
        outs.append(np.asarray(x.numpy()))
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-6)


def test_in_place_methods_refuse_what_torch_refuses():
    for m in (torch, sj):
        with pytest.raises(RuntimeError):
            m.tensor([1, 2]).sqrt_()  # a float result cannot go into an integer tensor
        with pytest.raises(RuntimeError):
            m.ones(2, requires_grad=True).exp_()  # a leaf that requires grad


def test_a_replaced_parameter_or_submodule_keeps_its_place():
    orders = []
    for m in (torch, sj):
        class Net(m.nn.Module):
            def __init__(self, m=m):
                super().__init__()
                self.fc = m.nn.Linear(2, 3)
                self.out = m.nn.Linear(3, 1)

        net = Net()
        net.fc = m.nn.Linear(2, 3)
        net.out.bias = m.nn.Parameter(m.zeros(1))
        net.fc.register_buffer("seen", m.zeros(1))
        orders.append(list(net.state_dict()))
    assert orders[0] == orders[1] == ["fc.weight", "fc.bias", "fc.seen", "out.weight",
                                      "out.bias"]


def test_sequence_containers_edit_as_torch():
    shapes = []
    for m in (torch, sj):
        s = m.nn.Sequential(m.nn.Linear(1, 2), m.nn.ReLU(), m.nn.Linear(2, 3))
        s.insert(1, m.nn.Tanh())
        del s[0]
        popped = s.pop(1)
        s[0] = m.nn.Sigmoid()
        s.extend([m.nn.Identity()])
        joined = s + m.nn.Sequential(m.nn.ReLU())
        layers = m.nn.ModuleList([m.nn.ReLU(), m.nn.Tanh(), m.nn.Identity()])
        del layers[0]
        layers[-1] = m.nn.Sigmoid()
        both = layers + m.nn.ModuleList([m.nn.ReLU()])
        layers.pop(0)
        shapes.append(([type(x).__name__ for x in s], list(dict(s.named_children())),
                       type(popped).__name__, [type(x).__name__ for x in joined],
                       [type(x).__name__ for x in layers], list(dict(both.named_children()))))
    assert shapes[0] == shapes[1]


def test_negative_seeds_are_accepted_as_torch():
    sj.manual_seed(-1)
    a = sj.rand(2).tolist()
    sj.manual_seed(-1)
    assert sj.rand(2).tolist() == a
    g = sj.Generator().manual_seed(-5)
    assert sj.randperm(4, generator=g).shape == (4,)
    sj.manual_seed(0)


def test_integer_inputs_follow_the_default_dtype():
    sj.set_default_dtype(sj.float64)
    try:
        assert sj.copysign(sj.tensor([1, 2]), sj.tensor([1, -2])).dtype == sj.float64
        image = sj.zeros(2, 2, dtype=sj.uint8)
        assert transforms.ToTensor()(image).dtype == sj.float64
    finally:
        sj.set_default_dtype(sj.float32)


@pytest.mark.parametrize("call", [
    lambda m: -m.tensor([True]), lambda m: m.tensor([2]) ** -1,
    lambda m: m.tensor([2]).mul_(1.5), lambda m: m.ones(2).add_(m.ones(3)),
    lambda m: m.set_num_threads(0),
], ids=["neg-bool", "int-negative-power", "int-mul_-float", "add_-shapes", "threads-0"])
def test_numpy_errors_inside_operations_are_runtime_errors(call):
    with pytest.raises(RuntimeError):
        call(torch)
    with pytest.raises(RuntimeError):
        call(sj)


def test_rng_state_round_trips_even_unseeded(monkeypatch):
    import shenjing.backend.random as random

    monkeypatch.setattr(random, "_seed", None)
    monkeypatch.setattr(random, "_generators", {})
    state = sj.get_rng_state()
    first = sj.rand(3).tolist()
    sj.set_rng_state(state)
    assert sj.rand(3).tolist() == first
    sj.manual_seed(0)


def test_tensor_methods_pytorch_code_calls():
    x = sj.tensor([1.0, float("inf"), -2.0])
    assert x.isinf().tolist() == [False, True, False]
    assert (x > 0).logical_not().tolist() == [False, False, True]
    assert (x > 0).logical_and(x < 2).tolist() == [True, False, False]
    assert x.negative().tolist() == [-1.0, -float("inf"), 2.0]
    assert sj.ones(2, 3).mm(sj.ones(3, 1)).tolist() == [[3.0], [3.0]]


def test_load_is_always_weights_only(tmp_path):
    sj.save({"w": sj.ones(2)}, tmp_path / "w.safetensors")
    assert sj.load(tmp_path / "w.safetensors", weights_only=True)["w"].tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match="never"):
        sj.load(tmp_path / "w.safetensors", weights_only=False)


def test_register_refuses_names_as_torch():
    for m in (torch, sj):
        layer = m.nn.Linear(2, 2)
        for name, value in (("training", m.zeros(1)), ("weight", m.zeros(1)), ("", m.zeros(1))):
            with pytest.raises(KeyError):
                layer.register_buffer(name, value)
        with pytest.raises(KeyError):
            layer.add_module("a.b", m.nn.ReLU())
        layer.register_parameter("bias", m.nn.Parameter(m.zeros(2)))  # re-registering replaces


def test_in_place_casts_within_a_kind_as_torch():
    for m in (torch, sj):
        x = m.tensor([5, 7], dtype=m.int32)
        x.remainder_(m.tensor([2, 3]))
        assert x.tolist() == [1, 1] and x.dtype == m.int32
