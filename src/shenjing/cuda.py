"""``sj.cuda``, as ``torch.cuda``: whether a GPU can be used, answered by the backend (CuPy).

>>> import shenjing as sj
>>> device = "cuda" if sj.cuda.is_available() else "cpu"
>>> sj.zeros(2, device=device).device.type == device
True
"""

from __future__ import annotations

from shenjing import backend
from shenjing.backend.device import cuda_device_count


def is_available() -> bool:
    """True when CuPy is installed and sees at least one CUDA device."""
    return cuda_device_count() > 0


def device_count() -> int:
    """How many CUDA devices CuPy sees (0 without CuPy or a GPU)."""
    return cuda_device_count()


def manual_seed(seed: int) -> None:
    """Seed the generators (shenjing seeds every device's at once, as ``sj.manual_seed``)."""
    backend.manual_seed(seed)


manual_seed_all = manual_seed


def synchronize(device=None) -> None:
    """Wait for the GPU's queued work to finish (nothing to wait for without a GPU)."""
    if is_available():
        device = backend.as_device(device if device is not None else "cuda")
        cupy = backend.module_for(device)
        with cupy.cuda.Device(device.index):
            cupy.cuda.Stream.null.synchronize()


__all__ = ["device_count", "is_available", "manual_seed", "manual_seed_all", "synchronize"]
