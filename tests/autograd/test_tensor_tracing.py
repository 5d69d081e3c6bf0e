"""The core tensor while a step is traced: value reads refuse, in-place changes are recorded."""

import operator
import re

import numpy as np
import pytest

import shenjing as sj
from shenjing.autograd import tracing


@pytest.fixture
def trace():
    recording = tracing.Trace()
    tracing.start(recording)
    try:
        yield recording
    finally:
        tracing.stop()


@pytest.mark.parametrize("read, what", [
    (lambda x: x.item(), "x.item()"),
    (lambda x: x.tolist(), "x.tolist()"),
    (lambda x: x.numpy(), "x.numpy()"),
    (np.asarray, "numpy.asarray(x)"),
    (bool, "bool(x)"),
    (float, "float(x)"),
    (int, "int(x)"),
    (operator.index, "x used as an index"),
], ids=["item", "tolist", "numpy", "array", "bool", "float", "int", "index"])
def test_reading_a_value_refuses_while_tracing(read, what):
    x = sj.tensor([3])
    assert read(x) is not None  # works when nothing is traced
    message = rf"sj\.compile: {re.escape(what)} at .*test_tensor_tracing.py.*bake"
    with pytest.raises(tracing.TraceError, match=message):
        tracing.start(tracing.Trace())
        try:
            read(x)
        finally:
            tracing.stop()


def test_setting_data_refuses_while_tracing(trace):
    x = sj.zeros(2)
    with pytest.raises(tracing.TraceError, match="setting x.data.*outside the graph"):
        x.data = sj.ones(2)


@pytest.mark.parametrize("change, name", [
    (lambda x: x.add_(sj.ones(3), alpha=2), "add_"),
    (lambda x: x.sub_(1), "sub_"),
    (lambda x: x.mul_(sj.full((3,), 2.0)), "mul_"),
    (lambda x: x.div_(2), "div_"),
    (lambda x: x.copy_(sj.arange(3)), "copy_"),
    (lambda x: x.fill_(4), "fill_"),
    (lambda x: x.zero_(), "fill_"),
    (lambda x: x.clamp_(0, 1), "clamp_"),
    (lambda x: x.uniform_(), "uniform_"),
    (lambda x: x.normal_(), "normal_"),
    (lambda x: x.__setitem__(slice(1, None), 7.0), "setitem"),
], ids=["add_", "sub_", "mul_", "div_", "copy_", "fill_", "zero_", "clamp_", "uniform_",
        "normal_", "setitem"])
def test_inplace_changes_are_recorded_as_kernels(change, name):
    x = sj.ones(3)  # made before the trace: state to it
    tracing.start(trace := tracing.Trace())
    try:
        change(x)
    finally:
        tracing.stop()
    call = trace.calls[-1]
    assert (call.kind, call.name) == ("kernel", name)
    assert call.mutates is call.args[0] and call.mutates.kind == "state"
    assert x._version == 1  # the version counter is bumped outside the kernel


def test_a_replayed_kernel_repeats_the_change():
    x = sj.ones(3)
    tracing.start(trace := tracing.Trace())
    try:
        x.add_(sj.arange(3.0), alpha=2)
    finally:
        tracing.stop()
    np.testing.assert_array_equal(x.numpy(), [1, 3, 5])
    call = trace.calls[-1]
    array = np.ones(3, dtype=np.float32)
    call.target(array, np.arange(3.0, dtype=np.float32), **call.params)
    np.testing.assert_array_equal(array, [1, 3, 5])


@pytest.mark.parametrize("fill", [lambda x: x.uniform_(), lambda x: x.normal_()],
                         ids=["uniform_", "normal_"])
def test_random_kernels_draw_fresh_numbers_on_every_replay(trace, fill):
    fill(sj.empty(5))
    call = trace.calls[-1]
    first, second = np.empty(5, np.float32), np.empty(5, np.float32)
    call.target(first, *call.args[1:], **call.params)
    call.target(second, *call.args[1:], **call.params)
    assert not np.array_equal(first, second)


def test_raw_array_work_of_methods_is_recorded(trace):
    x = sj.tensor([1.5, -2.0])
    x.long()
    assert trace.calls[-1].name == "to"
    (x > 0).all()  # an operation now (dim=, keepdim=), recorded as one
    assert trace.calls[-1].name == "all/any"


def test_tensors_made_by_the_constructor_are_noted_as_constants(trace):
    made = sj.tensor([1.0, 2.0])
    wrapped = sj.Tensor._make(np.ones(2))  # raw array code's tensor: it cannot be replayed
    assert trace.value_of_tensor(made).kind == "constant"
    with pytest.raises(tracing.TraceError, match="computed outside shenjing's operations"):
        trace.value_of_tensor(wrapped)


def test_errors_keep_their_messages_while_tracing(trace):
    x = sj.ones(3)
    with pytest.raises(ValueError, match=r"add_: cannot apply to a tensor of shape \(3,\)"):
        x.add_(sj.ones(4))
    with pytest.raises(ValueError, match=r"copy_: cannot copy a tensor of shape \(4,\) into one"):
        x.copy_(sj.ones(4))
    with pytest.raises(IndexError, match=r"setitem: .* \(tensor shape \(3,\), value shape"):
        x[5] = 1.0


def test_a_tensor_index_is_a_value_of_the_recorded_setitem(trace):
    x, index = sj.zeros(4), sj.tensor([0, 2])
    x[index] = 5.0
    call = trace.calls[-1]
    assert call.name == "setitem" and isinstance(call.args[1][0], tracing.Value)
    np.testing.assert_array_equal(x._data, [5, 0, 5, 0])  # x.tolist() would refuse
