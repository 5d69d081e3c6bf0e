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
    with pytest.raises(TypeError, match="'a' has dtype object"):
        sj.save({"a": np.array([object()])}, tmp_path / "x.safetensors")


@pytest.mark.parametrize("suffix", [".safetensors", ".npz"])
def test_numpy_arrays_and_python_values_round_trip(tmp_path, suffix):
    saved = {"w": sj.ones(2, 3), "mean": np.arange(4, dtype=np.float64), "step": 7,
             "names": ["a", None, (1.5, True)], "mask": np.array([True, False])}
    sj.save(saved, tmp_path / f"x{suffix}")
    loaded = sj.load(tmp_path / f"x{suffix}")
    assert isinstance(loaded["mean"], np.ndarray) and loaded["mean"].dtype == np.float64
    np.testing.assert_array_equal(loaded["mean"], saved["mean"])
    np.testing.assert_array_equal(loaded["mask"], saved["mask"])
    assert isinstance(loaded["w"], sj.Tensor) and loaded["w"].shape == (2, 3)
    assert loaded["step"] == 7 and loaded["names"] == ["a", None, (1.5, True)]


def test_file_objects_save_and_load(tmp_path):
    import io

    buffer = io.BytesIO()
    buffer.write(b"prefix")
    sj.save({"w": sj.arange(3.0), "a": np.ones(2)}, buffer)
    buffer.seek(len(b"prefix"))
    loaded = sj.load(buffer)
    assert loaded["w"].tolist() == [0.0, 1.0, 2.0] and loaded["a"].tolist() == [1.0, 1.0]
    with open(tmp_path / "model.bin", "wb") as file:
        sj.save(sj.nn.Linear(2, 1).state_dict(), file)
    with open(tmp_path / "model.bin", "rb") as file:
        assert sorted(sj.load(file)) == ["bias", "weight"]
    with open(tmp_path / "model.bin") as file, pytest.raises(TypeError, match="binary mode"):
        sj.load(file)
    with open(tmp_path / "junk.bin", "wb") as file:
        file.write(b"not a checkpoint at all")
    with open(tmp_path / "junk.bin", "rb") as file, \
            pytest.raises(CheckpointError, match="junk.bin"):
        sj.load(file)


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


# -- strict reading: every malformed file is a CheckpointError that names it ----------------------
def _safetensors_file(path, header, body=b""):
    """A safetensors file with a hand-written header, for headers no writer would produce."""
    import json
    import struct

    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    path.write_bytes(struct.pack("<Q", len(text)) + text + body)
    return path


def _with_structure(structure):
    import json

    text = structure if isinstance(structure, str) else json.dumps(structure)
    return {"__metadata__": {"shenjing.structure": text}}


