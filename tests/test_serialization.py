"""sj.save / sj.load: round trips, interoperability, corrupt files, atomic writes, no pickle."""

import math
import os

import numpy as np
import pytest
import safetensors.numpy

import shenjing as sj
from shenjing.serialization import CheckpointError


@pytest.fixture(params=["safetensors", "npz"])
def suffix(request):
    return request.param


def test_state_dict_round_trip(tmp_path, suffix):
    model = sj.nn.Sequential(sj.nn.Linear(3, 4), sj.nn.BatchNorm1d(4))
    path = tmp_path / f"model.{suffix}"
    sj.save(model.state_dict(), path)
    loaded = sj.load(path)
    assert list(loaded) == list(model.state_dict())
    for key, value in model.state_dict().items():
        assert loaded[key].dtype == value.dtype
        np.testing.assert_array_equal(loaded[key].numpy(), value.numpy())
    other = sj.nn.Sequential(sj.nn.Linear(3, 4), sj.nn.BatchNorm1d(4))
    other.load_state_dict(loaded)


def test_nested_checkpoint_round_trip(tmp_path, suffix):
    checkpoint = {
        "model": {"w": sj.randn(2, 3), "steps": sj.tensor(7)},
        "optimizer": {"state": {0: {"step": 3, "exp_avg": sj.zeros(2, dtype=sj.float64)}},
                      "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "params": [0],
                                        "nesterov": False, "foreach": None}]},
        "epoch": 4, "best": math.inf, "name": "mnist",
    }
    path = tmp_path / f"ckpt.{suffix}"
    sj.save(checkpoint, path)
    loaded = sj.load(path)
    assert loaded["epoch"] == 4 and loaded["best"] == math.inf and loaded["name"] == "mnist"
    group = loaded["optimizer"]["param_groups"][0]
    assert group["betas"] == (0.9, 0.999) and group["foreach"] is None and group["params"] == [0]
    state = loaded["optimizer"]["state"][0]  # int keys stay ints
    assert state["step"] == 3 and state["exp_avg"].dtype == sj.float64
    np.testing.assert_array_equal(loaded["model"]["w"].numpy(), checkpoint["model"]["w"].numpy())
    assert loaded["model"]["steps"].item() == 7


def test_files_interoperate_with_the_safetensors_library(tmp_path):
    state = {"weight": sj.randn(3, 2), "index": sj.arange(4), "mask": sj.tensor([True, False])}
    ours = tmp_path / "ours.safetensors"
    sj.save(state, ours)
    theirs = safetensors.numpy.load_file(str(ours))
    for key in state:
        np.testing.assert_array_equal(theirs[key], state[key].numpy())
    other = tmp_path / "theirs.safetensors"
    safetensors.numpy.save_file({"a": np.arange(6, dtype=np.float32).reshape(2, 3)}, str(other))
    np.testing.assert_array_equal(sj.load(other)["a"].numpy(), np.arange(6).reshape(2, 3))


def test_corrupt_and_truncated_files_are_named(tmp_path, suffix):
    path = tmp_path / f"model.{suffix}"
    sj.save({"w": sj.randn(100)}, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="model"):
        sj.load(path)
    path.write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError, match="model"):
        sj.load(path)
    with pytest.raises(FileNotFoundError, match="missing"):
        sj.load(tmp_path / "missing.safetensors")


def test_npz_with_pickled_objects_is_refused(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, **{"tensor/x": np.array([{"a": 1}], dtype=object)})
    with pytest.raises(CheckpointError, match="evil.npz"):
        sj.load(path)


def test_writes_are_atomic(tmp_path, monkeypatch):
    path = tmp_path / "model.safetensors"
    sj.save({"w": sj.ones(3)}, path)
    original = path.read_bytes()

    def crash(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        sj.save({"w": sj.zeros(3)}, path)
    assert path.read_bytes() == original
    assert [p.name for p in tmp_path.iterdir()] == ["model.safetensors"]


def test_unstorable_objects_say_where(tmp_path):
    with pytest.raises(TypeError, match="cannot store object at 'config.f'"):
        sj.save({"config": {"f": object()}}, tmp_path / "x.safetensors")
    with pytest.raises(TypeError, match="NumPy array"):
        sj.save({"a": np.zeros(2)}, tmp_path / "x.safetensors")


def test_malformed_headers_are_corrupt_files(tmp_path):
    import json
    import struct

    for header in ([1, 2], {"w": {"dtype": "F32", "shape": ["a"], "data_offsets": [0, 4]}},
                   {"__metadata__": {"shenjing.structure": json.dumps({"__dict__": 5})}}):
        text = json.dumps(header).encode()
        path = tmp_path / "bad.safetensors"
        path.write_bytes(struct.pack("<Q", len(text)) + text + b"\0" * 8)
        with pytest.raises(CheckpointError, match="bad.safetensors"):
            sj.load(path)


def test_saved_files_get_ordinary_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        sj.save({"w": sj.ones(1)}, tmp_path / "m.safetensors")
    finally:
        os.umask(umask)
    assert (tmp_path / "m.safetensors").stat().st_mode & 0o777 == 0o644
