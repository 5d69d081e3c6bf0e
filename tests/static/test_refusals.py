"""Code that cannot be a static graph raises TraceError naming the line, never a wrong replay."""

from __future__ import annotations

import numpy as np
import pytest

import shenjing as sj
from shenjing.autograd.tensor import Tensor
from shenjing.static import TraceError


@pytest.fixture
def x():
    return sj.tensor(np.arange(6, dtype=np.float32).reshape(2, 3))


@pytest.mark.parametrize("read", [
    lambda t: t.sum().item(),
    lambda t: float(t.sum()),
    lambda t: int(t.sum()),
    lambda t: bool(t.sum() > 0),
    lambda t: t.numpy(),
    lambda t: t.tolist(),
    lambda t: np.asarray(t),
], ids=["item", "float", "int", "bool", "numpy", "tolist", "array"])
def test_reading_a_value_into_python_is_refused_with_the_line(x, read):
    @sj.compile
    def f(t):
        read(t)  # the line the error names
        return t * 2

    with pytest.raises(TraceError, match=r"test_refusals\.py:\d+ \(<lambda>\)"):
        f(x)


def test_python_control_flow_on_a_value_is_refused(x):
    @sj.compile
    def f(t):
        if t.sum() > 0:
            return t * 2
        return t

    with pytest.raises(TraceError, match="cannot be part of a static graph"):
        f(x)


def test_a_shape_that_depends_on_data_is_refused(x):
    @sj.compile
    def f(t):
        return t[t > 2] * 2

    with pytest.raises(TraceError, match="boolean mask"):
        f(x)


def test_raw_array_code_inside_the_step_is_refused(x):
    @sj.compile
    def f(t):
        doubled = Tensor._make(t._data * 2)  # computed outside shenjing's operations
        return doubled + 1

    with pytest.raises(TraceError, match="computed outside shenjing's operations"):
        f(x)


def test_changing_data_outside_the_graph_is_refused(x):
    w = sj.ones(3)

    @sj.compile
    def f(t):
        w.data = t[0]
        return t * 2

    with pytest.raises(TraceError, match="data"):
        f(x)


def test_a_forward_whose_backward_is_left_outside_is_refused(x):
    net = sj.nn.Linear(3, 1)
    forward = sj.compile(net)
    with pytest.raises(TraceError, match="backward pass is not part"):
        forward(x)
    with sj.no_grad():
        assert forward(x).shape == (2, 1)


def test_raw_arrays_as_arguments_are_refused():
    f = sj.compile(lambda t: t * 2)
    with pytest.raises(TypeError, match="pass tensors"):
        f(np.ones(3))


def test_nesting_compiled_functions_is_refused(x):
    inner = sj.compile(lambda t: t * 2)
    outer = sj.compile(lambda t: inner(t) + 1)
    with pytest.raises(TraceError, match="nesting"):
        outer(x)


def test_changing_a_constant_made_inside_the_step_is_refused(x):
    @sj.compile
    def f(t):
        c = sj.tensor([1.0, 2.0, 3.0])
        c.add_(1.0)
        return t * c

    with pytest.raises(TraceError, match="changes in place a tensor made from data"):
        f(x)


def test_tensors_made_inside_the_step_are_made_and_drawn_anew_on_every_replay(x):
    @sj.compile
    def f(t):
        acc = sj.zeros(2, 3)
        acc += t  # in place: a baked constant would grow with every replay
        return acc + sj.randn(2, 3) * 0

    first, second = f(x), f(x)
    np.testing.assert_array_equal(first.numpy(), x.numpy())
    np.testing.assert_array_equal(second.numpy(), x.numpy())

    @sj.compile
    def noise(t):
        return t + sj.randn(2, 3)

    a, b = noise(x), noise(x)
    assert not np.array_equal(a.numpy(), b.numpy())
    sj.manual_seed(3)
    replayed = noise(x).numpy()
    sj.manual_seed(3)
    np.testing.assert_array_equal(replayed, (x + sj.randn(2, 3)).numpy())