_W = {"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}


@pytest.mark.parametrize("header", [
    {"__metadata__": {"shenjing.structure": 5}},  # the structure entry 5, not a JSON string
    {"__metadata__": 5},
    {"w": 5},
    _with_structure({"__dict__": 5}),
    _with_structure({"__dict__": [5]}),
    _with_structure({"__dict__": [["w", {"__tensor__": "w"}, 3]]}),
    _with_structure({"__dict__": [[1.5, 2]]}),
    _with_structure({"__dict__": [[True, 2]]}),
    _with_structure({"__dict__": [[["w"], 2]]}),
    _with_structure({"__dict__": [["a", 1], ["a", 2]]}),
    _with_structure({"__tensor__": 5}),
    _with_structure({"__tensor__": ["w"]}),
    _with_structure({"__tensor__": "missing"}),
    _with_structure({"__tuple__": 5}),
    _with_structure({"__tensor__": "w", "extra": 1}),
    _with_structure({"something": 1}),
    _with_structure("{not json"),
    _with_structure("1" * 5000),  # an integer longer than Python converts
], ids=lambda header: str(header)[:60])
def test_malformed_entries_and_structures_are_checkpoint_errors(tmp_path, header):
    path = _safetensors_file(tmp_path / "bad.safetensors", {**_W, **header}, b"\0" * 8)
    with pytest.raises(CheckpointError, match="bad.safetensors"):
        sj.load(path)


@pytest.mark.parametrize("shape", [[True, 2], [2.0], [-1, 2], ["2"], [None], 5])
def test_shapes_that_are_not_lists_of_counts_are_checkpoint_errors(tmp_path, shape):
    header = {"w": {"dtype": "F32", "shape": shape, "data_offsets": [0, 8]}}
    path = _safetensors_file(tmp_path / "shape.safetensors", header, b"\0" * 8)
    with pytest.raises(CheckpointError, match="shape.safetensors"):
        sj.load(path)


@pytest.mark.parametrize("shape, offsets", [([2 ** 32, 2 ** 32], [0, 0]),  # wraps to 0 in int64
                                            ([2 ** 62, 4], [0, 0]),
                                            ([2 ** 40, 2 ** 40], [0, 8])])
def test_shapes_whose_size_overflows_int64_are_checkpoint_errors(tmp_path, shape, offsets):
    header = {"w": {"dtype": "F32", "shape": shape, "data_offsets": offsets}}
    path = _safetensors_file(tmp_path / "huge.safetensors", header, b"\0" * offsets[1])
    # safetensors before 0.6 says "ValidationOverflow", later versions "overflow"
    with pytest.raises(CheckpointError, match="(?i)huge.safetensors.*overflow"):
        sj.load(path)


@pytest.mark.parametrize("second", [[4, 8],    # overlaps the first tensor
                                    [12, 16],  # leaves a gap of 4 bytes
                                    [8, 12]])  # in order, but the file holds 4 more bytes
def test_overlapping_or_gapped_offsets_are_refused(tmp_path, second):
    header = {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
              "b": {"dtype": "F32", "shape": [1], "data_offsets": second}}
    path = _safetensors_file(tmp_path / "offsets.safetensors", header, b"\0" * 16)
    with pytest.raises(CheckpointError, match="offsets.safetensors"):
        sj.load(path)


def test_the_data_must_fill_the_file_exactly(tmp_path):
    header = {"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}
    for body in (b"\0" * 4, b"\0" * 12):
        path = _safetensors_file(tmp_path / "size.safetensors", header, body)
        with pytest.raises(CheckpointError, match="size.safetensors"):
            sj.load(path)


def test_a_structure_nested_100000_deep_is_a_clear_checkpoint_error(tmp_path):
    depth = 100_000
    lists = "[" * depth + "]" * depth
    dicts = '{"__dict__": [["a", ' * depth + "1" + "]]}" * depth
    for structure in (lists, dicts):
        path = _safetensors_file(tmp_path / "deep.safetensors", _with_structure(structure))
        with pytest.raises(CheckpointError, match="deep.safetensors.*nested more than 100"):
            sj.load(path)


def test_nesting_depth_is_bounded_the_same_way_on_both_sides(tmp_path):
    deep = 1
    for _ in range(100):  # 100 lists around the 1: the most load reads
        deep = [deep]
    sj.save(deep, tmp_path / "ok.safetensors")
    assert sj.load(tmp_path / "ok.safetensors") == deep
    with pytest.raises(ValueError, match="nested more than 100 levels"):
        sj.save([deep], tmp_path / "deeper.safetensors")
    wrapped = sj.ones(1)
    for _ in range(100):  # a tensor is a leaf, not one more level
        wrapped = [wrapped]
    sj.save(wrapped, tmp_path / "tensor.npz")
    loaded = sj.load(tmp_path / "tensor.npz")
    for _ in range(100):
        (loaded,) = loaded
    assert loaded.tolist() == [1.0]
    path = _safetensors_file(tmp_path / "deeper.safetensors", _with_structure([deep]))
    with pytest.raises(CheckpointError, match="deeper.safetensors.*nested more than 100"):
        sj.load(path)


def test_unsupported_dtypes_name_the_tensor(tmp_path):
    header = {"w": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}}
    path = _safetensors_file(tmp_path / "bf16.safetensors", header, b"\0" * 4)
    with pytest.raises(CheckpointError, match="bf16.safetensors: tensor 'w' has dtype BF16"):
        sj.load(path)


def test_corrupt_bools_come_back_as_true(tmp_path):
    header = {"m": {"dtype": "BOOL", "shape": [3], "data_offsets": [0, 3]}}
    path = _safetensors_file(tmp_path / "m.safetensors", header, b"\x00\x02\xff")
    mask = sj.load(path)["m"].numpy()
    assert mask.tolist() == [False, True, True]
    assert mask.view(np.uint8).tolist() == [0, 1, 1]


def test_torch_save_files_load_and_broken_ones_say_what_they_are(tmp_path):
    import torch  # the zip format is read here; tests/test_serialization_torch.py has the rest

    zipped, legacy = tmp_path / "model.pt", tmp_path / "legacy.pt"
    torch.save({"weight": torch.ones(2, 3)}, zipped)
    assert sj.load(zipped)["weight"].numpy().tolist() == [[1.0] * 3] * 2
    torch.save({"weight": torch.ones(2, 3)}, legacy, _use_new_zipfile_serialization=False)
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(zipped.read_bytes()[:200])
    for path, reason in ((legacy, "PyTorch's legacy torch.save format"),
                         (truncated, "corrupt or truncated PyTorch file")):
        with pytest.raises(CheckpointError, match=f"{path.name}: {reason}"):
            sj.load(path)


def test_files_that_are_not_checkpoints_never_load_as_empty(tmp_path):
    import pickle
    import zipfile

    pickle_path = tmp_path / "state.pkl"
    pickle_path.write_bytes(pickle.dumps({"w": [1.0]}))
    npy_path = tmp_path / "array.npy"
    np.save(npy_path, np.ones(3))
    zip_path = tmp_path / "notes.zip"
    with zipfile.ZipFile(zip_path, "w") as archive:
        archive.writestr("notes.txt", "hello")
    empty_zip = tmp_path / "empty.npz"
    zipfile.ZipFile(empty_zip, "w").close()
    empty = tmp_path / "empty.safetensors"
    empty.write_bytes(b"")
    for path, reason in ((pickle_path, "a pickle file"),
                         (npy_path, r"a single NumPy array \(.npy\)"),
                         (zip_path, "'notes.txt', which is not a .npy array"),
                         (empty_zip, "without arrays"), (empty, "empty")):
        with pytest.raises(CheckpointError, match=f"{path.name}: .*{reason}"):
            sj.load(path)


def test_an_npz_of_numpy_arrays_loads_as_a_flat_dict(tmp_path):
    path = tmp_path / "arrays.npz"
    np.savez(path, weight=np.eye(2, dtype=np.float32), steps=np.arange(3))
    loaded = sj.load(path)
    assert sorted(loaded) == ["steps", "weight"]
    np.testing.assert_array_equal(loaded["weight"].numpy(), np.eye(2))
    assert loaded["steps"].dtype == sj.int64


@pytest.mark.parametrize("name, array, reason", [
    ("tensor/w.npy", np.zeros(2, dtype=np.complex64), "dtype complex64"),
    ("tensor/w.npy", np.array([1, None], dtype=object), "Python objects"),
    ("shenjing.structure.npy", np.zeros(2, dtype=np.float32), "not JSON"),
])
def test_npz_entries_shenjing_cannot_hold_are_refused(tmp_path, name, array, reason):
    import io
    import zipfile

    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    path = tmp_path / "entries.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(name, buffer.getvalue())
    with pytest.raises(CheckpointError, match=f"entries.npz.*{reason}"):
        sj.load(path)


def test_npz_whose_structure_names_a_missing_tensor_is_refused(tmp_path):
    import zipfile

    path = tmp_path / "ckpt.npz"
    sj.save({"w": sj.ones(2), "b": sj.zeros(1)}, path)
    entries = {}
    with zipfile.ZipFile(path) as archive:
        entries = {n: archive.read(n) for n in archive.namelist() if n != "tensor/b.npy"}
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    with pytest.raises(CheckpointError, match="ckpt.npz: corrupt structure at 'b': refers to a "
                                              "missing tensor 'b'"):
        sj.load(path)


def test_npy_headers_that_claim_more_than_the_entry_holds_are_refused(tmp_path):
    import zipfile

    header = b"{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000,), }"
    header += b" " * (-(len(header) + 11) % 64) + b"\n"
    forged = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + bytes(16)
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("tensor/w.npy", forged)
    with pytest.raises(CheckpointError, match=r"bomb.npz: entry 'tensor/w.npy': shape "
                                              r"\(1000000000000,\) needs 4000000000000 bytes"):
        sj.load(path)


def test_files_of_the_previous_layout_still_load(tmp_path):
    """Files written before the safetensors library wrote them: a flat state dict without a
    structure entry, its tensors in the dict's order (not sorted), loads in that order."""
    body = np.arange(3, dtype=np.float32).tobytes() + np.array([7], dtype=np.int64).tobytes()
    header = {"z.weight": {"dtype": "F32", "shape": [3], "data_offsets": [0, 12]},
              "a.steps": {"dtype": "I64", "shape": [1], "data_offsets": [12, 20]}}
    path = _safetensors_file(tmp_path / "old.safetensors", header, body)
    loaded = sj.load(path)
    # safe_open lists tensors in file order from safetensors 0.6; before, in name order
    in_file_order = hasattr(safetensors.safe_open, "offset_keys")
    assert list(loaded) == (["z.weight", "a.steps"] if in_file_order else ["a.steps", "z.weight"])
    np.testing.assert_array_equal(loaded["z.weight"].numpy(), [0, 1, 2])
    assert loaded["a.steps"].dtype == sj.int64 and loaded["a.steps"].tolist() == [7]


def test_a_key_named_like_the_metadata_entry_round_trips(tmp_path):
    state = {"__metadata__": sj.ones(2), "w": sj.zeros(1)}
    sj.save(state, tmp_path / "m.safetensors")
    loaded = sj.load(tmp_path / "m.safetensors")
    assert list(loaded) == ["__metadata__", "w"]
    np.testing.assert_array_equal(loaded["__metadata__"].numpy(), [1, 1])


def test_import_shenjing_does_not_import_safetensors():
    import subprocess
    import sys

    code = "import sys, shenjing; assert 'safetensors' not in sys.modules"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_a_checkpoint_without_tensors_round_trips(tmp_path, suffix):
    """What safetensors 0.4.4 first reads back (the floor in pyproject.toml): a header of
    metadata only."""
    path = tmp_path / f"counters.{suffix}"
    sj.save({"epoch": 3, "best": 0.5, "names": ["a", "b"]}, path)
    assert sj.load(path) == {"epoch": 3, "best": 0.5, "names": ["a", "b"]}


# -- .npz entries whose zip sizes lie -------------------------------------------------------------
def _npy_header(nbytes: int) -> bytes:
    """A version 1.0 .npy header for ``nbytes`` uint8 values: 128 bytes for any count below
    10**20."""
    import struct

    text = b"{'descr': '|u1', 'fortran_order': False, 'shape': (%d,), }" % nbytes
    text += b" " * (-(len(text) + 11) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text


def _forged_zip(path, data: bytes, size: int, packed: int, method: int = 0):
    """A one-entry zip, 'tensor/w.npy' holding ``data``, whose records claim ``size``
    uncompressed and ``packed`` compressed bytes (in a zip64 extra field: any size can be
    claimed) for compression ``method``."""
    import struct
    import zlib

    name = b"tensor/w.npy"
    extra = struct.pack("<HHQQ", 1, 16, size, packed)
    crc = zlib.crc32(data)
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, method, 0, 0, crc, 0xFFFFFFFF,
                        0xFFFFFFFF, len(name), len(extra)) + name + extra
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, method, 0, 0, crc,
                          0xFFFFFFFF, 0xFFFFFFFF, len(name), len(extra), 0, 0, 0, 0, 0) \
        + name + extra
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), len(local + data), 0)
    path.write_bytes(local + data + central + end)
    return path


