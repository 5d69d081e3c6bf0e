"""Devices: which array library holds a tensor's data, and moving data between them.

A tensor's device follows its array: a ``numpy.ndarray`` lives on the CPU, a ``cupy.ndarray`` on
the GPU it was allocated on. CuPy is imported only when a GPU is asked for, so ``import shenjing``
stays light on machines without one.
"""

from __future__ import annotations

import importlib

import numpy

_cupy = None  # the cupy module once a GPU has been asked for


class DeviceError(RuntimeError):
    """An operation met tensors on different devices, or a device that cannot be used."""


def _import_cupy():
    global _cupy
    if _cupy is None:
        try:
            _cupy = importlib.import_module("cupy")
        except ImportError as exc:
            raise DeviceError(
                "a CUDA device was requested but CuPy is not installed; "
                "install it with `pip install shenjing[gpu]` (needs an NVIDIA GPU and driver)"
            ) from exc
    return _cupy


class Device:
    """Where a tensor's data lives: ``Device('cpu')`` or ``Device('cuda:0')``.

    Equivalent of ``torch.device``.

    >>> Device("cpu")
    device(type='cpu')
    >>> Device("cuda:1").index
    1
    """

    __slots__ = ("type", "index")

    def __init__(self, spec: str | Device = "cpu", index: int | None = None):
        if isinstance(spec, Device):
            self.type, self.index = spec.type, spec.index
            return
        if not isinstance(spec, str):
            raise TypeError(f"device must be a string like 'cpu' or 'cuda:0', got {spec!r}")
        kind, _, number = spec.partition(":")
        if kind not in ("cpu", "cuda"):
            raise DeviceError(f"unknown device {spec!r}: expected 'cpu', 'cuda' or 'cuda:N'")
        if number:
            if not number.isdigit():
                raise DeviceError(f"invalid device index in {spec!r}")
            index = int(number)
        if kind == "cpu" and index not in (None, 0):
            raise DeviceError(f"the CPU has no device index, got {spec!r}")
        self.type = kind
        self.index = (index or 0) if kind == "cuda" else None

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = Device(other)
        return isinstance(other, Device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"


def cuda_device_count() -> int:
    """How many CUDA devices CuPy sees: 0 without CuPy, without a driver or without a GPU."""
    try:
        cupy = _import_cupy()
    except DeviceError:
        return 0
    try:
        return int(cupy.cuda.runtime.getDeviceCount())
    except RuntimeError:  # CuPy is installed, but no driver or device answers
        return 0


CPU = Device("cpu")
CPU_MODULE = numpy  # the array library of the CPU
CPU_ARRAY = numpy.ndarray  # the array type of the CPU: operations compare against it


def as_device(device: str | Device | None) -> Device:
    """Normalise a device argument; ``None`` means the CPU."""
    return CPU if device is None else Device(device)


def array_module(array):
    """The array library (``numpy`` or ``cupy``) that owns ``array``."""
    if type(array) is numpy.ndarray:
        return numpy
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return _cupy
    return numpy


def device_of(array) -> Device:
    """The device an array lives on."""
    if type(array) is numpy.ndarray or _cupy is None or not isinstance(array, _cupy.ndarray):
        return CPU
    return Device("cuda", array.device.id)


def module_for(device: Device):
    """The array library that allocates on ``device``."""
    if device.type == "cpu":
        return numpy
    return _import_cupy()


def to_device(array, device: Device):
    """Copy ``array`` onto ``device`` (no copy when it is already there)."""
    if device_of(array) == device:
        return array
    if device.type == "cpu":
        return array.get()
    cupy = _import_cupy()
    with cupy.cuda.Device(device.index):
        return cupy.asarray(array)


def common_module(op: str, arrays) -> object:
    """The array library shared by every array in ``arrays``; raise naming both devices if mixed.

    Non-array entries (Python scalars) are ignored. Called by every operation, so the all-CPU case
    is a type check per array.
    """
    gpu = None
    cpu = False
    for array in arrays:
        if type(array) is numpy.ndarray:
            cpu = True
        elif _cupy is not None and isinstance(array, _cupy.ndarray):
            if gpu is None:
                gpu = device_of(array)
            elif device_of(array) != gpu:
                raise DeviceError(f"{op}: expected all tensors on one device, but found {gpu} "
                                  f"and {device_of(array)}; move them with .to(device) first")
        elif isinstance(array, numpy.ndarray):
            cpu = True
    if gpu is None:
        return numpy
    if cpu:
        raise DeviceError(f"{op}: expected all tensors on one device, but found cpu and {gpu}; "
                          "move them with .to(device) first")
    return _cupy
