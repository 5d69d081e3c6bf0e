"""sj.load on torch.save files (read without PyTorch), hostile pickles, and weights out to PyTorch.

PyTorch is the test-only oracle that writes the files and runs the twins of shenjing's models.
"""

import collections
import os
import pickle
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import shenjing as sj
from shenjing.serialization import CheckpointError

torch = pytest.importorskip("torch")
tnn = torch.nn


def _save(obj, path):
    torch.save(obj, path)
    return path


# -- reading what torch.save writes --------------------------------------------------------------
DTYPES = [torch.float16, torch.float32, torch.float64, torch.int8, torch.int16, torch.int32,
          torch.int64, torch.uint8, torch.bool]


def test_every_dtype_shenjing_holds_loads_with_its_values(tmp_path):
    generator = torch.Generator().manual_seed(0)
    saved = {str(dtype): (torch.randn(3, 4, generator=generator) * 50).to(dtype)
             for dtype in DTYPES}
    loaded = sj.load(_save(saved, tmp_path / "dtypes.pt"))
    assert list(loaded) == list(saved)
    for name, tensor in saved.items():
        assert loaded[name].dtype == np.dtype(str(tensor.numpy().dtype)), name
        np.testing.assert_array_equal(loaded[name].numpy(), tensor.numpy())


def test_bfloat16_is_a_clear_error(tmp_path):
    path = _save({"w": torch.ones(2, dtype=torch.bfloat16)}, tmp_path / "bf16.pt")
    with pytest.raises(CheckpointError, match=r"bf16.pt: .*bfloat16.*tensor.float\(\)"):
        sj.load(path)


def test_non_contiguous_tensors_keep_their_values(tmp_path):
    base = torch.arange(60.0).reshape(5, 12)
    saved = {"transposed": base.t(), "offset": base[2:, 3:], "stepped": base[::2, 1::3],
             "expanded": torch.arange(3.0).expand(4, 3), "empty": base[:0], "scalar": base[1, 2]}
    loaded = sj.load(_save(saved, tmp_path / "views.pt"))
    for name, tensor in saved.items():
        assert loaded[name].shape == tuple(tensor.shape), name
        np.testing.assert_array_equal(loaded[name].numpy(), tensor.contiguous().numpy())
        assert loaded[name].numpy().flags.c_contiguous


def test_tensors_sharing_one_storage_load_as_their_own_copies(tmp_path):
    base = torch.arange(12, dtype=torch.int32)
    saved = {"rows": base.view(3, 4), "tail": base[5:], "same": base, "again": base}
    path = _save(saved, tmp_path / "shared.pt")
    assert sum(n.startswith("shared/data/") for n in zipfile.ZipFile(path).namelist()) == 1
    loaded = sj.load(path)
    for name, tensor in saved.items():
        np.testing.assert_array_equal(loaded[name].numpy(), tensor.numpy())
    assert loaded["same"] is loaded["again"]  # one tensor saved twice stays one tensor
    loaded["rows"].numpy()[0, 0] = 99  # the views are copies: no aliasing across keys
    assert loaded["tail"].numpy()[0] == 5


def test_nested_containers_and_plain_values(tmp_path):
    weight = torch.randn(2, 3)
    saved = {"model": collections.OrderedDict(w=weight, b=torch.zeros(2)),
             "history": [1.5, 2.5], "pair": (weight, "adam"), "epoch": 7, "note": None,
             "flags": {"done": True, 3: b"raw"}, "deep": [[{"x": [torch.ones(1)]}]]}
    loaded = sj.load(_save(saved, tmp_path / "nested.pt"))
    assert isinstance(loaded["model"], collections.OrderedDict)
    assert list(loaded["model"]) == ["w", "b"]
    np.testing.assert_array_equal(loaded["model"]["w"].numpy(), weight.numpy())
    assert loaded["pair"][0] is loaded["model"]["w"] and loaded["pair"][1] == "adam"
    assert isinstance(loaded["pair"], tuple)
    assert (loaded["history"], loaded["epoch"], loaded["note"]) == ([1.5, 2.5], 7, None)
    assert loaded["flags"] == {"done": True, 3: b"raw"}
    assert loaded["deep"][0][0]["x"][0].numpy().tolist() == [1.0]