@pytest.mark.parametrize("power", [33, 40])
def test_npz_entries_claiming_more_data_than_the_file_holds_are_refused(tmp_path, power):
    """A 354-byte file whose entry claims 2**40 bytes (stored): refused before anything is
    allocated, not a MemoryError, and never a message ending in empty brackets."""
    size = 2 ** power
    body = _npy_header(size - 128) + bytes(64)  # the header matches the claimed size
    path = _forged_zip(tmp_path / "huge.npz", body, size, size)
    with pytest.raises(CheckpointError, match=rf"huge.npz: entry 'tensor/w.npy': its {size} "
                                              r"bytes of data would end at byte \d+, past the "
                                              r"end of the file \(\d+ bytes\)"):
        sj.load(path)


def test_stored_npz_entries_whose_sizes_disagree_are_refused(tmp_path):
    body = _npy_header(64) + bytes(64)
    assert len(body) == 192
    path = _forged_zip(tmp_path / "sizes.npz", body, 2 * 192, 192)
    with pytest.raises(CheckpointError, match=r"sizes.npz: entry 'tensor/w.npy': uncompressed, "
                                              r"yet its size \(384 bytes\) is not its stored "
                                              r"size \(192 bytes\)"):
        sj.load(path)


def test_deflated_npz_entries_beyond_deflates_ratio_are_refused(tmp_path):
    import zlib

    packer = zlib.compressobj(9, zlib.DEFLATED, -15)  # raw deflate, as zip holds it
    body = _npy_header(64) + bytes(64)
    packed = packer.compress(body) + packer.flush()
    claimed = 1033 * len(packed)
    path = _forged_zip(tmp_path / "ratio.npz", packed, claimed, len(packed), method=8)
    with pytest.raises(CheckpointError, match=rf"ratio.npz: entry 'tensor/w.npy': claims "
                                              rf"{claimed} bytes deflated into {len(packed)}, "
                                              r"more than deflate's limit of 1032 to 1"):
        sj.load(path)


