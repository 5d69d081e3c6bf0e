"""Reading ``torch.save`` files without PyTorch: a restricted unpickler over the zip format.

A ``torch.save`` file is a zip: ``<name>/data.pkl`` pickles the saved object with each tensor's
bytes left out (a *persistent id* names its storage, ``<name>/data/<key>``), ``<name>/byteorder``
says how those bytes are ordered. Unpickling normally imports and calls whatever the pickle
names, so here ``find_class`` admits only the few globals that such files need (PyTorch's tensor
rebuild functions, ``OrderedDict``, the ``torch.<X>Storage`` dtype markers), each mapped to a
function of this module that only records its arguments; anything else is a ``CheckpointError``
naming the global, raised before it is called. The result is then rebuilt into fresh dicts,
lists, tuples and tensors, so nothing the pickle made survives as it made it.

Each tensor is a copy in its own memory (two views of one storage become two tensors), in C
order, whatever its strides and offset were.
"""

from __future__ import annotations

import collections
import io
import math
import pickle
import zipfile
import zlib
from pathlib import Path

import numpy

from shenjing._archive import CheckpointError, _check_entry_sizes, _reason
from shenjing.autograd.tensor import Tensor
from shenjing.backend import CPU, Device, to_device

# torch.<X>Storage, the dtype marker a storage's persistent id carries -> NumPy dtype
_STORAGES = {"DoubleStorage": "float64", "FloatStorage": "float32", "HalfStorage": "float16",
             "LongStorage": "int64", "IntStorage": "int32", "ShortStorage": "int16",
             "CharStorage": "int8", "ByteStorage": "uint8", "BoolStorage": "bool"}
# A tensor may be larger than its storage only through zero strides (an expanded view); past
# this many bytes in all, such tensors are refused rather than materialised.
_MAX_EXPANDED_BYTES = 1 << 30
_MAX_DEPTH = 100  # nesting levels, as for shenjing's own checkpoints


