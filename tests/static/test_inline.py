"""Inlining (static/inline.py): a replayed call runs as the body it calls, or stays a call."""

from __future__ import annotations

import dataclasses
import gc
import importlib
import sys
import textwrap
import weakref
from pathlib import Path

import numpy as np
import pytest

import shenjing as sj
from shenjing.autograd import tracing
from shenjing.static import inline as inline_module
from shenjing.static.inline import inline
from tests.static.test_guards import _batch, _setup

MODULE = '''
import math

SCALE = 2.0


def branches(xp, x, mode, *, offset=1):
    """Early returns, a raise and a default: copied as one if/else tree."""
    if mode == "raise":
        raise ValueError(f"no mode {mode}")
    y = x + offset
    if mode == "double":
        return y * 2
    if mode == "scaled":
        y = y * SCALE
    return xp.sqrt(y) + math.pi


def nested(xp, x):
    z = branches(xp, x, "double")
    return z - 1


LOG = []


def noted(name, value):
    LOG.append(name)
    return value


def pair(a, b):
    return a - b


def keywords_out_of_order(x):
    """Python evaluates a call's arguments as written: b, then a."""
    r = pair(b=noted("b", x), a=noted("a", 2 * x))
    return r


def looping(x):
    for _ in range(2):
        x = x + 1
    return x


def counter():
    count = 0

    def bump(x):
        return x + count

    return bump


def wrapped(f):
    @functools.wraps(f)
    def call(*args, **kwargs):
        return f(*args, **kwargs) + 1
    return call
'''


@pytest.fixture()
def module(tmp_path, monkeypatch):
    path = tmp_path / "inline_subject.py"
    path.write_text("import functools\n" + textwrap.dedent(MODULE))
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("inline_subject", None)
    yield importlib.import_module("inline_subject")
    sys.modules.pop("inline_subject", None)


def _run(fn, args, kwargs=None, depth=1):
    """Inline ``out = fn(*args)`` and run the lines; the namespace holds the arguments."""
    ns: dict = {"np": np}
    names = []
    for i, a in enumerate(args):
        ns[f"a{i}"] = a
        names.append(f"a{i}")

    def const(obj):
        name = f"_k{len(ns)}"
        ns[name] = obj
        return name

    kw = {}
    for k, v in (kwargs or {}).items():
        ns[f"kw_{k}"] = v
        kw[k] = f"kw_{k}"
    lines = inline(fn, names, kw, "out", "_p_", const, depth)
    if lines is None:
        return None
    exec("\n".join(lines), ns)  # noqa: S102
    return ns["out"]


@pytest.mark.parametrize("mode", ["double", "scaled", "plain"])
def test_every_branch_of_an_early_returning_function_computes_what_the_call_does(module, mode):
    x = np.array([1.0, 4.0])
    np.testing.assert_array_equal(_run(module.branches, [np, x, mode]),
                                  module.branches(np, x, mode))
    np.testing.assert_array_equal(_run(module.branches, [np, x, mode], {"offset": 3}),
                                  module.branches(np, x, mode, offset=3))


def test_a_raise_in_the_body_raises_where_the_call_would(module):
    with pytest.raises(ValueError, match="no mode raise"):
        _run(module.branches, [np, np.ones(2), "raise"])


def test_a_plain_function_it_calls_is_copied_in_too(module):
    x = np.array([2.0])
    ns: dict = {"np": np, "x": x}

    def const(obj):
        ns[f"_k{len(ns)}"] = obj
        return f"_k{len(ns) - 1}"

    lines = inline(module.nested, ["np", "x"], {}, "out", "_p_", const)
    assert not any("branches(" in line for line in lines)  # its body, not a call to it
    exec("\n".join(lines), ns)  # noqa: S102
    np.testing.assert_array_equal(ns["out"], module.nested(np, x))


