"""``sj.save`` and ``sj.load``: state dicts and checkpoints as safetensors or .npz, never pickle.

A checkpoint may nest dicts, lists and tuples of tensors, numbers, strings, bools and None (a
model's and an optimizer's state dicts, an epoch counter). Tensors are stored as raw arrays; the
nesting is kept as JSON beside them. Loading therefore never executes code from the file.

- ``.safetensors`` (the default): Hugging Face's format, written and read by the ``safetensors``
  library, which validates every header (types, shapes, offsets that tile the data exactly, the
  size against the file's) and is fuzzed upstream. The nesting is a JSON string in the header's
  ``__metadata__`` under ``shenjing.structure``; a file without it (written by another library)
  loads as a flat ``{name: tensor}`` dict;
- ``.npz``: NumPy's zip of ``.npy`` arrays, read here entry by entry: only plain numeric arrays,
  each checked against the size its entry holds, never a pickled object. Sizes a zip entry
  cannot truly have (more than its stored bytes, or than deflate's 1032-fold expansion, or data
  past the end of the file) are refused before anything is allocated, and each array is read
  into its own memory a chunk at a time, so loading costs about the arrays' size.

``load`` also reads ``torch.save`` files (the zip format) through a restricted unpickler that
admits only what tensors need (``shenjing.serialization_torch``). Anything else is a
``CheckpointError`` that names the file and says what is wrong. Files are written to a temporary
name in the same folder and renamed over the target, so a crash mid-write never leaves a
half-written checkpoint behind.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import tempfile
from pathlib import Path

import numpy

from shenjing._archive import CheckpointError, _check_entry_sizes, _reason  # noqa: F401
from shenjing.autograd.tensor import Tensor
from shenjing.backend import CPU, Device, to_device

# safetensors dtype names <-> the NumPy dtypes a shenjing tensor can hold
_DTYPES = {"F64": "float64", "F32": "float32", "F16": "float16", "I64": "int64", "I32": "int32",
           "I16": "int16", "I8": "int8", "U8": "uint8", "BOOL": "bool"}
_NAMES = {numpy.dtype(v): k for k, v in _DTYPES.items()}
_SKELETON_KEY = "shenjing.structure"  # metadata entry (or .npz entry) holding the nesting, as JSON
_MAX_DEPTH = 100  # nesting levels of dicts, lists and tuples; far beyond any real checkpoint
# How PyTorch's legacy (pre-zip) torch.save files begin: a pickle of its magic number
_LEGACY_MAGIC = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"


# -- structure <-> (skeleton, arrays) --------------------------------------------------------------
def _flatten(obj, arrays: dict, path: str, depth: int = 0):
    """Replace every tensor in ``obj`` by a reference into ``arrays``; return the JSON skeleton."""
    if isinstance(obj, Tensor):
        key = path or "tensor"
        while key in arrays or key == "__metadata__":  # "a.b" could collide with a nested path
            key += "'"
        arrays[key] = numpy.require(to_device(obj.detach()._data, CPU), requirements="C")
        return {"__tensor__": key}
    if isinstance(obj, numpy.ndarray):  # stored as a tensor's array is, loaded as an array
        key = path or "array"
        while key in arrays or key == "__metadata__":
            key += "'"
        arrays[key] = numpy.require(obj, requirements="C")
        return {"__ndarray__": key}
    if isinstance(obj, (dict, list, tuple)) and depth >= _MAX_DEPTH:
        # load refuses deeper structures, so save never writes one
        raise ValueError(f"save: the object is nested more than {_MAX_DEPTH} levels deep at "
                         f"{path!r}")
    if isinstance(obj, dict):
        items = []
        for k, v in obj.items():
            if not isinstance(k, (str, int)) or isinstance(k, bool):
                raise TypeError(f"save: dict keys must be str or int, got {k!r} at {path!r}")
            items.append([k, _flatten(v, arrays, f"{path}.{k}" if path else str(k), depth + 1)])
        return {"__dict__": items}
    if isinstance(obj, (list, tuple)):
        values = [_flatten(v, arrays, f"{path}.{i}" if path else str(i), depth + 1)
                  for i, v in enumerate(obj)]
        return {"__tuple__": values} if isinstance(obj, tuple) else values
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if hasattr(obj, "item") and getattr(obj, "shape", None) == ():
        return obj.item()  # a NumPy scalar
    raise TypeError(f"save: cannot store {type(obj).__name__} at {path!r}; checkpoints hold "
                    "tensors, numbers, strings, bools, None, lists, tuples and dicts")


def _parse_structure(text, source: str):
    """The JSON skeleton stored in a file, or a ``CheckpointError`` saying why it is unreadable."""
    if not isinstance(text, (str, bytes)):
        raise CheckpointError(f"{source}: corrupt structure (not a JSON string)")
    try:
        return json.loads(text)
    except RecursionError:  # the decoder recurses once per level
        raise CheckpointError(f"{source}: corrupt structure (nested more than {_MAX_DEPTH} "
                              "levels deep)") from None
    except ValueError as exc:  # bad JSON, bad UTF-8, an integer of too many digits
        raise CheckpointError(f"{source}: corrupt structure ({exc})") from None


def _unflatten(skeleton, arrays: dict, source: str, path: str = "", depth: int = 0):
    """Rebuild the saved object from its skeleton; anything malformed is a ``CheckpointError``."""
    where = f"{source}: corrupt structure" + (f" at {path!r}" if path else "")
    container = isinstance(skeleton, list) or (
        isinstance(skeleton, dict) and "__tensor__" not in skeleton
        and "__ndarray__" not in skeleton)
    if container and depth >= _MAX_DEPTH:  # the same bound as save's
        raise CheckpointError(f"{where}: nested more than {_MAX_DEPTH} levels deep")
    if isinstance(skeleton, list):
        return [_unflatten(v, arrays, source, _join(path, i), depth + 1)
                for i, v in enumerate(skeleton)]
    if not isinstance(skeleton, dict):
        return skeleton  # JSON gives only None, bools, numbers and strings here
    kinds = ("__tensor__", "__ndarray__", "__dict__", "__tuple__")
    if len(skeleton) != 1 or next(iter(skeleton)) not in kinds:
        raise CheckpointError(f"{where}: expected one of {', '.join(kinds)}, got "
                              f"{sorted(skeleton)[:5]}")
    ((kind, value),) = skeleton.items()
    if kind in ("__tensor__", "__ndarray__"):
        if not isinstance(value, str) or value not in arrays:
            raise CheckpointError(f"{where}: refers to a missing tensor {value!r:.80}")
        return Tensor._make(arrays[value]) if kind == "__tensor__" else arrays[value]
    if not isinstance(value, list):
        raise CheckpointError(f"{where}: {kind} holds {type(value).__name__}, not a list")
    if kind == "__tuple__":
        return tuple(_unflatten(v, arrays, source, _join(path, i), depth + 1)
                     for i, v in enumerate(value))
    result = {}
    for item in value:
        if not (isinstance(item, list) and len(item) == 2):
            raise CheckpointError(f"{where}: __dict__ items must be [key, value] pairs, got "
                                  f"{item!r:.80}")
        key, entry = item
        if not isinstance(key, (str, int)) or isinstance(key, bool):
            raise CheckpointError(f"{where}: dict keys must be str or int, got {key!r:.80}")
        if key in result:
            raise CheckpointError(f"{where}: the key {key!r:.80} appears twice")
        result[key] = _unflatten(entry, arrays, source, _join(path, key), depth + 1)
    return result


def _join(path: str, key) -> str:
    return f"{path}.{key}" if path else str(key)


# -- writing -------------------------------------------------------------------------------------
def save(obj, path) -> None:
    """Write a state dict or a nested checkpoint to ``path`` (.safetensors, or .npz), atomically.

    ``obj`` nests dicts, lists and tuples of tensors, NumPy arrays (loaded back as arrays),
    numbers, strings, bools and None. ``path`` may also be a binary file object (``io.BytesIO``,
    an open file), which gets safetensors bytes written at its position. Equivalent of
    ``torch.save`` for such objects, without pickle.

    >>> import tempfile, os, shenjing as sj
    >>> model = sj.nn.Linear(3, 2)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.safetensors")
    >>> sj.save(model.state_dict(), path)
    >>> sorted(sj.load(path))
    ['bias', 'weight']
    """
    arrays: dict = {}
    skeleton = _flatten(obj, arrays, "")
    for key, array in arrays.items():
        if array.dtype not in _NAMES:
            raise TypeError(f"save: tensor {key!r} has dtype {array.dtype}, which checkpoints "
                            f"do not store (they hold {', '.join(map(str, _NAMES))})")
    if hasattr(path, "write"):  # a file object: the caller owns it, so it is written as is
        path.write(_safetensors_bytes(skeleton, arrays))
        return
    path = Path(path)
    if path.suffix == ".npz":
        payload = _npz_bytes(skeleton, arrays)
    else:
        payload = _safetensors_bytes(skeleton, arrays)
    _write_atomically(path, payload)


def _safetensors_bytes(skeleton, arrays: dict) -> bytes:
    import safetensors.numpy  # imported here: `import shenjing` stays light

    # The structure goes in even for a flat state dict: the library writes tensors sorted by
    # name, and the structure keeps the dict's own order, as torch.save does.
    return safetensors.numpy.save(arrays, metadata={_SKELETON_KEY: json.dumps(skeleton)})


def _npz_bytes(skeleton, arrays: dict) -> bytes:
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
def load(path, map_location=None, *, weights_only: bool = True, mmap=None):
    """Read what ``save`` wrote, any safetensors file, an .npz of arrays, or a ``torch.save``
    file (zip format, read without PyTorch and without running anything from the file).
    ``path`` may be a binary file object, read from its position to its end. Loading is
    always weights-only (nothing is unpickled but what tensors need): ``weights_only=False``
    is refused rather than honoured. ``mmap`` is accepted and ignored.

    Equivalent of ``torch.load(path, map_location, weights_only=True)``. ``map_location``: None
    (the CPU, where PyTorch would restore the saved device), a device or its name ("cuda:0"),
    or, for PyTorch files, a dict from saved locations to devices (others go to the CPU). A
    file that is none of these, or is corrupt or truncated, raises ``CheckpointError`` (a
    ``ValueError``) naming the file.
    """
    if not weights_only:
        raise ValueError("load: weights_only=False would unpickle arbitrary objects, which "
                         "shenjing never does; save state dicts (and plain Python values) instead")
    if hasattr(path, "read"):
        return _load_file_object(path, map_location)
    path = Path(path)
    _check_map_location(map_location)
    if not path.exists():
        raise FileNotFoundError(f"load: no checkpoint at {path}")
    with open(path, "rb") as file:
        head = file.read(64)
        name = _first_zip_name(file, head)
    if not head:
        raise CheckpointError(f"{path}: the file is empty")
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):  # a zip's first record, or an empty zip
        if name.endswith(b"data.pkl"):  # even a truncated one is PyTorch's
            return _load_torch(path, map_location)
        result = _load_zip(path, map_location)
    else:
        result = _load_safetensors(path, head)
    return result if map_location is None else _moved(result, map_location)


def _load_file_object(file, map_location):
    """``load`` of a file object: its bytes go through a temporary file, so every check of a
    file on disk applies; errors name the file object, not the temporary file."""
    name = str(getattr(file, "name", "<file object>"))
    data = b"" if isinstance(file, io.TextIOBase) else file.read()
    if not isinstance(data, bytes) or isinstance(file, io.TextIOBase):
        raise TypeError(f"load: {name} must be opened in binary mode ('rb'), got text")
    with tempfile.TemporaryDirectory(prefix="shenjing-load-") as folder:
        temporary = Path(folder) / "checkpoint"
        temporary.write_bytes(data)
        try:
            return load(temporary, map_location)
        except CheckpointError as exc:
            raise CheckpointError(str(exc).replace(str(temporary), name)) from None


def _check_map_location(map_location) -> None:
    """Refuse, before reading, a map_location that names no device."""
    targets = map_location.values() if isinstance(map_location, dict) else [map_location]
    for target in targets:
        if target is not None and not isinstance(target, (str, Device)):
            raise TypeError(f"load: map_location must be None, a device, its name or a dict of "
                            f"them, got {target!r:.80} (a function would receive PyTorch "
                            "storages, which shenjing does not have)")
        if target is not None:
            Device(target)  # an unknown name raises here, naming it


def _moved(obj, map_location):
    """``obj`` with every tensor on ``map_location`` (a dict maps only PyTorch's locations)."""
    device = CPU if isinstance(map_location, dict) else Device(map_location)
    if device == CPU:
        return obj
    if isinstance(obj, Tensor):
        return Tensor._make(to_device(obj._data, device))
    if isinstance(obj, dict):
        return type(obj)((k, _moved(v, map_location)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(_moved(v, map_location) for v in obj)
    return obj


def _load_torch(path: Path, map_location):
    from shenjing.serialization_torch import load_torch  # the restricted unpickler

    return load_torch(path, map_location)


def _first_zip_name(file, head: bytes) -> bytes:
    """The name in a zip's first local file header (bytes 26-29 give its length); a name the
    file cuts short ends as torch.save's "data.pkl" would, so that truncation is told apart."""
    if head[:4] != b"PK\x03\x04":
        return b""
    size = int.from_bytes(head[26:28], "little")
    file.seek(30)
    name = file.read(size)
    if len(name) < size and b"/" in name and b"data.pkl".startswith(name.rpartition(b"/")[2]):
        return name.rpartition(b"/")[0] + b"/data.pkl"
    return name


def _not_safetensors(head: bytes) -> str | None:
    """What a file that is not safetensors looks like, when its first bytes say so.

    Asked only after the safetensors header failed to parse: a header's length may begin with
    the same bytes (0x80 0x02 is a 640-byte header), but a header then begins with "{".
    """
    protocol = head[1] if len(head) > 1 else 0
    if head.startswith(_LEGACY_MAGIC):
        return ("PyTorch's legacy torch.save format (pickles, before PyTorch 1.6), which shenjing "
                "does not read; re-save it in PyTorch with torch.save(torch.load(path), path)")
    if head[0] == 0x80 and 2 <= protocol <= 5 and head[8:9] != b"{":
        return ("a pickle file (PyTorch's legacy torch.save format, or another pickle); "
                "shenjing unpickles only torch.save's zip format")
    if head.startswith(b"\x93NUMPY"):
        return ("a single NumPy array (.npy), not a checkpoint; read it with numpy.load and wrap "
                "it with sj.tensor()")
    return None


def _load_safetensors(path: Path, head: bytes):
    import safetensors  # imported here: `import shenjing` stays light

    source = str(path)
    try:
        with safetensors.safe_open(source, framework="numpy") as file:
            metadata = file.metadata() or {}
            # file order: a flat file of another writer keeps its order
            names = file.offset_keys() if hasattr(file, "offset_keys") else file.keys()
            for name in names:
                dtype = file.get_slice(name).get_dtype()
                if dtype not in _DTYPES:
                    raise CheckpointError(f"{source}: tensor {name!r} has dtype {dtype}, which "
                                          f"shenjing cannot hold (it holds {', '.join(_DTYPES)})")
            arrays = {name: _native(file.get_tensor(name)) for name in names}
    except safetensors.SafetensorError as exc:
        reason = str(exc).removeprefix("Error while deserializing header: ")
        raise CheckpointError(f"{source}: " + (_not_safetensors(head) or "corrupt, truncated or "
                              f"not a safetensors file ({reason})")) from None
    if _SKELETON_KEY in metadata:
        skeleton = _parse_structure(metadata[_SKELETON_KEY], source)
        return _unflatten(skeleton, arrays, source)
    return {name: Tensor._make(array) for name, array in arrays.items()}


def _native(array):
    """``array`` in native byte order, writable, with bools that are exactly 0 or 1."""
    if array.dtype == bool:
        return array.view(numpy.uint8) != 0  # a corrupt byte could hold 2..255
    return numpy.require(array.astype(array.dtype.newbyteorder("="), copy=False),
                         requirements=("C", "W"))


def _load_zip(path: Path, map_location=None):
    """An .npz of arrays (what ``save`` writes, or ``numpy.savez``), or a PyTorch zip."""
    import zipfile
    import zlib

    source = str(path)
    try:
        with open(path, "rb") as file, zipfile.ZipFile(file) as archive:
            torch_file = any(name.endswith("data.pkl") for name in archive.namelist())
            entries = {}
            for info in [] if torch_file else archive.infolist():
                if not info.filename.endswith(".npy"):
                    raise CheckpointError(f"{source}: not an .npz checkpoint (it holds "
                                          f"{info.filename!r:.80}, which is not a .npy array)")
                _check_entry_sizes(file, info, source)  # before a byte of it is read
                with archive.open(info) as member:
                    entries[info.filename[:-4]] = _read_npy(member, info, source)
    except CheckpointError:
        raise
    # What a corrupt zip raises: damaged records, bad CRCs, data that does not inflate, an
    # unknown compression method, an encrypted entry.
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError,
            RuntimeError) as exc:
        raise CheckpointError(f"{source}: corrupt or truncated .npz file ({_reason(exc):.200})") \
            from None
    if torch_file:  # its data.pkl is not the first entry: a TorchScript archive, say
        return _load_torch(path, map_location)
    if not entries:
        raise CheckpointError(f"{source}: a zip file without arrays, not an .npz checkpoint")
    structure = entries.pop(_SKELETON_KEY, None)
    arrays = {name.removeprefix("tensor/"): array for name, array in entries.items()}
    if len(arrays) != len(entries):
        raise CheckpointError(f"{source}: a tensor is stored twice (with and without 'tensor/')")
    if structure is None:  # an .npz of arrays written by numpy.savez: a flat dict
        return {name: Tensor._make(array) for name, array in arrays.items()}
    if structure.dtype != numpy.uint8 or structure.ndim != 1:
        raise CheckpointError(f"{source}: corrupt structure (not JSON text)")
    return _unflatten(_parse_structure(structure.tobytes(), source), arrays, source)


_CHUNK = 1 << 20  # bytes read at a time from an entry


def _read_npy(member, info, source: str):
    """One .npy entry of a zip, checked before anything is allocated: a plain numeric dtype, a
    shape of non-negative ints whose size is exactly what the entry holds."""
    import tokenize

    from numpy.lib import format as npy

    where = f"{source}: entry {info.filename!r:.80}"
    try:
        version = npy.read_magic(member)
        if version not in ((1, 0), (2, 0)):
            raise ValueError(f"unsupported .npy version {version}")
        reader = npy.read_array_header_1_0 if version == (1, 0) else npy.read_array_header_2_0
        shape, fortran_order, dtype = reader(member)
    except (ValueError, TypeError, KeyError, SyntaxError, RecursionError, MemoryError,
            tokenize.TokenError) as exc:  # what numpy's header parser can raise on garbage
        raise CheckpointError(f"{where}: corrupt .npy header ({_reason(exc):.200})") from None
    if dtype.hasobject:
        raise CheckpointError(f"{where}: an array of Python objects, which only pickle can read; "
                              "shenjing never unpickles arbitrary objects")
    if dtype.newbyteorder("=") not in _NAMES:
        raise CheckpointError(f"{where}: dtype {dtype} is not one shenjing holds")
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape):
        raise CheckpointError(f"{where}: corrupt shape {shape!r:.80}")
    size = math.prod(shape) * dtype.itemsize
    if size != info.file_size - member.tell():
        raise CheckpointError(f"{where}: shape {shape} needs {size} bytes, the entry holds "
                              f"{info.file_size - member.tell()}")
    # Read into the array itself, a chunk at a time: the peak is the array, not three copies.
    data = numpy.empty(size, dtype=numpy.uint8)
    view = memoryview(data)
    filled = 0
    while filled < size:
        chunk = member.read(min(_CHUNK, size - filled))
        if not chunk:
            raise CheckpointError(f"{where}: truncated (it holds {filled} of {size} bytes)")
        view[filled:filled + len(chunk)] = chunk
        filled += len(chunk)
    if member.read(1):  # reading to the end also checks the CRC
        raise CheckpointError(f"{where}: more data than its shape {shape} needs")
    if dtype.kind == "b":
        numpy.minimum(data, 1, out=data)  # a corrupt byte could hold 2..255
    array = data.view(dtype)
    if not dtype.isnative:
        array = array.byteswap(inplace=True).view(dtype.newbyteorder("="))
    # C order, as every tensor is: a copy only for a Fortran-ordered array
    array = array.reshape(shape, order="F" if fortran_order else "C")
    return numpy.require(array, requirements="C")
