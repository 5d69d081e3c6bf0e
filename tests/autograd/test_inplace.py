"""In-place changes: the version counter detects a tensor changed after backward saved it."""

import numpy as np
import pytest
import torch

import shenjing as sj


def test_modifying_a_saved_tensor_is_detected():
    w = sj.ones(3, requires_grad=True)
    c = sj.full((3,), 2.0)
    y = (w * c).sum()  # Mul saves c
    c.add_(1)
    with pytest.raises(RuntimeError, match=r"MulBackward.*modified in place.*version 1.*0"):
        y.backward()


def test_modifying_a_view_of_a_saved_tensor_is_detected():
    w = sj.ones(2, 3, requires_grad=True)
    c = sj.ones(2, 3)
    y = (w * c).sum()
    row = c[0]  # a view shares the version counter
    row.mul_(5)
    assert c._version == 1
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


def test_modifying_a_saved_output_is_detected():
    x = sj.ones(3, requires_grad=True)
    y = x.exp()  # Exp saves its output
    with sj.no_grad():
        y.mul_(2)
    with pytest.raises(RuntimeError, match="ExpBackward.*modified in place"):
        y.sum().backward()


def test_unrelated_changes_are_fine():
    w = sj.ones(3, requires_grad=True)
    c = sj.full((3,), 2.0)
    y = (w + c).sum()  # Add saves nothing
    c.add_(1)
    y.backward()
    np.testing.assert_array_equal(w.grad.numpy(), [1.0, 1.0, 1.0])


def test_leaf_that_requires_grad_changes_only_under_no_grad():
    w = sj.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad.*no_grad"):
        w.add_(1)
    with sj.no_grad():
        w.add_(1)
        w[0] = 5.0
    np.testing.assert_array_equal(w.detach().numpy(), [5.0, 2.0, 2.0])


def test_recorded_tensors_cannot_change_in_place():
    w = sj.ones(3, requires_grad=True)
    h = w * 2
    with pytest.raises(RuntimeError, match="in-place operations on tensors recorded"):
        h.mul_(2)
    with pytest.raises(RuntimeError, match="in-place"):
        h[0] = 1.0


def test_augmented_assignment_stays_correct_in_a_graph():
    """`h += x` in model code falls back to out of place when a graph is recorded."""
    x = sj.tensor([1.0, 2.0], requires_grad=True)
    xt = torch.tensor([1.0, 2.0], requires_grad=True)
    h, ht = x * 3, xt * 3
    h += x * x
    ht += xt * xt
    h *= 2
    ht *= 2
    h.sum().backward()
    ht.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy())


def test_augmented_assignment_is_in_place_without_a_graph():
    a = sj.ones(3)
    alias = a
    a += 1
    assert alias is a and a._version == 1
    np.testing.assert_array_equal(alias.numpy(), [2.0, 2.0, 2.0])


def test_inplace_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"add_.*\(3,\).*\(4,\)"):
        sj.ones(3).add_(sj.ones(4))
    with pytest.raises(ValueError, match=r"copy_.*\(4,\).*\(3,\)"):
        sj.ones(3).copy_(sj.ones(4))


def test_inplace_fills():
    x = sj.empty(2, 2)
    x.fill_(3.0)
    np.testing.assert_array_equal(x.numpy(), np.full((2, 2), 3.0))
    x.zero_()
    assert not x.numpy().any()
    x.copy_(sj.tensor([1.0, 2.0]))
    np.testing.assert_array_equal(x.numpy(), [[1.0, 2.0], [1.0, 2.0]])
    x.clamp_(min=1.5)
    np.testing.assert_array_equal(x.numpy(), [[1.5, 2.0], [1.5, 2.0]])
    sj.manual_seed(3)
    x.uniform_(-1, 1)
    assert ((x.numpy() >= -1) & (x.numpy() < 1)).all()
    x.normal_(0, 1e-3)
    assert np.abs(x.numpy()).max() < 0.01
    assert x._version == 6