def test_a_module_with_forward_hooks_is_refused(x):
    net = sj.nn.Linear(3, 2)
    seen = []
    net.register_forward_hook(lambda module, args, out: seen.append(out))
    forward = sj.compile(net)
    with sj.no_grad(), pytest.raises(TraceError, match="forward hook on Linear"):
        forward(x)


@pytest.mark.parametrize("make", [
    lambda t: sj.tensor(t) * 2,
    lambda t: sj.full((2, 3), t.mean()),
    lambda t: sj.nn.functional.cross_entropy(t, sj.tensor([0, 1]), ignore_index=-1) * 0
    + sj.autograd.grad(sj.nn.functional.cross_entropy(t, sj.tensor([0, 1])), t,
                       create_graph=True)[0].sum(),
], ids=["tensor-of-tensor", "full-of-tensor", "cross-entropy-create-graph"])
def test_copies_of_this_steps_values_into_constants_are_refused(x, make):
    f = sj.compile(lambda t: make(t).detach())
    with pytest.raises(TraceError):
        f(x.requires_grad_())


def test_a_step_that_reads_gradients_computed_before_it_is_refused():
    net = sj.nn.Linear(3, 1)
    opt = sj.optim.SGD(net.parameters(), lr=0.1)
    step = sj.compile(opt.step)
    net(sj.ones(2, 3)).sum().backward()  # outside the compiled function
    with pytest.raises(TraceError, match="gradient computed outside the compiled function"):
        step()


@pytest.mark.parametrize("replayed_before", [False, True])
def test_an_operation_on_last_steps_grad_is_refused(replayed_before):
    # Read before this step's backward, .grad is the last step's: a replay would read that
    # tensor again. (After a replay .grad is a bare array, wrapped when read; same refusal.)
    net = sj.nn.Linear(4, 1)
    opt = sj.optim.SGD(net.parameters(), lr=0.1)

    def step(x, norm_of_last):
        last = (net.weight.grad * net.weight.grad).sum() if norm_of_last else None  # named
        opt.zero_grad()
        loss = net(x).sum()
        loss.backward()
        opt.step()
        return loss, last

    compiled = sj.compile(step)
    compiled(sj.ones(2, 4), False)
    if replayed_before:
        compiled(sj.ones(2, 4), False)
    with pytest.raises(TraceError, match=r"test_refusals.py:\d+ .*reads a .grad of shape \(1, 4\)"):
        compiled(sj.ones(2, 4), True)


def test_keeping_a_tensor_on_a_module_is_refused(x):
    class Carry(sj.nn.Module):
        def forward(self, t):
            self.hidden = t.detach()  # PyTorch's word-LM habit: state kept on the module
            return t * 2

    with sj.no_grad(), pytest.raises(TraceError, match="keeping a tensor on Carry.hidden"):
        sj.compile(Carry())(x)


def test_gradients_into_an_input_are_refused_with_what_to_do(x):
    @sj.compile
    def f(t):
        (t * t).sum().backward()
        return t.grad.detach()

    with pytest.raises(TraceError, match="sj.autograd.grad instead"):
        f(x.requires_grad_())


def test_an_error_during_a_replay_names_the_recorded_call_and_line():
    net = sj.nn.Linear(3, 4)

    @sj.compile
    def f(t, y):
        return sj.nn.functional.cross_entropy(net(t), y).detach()

    with sj.no_grad():
        f(sj.ones(2, 3), sj.tensor([0, 1]))
        with pytest.raises(IndexError, match="target 9 is out of bounds") as info:
            f(sj.ones(2, 3), sj.tensor([0, 9]))
    assert any("recorded at" in note and "test_refusals.py" in note
               for note in info.value.__notes__)


@pytest.mark.parametrize("seed", [
    lambda: sj.manual_seed(0),
    lambda: sj.Generator().manual_seed(0),
    lambda: sj.Generator().seed(),
], ids=["manual_seed", "generator", "generator-entropy"])
def test_seeding_inside_a_step_is_refused(x, seed):
    @sj.compile
    def f(t):
        seed()  # a replay would not seed again: eager's numbers would repeat, a replay's not
        return t + sj.randn(3)

    with pytest.raises(TraceError, match=r"seed"):
        f(x)
    sj.manual_seed(0)  # outside a trace, seeding is as usual
