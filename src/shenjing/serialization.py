"""``sj.save`` and ``sj.load``: state dicts and checkpoints as safetensors or .npz, never pickle.

A checkpoint may nest dicts, lists and tuples of tensors, numbers, strings, bools and None (a
model's and an optimizer's state dicts, an epoch counter). Tensors are stored as raw arrays; the
nesting is kept as JSON beside them. Loading therefore never executes code from the file.

- ``.safetensors`` (the default): the format of Hugging Face's safetensors, written and read here
  (the ``safetensors`` library reads shenjing's files, and shenjing reads its files);
- ``.npz``: NumPy's zip of arrays, read with ``allow_pickle=False``.

Files are written to a temporary name in the same folder and renamed over the target, so a crash
mid-write never leaves a half-written checkpoint behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import struct
import tempfile
from pathlib import Path

import numpy

from shenjing.autograd.tensor import Tensor
from shenjing.backend import CPU, to_device

# safetensors dtype names <-> NumPy dtypes
_DTYPES = {"F64": "float64", "F32": "float32", "F16": "float16", "I64": "int64", "I32": "int32",
           "I16": "int16", "I8": "int8", "U8": "uint8", "BOOL": "bool"}
_NAMES = {numpy.dtype(v): k for k, v in _DTYPES.items()}
_SKELETON_KEY = "shenjing.structure"  # metadata entry holding the nesting, as JSON
_MAX_HEADER = 100 * 1024 * 1024


class CheckpointError(ValueError):
    """A checkpoint file is corrupt, truncated or not a checkpoint; the message names the file."""


# -- structure <-> (skeleton, arrays) --------------------------------------------------------------
def _flatten(obj, arrays: dict, path: str):
    """Replace every tensor in ``obj`` by a reference into ``arrays``; return the JSON skeleton."""
    if isinstance(obj, Tensor):
        key = path or "tensor"
        while key in arrays:  # a dict key containing "." could collide with a nested path
            key += "'"
        arrays[key] = numpy.require(to_device(obj.detach()._data, CPU), requirements="C")
        return {"__tensor__": key}
    if isinstance(obj, numpy.ndarray):
        raise TypeError(f"save: {path or 'the object'} is a NumPy array; wrap it with "
                        "sj.tensor() so that it is stored as a tensor")
    if isinstance(obj, dict):
        items = []
        for k, v in obj.items():
            if not isinstance(k, (str, int)) or isinstance(k, bool):
                raise TypeError(f"save: dict keys must be str or int, got {k!r} at {path!r}")
            items.append([k, _flatten(v, arrays, f"{path}.{k}" if path else str(k))])
        return {"__dict__": items}
    if isinstance(obj, (list, tuple)):
        values = [_flatten(v, arrays, f"{path}.{i}" if path else str(i))
                  for i, v in enumerate(obj)]
        return {"__tuple__": values} if isinstance(obj, tuple) else values
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if hasattr(obj, "item") and getattr(obj, "shape", None) == ():
        return obj.item()  # a NumPy scalar
    raise TypeError(f"save: cannot store {type(obj).__name__} at {path!r}; checkpoints hold "
                    "tensors, numbers, strings, bools, None, lists, tuples and dicts")


def _unflatten(skeleton, arrays: dict, source: str):
    if isinstance(skeleton, dict):
        if "__tensor__" in skeleton:
            key = skeleton["__tensor__"]
            if key not in arrays:
                raise CheckpointError(f"{source}: the structure refers to a missing tensor {key!r}")
            return Tensor._make(arrays[key])
        if "__dict__" in skeleton:
            return {k: _unflatten(v, arrays, source) for k, v in skeleton["__dict__"]}
        if "__tuple__" in skeleton:
            return tuple(_unflatten(v, arrays, source) for v in skeleton["__tuple__"])
        raise CheckpointError(f"{source}: unknown entry in the structure: {sorted(skeleton)}")
    if isinstance(skeleton, list):
        return [_unflatten(v, arrays, source) for v in skeleton]
    return skeleton


def _is_flat_state(skeleton) -> bool:
    """True for a plain {name: tensor} dict, stored without a structure entry (as others do)."""
    return isinstance(skeleton, dict) and "__dict__" in skeleton and all(
        isinstance(k, str) and isinstance(v, dict) and v.get("__tensor__") == k
        for k, v in skeleton["__dict__"]
    )


# -- writing -------------------------------------------------------------------------------------
def save(obj, path: str | os.PathLike) -> None:
    """Write a state dict or a nested checkpoint to ``path`` (.safetensors, or .npz), atomically.

    Equivalent of ``torch.save`` for state dicts, without pickle.

    >>> import tempfile, os, shenjing as sj
    >>> model = sj.nn.Linear(3, 2)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.safetensors")
    >>> sj.save(model.state_dict(), path)
    >>> sorted(sj.load(path))
    ['bias', 'weight']
    """
    path = Path(path)
    arrays: dict = {}
    skeleton = _flatten(obj, arrays, "")
    if path.suffix == ".npz":
        payload = _npz_bytes(skeleton, arrays)
    else:
        payload = _safetensors_bytes(skeleton, arrays)
    _write_atomically(path, payload)


def _safetensors_bytes(skeleton, arrays: dict) -> bytes:
    header: dict = {}
    if not _is_flat_state(skeleton):
        header["__metadata__"] = {_SKELETON_KEY: json.dumps(skeleton)}
    offset = 0
    blobs = []
    for key, array in arrays.items():
        if array.dtype not in _NAMES:
            raise TypeError(f"save: tensor {key!r} has dtype {array.dtype}, which safetensors "
                            "cannot store")
        data = array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
        header[key] = {"dtype": _NAMES[array.dtype], "shape": list(array.shape),
                       "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)  # safetensors aligns the data to 8 bytes
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def _npz_bytes(skeleton, arrays: dict) -> bytes:
    import io

    buffer = io.BytesIO()
    entries = {f"tensor/{key}": array for key, array in arrays.items()}
    entries[_SKELETON_KEY] = numpy.frombuffer(json.dumps(skeleton).encode(), dtype=numpy.uint8)
    numpy.savez(buffer, **entries)
    return buffer.getvalue()


def save_json(value, path: str | os.PathLike) -> None:
    """Write ``value`` as indented JSON to ``path``, atomically (run configs, histories,
    metrics): a crash never leaves half a file."""
    with atomic_file(path) as file:
        file.write(json.dumps(value, indent=1).encode("utf-8"))


def _write_atomically(path: Path, payload: bytes) -> None:
    with atomic_file(path) as file:
        file.write(payload)


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike):
    """A binary file to write that replaces ``path`` only once it is complete and on disk.

    A crash or an error midway leaves the old file (or none), never half a file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        publish(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def publish(temporary: str | os.PathLike, path: str | os.PathLike) -> None:
    """Move a finished temporary file onto ``path`` in one step, with ordinary permissions.

    ``tempfile.mkstemp`` makes owner-only files; the published file gets what ``open`` would
    have given it (0666 less the umask).
    """
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temporary, 0o666 & ~umask)
    os.replace(temporary, path)


