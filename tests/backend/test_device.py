"""Devices: parsing, and the error an operation gives when it mixes devices.

No GPU here, so a stand-in for CuPy (an ndarray subclass that reports a CUDA device) shows
that the device checks run on every operation; the GPU issue tests real CuPy arrays.
"""

import types

import numpy as np
import pytest

import shenjing as sj
from shenjing.backend import device as device_module


def test_device_parsing_and_equality():
    assert sj.device("cpu") == "cpu" and repr(sj.device("cpu")) == "device(type='cpu')"
    cuda = sj.device("cuda:1")
    assert cuda.type == "cuda" and cuda.index == 1 and str(cuda) == "cuda:1"
    assert sj.device("cuda") == sj.device("cuda:0")
    with pytest.raises(sj.DeviceError, match="unknown device 'tpu'"):
        sj.device("tpu")


def test_asking_for_a_gpu_without_cupy_says_how_to_get_one(monkeypatch):
    monkeypatch.setattr(device_module, "_cupy", None)
    monkeypatch.setattr(device_module.importlib, "import_module",
                        lambda name: (_ for _ in ()).throw(ImportError(name)))
    with pytest.raises(sj.DeviceError, match=r"CuPy is not installed.*shenjing\[gpu\]"):
        sj.zeros(2, device="cuda")


class FakeGPUArray(np.ndarray):
    """Pretends to live on GPU 0."""

    device = types.SimpleNamespace(id=0)


def test_mixing_devices_names_both(monkeypatch):
    fake_cupy = types.SimpleNamespace(**{**vars(np), "ndarray": FakeGPUArray})
    monkeypatch.setattr(device_module, "_cupy", fake_cupy)
    gpu = sj.Tensor._make(np.ones(3).view(FakeGPUArray))
    cpu = sj.ones(3, dtype=sj.float64)
    assert gpu.device == sj.device("cuda:0")
    with pytest.raises(sj.DeviceError, match=r"add: .*cpu and cuda:0"):
        cpu + gpu
    with pytest.raises(sj.DeviceError, match=r"matmul: .*cpu and cuda:0"):
        cpu @ gpu
