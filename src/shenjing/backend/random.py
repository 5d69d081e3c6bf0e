"""Random number generators, one per device, all seeded by ``manual_seed``.

NumPy and CuPy draw from different generators, so the same seed gives the same numbers on the same
device, and different numbers on the CPU and the GPU (as in PyTorch).
"""

from __future__ import annotations

import numpy

from shenjing.backend.device import CPU, Device, module_for

_seed: int | None = None
_generators: dict[Device, object] = {}


def manual_seed(seed: int) -> None:
    """Seed every random number generator of shenjing; equivalent of ``torch.manual_seed``."""
    global _seed
    if not isinstance(seed, (int, numpy.integer)) or isinstance(seed, bool):
        raise TypeError(f"manual_seed expects an integer, got {seed!r}")
    _seed = int(seed)
    _generators.clear()


def initial_seed() -> int | None:
    """The seed last given to ``manual_seed`` (None if never seeded)."""
    return _seed


def generator(device: Device = CPU):
    """The generator that draws random numbers on ``device``."""
    gen = _generators.get(device)
    if gen is None:
        xp = module_for(device)
        if device.type == "cpu":
            gen = xp.random.default_rng(_seed)
        else:
            with xp.cuda.Device(device.index):
                gen = xp.random.default_rng(_seed)
        _generators[device] = gen
    return gen