# -- reading -------------------------------------------------------------------------------------
def load(path: str | os.PathLike):
    """Read what ``save`` wrote (or any safetensors file); tensors come back on the CPU.

    Equivalent of ``torch.load(path, weights_only=True)``.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"load: no checkpoint at {path}")
    with open(path, "rb") as file:
        data = file.read()
    if data[:2] == b"PK":
        return _load_npz(path)
    return _load_safetensors(data, str(path))


def _load_safetensors(data: bytes, source: str):
    if len(data) < 8:
        raise CheckpointError(f"{source}: too short to be a checkpoint ({len(data)} bytes)")
    (size,) = struct.unpack("<Q", data[:8])
    if size > min(len(data) - 8, _MAX_HEADER):
        raise CheckpointError(f"{source}: corrupt or truncated (header of {size} bytes in a file "
                              f"of {len(data)})")
    try:
        header = json.loads(data[8:8 + size])
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{source}: corrupt header ({exc})") from None
    if not isinstance(header, dict):
        raise CheckpointError(f"{source}: corrupt header (not a JSON object)")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict):
        raise CheckpointError(f"{source}: corrupt header (__metadata__ is not an object)")
    body = memoryview(data)[8 + size:]
    arrays = {}
    for key, entry in header.items():
        try:
            dtype = numpy.dtype(_DTYPES[entry["dtype"]]).newbyteorder("<")
            start, end = (int(v) for v in entry["data_offsets"])
            shape = tuple(entry["shape"])
            if not all(isinstance(n, int) and n >= 0 for n in shape):
                raise ValueError(shape)
        except (KeyError, TypeError, ValueError):
            raise CheckpointError(f"{source}: corrupt entry for tensor {key!r}") from None
        count = int(numpy.prod(shape, dtype=numpy.int64))
        if end > len(body) or end - start != count * dtype.itemsize or start < 0:
            raise CheckpointError(f"{source}: tensor {key!r} is truncated or its size does not "
                                  f"match its shape {shape}")
        array = numpy.frombuffer(body[start:end], dtype=dtype).reshape(shape)
        arrays[key] = array.astype(dtype.newbyteorder("="), copy=True)
    if _SKELETON_KEY in metadata:
        try:
            skeleton = json.loads(metadata[_SKELETON_KEY])
        except json.JSONDecodeError as exc:
            raise CheckpointError(f"{source}: corrupt structure ({exc})") from None
        return _restore(skeleton, arrays, source)
    return {key: Tensor._make(array) for key, array in arrays.items()}


def _load_npz(path: Path):
    import zipfile

    try:
        with numpy.load(path, allow_pickle=False) as archive:
            arrays = {name[len("tensor/"):]: archive[name] for name in archive.files
                      if name.startswith("tensor/")}
            if _SKELETON_KEY not in archive.files:
                return {key: Tensor._make(array) for key, array in arrays.items()}
            skeleton = json.loads(archive[_SKELETON_KEY].tobytes())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise CheckpointError(f"{path}: corrupt or truncated .npz checkpoint ({exc})") from None
    return _restore(skeleton, arrays, str(path))


def _restore(skeleton, arrays: dict, source: str):
    """``_unflatten``, with a malformed structure reported as a corrupt file."""
    try:
        return _unflatten(skeleton, arrays, source)
    except CheckpointError:
        raise
    except (TypeError, ValueError, KeyError) as exc:
        raise CheckpointError(f"{source}: corrupt structure ({exc})") from None