def test_arguments_are_evaluated_in_the_order_the_call_writes_them(module):
    x = np.array([1.0])
    expected = module.keywords_out_of_order(x)
    order = list(module.LOG)
    module.LOG.clear()
    np.testing.assert_array_equal(_run(module.keywords_out_of_order, [x]), expected)
    assert module.LOG == order == ["b", "a"]


def test_a_module_variable_is_read_when_the_line_runs(module):
    x = np.array([1.0])
    before = _run(module.branches, [np, x, "scaled"])
    module.SCALE = 10.0
    assert _run(module.branches, [np, x, "scaled"]) == module.branches(np, x, "scaled") != before


def test_loops_closures_and_decorated_functions_stay_calls(module):
    assert _run(module.looping, [1]) is None
    assert _run(module.counter(), [1]) is None
    assert _run(module.wrapped(module.looping), [1]) is None  # its source is another's


def test_a_function_whose_file_changed_since_it_was_loaded_stays_a_call(module):
    path = Path(module.__file__)
    # The same lines, another body: copying the file's text would run code that never loaded.
    path.write_text(path.read_text().replace("return z - 1", "return z + 1"))
    inline_module._parse.cache_clear()
    assert _run(module.nested, [np, np.ones(1)]) is None


def test_a_compiled_step_shows_and_runs_the_numpy_of_its_operations():
    momentum = {"optimizer": lambda params: sj.optim.SGD(params, lr=0.1, momentum=0.9)}
    model, _, fn = _setup(**momentum)
    twin_model, _, twin_fn = _setup(**momentum)
    step = sj.compile(fn)
    for seed in range(4):
        x, y = _batch(seed=seed)
        assert step(x, y).item() == twin_fn(x, y).item()
    for a, b in zip(model.parameters(), twin_model.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    assert ".tanh(" in step.code  # the operation's own array call, not a call to it
    assert "momentum_buffer" in step.code  # SGD's update rule, copied in


def test_a_plain_function_patched_after_the_trace_is_called_as_patched(module, monkeypatch):
    # The copied body of branches() stands behind a check that the name still holds it.
    x = np.array([2.0])
    ns: dict = {"np": np, "x": x}

    def const(obj):
        ns[f"_k{len(ns)}"] = obj
        return f"_k{len(ns) - 1}"

    code = "\n".join(inline(module.nested, ["np", "x"], {}, "out", "_p_", const))
    exec(code, ns)  # noqa: S102
    assert ns["out"] == module.nested(np, x)
    monkeypatch.setattr(module, "branches", lambda xp, x, mode: x * 0)
    exec(code, ns)  # noqa: S102
    assert ns["out"] == module.nested(np, x) == -1.0


def test_functions_that_read_their_frame_stay_calls():
    def reads_locals(a, *, scale):
        kw = locals()
        return a * kw["scale"]

    @sj.compile
    def f(x):
        return sj.Tensor._make(tracing.kernel(reads_locals, x._data, scale=3.0, name="scale"))

    for _ in range(2):
        assert f(sj.ones(2)).tolist() == [3.0, 3.0]
    assert "locals()" not in f.code


def test_kernels_that_are_callable_objects_or_closures_stay_calls_and_are_not_kept():
    @dataclasses.dataclass
    class Scale:  # eq=True: unhashable, so it must never reach a cache
        k: float

        def __call__(self, a):
            return a * self.k

    def compiled_and_its_array():
        big = np.ones(1000).view(_Big)

        @sj.compile
        def f(x):
            y = tracing.kernel(Scale(2.0), x._data, name="scale")
            return sj.Tensor._make(tracing.kernel(lambda a: a + big[:3], y, name="shift"))

        return f, weakref.ref(big)

    f, ref = compiled_and_its_array()
    for _ in range(2):
        assert f(sj.ones(3)).tolist() == [3.0, 3.0, 3.0]
    del f
    gc.collect()
    assert ref() is None  # the closure's array went with the compiled function


class _Big(np.ndarray):
    """An ndarray that a weak reference can follow."""
