"""Every operation has a spec: a new Function subclass or public op without one fails here."""

import gc
import importlib
import inspect
import pkgutil

import numpy as np
import pytest

import shenjing.ops
from shenjing.autograd.function import Function
from tests.ops.harness import all_specs, run_forward_and_backward

# Every spec of tests/ops/test_*.py, and every module of shenjing/ops.
ALL_SPECS = all_specs()
OP_MODULES = [
    importlib.import_module(f"shenjing.ops.{info.name}")
    for info in pkgutil.iter_modules(shenjing.ops.__path__)
    if info.name != "checks"
]

# Public functions of ops/ that are not operations users call, with the reason they have no spec.
NOT_OPS = {
    "sum_to": "the engine's un-broadcasting step; checked through every broadcasting spec",
    "to_device": "needs a second device (CuPy and a GPU): the GPU issue tests it",
    "getitem": "the implementation of Tensor.__getitem__, specced as getitem",
}
# Function subclasses that need hardware this test does not have.
NOT_RUN = {"ToDevice": "needs a second device (CuPy and a GPU)"}


def _all_functions(cls=Function):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_functions(sub)


def test_every_public_op_has_a_spec():
    specced = {spec.name.split(":")[0] for spec in ALL_SPECS}
    public = {
        name
        for module in OP_MODULES
        for name, obj in vars(module).items()
        if inspect.isfunction(obj) and obj.__module__ == module.__name__
        and not name.startswith("_")
    }
    missing = sorted(public - specced - set(NOT_OPS))
    assert not missing, f"operations without an OpSpec: {missing}"


def test_every_function_is_exercised(monkeypatch):
    """Run every spec (forward and create_graph backward) and record each Function applied."""
    applied = set()
    original = Function.apply.__func__

    def spy(cls, *args, **kwargs):
        applied.add(cls)
        return original(cls, *args, **kwargs)

    monkeypatch.setattr(Function, "apply", classmethod(spy))
    for spec in ALL_SPECS:
        for case in spec.cases:
            for dtype in (np.float32, np.float64):
                run_forward_and_backward(spec, case, dtype)
    missing = unexercised(applied)
    assert not missing, f"Function subclasses no spec exercises: {missing}"


def unexercised(applied) -> list[str]:
    ours = {cls for cls in _all_functions() if cls.__module__.startswith("shenjing.")
            and not cls.__name__.startswith("_")}
    return sorted(cls.__name__ for cls in ours - applied if cls.__name__ not in NOT_RUN)


def test_a_new_function_without_spec_is_reported():
    fake = type("Unspecced", (Function,), {"__module__": "shenjing.ops.fake"})
    try:
        assert "Unspecced" in unexercised(set())
    finally:
        del fake
        gc.collect()  # drop the class from Function.__subclasses__()


@pytest.mark.parametrize("name", sorted(NOT_OPS))
def test_exemptions_are_real(name):
    assert any(hasattr(module, name) for module in OP_MODULES), f"stale exemption {name}"
