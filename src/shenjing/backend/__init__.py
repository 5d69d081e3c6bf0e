"""The one seam between shenjing and its array libraries, NumPy (CPU) and CuPy (GPU).

Operations never import numpy or cupy: they ask ``array_module`` (or ``common_module``) for ``xp``,
the library that owns their inputs, and call it. Everything that differs between the two libraries
(devices, random numbers, scatter-add, special functions) lives in this package.
"""

from shenjing.backend.device import (
    CPU,
    CPU_ARRAY,
    CPU_MODULE,
    Device,
    DeviceError,
    array_module,
    as_device,
    common_module,
    device_of,
    module_for,
    to_device,
)
from shenjing.backend.dtype import (
    DEFAULT_INT,
    as_dtype,
    get_default_dtype,
    infer_dtype,
    is_floating,
    set_default_dtype,
)
from shenjing.backend.random import (
    Generator,
    draws_from,
    generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    set_rng_state,
)
from shenjing.backend.special import erf, expected_float_errors, scatter_add, windows

__all__ = [
    "CPU",
    "CPU_ARRAY",
    "CPU_MODULE",
    "DEFAULT_INT",
    "Device",
    "Generator",
    "DeviceError",
    "array_module",
    "as_device",
    "as_dtype",
    "common_module",
    "device_of",
    "draws_from",
    "erf",
    "expected_float_errors",
    "generator",
    "get_default_dtype",
    "infer_dtype",
    "initial_seed",
    "is_floating",
    "manual_seed",
    "get_rng_state",
    "set_rng_state",
    "module_for",
    "scatter_add",
    "set_default_dtype",
    "to_device",
    "windows",
]
