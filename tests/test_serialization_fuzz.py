"""sj.load against damaged and hostile files: thousands of seeded mutations of valid checkpoints
(truncations, flipped bytes, edited headers, structures, zip entries, zip size fields and .npy
headers) each give a correct load or a CheckpointError naming the file, never another exception."""

import copy
import io
import json
import math
import struct
import zipfile

import numpy as np
import pytest

import shenjing as sj
from shenjing.serialization import CheckpointError

SAFETENSORS_MUTATIONS = 1500
NPZ_MUTATIONS = 700


# -- originals and the oracle ----------------------------------------------------------------------
def _checkpoint():
    """A checkpoint with every kind of value sj.save stores."""
    sj.manual_seed(0)
    return {
        "model": {"0.weight": sj.randn(3, 2), "0.bias": sj.zeros(3, dtype=sj.float64),
                  "mask": sj.tensor([True, False, True]), "half": sj.ones(2, dtype=sj.float16),
                  "small": sj.tensor([-1, 2], dtype=sj.int8), "empty": sj.zeros(0, 4),
                  "step": sj.tensor(7)},
        "optimizer": {"state": {0: {"step": 3, "exp_avg": sj.ones(2, 2, dtype=sj.int32)}},
                      "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "params": [0, 1],
                                        "nesterov": False, "foreach": None}]},
        "epoch": 4, "best": math.inf, "name": "mnist", "history": [[0.5, 0.25], []],
    }


def _flat_state():
    sj.manual_seed(1)
    return {"fc.weight": sj.randn(4, 3), "fc.bias": sj.randn(4), "counts": sj.arange(5)}


def _originals(tmp_path, suffix):
    """Valid files to mutate: a nested checkpoint, a flat state dict, and (for safetensors) a
    file written by the safetensors library itself, which has no structure entry."""
    files = []
    for name, obj in (("nested", _checkpoint()), ("flat", _flat_state())):
        path = tmp_path / f"{name}.{suffix}"
        sj.save(obj, path)
        files.append((path.read_bytes(), sj.load(path)))
    if suffix == "safetensors":
        import safetensors.numpy

        arrays = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.ones(3, np.uint8)}
        data = safetensors.numpy.save(arrays)
        files.append((data, {k: sj.tensor(v) for k, v in arrays.items()}))
    return files