def test_parameters_keep_requires_grad(tmp_path):
    loaded = sj.load(_save({"p": tnn.Parameter(torch.ones(2))}, tmp_path / "param.pt"))
    assert loaded["p"].requires_grad


def test_map_location_as_in_pytorch(tmp_path):
    path = _save({"w": torch.ones(2)}, tmp_path / "w.pt")
    for where in (None, "cpu", sj.device("cpu"), {"cuda:0": "cpu"}, {"cpu": "cpu"}):
        assert sj.load(path, map_location=where)["w"].device == sj.device("cpu")
    with pytest.raises(TypeError, match="map_location"):
        sj.load(path, map_location=lambda storage, location: storage)
    with pytest.raises(sj.DeviceError, match="unknown device 'mps'"):
        sj.load(path, map_location="mps")
    safetensors_path = tmp_path / "w.safetensors"
    sj.save({"w": sj.ones(2)}, safetensors_path)
    assert sj.load(safetensors_path, map_location="cpu")["w"].device == sj.device("cpu")


def test_map_location_cuda_goes_through_shenjing_devices(tmp_path):
    path = _save({"w": torch.ones(2)}, tmp_path / "w.pt")
    try:
        import cupy  # noqa: F401
    except ImportError:
        with pytest.raises(sj.DeviceError, match="CuPy|cupy"):
            sj.load(path, map_location="cuda")
    else:
        assert sj.load(path, map_location="cuda:0")["w"].device == sj.device("cuda:0")


