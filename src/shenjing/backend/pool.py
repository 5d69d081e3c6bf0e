"""A pool of large scratch arrays: lent to an operation, given back when it no longer needs them.

Writing to freshly allocated memory costs a page fault for every 4 KiB page the first time, and
the C library hands big freed blocks back to the system, so an operation that allocates tens of
MiB of buffers per call pays it on every call: about 0.3 ms per MiB on the development machines,
a fifth of a fused LSTM layer's time. An array given back here is lent again for the next request
of the same shape and dtype, so a training loop writes into the same memory step after step.

CuPy keeps a memory pool of its own, so for CuPy arrays ``take`` is plain ``empty``.
"""

from __future__ import annotations

import threading

import numpy


class BufferPool:
    """Arrays kept for reuse, by shape and dtype, up to ``max_bytes`` in all.

    Only give back arrays that nothing else refers to any more (not even through a view).

    >>> import numpy as np
    >>> pool = BufferPool()
    >>> a = pool.take(np, (1000, 100), np.float32)
    >>> pool.give(a)
    >>> pool.take(np, (1000, 100), np.float32) is a
    True
    """

    def __init__(self, max_bytes: int = 128 * 2**20) -> None:
        self.max_bytes = max_bytes
        self._free: dict[tuple, list] = {}
        self._bytes = 0
        self._lock = threading.Lock()

    def take(self, xp, shape: tuple, dtype):
        """An uninitialised array of ``shape`` and ``dtype``: a given-back one when there is one."""
        if xp is numpy:
            with self._lock:
                free = self._free.get((tuple(shape), numpy.dtype(dtype)))
                if free:
                    array = free.pop()
                    self._bytes -= array.nbytes
                    return array
        return xp.empty(shape, dtype=dtype)

    def give(self, *arrays) -> None:
        """Keep ``arrays`` (NumPy arrays that own their memory) for later ``take`` calls."""
        with self._lock:
            for array in arrays:
                if type(array) is not numpy.ndarray or array.base is not None:
                    continue  # a view, a CuPy array or None: nothing to keep
                if self._bytes + array.nbytes > self.max_bytes:
                    continue  # full: let it be freed
                free = self._free.setdefault((array.shape, array.dtype), [])
                if any(kept is array for kept in free):
                    continue  # given back twice: keep it once, or two callers would share it
                free.append(array)
                self._bytes += array.nbytes

    def clear(self) -> None:
        """Drop every kept array."""
        with self._lock:
            self._free.clear()
            self._bytes = 0


# The one pool the operations share: scratch arrays of convolution, recurrent layers, ...
POOL = BufferPool()