def _assert_well_formed(obj, depth=0):
    """What sj.load may return: tensors of dtypes shenjing holds, in dicts, lists and tuples."""
    assert depth <= 100
    if isinstance(obj, sj.Tensor):
        array = obj.numpy()
        assert isinstance(array, np.ndarray) and array.dtype.name in {
            "float64", "float32", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"}
        assert array.size == math.prod(obj.shape) and array.flags.writeable
        if array.dtype == bool:
            assert set(np.unique(array.view(np.uint8))) <= {0, 1}
    elif isinstance(obj, dict):
        for key, value in obj.items():
            assert isinstance(key, (str, int)) and not isinstance(key, bool)
            _assert_well_formed(value, depth + 1)
    elif isinstance(obj, (list, tuple)):
        for value in obj:
            _assert_well_formed(value, depth + 1)
    else:
        assert obj is None or isinstance(obj, (bool, int, float, str)), type(obj)


def _layout(obj):
    """The structure with every tensor replaced by its dtype and shape."""
    if isinstance(obj, sj.Tensor):
        return ("tensor", str(obj.dtype), tuple(obj.shape))
    if isinstance(obj, dict):
        return {k: _layout(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_layout(v) for v in obj)
    return obj


def _assert_equal(a, b):
    assert _layout(a) == _layout(b)
    if isinstance(a, sj.Tensor):
        assert a.numpy().tobytes() == b.numpy().tobytes()
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            _assert_equal(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        for x, y in zip(a, b):
            _assert_equal(x, y)


def _load_or_refuse(path, data):
    """Write ``data`` to ``path`` and load it: a result that is well formed, or None after a
    CheckpointError that names the file. Any other exception fails the test."""
    path.write_bytes(data)
    try:
        result = sj.load(path)
    except CheckpointError as exc:
        assert str(path) in str(exc), exc
        return None
    _assert_well_formed(result)
    return result


# -- mutations shared by both formats --------------------------------------------------------------
_STRANGE = [5, -1, 1.5, True, None, "", "x", [], {}, [5], {"a": 1}, 2 ** 64, -(2 ** 63)]


def _strange(rng):
    return copy.deepcopy(_STRANGE[rng.integers(len(_STRANGE))])


def _truncate(rng, data: bytes) -> bytes:
    return data[: rng.integers(0, len(data))]


def _flip(rng, data: bytes, start: int = 0) -> bytes:
    out = bytearray(data)
    for _ in range(rng.integers(1, 5)):
        i = rng.integers(start, len(out))
        out[i] = out[i] ^ (1 << rng.integers(8)) if rng.random() < 0.5 else rng.integers(256)
    return bytes(out)


def _nodes(skeleton, path=()):
    """Every position in a JSON skeleton, as paths of keys and indices."""
    yield path
    if isinstance(skeleton, dict):
        for k, v in skeleton.items():
            yield from _nodes(v, path + (k,))
    elif isinstance(skeleton, list):
        for i, v in enumerate(skeleton):
            yield from _nodes(v, path + (i,))


def _replace(skeleton, path, value):
    if not path:
        return value
    node = skeleton
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return skeleton


def _deep(rng, kind):
    depth = int(rng.choice([50, 99, 101, 150, 400, 2000, 100_000]))
    if kind == "list":
        return "[" * depth + "]" * depth
    return '{"__dict__": [["a", ' * depth + "1" + "]]}" * depth


def _nested(depth: int):
    value = 1
    for _ in range(depth):
        value = [value]
    return value


def _mutate_structure(rng, text: str, tensor_names) -> str:
    """A JSON-aware edit of a structure: a node replaced by a strange or a malformed one."""
    choice = rng.integers(10)
    if choice == 0:
        return _deep(rng, "list" if rng.random() < 0.5 else "dict")
    if choice == 1:
        return text[: rng.integers(len(text))]  # not JSON any more
    try:
        skeleton = json.loads(text)
    except (ValueError, RecursionError):  # an earlier edit made it unreadable already
        return text
    paths = list(_nodes(skeleton))
    path = paths[rng.integers(len(paths))]
    existing = tensor_names[rng.integers(len(tensor_names))] if tensor_names else "w"
    candidates = [
        _strange(rng), {"__dict__": 5}, {"__dict__": [5]}, {"__dict__": [[1.5, 2]]},
        {"__dict__": [["a", 1], ["a", 2]]}, {"__dict__": [[True, 1]]}, {"__dict__": [["a"]]},
        {"__dict__": [[["a"], 1]]}, {"__tensor__": "missing"}, {"__tensor__": 5},
        {"__tensor__": existing}, {"__tensor__": existing, "x": 1}, {"__tuple__": {}},
        {"__tuple__": [1, {"__tensor__": existing}]}, {"__list__": []}, {},
        _nested(int(rng.choice([3, 50, 99, 100, 101, 150, 300]))),
    ]
    value = candidates[rng.integers(len(candidates))]
    return json.dumps(_replace(skeleton, path, value))


# -- safetensors -----------------------------------------------------------------------------------
def _split(data: bytes):
    (size,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8:8 + size]), data[8 + size:]


def _join(header, body: bytes, rng) -> bytes:
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    size = len(text)
    if rng.random() < 0.1:  # a length prefix that disagrees with the header
        size = int(rng.choice([0, 1, size - 1, size + 1, size + 8, 2 ** 63, len(text) + len(body)]))
    return struct.pack("<Q", size % 2 ** 64) + text + body


def _field(entry, name, default):
    """A field of a header entry as the original holds it, or ``default`` once an earlier edit
    broke it."""
    value = entry.get(name) if isinstance(entry, dict) else None
    ok = isinstance(value, list) and all(type(n) is int for n in value)
    return list(value) if ok and (name != "data_offsets" or len(value) == 2) else default


def _edit_header(rng, data: bytes) -> bytes:
    header, body = _split(data)
    for _ in range(rng.integers(1, 3)):
        names = [k for k in header if k != "__metadata__"]
        if not names:
            break
        choice = rng.integers(9)
        name = names[rng.integers(len(names))]
        entry = header.get(name)
        if choice == 0 and isinstance(entry, dict):
            entry["dtype"] = rng.choice(["F32", "F64", "I64", "I8", "U8", "BOOL", "F16", "BF16",
                                         "U16", "U64", "C64", "F8_E4M3", "X", "f32"]).item() \
                if rng.random() < 0.8 else _strange(rng)
        elif choice == 1 and isinstance(entry, dict):
            shape = _field(entry, "shape", [])
            options = [[], [0], [-1], [True, 2], [2.5], ["2"], [2 ** 63], [2 ** 40, 2 ** 40],
                       [2 ** 32, 2 ** 32, 0], [2 ** 62, 4], shape[::-1], shape + [1],
                       shape[:-1], [n + 1 for n in shape], None, 5]
            entry["shape"] = options[rng.integers(len(options))]
        elif choice == 2 and isinstance(entry, dict):
            start, end = _field(entry, "data_offsets", [0, 8])
            other = _field(header.get(names[rng.integers(len(names))]), "data_offsets", [0, 8])
            options = [[end, start], [start + 4, end + 4], [start - 4, end - 4], [0, 0],
                       [start, end + 1], [start, end - 1], [-1, end], [start, 2 ** 63],
                       [float(start), end], [start], [start, end, end], list(other), None, 5,
                       [other[0], end], [start, len(body) + 8]]
            entry["data_offsets"] = options[rng.integers(len(options))]
        elif choice == 3 and isinstance(entry, dict):
            if rng.random() < 0.5:
                del entry[["dtype", "shape", "data_offsets"][rng.integers(3)]]
            else:
                entry["extra"] = _strange(rng)
        elif choice == 4:
            header[name] = _strange(rng)
        elif choice == 5:
            value = header.pop(name)
            if rng.random() < 0.5:
                header[name + "'"] = value  # renamed: the structure refers to a missing tensor
        elif choice == 6:
            header["__metadata__"] = _strange(rng) if rng.random() < 0.5 else {"k": _strange(rng)}
        elif choice in (7, 8):
            metadata = header.get("__metadata__")
            if isinstance(metadata, dict) and "shenjing.structure" in metadata:
                metadata["shenjing.structure"] = _mutate_structure(
                    rng, metadata["shenjing.structure"], names)
            else:
                header["__metadata__"] = {"shenjing.structure": _deep(rng, "dict")}
    return _join(header, body, rng)


def _mutate_safetensors(rng, data: bytes) -> tuple[bytes, bool]:
    """A mutated file, and whether only the tensor data changed (so the layout must load)."""
    choice = rng.integers(10)
    if choice == 0:
        return _truncate(rng, data), False
    if choice == 1:
        return _flip(rng, data), False
    if choice == 2:
        (size,) = struct.unpack("<Q", data[:8])
        start = 8 + size
        if start < len(data):
            return _flip(rng, data, start), True
        return data, True
    if choice == 3:
        return data + bytes(rng.integers(0, 256, rng.integers(1, 16), dtype=np.uint8)), False
    if choice == 4:
        return _flip(rng, data[:64]) + data[64:], False
    return _edit_header(rng, data), False


def test_mutated_safetensors_files_load_correctly_or_are_refused(tmp_path):
    rng = np.random.default_rng(11)
    originals = _originals(tmp_path, "safetensors")
    path = tmp_path / "fuzz.safetensors"
    outcomes = {"loaded": 0, "refused": 0}
    for i in range(SAFETENSORS_MUTATIONS):
        original, expected = originals[i % len(originals)]
        data, data_only = _mutate_safetensors(rng, original)
        result = _load_or_refuse(path, data)
        if data == original:
            _assert_equal(result, expected)
        elif data_only:  # the header is intact: same names, dtypes and shapes, other values
            assert _layout(result) == _layout(expected)
        outcomes["loaded" if result is not None else "refused"] += 1
    assert sum(outcomes.values()) == SAFETENSORS_MUTATIONS
    # both kinds of outcome are common, so the mutations neither all miss nor all break files
    assert min(outcomes.values()) > SAFETENSORS_MUTATIONS // 10, outcomes


# -- .npz ------------------------------------------------------------------------------------------
def _entries(data: bytes) -> dict:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _zip(entries: dict, compression=zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _npy(header: str, body: bytes) -> bytes:
    text = header.encode("latin1")
    text += b" " * (-(len(text) + 11) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text + body


def _npy_of(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def _edit_npy(rng, content: bytes) -> bytes:
    """A .npy entry with a hostile header, a short or long body, or pickled objects."""
    array = np.load(io.BytesIO(content), allow_pickle=False)
    body = array.tobytes()
    descr, shape, fortran = array.dtype.str, array.shape, False
    choice = rng.integers(7)
    if choice == 0:
        descr = rng.choice(["|O", "<c8", ">f4", "<f4", "|b1", "<u2", "<M8[s]", "xyz", "<V8",
                            "[('a', '<f4')]"]).item()
        return _npy(f"{{'descr': {descr!r}, 'fortran_order': False, 'shape': {shape!r}, }}",
                    body)
    if choice == 1:
        options = [(True, 2), (-1,), (2 ** 40, 2 ** 40), (2 ** 62, 4), (2.5,), "'x'", (),
                   shape[::-1], shape + (1,), (len(body) + 1,), None]
        shape = options[rng.integers(len(options))]
    elif choice == 2:
        fortran = rng.choice([True, 1, "'yes'"]).item()
    elif choice == 3:
        body = body[: rng.integers(0, len(body) + 1)] if rng.random() < 0.5 else body + b"\0" * 4
    elif choice == 4:
        garbage = ["((((" * 60, "{", "{'descr': '<f4'}", "[1, 2]", "x" * 20_000,
                   "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}",
                   "{'descr': '<f4', 'fortran_order': False, 'shape': (lambda: 1)(), }"]
        return _npy(garbage[rng.integers(len(garbage))], body)
    elif choice == 5:
        return _npy_of(np.array([{"a": 1}, None], dtype=object))
    else:
        return _flip(rng, content)
    return _npy(f"{{'descr': {descr!r}, 'fortran_order': {fortran}, 'shape': {shape}, }}", body)


def _edit_sizes(rng, data: bytes) -> bytes:
    """One entry's compression method or size fields rewritten, in its central directory record
    (what zipfile trusts) and often its local header too: sizes off by one, zero, far beyond
    the file or beyond deflate's 1032-fold limit, a method numpy never writes."""
    out = bytearray(data)
    records = [i for i in range(len(out) - 46) if out[i:i + 4] == b"PK\x01\x02"]
    central = records[rng.integers(len(records))]
    (local,) = struct.unpack_from("<I", out, central + 42)
    method, packed, size = struct.unpack_from("<H4xII", out, central + 10)
    fields = {"method": (10, 8, "<H"), "packed": (20, 18, "<I"), "size": (24, 22, "<I")}
    field = list(fields)[rng.integers(len(fields))]
    if field == "method":
        value = int(rng.choice([0, 8, 12, 14, 99]))
    else:
        current = packed if field == "packed" else size
        options = [0, 1, current - 1, current + 1, 2 * current, 1033 * packed, 1032 * packed,
                   len(out), 2 ** 31, 2 ** 32 - 2]
        value = int(options[rng.integers(len(options))]) % 2 ** 32
    in_central, in_local, fmt = fields[field]
    struct.pack_into(fmt, out, central + in_central, value)
    if rng.random() < 0.7 and local + 30 <= len(out):
        struct.pack_into(fmt, out, local + in_local, value)
    return bytes(out)


def _mutate_npz(rng, data: bytes) -> bytes:
    choice = rng.integers(13)
    if choice == 12:  # stored or deflated, then a size field or the method rewritten
        deflate = rng.random() < 0.5
        return _edit_sizes(rng, _zip(_entries(data), zipfile.ZIP_DEFLATED) if deflate else data)
    if choice == 0:
        return _truncate(rng, data)
    if choice == 1:
        return _flip(rng, data)
    entries = _entries(data)
    names = list(entries)
    name = names[rng.integers(len(names))]
    if choice == 2:
        del entries[name]
    elif choice == 3:
        entries[name[:-4] if rng.random() < 0.5 else "tensor/" + name] = entries.pop(name)
    elif choice == 4:
        extra = ["notes.txt", "archive/data.pkl", "folder/", "tensor/x.npy"]
        entries[extra[rng.integers(len(extra))]] = bytes(rng.integers(0, 256, 8, dtype=np.uint8))
    elif choice in (5, 6, 7):
        entries[name] = _edit_npy(rng, entries[name])
    elif choice in (8, 9):
        key = "shenjing.structure.npy"
        if key in entries:
            text = np.load(io.BytesIO(entries[key])).tobytes().decode()
            tensors = [n[len("tensor/"):-4] for n in entries if n.startswith("tensor/")]
            new = _mutate_structure(rng, text, tensors).encode()
            as_array = np.frombuffer(new, np.uint8)
            if rng.random() < 0.2:
                as_array = as_array.astype(np.float32) if rng.random() < 0.5 else \
                    as_array[: len(as_array) // 2 * 2].reshape(-1, 2)
            entries[key] = _npy_of(as_array)
    elif choice == 10:  # deflated, then damaged inside the compressed stream
        return _flip(rng, _zip(entries, zipfile.ZIP_DEFLATED))
    else:  # an encrypted flag on every entry
        out = bytearray(_zip(entries))
        for i in range(len(out) - 8):
            if out[i:i + 4] in (b"PK\x03\x04", b"PK\x01\x02"):
                flags = i + (6 if out[i + 2] == 3 else 8)
                out[flags] |= 1
        return bytes(out)
    return _zip(entries)


def test_mutated_npz_files_load_correctly_or_are_refused(tmp_path):
    rng = np.random.default_rng(12)
    originals = _originals(tmp_path, "npz")
    path = tmp_path / "fuzz.npz"
    outcomes = {"loaded": 0, "refused": 0}
    for i in range(NPZ_MUTATIONS):
        original, expected = originals[i % len(originals)]
        data = _mutate_npz(rng, original)
        result = _load_or_refuse(path, data)
        if data == original:
            _assert_equal(result, expected)
        outcomes["loaded" if result is not None else "refused"] += 1
    assert sum(outcomes.values()) == NPZ_MUTATIONS
    assert min(outcomes.values()) > NPZ_MUTATIONS // 50, outcomes


@pytest.mark.parametrize("suffix", ["safetensors", "npz"])
def test_originals_load_back_equal(tmp_path, suffix):
    """The oracle's reference: every unmutated original loads back equal to what was saved."""
    for data, expected in _originals(tmp_path, suffix):
        _assert_equal(_load_or_refuse(tmp_path / f"copy.{suffix}", data), expected)