class _StorageType:
    """What ``torch.FloatStorage`` and its kin unpickle to: a dtype marker, nothing callable."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __setstate__(self, state):
        raise pickle.UnpicklingError(f"a state set on torch.{self.name}")


class _Storage:
    """One storage of the file: a flat array of its dtype, and where PyTorch kept it."""

    __slots__ = ("array", "location", "key")

    def __init__(self, array, location: str, key: str) -> None:
        self.array, self.location, self.key = array, location, key

    def __setstate__(self, state):
        raise pickle.UnpicklingError("a state set on a storage")


class _TensorRef:
    """A tensor of the pickle, not yet built: its storage, offset, shape and strides."""

    __slots__ = ("storage", "offset", "size", "stride", "requires_grad")

    def __init__(self, storage, offset, size, stride, requires_grad=False) -> None:
        if not isinstance(storage, _Storage):
            raise pickle.UnpicklingError("a tensor rebuilt from something that is not a storage")
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride
        self.requires_grad = requires_grad

    def __setstate__(self, state):
        raise pickle.UnpicklingError("a state set on a tensor")


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False,
                       backward_hooks=None, metadata=None):
    return _TensorRef(storage, storage_offset, size, stride, requires_grad)


def _rebuild_tensor(storage, storage_offset, size, stride):
    return _TensorRef(storage, storage_offset, size, stride)


def _rebuild_parameter(data, requires_grad, backward_hooks, state=None):
    if not isinstance(data, _TensorRef):
        raise pickle.UnpicklingError("a parameter rebuilt from something that is not a tensor")
    data.requires_grad = requires_grad
    return data


def _encode(text, encoding="utf-8"):
    """``_codecs.encode``, which protocol-2 pickles use for bytes: latin-1 text only."""
    if not isinstance(text, str) or encoding != "latin1":
        raise pickle.UnpicklingError("_codecs.encode called with other than latin-1 text")
    return text.encode("latin1")


_ALLOWED = {
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("_codecs", "encode"): _encode,
}


class _Refused(Exception):
    """A global outside the allowed set; raised from find_class, before anything is called."""


class _Unpickler(pickle.Unpickler):
    """An unpickler that resolves only the allowed globals and reads storages from the zip."""

    def __init__(self, file, archive: zipfile.ZipFile, raw, prefix: str, byteorder: str,
                 source: str) -> None:
        super().__init__(file)
        self.archive, self.raw, self.prefix = archive, raw, prefix
        self.byteorder, self.source = byteorder, source
        self.storages: dict[str, _Storage] = {}

    def find_class(self, module: str, name: str):
        if (module, name) in _ALLOWED:
            return _ALLOWED[module, name]
        if module == "torch" and name.endswith("Storage"):
            return _StorageType(name)
        raise _Refused(f"{module}.{name}")

    def persistent_load(self, pid):
        # Values from the pickle are never turned into text whole: nested lists that repeat
        # themselves describe 2**40 items in a few hundred bytes. Their types are named instead.
        if (not isinstance(pid, tuple) or len(pid) != 5 or pid[0] != "storage"
                or not isinstance(pid[1], _StorageType) or not isinstance(pid[2], str)
                or not isinstance(pid[3], str)
                or not isinstance(pid[4], int) or isinstance(pid[4], bool) or pid[4] < 0):
            raise pickle.UnpicklingError(f"an unexpected persistent id (a {type(pid).__name__})")
        _, kind, key, location, numel = pid
        if key in self.storages:
            return self.storages[key]  # a storage shared by several tensors
        dtype = _storage_dtype(kind.name, key, self.source)
        if self.byteorder == "big":
            dtype = dtype.newbyteorder(">")
        name = f"{self.prefix}data/{key}"
        try:
            info = self.archive.getinfo(name)
        except KeyError:
            raise CheckpointError(f"{self.source}: storage {key!r:.80} is missing from the "
                                  "file") from None
        _check_entry_sizes(self.raw, info, self.source)
        if info.file_size != numel * dtype.itemsize:
            raise CheckpointError(f"{self.source}: storage {key!r:.80} holds {info.file_size} "
                                  f"bytes, its {numel} {dtype.name} elements need "
                                  f"{numel * dtype.itemsize}")
        array = numpy.frombuffer(self.archive.read(info), dtype=dtype)
        storage = _Storage(array, location, key)
        self.storages[key] = storage
        return storage


def _storage_dtype(name: str, key: str, source: str) -> numpy.dtype:
    if name in _STORAGES:
        return numpy.dtype(_STORAGES[name])
    if name == "BFloat16Storage":
        raise CheckpointError(f"{source}: storage {key!r:.80} holds bfloat16 values, which "
                              "shenjing has no dtype for; convert them in PyTorch before saving "
                              "(tensor.float())")
    held = ", ".join(_STORAGES.values())
    raise CheckpointError(f"{source}: storage {key!r:.80} is a torch.{name:.40}, a dtype "
                          f"shenjing cannot hold (it holds {held})")


def _build(ref: _TensorRef, source: str, device, memo: dict):
    """The tensor ``ref`` describes, copied out of its storage once its bounds are checked."""
    offset, size, stride = ref.offset, ref.size, ref.stride
    where = f"{source}: a tensor of storage {ref.storage.key!r:.80}"
    if not (_is_index(offset) and isinstance(size, tuple) and isinstance(stride, tuple)
            and len(size) == len(stride) and all(map(_is_index, size + stride))):
        raise CheckpointError(f"{where} has a corrupt layout (offset, size and stride of types "
                              f"{type(offset).__name__}, {type(size).__name__} and "
                              f"{type(stride).__name__}, or of other lengths)")
    if len(size) > 64:
        raise CheckpointError(f"{where} has {len(size)} dims; at most 64 are possible")
    storage = ref.storage.array
    count = math.prod(size)
    # Every tensor is a copy out of its storage: all of them together are budgeted, so that a
    # small file cannot ask for many full views of one storage.
    memo["copied"] = memo.get("copied", 0) + count * storage.itemsize
    if memo["copied"] > _MAX_EXPANDED_BYTES + 8 * memo.get("stored", 0):
        raise CheckpointError(f"{where}: the file's tensors would take more than "
                              f"{_MAX_EXPANDED_BYTES} bytes beyond 8 times what it stores")
    if count:
        last = offset + sum((n - 1) * s for n, s in zip(size, stride))
        if last >= storage.size:  # also bounds the offset: it is at most `last`
            raise CheckpointError(f"{where}: its size {size} and strides {stride} from offset "
                                  f"{offset} reach element {last}, past the storage's "
                                  f"{storage.size}")
        if count > storage.size:  # zero strides: bytes the file does not hold, budgeted
            memo["expanded"] = memo.get("expanded", 0) + count * storage.itemsize
            if memo["expanded"] > _MAX_EXPANDED_BYTES:
                raise CheckpointError(f"{where}: shape {size} expands a storage of "
                                      f"{storage.size} elements; the file's expanded tensors "
                                      f"exceed {_MAX_EXPANDED_BYTES} bytes")
        view = numpy.lib.stride_tricks.as_strided(
            storage[offset:], shape=size, strides=[s * storage.itemsize for s in stride],
            writeable=False)
    else:
        view = numpy.empty(size, dtype=storage.dtype)
    array = numpy.array(view, dtype=storage.dtype.newbyteorder("="), order="C")  # a copy
    if array.dtype == bool:
        array = array.view(numpy.uint8) != 0  # a corrupt byte could hold 2..255
    target = _target(device, ref.storage.location)
    tensor = Tensor._make(array if target == CPU else to_device(array, target))
    if ref.requires_grad is True and array.dtype.kind == "f":
        tensor.requires_grad_(True)
    return tensor


def _is_index(n) -> bool:
    return isinstance(n, int) and not isinstance(n, bool) and n >= 0


def _target(map_location, location: str) -> Device:
    """The device a tensor saved at ``location`` goes to (None: the CPU)."""
    if isinstance(map_location, dict):
        map_location = map_location.get(location)
    return CPU if map_location is None else Device(map_location)


def _rebuild(obj, source: str, device, memo: dict, depth: int = 0):
    """Fresh containers and tensors for what the unpickler made; anything else is refused."""
    if isinstance(obj, (str, bytes, bool, int, float, type(None))):
        return obj
    # An object met twice is rebuilt once: the same tensor stays one tensor, and a pickle whose
    # lists hold the previous list twice, level after level, costs its size, not 2**levels.
    if id(obj) in memo:
        return memo[id(obj)]
    if isinstance(obj, _TensorRef):
        result = _build(obj, source, device, memo)
    elif depth >= _MAX_DEPTH:  # also ends a list that holds itself
        raise CheckpointError(f"{source}: nested more than {_MAX_DEPTH} levels deep")
    elif type(obj) in (dict, collections.OrderedDict):
        items = [(_rebuild(k, source, device, memo, depth + 1),
                  _rebuild(v, source, device, memo, depth + 1)) for k, v in obj.items()]
        result = type(obj)(items)  # drops the attributes a pickle set (a state dict's _metadata)
    elif type(obj) in (list, tuple):
        result = type(obj)(_rebuild(v, source, device, memo, depth + 1) for v in obj)
    else:
        raise CheckpointError(f"{source}: holds a {type(obj).__name__:.40}, which a checkpoint "
                              "of tensors, numbers, strings, lists, tuples and dicts never does")
    memo[id(obj)] = result
    return result


def _check_opcodes(pickled: bytes) -> None:
    """Walk the pickle's opcodes without running them, refusing what would make the C unpickler
    allocate what a forged number says: a length past the end of the bytes (genops raises), a
    memo index beyond the count of opcodes (the memo table grows to that index)."""
    import pickletools

    for opcode, arg, _ in pickletools.genops(pickled):
        if opcode.name in ("PUT", "BINPUT", "LONG_BINPUT") and int(arg) > len(pickled):
            raise pickle.UnpicklingError(f"memo index {arg} in a pickle of {len(pickled)} bytes")


def load_torch(path: Path, map_location=None):
    """Read a ``torch.save`` file (zip format) into shenjing tensors, PyTorch never imported.

    Equivalent of ``torch.load(path, map_location, weights_only=True)``; ``map_location`` is
    None (the CPU), a device or its name, or a dict from saved locations ("cuda:0") to devices.
    """
    source = str(path)
    try:
        with open(path, "rb") as raw, zipfile.ZipFile(raw) as archive:
            names = archive.namelist()
            pickles = [n for n in names if n.endswith("data.pkl") and n.count("/") <= 1]
            if any(n.endswith(("constants.pkl", "/code/")) or "/code/" in n for n in names):
                raise CheckpointError(
                    f"{source}: a TorchScript archive (torch.jit.save), a program, not a "
                    "checkpoint; shenjing reads torch.save files: in PyTorch, save its weights "
                    "with torch.save(torch.jit.load(path).state_dict(), 'weights.pt')")
            if len(pickles) != 1:
                raise CheckpointError(f"{source}: a zip without one data.pkl, not a torch.save "
                                      "file")
            prefix = pickles[0][:-len("data.pkl")]
            byteorder = "little"
            if f"{prefix}byteorder" in names:
                byteorder = archive.read(f"{prefix}byteorder").decode("ascii", "replace")
            if byteorder not in ("little", "big"):
                raise CheckpointError(f"{source}: unknown byte order {byteorder!r:.20}")
            info = archive.getinfo(pickles[0])
            _check_entry_sizes(raw, info, source)
            # read whole (its size is checked): the unpickler then never reads from the zip
            pickled = archive.read(info)
            _check_opcodes(pickled)
            unpickler = _Unpickler(io.BytesIO(pickled), archive, raw, prefix, byteorder,
                                   source)
            obj = unpickler.load()
            stored = sum(s.array.nbytes for s in unpickler.storages.values())
    except CheckpointError:
        raise
    except _Refused as exc:
        raise CheckpointError(f"{source}: the pickle asks for {str(exc):.120}, which a "
                              "checkpoint of tensors never needs; refused, nothing was "
                              "run") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError,
            RuntimeError) as exc:
        raise CheckpointError(f"{source}: corrupt or truncated PyTorch file "
                              f"({_reason(exc):.200})") from None
    # What a malformed pickle raises: bad opcodes, calls with the wrong arguments, a state set
    # on a dict, a stack that runs dry.
    except (pickle.UnpicklingError, TypeError, ValueError, AttributeError, IndexError, KeyError,
            MemoryError, RecursionError) as exc:
        raise CheckpointError(f"{source}: corrupt PyTorch pickle ({_reason(exc):.200})") \
            from None
    try:
        return _rebuild(obj, source, map_location, {"stored": stored})
    except CheckpointError:
        raise
    except (ValueError, TypeError, MemoryError, OverflowError) as exc:  # NumPy on a bad layout
        raise CheckpointError(f"{source}: corrupt PyTorch tensor ({_reason(exc):.200})") \
            from None