def test_the_reader_never_imports_torch(tmp_path):
    path = _save({"w": torch.ones(2, 3)}, tmp_path / "w.pt")
    code = ("import sys; sys.modules['torch'] = None\n"  # any `import torch` would now fail
            "import shenjing as sj\n"
            f"print(sj.load({str(path)!r})['w'].shape)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "(2, 3)"


# -- models: PyTorch twins with the same names ---------------------------------------------------
class _ShortcutA(tnn.Module):
    def __init__(self, extra, stride):
        super().__init__()
        self.extra, self.stride = extra, stride

    def forward(self, x):
        x = x[:, :, ::self.stride, ::self.stride]
        half = self.extra // 2
        return tnn.functional.pad(x, (0, 0, 0, 0, half, self.extra - half))


class _Block(tnn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = tnn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = tnn.BatchNorm2d(cout)
        self.conv2 = tnn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = tnn.BatchNorm2d(cout)
        self.relu = tnn.ReLU()
        same = stride == 1 and cin == cout
        self.shortcut = tnn.Sequential() if same else _ShortcutA(cout - cin, stride)

    def forward(self, x):
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        return self.relu(out + self.shortcut(x))


class _ResNet20(tnn.Module):
    def __init__(self):
        super().__init__()
        self.stem = tnn.Sequential(tnn.Conv2d(3, 16, 3, padding=1, bias=False),
                                   tnn.BatchNorm2d(16), tnn.ReLU())
        blocks, width = [], 16
        for i, channels in enumerate((16, 32, 64)):
            for j in range(3):
                blocks.append(_Block(width, channels, 2 if i > 0 and j == 0 else 1))
                width = channels
        self.stages = tnn.Sequential(*blocks)
        self.pool = tnn.AdaptiveAvgPool2d(1)
        self.fc = tnn.Linear(64, 10)

    def forward(self, x):
        return self.fc(self.pool(self.stages(self.stem(x))).flatten(1))


def _mnist_cnn():
    return tnn.Sequential(tnn.Conv2d(1, 32, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
                          tnn.Conv2d(32, 64, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
                          tnn.Flatten(), tnn.Linear(64 * 7 * 7, 128), tnn.ReLU(),
                          tnn.Linear(128, 10))


def _vgg():
    layers, width = [], 3
    for channels in (8, 16):
        layers += [tnn.Conv2d(width, channels, 3, padding=1, bias=False),
                   tnn.BatchNorm2d(channels), tnn.ReLU()]
        layers.append(tnn.MaxPool2d(2))
        width = channels
    twin = tnn.Module()
    twin.features, twin.pool, twin.classifier = (tnn.Sequential(*layers),
                                                 tnn.AdaptiveAvgPool2d(1), tnn.Linear(16, 10))
    twin.forward = lambda x: twin.classifier(twin.pool(twin.features(x)).flatten(1))
    return twin


# (shenjing model, its PyTorch twin, input shape)
TWINS = {
    "mlp": (lambda: sj.models.MLP(784, [32], 10),
            lambda: tnn.Sequential(tnn.Flatten(), tnn.Linear(784, 32), tnn.ReLU(),
                                   tnn.Linear(32, 10)), (4, 1, 28, 28)),
    "mnist_cnn": (sj.models.MnistCNN, _mnist_cnn, (4, 1, 28, 28)),
    "small_vgg": (lambda: sj.models.SmallVGG(stages=(8, 16), convs_per_stage=1), _vgg,
                  (4, 3, 16, 16)),
    "resnet20": (sj.models.resnet20, _ResNet20, (4, 3, 32, 32)),
}


@pytest.mark.parametrize("name", list(TWINS))
def test_load_state_dict_of_a_pytorch_twin(name, tmp_path):
    make_sj, make_torch, shape = TWINS[name]
    torch.manual_seed(0)
    twin = make_torch()
    x = torch.randn(*shape)
    optimizer = torch.optim.SGD(twin.parameters(), lr=0.01)
    for _ in range(2):  # batch-norm statistics and num_batches_tracked move off their defaults
        optimizer.zero_grad()
        twin(x).square().mean().backward()
        optimizer.step()
    twin.eval()
    path = _save(twin.state_dict(), tmp_path / f"{name}.pt")
    model = make_sj()
    model.load_state_dict(sj.load(path))
    model.eval()
    with torch.no_grad():
        expected = twin(x).numpy()
    with sj.no_grad():
        got = model(sj.tensor(x.numpy())).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    if name in ("small_vgg", "resnet20"):  # batch norm: its counters came across
        tracked = [k for k in model.state_dict() if k.endswith("num_batches_tracked")]
        assert tracked and all(int(model.state_dict()[k].item()) == 2 for k in tracked)


@pytest.mark.parametrize("name", list(TWINS))
def test_weights_out_to_pytorch_through_safetensors(name, tmp_path):
    """Train in shenjing, sj.save to .safetensors, safetensors.torch.load_file into the twin."""
    from safetensors.torch import load_file

    make_sj, make_torch, shape = TWINS[name]
    sj.manual_seed(0)
    model = make_sj()
    x = sj.randn(*shape)
    target = sj.tensor(np.arange(shape[0]) % 10)
    optimizer = sj.optim.SGD(model.parameters(), lr=0.05)
    for _ in range(3):
        optimizer.zero_grad()
        sj.nn.functional.cross_entropy(model(x), target).backward()
        optimizer.step()
    model.eval()
    path = tmp_path / "m.safetensors"
    sj.save(model.state_dict(), path)
    twin = make_torch()
    twin.load_state_dict(load_file(path))  # strict: every name matches
    twin.eval()
    with torch.no_grad():
        got = twin(torch.from_numpy(x.numpy())).numpy()
    with sj.no_grad():
        np.testing.assert_allclose(got, model(x).numpy(), rtol=1e-4, atol=1e-5)


# -- hostile and foreign files: refused, nothing runs --------------------------------------------
def _torch_zip(path, pickled: bytes, storages=None):
    """A zip laid out as torch.save lays it out, around a pickle written by hand."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", pickled)
        archive.writestr("archive/byteorder", "little")
        for key, data in (storages or {}).items():
            archive.writestr(f"archive/data/{key}", data)
        archive.writestr("archive/version", "3\n")
    return path


class _RunsACommand:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_hostile_reduce_that_would_run_a_shell_command_never_runs(tmp_path):
    """A data.pkl whose __reduce__ calls os.system("touch marker"): refused, no marker."""
    marker = tmp_path / "pwned"
    payload = pickle.dumps({"w": _RunsACommand(marker)}, protocol=2)
    path = _torch_zip(tmp_path / "evil.pt", payload)
    with pytest.raises(CheckpointError, match=r"evil.pt: .*(posix|os|nt)\.system.*nothing was run"):
        sj.load(path)
    assert not marker.exists()
    # the same payload inside a real torch.save file, its data.pkl swapped
    real = _save({"w": torch.ones(2)}, tmp_path / "real.pt")
    with zipfile.ZipFile(real) as source:
        entries = {info.filename: source.read(info) for info in source.infolist()}
    entries["real/data.pkl"] = payload
    with zipfile.ZipFile(tmp_path / "swapped.pt", "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    with pytest.raises(CheckpointError, match="system"):
        sj.load(tmp_path / "swapped.pt")
    assert not marker.exists()


def test_hostile_global_outside_the_allowed_set_is_named(tmp_path):
    """Globals a tensor checkpoint never needs: builtins.eval, a whole pickled nn.Module."""
    source = b"\x80\x02cbuiltins\neval\nX\x0a\x00\x00\x00print(123)\x85R."
    with pytest.raises(CheckpointError, match=r"builtins\.eval"):
        sj.load(_torch_zip(tmp_path / "eval.pt", source))
    module = _save(tnn.Linear(2, 2), tmp_path / "module.pt")
    with pytest.raises(CheckpointError, match=r"torch\.nn\.modules\.linear\.Linear.*refused"):
        sj.load(module)


def test_hostile_state_set_on_a_tensor_is_refused(tmp_path):
    """A BUILD opcode that would set attributes (here _data) on a rebuilt tensor."""
    path = _save({"w": torch.ones(3)}, tmp_path / "w.pt")
    with zipfile.ZipFile(path) as archive:
        entries = {info.filename: archive.read(info) for info in archive.infolist()}
    pickled = entries["w/data.pkl"]
    # after the tensor's REDUCE, push {"_data": 1} and BUILD it onto the tensor
    at = pickled.index(b"R", pickled.index(b"_rebuild_tensor_v2"))
    at = pickled.index(b"R", at + 1)  # the outer REDUCE that makes the tensor
    entries["w/data.pkl"] = (pickled[:at + 1] + b"}X\x05\x00\x00\x00_dataK\x01sb"
                             + pickled[at + 1:])
    with zipfile.ZipFile(tmp_path / "build.pt", "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    with pytest.raises(CheckpointError, match="build.pt: corrupt PyTorch pickle"):
        sj.load(tmp_path / "build.pt")


def test_hostile_strides_that_reach_past_the_storage_are_refused(tmp_path):
    """A tensor whose stride would read memory beyond its storage's bytes."""
    path = _save({"w": torch.ones(3, 5)}, tmp_path / "w.pt")
    with zipfile.ZipFile(path) as archive:
        entries = {info.filename: archive.read(info) for info in archive.infolist()}
    pickled = entries["w/data.pkl"]
    assert pickled.count(b"K\x05K\x01\x86") == 1  # the stride tuple (5, 1)
    entries["w/data.pkl"] = pickled.replace(b"K\x05K\x01\x86", b"K\xc8K\x01\x86")  # (200, 1)
    with zipfile.ZipFile(tmp_path / "strides.pt", "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    with pytest.raises(CheckpointError, match=r"strides.pt: .*past the storage's 15"):
        sj.load(tmp_path / "strides.pt")


def test_hostile_storage_shorter_than_it_claims_is_refused(tmp_path):
    """A storage entry with fewer bytes than its element count needs."""
    path = _save({"w": torch.ones(4)}, tmp_path / "w.pt")
    with zipfile.ZipFile(path) as archive:
        entries = {info.filename: archive.read(info) for info in archive.infolist()}
    entries["w/data/0"] = entries["w/data/0"][:8]
    with zipfile.ZipFile(tmp_path / "short.pt", "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    with pytest.raises(CheckpointError, match=r"short.pt: storage '0' holds 8 bytes"):
        sj.load(tmp_path / "short.pt")


def test_truncated_zip_is_a_clear_error(tmp_path):
    """torch.save's file cut short at several points."""
    data = _save({"w": torch.randn(64, 64)}, tmp_path / "full.pt").read_bytes()
    for cut in (40, 200, len(data) // 2, len(data) - 30):
        path = tmp_path / f"cut{cut}.pt"
        path.write_bytes(data[:cut])
        with pytest.raises(CheckpointError, match=f"cut{cut}.pt: corrupt or truncated PyTorch"):
            sj.load(path)


def test_legacy_format_is_a_clear_error(tmp_path):
    """PyTorch's pre-zip format (a pickle stream after a magic number)."""
    path = tmp_path / "legacy.pt"
    torch.save({"w": torch.ones(2)}, path, _use_new_zipfile_serialization=False)
    with pytest.raises(CheckpointError, match=r"legacy.pt: PyTorch's legacy torch.save format"):
        sj.load(path)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch.jit's own
def test_torchscript_archive_is_a_clear_error(tmp_path):
    """torch.jit.save of a tiny module: a program with code/ and constants.pkl."""
    path = tmp_path / "scripted.pt"
    torch.jit.save(torch.jit.script(tnn.Linear(2, 2)), str(path))
    with pytest.raises(CheckpointError, match=r"scripted.pt: a TorchScript archive"):
        sj.load(path)


def test_a_pickle_of_other_objects_in_a_torch_zip_is_refused(tmp_path):
    """A set (a builtin the unpickler can make without globals) is not checkpoint content."""
    payload = pickle.dumps({"s": {1, 2}}, protocol=4)
    with pytest.raises(CheckpointError, match="holds a set"):
        sj.load(_torch_zip(tmp_path / "set.pt", payload))


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # CPython's own
def test_corrupted_pickles_are_refused_or_load_never_crash(tmp_path):
    """Random byte flips in a real data.pkl: each file loads or is a CheckpointError."""
    saved = {"sd": collections.OrderedDict(a=torch.randn(3, 4).t(), b=torch.arange(5)),
             "l": [1, (2.5, "x")], "m": torch.ones(2, dtype=torch.bool)}
    with zipfile.ZipFile(_save(saved, tmp_path / "f.pt")) as archive:
        entries = {info.filename: archive.read(info) for info in archive.infolist()}
    rng = np.random.default_rng(0)
    pickled = entries["f/data.pkl"]
    for i in range(300):
        flipped = bytearray(pickled)
        for j in rng.integers(0, len(flipped), size=rng.integers(1, 5)):
            flipped[j] = rng.integers(0, 256)
        path = tmp_path / f"flip{i}.pt"
        with zipfile.ZipFile(path, "w") as archive:
            for name, data in {**entries, "f/data.pkl": bytes(flipped)}.items():
                archive.writestr(name, data)
        try:
            sj.load(path)
        except CheckpointError as exc:
            assert f"flip{i}.pt" in str(exc)


def test_hostile_memo_index_that_would_allocate_gigabytes_is_refused(tmp_path):
    """A LONG_BINPUT to memo slot 2**31: the C unpickler would grow its memo table to 16 GB."""
    payload = b"\x80\x02K\x01r\x00\x00\x00\x80."
    with pytest.raises(CheckpointError, match="memo.pt: corrupt PyTorch pickle.*memo index"):
        sj.load(_torch_zip(tmp_path / "memo.pt", payload))


def test_big_endian_files_load_in_native_order(tmp_path):
    """torch.save on a big-endian machine writes byteorder 'big' and swapped storages."""
    saved = {"f": torch.randn(2, 3), "i": torch.arange(4, dtype=torch.int16).reshape(2, 2).t()}
    with zipfile.ZipFile(_save(saved, tmp_path / "le.pt")) as archive:
        entries = {info.filename: archive.read(info) for info in archive.infolist()}
    entries["le/byteorder"] = b"big"
    entries["le/data/0"] = saved["f"].numpy().astype(">f4").tobytes()
    entries["le/data/1"] = np.arange(4, dtype=">i2").tobytes()
    with zipfile.ZipFile(tmp_path / "be.pt", "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    loaded = sj.load(tmp_path / "be.pt")
    for name, tensor in saved.items():
        assert loaded[name].dtype.isnative
        np.testing.assert_array_equal(loaded[name].numpy(), tensor.numpy())


def test_hostile_shared_lists_that_would_double_at_every_level_cost_their_size(tmp_path):
    """60 levels of a list holding the previous list twice: 2**60 leaves if walked naively."""
    nested = [torch.ones(1)]
    for _ in range(60):
        nested = [nested, nested]
    loaded = sj.load(_save({"n": nested}, tmp_path / "laughs.pt"))
    assert loaded["n"][0] is loaded["n"][1]


def test_hostile_zero_strides_that_would_expand_to_gigabytes_are_refused(tmp_path):
    """One float stored, a view of it with shape (2**20, 2**10) and strides (0, 0): 4 GiB."""
    path = _save({"w": torch.ones(1).expand(3, 7)}, tmp_path / "w.pt")
    with zipfile.ZipFile(path) as archive:
        entries = {info.filename: archive.read(info) for info in archive.infolist()}
    pickled = entries["w/data.pkl"]
    assert pickled.count(b"K\x03K\x07\x86") == 1  # the shape (3, 7)
    entries["w/data.pkl"] = pickled.replace(b"K\x03K\x07\x86", b"J\x00\x00\x10\x00M\x00\x04\x86")
    with zipfile.ZipFile(tmp_path / "expand.pt", "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    with pytest.raises(CheckpointError, match=r"expand.pt: .*(expanded tensors exceed|would take)"):
        sj.load(tmp_path / "expand.pt")


def _with_pickle(tmp_path, pickled: bytes, name: str, obj=None):
    """A real torch.save zip of ``obj`` whose data.pkl is replaced by ``pickled``."""
    path = _save({"w": torch.ones(2)} if obj is None else obj, tmp_path / "w.pt")
    with zipfile.ZipFile(path) as archive:
        entries = {info.filename: archive.read(info) for info in archive.infolist()}
    entries["w/data.pkl"] = pickled
    with zipfile.ZipFile(tmp_path / name, "w") as archive:
        for entry, data in entries.items():
            archive.writestr(entry, data)
    return tmp_path / name


def test_hostile_location_that_repeats_itself_is_refused_without_printing_it(tmp_path):
    """A storage's location made of lists that hold the previous list twice, 40 levels deep
    (2**40 items in a few hundred bytes): refused by its type, never turned into text."""
    nested = []
    for _ in range(40):
        nested = [nested, nested]
    real = zipfile.ZipFile(_save({"w": torch.ones(2)}, tmp_path / "r.pt")).read("r/data.pkl")
    assert real.count(b"X\x03\x00\x00\x00cpu") == 1  # the location 'cpu' as a short string
    body = pickle.dumps(nested, protocol=2)[2:-1]  # the list's opcodes, no PROTO, no STOP
    path = _with_pickle(tmp_path, real.replace(b"X\x03\x00\x00\x00cpu", body), "dag.pt")
    with pytest.raises(CheckpointError, match="unexpected persistent id"):
        sj.load(path)


def test_hostile_tensor_of_70_dims_is_a_clear_error(tmp_path):
    """A layout NumPy cannot hold (70 dims of size 1): a CheckpointError naming the file."""
    real = zipfile.ZipFile(_save({"w": torch.ones(1, 1)}, tmp_path / "r.pt")).read("r/data.pkl")
    assert real.count(b"K\x01K\x01\x86") == 2  # the size (1, 1) and the stride (1, 1)
    ones = b"(" + b"K\x01" * 70 + b"t"  # MARK, 70 ones, TUPLE
    hostile = real.replace(b"K\x01K\x01\x86", ones)
    with pytest.raises(CheckpointError, match=r"70\.pt: .*70 dims"):
        sj.load(_with_pickle(tmp_path, hostile, "70.pt", {"w": torch.ones(1, 1)}))
