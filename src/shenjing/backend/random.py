"""Random number generators, one per device, all seeded by ``manual_seed``.

NumPy and CuPy draw from different generators, so the same seed gives the same numbers on the same
device, and different numbers on the CPU and the GPU (as in PyTorch).
"""

from __future__ import annotations

import numpy

from shenjing.backend.device import CPU, Device, module_for

_seed: int | None = None
_generators: dict[Device, object] = {}
# Called before any seeding: while sj.compile traces a step it refuses, since a replay would not
# seed again (autograd.tracing sets it; the backend cannot import what stands above it).
seeding_hook = None


def _seeding(what: str) -> None:
    if seeding_hook is not None:
        seeding_hook(what)


def manual_seed(seed: int) -> None:
    """Seed every random number generator of shenjing; equivalent of ``torch.manual_seed``."""
    global _seed
    _seeding("sj.manual_seed()")
    if not isinstance(seed, (int, numpy.integer)) or isinstance(seed, bool):
        raise TypeError(f"manual_seed expects an integer, got {seed!r}")
    _seed = int(seed) % 2**64  # negative seeds too, as PyTorch takes them
    _generators.clear()


def initial_seed() -> int | None:
    """The seed last given to ``manual_seed`` (None if never seeded)."""
    return _seed


def generator(device: Device = CPU):
    """The generator that draws random numbers on ``device`` (the one ``manual_seed`` seeds)."""
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


class Generator:
    """A random number generator of its own, seeded apart from ``manual_seed``'s.

    Pass it as ``generator=`` to ``sj.rand``, ``randn``, ``randint``, ``randperm``, to a
    ``DataLoader`` or to ``random_split``. Equivalent of ``torch.Generator``; its numbers are
    NumPy's (PCG64), so a seed gives other numbers than in PyTorch.

    >>> import shenjing as sj
    >>> g = sj.Generator().manual_seed(42)
    >>> a = sj.randperm(5, generator=g)
    >>> b = sj.randperm(5, generator=sj.Generator().manual_seed(42))
    >>> a.tolist() == b.tolist()
    True
    """

    def __init__(self, device="cpu"):
        from shenjing.backend.device import as_device

        self.device = as_device(device)
        self._seed = int(numpy.random.SeedSequence().entropy % 2**63)
        self._reset()

    def _reset(self) -> None:
        xp = module_for(self.device)
        if self.device.type == "cpu":
            self.rng = xp.random.default_rng(self._seed)
        else:
            with xp.cuda.Device(self.device.index):
                self.rng = xp.random.default_rng(self._seed)

    def manual_seed(self, seed: int) -> Generator:
        """Seed this generator (and return it, as PyTorch does)."""
        _seeding("Generator.manual_seed()")
        if not isinstance(seed, (int, numpy.integer)) or isinstance(seed, bool):
            raise TypeError(f"Generator.manual_seed expects an integer, got {seed!r}")
        self._seed = int(seed) % 2**64
        self._reset()
        return self

    def seed(self) -> int:
        """Seed this generator from the operating system's entropy; returns the seed."""
        _seeding("Generator.seed()")
        self._seed = int(numpy.random.SeedSequence().entropy % 2**63)
        self._reset()
        return self._seed

    def initial_seed(self) -> int:
        """The seed this generator last started from."""
        return self._seed

    def get_state(self) -> dict:
        """The generator's state, to restore with ``set_state`` (CPU generators only)."""
        return self.rng.bit_generator.state

    def set_state(self, state: dict) -> Generator:
        _seeding("Generator.set_state()")
        self.rng.bit_generator.state = state
        return self

    def __repr__(self) -> str:
        return f"<shenjing.Generator on {self.device}>"


def draws_from(gen: Generator | None, device: Device):
    """The NumPy or CuPy generator to draw from: ``manual_seed``'s for ``device`` when ``gen``
    is None, else that ``Generator``'s (which must live on ``device``)."""
    if gen is None:
        return generator(device)
    if not isinstance(gen, Generator):
        raise TypeError(f"generator must be a shenjing Generator, got {type(gen).__name__}")
    if gen.device != device:
        raise RuntimeError(f"Expected a '{device.type}' device type for generator but found "
                           f"'{gen.device.type}'")
    return gen.rng


def get_rng_state() -> dict:
    """The state of every generator that ``manual_seed`` governs, as plain JSON-able values.

    Restoring it with ``set_rng_state`` makes the draws that follow repeat exactly: what a
    resumed training run needs for the same shuffles and dropout masks as one left alone.
    A device whose generator has not drawn yet is recorded as the seed it would start from;
    never seeded, the CPU's generator (seeded from entropy) is recorded as it is.
    """
    if _seed is None:
        generator(CPU)  # an unseeded generator's numbers can only repeat from its state
    devices = {}
    for device, gen in _generators.items():
        state = getattr(getattr(gen, "bit_generator", None), "state", None)
        if state is None:  # CuPy's generators keep their state on the GPU, out of reach
            continue
        devices[str(device)] = state
    return {"seed": _seed, "devices": devices}


def set_rng_state(state: dict) -> None:
    """Restore what ``get_rng_state`` returned."""
    from shenjing.backend.device import as_device

    _seeding("sj.set_rng_state()")
    global _seed
    if not isinstance(state, dict) or not isinstance(state.get("devices"), dict):
        raise ValueError(f"set_rng_state: not a state from get_rng_state: {state!r:.80}")
    _seed = state.get("seed")
    _generators.clear()
    for name, device_state in state["devices"].items():
        device = as_device(name)
        gen = generator(device)
        gen.bit_generator.state = device_state
