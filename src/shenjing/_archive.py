"""What every reader of checkpoint files shares: ``CheckpointError``, the check of a zip
entry's sizes before anything is allocated for it, and a short reason for an exception."""

from __future__ import annotations

import os


class CheckpointError(ValueError):
    """A checkpoint file is corrupt, truncated or not a checkpoint; the message names the file."""


def _reason(exc: BaseException) -> str:
    """What went wrong, for a message: zipfile raises a bare ``EOFError`` on missing data."""
    if str(exc):
        return str(exc)
    return "the data ends early" if isinstance(exc, EOFError) else type(exc).__name__


# Deflate expands data at most 1032-fold (zlib's technical notes): an entry announcing more
# belongs to a forged file, and this bounds what a small file can make load allocate.
_DEFLATE_MAX_RATIO = 1032


def _check_entry_sizes(file, info, source: str) -> None:
    """Refuse a zip entry whose sizes cannot be true, before anything is allocated for it.

    The central directory's sizes are what zipfile trusts: a stored entry holds exactly its
    compressed size, a deflated one at most 1032 times that, and its data lies within the file.
    NumPy writes only these two methods (``savez``, ``savez_compressed``).
    """
    import zipfile

    where = f"{source}: entry {info.filename!r:.80}"
    size, packed = info.file_size, info.compress_size
    if info.flag_bits & 0x1:  # its stored size would include the 12-byte encryption header
        raise CheckpointError(f"{where}: encrypted, which .npz files never are")
    if info.compress_type == zipfile.ZIP_STORED:
        if size != packed:
            raise CheckpointError(f"{where}: uncompressed, yet its size ({size} bytes) is not "
                                  f"its stored size ({packed} bytes)")
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        if size > _DEFLATE_MAX_RATIO * packed:
            raise CheckpointError(f"{where}: claims {size} bytes deflated into {packed}, more "
                                  f"than deflate's limit of {_DEFLATE_MAX_RATIO} to 1")
    else:
        raise CheckpointError(f"{where}: compression method {info.compress_type}, which .npz "
                              "files do not use (only stored or deflated)")
    # The data begins after the local header (30 bytes, then a name and an extra field).
    file.seek(info.header_offset)
    local = file.read(30)
    if len(local) < 30 or local[:4] != b"PK\x03\x04":
        raise CheckpointError(f"{where}: no local file header at offset {info.header_offset}")
    start = info.header_offset + 30 + int.from_bytes(local[26:28], "little") \
        + int.from_bytes(local[28:30], "little")
    end = os.fstat(file.fileno()).st_size
    if start + packed > end:
        raise CheckpointError(f"{where}: its {packed} bytes of data would end at byte "
                              f"{start + packed}, past the end of the file ({end} bytes)")