def test_npz_entries_of_other_compression_methods_are_refused(tmp_path):
    import io
    import zipfile

    buffer = io.BytesIO()
    np.save(buffer, np.zeros(4, dtype=np.float32))
    path = tmp_path / "bzip.npz"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_BZIP2) as archive:
        archive.writestr("tensor/w.npy", buffer.getvalue())
    with pytest.raises(CheckpointError, match=r"bzip.npz: entry 'tensor/w.npy': compression "
                                              r"method 12, which .npz files do not use"):
        sj.load(path)


def test_encrypted_npz_entries_are_refused_as_encrypted(tmp_path):
    path = tmp_path / "locked.npz"
    np.savez(path, w=np.zeros(3, dtype=np.float32))
    data = bytearray(path.read_bytes())
    for record, flags in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # local, central
        at = data.index(record)
        data[at + flags] |= 1
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="locked.npz: entry 'w.npy': encrypted"):
        sj.load(path)


def test_a_deflated_npz_near_deflates_ratio_loads_in_about_its_own_memory(tmp_path):
    """32 MB of zeros deflated about 1027-fold: it loads, and the peak of what Python and NumPy
    allocate stays near the array (not the bytes read, a copy and the array)."""
    import io
    import tracemalloc
    import zipfile

    zeros = np.zeros(8_000_000, dtype=np.float32)
    buffer = io.BytesIO()
    np.save(buffer, zeros)
    path = tmp_path / "zeros.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("tensor/w.npy", buffer.getvalue())
    assert zeros.nbytes > 1000 * path.stat().st_size  # close to deflate's limit of 1032
    tracemalloc.start()
    try:
        loaded = sj.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    array = loaded["w"].numpy()
    assert array.dtype == np.float32 and array.shape == zeros.shape and not array.any()
    assert peak < 1.25 * zeros.nbytes, f"peak {peak / 1e6:.1f} MB for {zeros.nbytes / 1e6} MB"


def test_npz_arrays_come_back_native_c_ordered_and_writable(tmp_path):
    path = tmp_path / "orders.npz"
    arrays = {"big": np.arange(6, dtype=">f4").reshape(2, 3),
              "fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
              "scalar": np.array(3, dtype=">i8"), "empty": np.zeros((0, 3), dtype=np.int16)}
    np.savez(path, **arrays)
    loaded = sj.load(path)
    for name, expected in arrays.items():
        array = loaded[name].numpy()
        assert array.dtype.isnative and array.flags.c_contiguous and array.flags.writeable
        assert array.shape == expected.shape
        np.testing.assert_array_equal(array, expected)


def test_corrupt_bools_in_an_npz_come_back_as_true(tmp_path):
    path = tmp_path / "mask.npz"
    np.savez(path, m=np.array([0, 2, 255], dtype=np.uint8).view(bool))
    mask = sj.load(path)["m"].numpy()
    assert mask.tolist() == [False, True, True]
    assert mask.view(np.uint8).tolist() == [0, 1, 1]
