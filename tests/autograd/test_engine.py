"""Graph mechanics: order, accumulation, freeing, depth, memory, errors."""

import gc
import tracemalloc
import weakref

import numpy as np
import pytest
import torch

import shenjing as sj


def both(values, dtype=np.float64):
    """The same leaf in shenjing and in PyTorch."""
    array = np.asarray(values, dtype=dtype)
    return sj.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)


def test_shared_subexpressions_accumulate_like_torch():
    def f(m, x):
        y = x * x  # used three times below
        z = y + y * y + m.exp(y).sum()
        w = z * y
        return (w + z).sum()

    x, xt = both([[0.5, -1.0, 0.3], [0.1, 0.2, -0.4]])
    f(sj, x).backward()
    f(torch, xt).backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-12)


def test_each_node_runs_once():
    calls = []

    class Counted(sj.autograd.Function):
        def forward(self, x):
            return x * 1.0

        def backward(self, gy):
            calls.append(1)
            return gy

    x = sj.ones(3, requires_grad=True)
    y = Counted.apply(x)
    (y + y * 2 + y.exp()).sum().backward()
    assert len(calls) == 1
    np.testing.assert_allclose(x.grad.numpy(), 3 + np.e)


def test_gradients_accumulate_across_backward_calls():
    x, xt = both([1.0, 2.0, 3.0])
    for _ in range(3):
        (x * x).sum().backward()
        (xt * xt).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy())
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 12.0, 18.0])


def test_leaves_never_share_a_gradient_array():
    a = sj.ones(3, requires_grad=True)
    b = sj.ones(3, requires_grad=True)
    (a + b).sum().backward()  # Add passes one gradient to both inputs
    with sj.no_grad():
        a.grad.zero_()
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0, 1.0])


def test_graph_is_freed_and_second_backward_raises():
    x = sj.ones(3, requires_grad=True)
    y = (x.exp() * 2).sum()
    node = y.grad_fn
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()
    assert node.next_functions[0][0]._saved is None  # MulBackward's saved tensors were freed


def test_retain_graph_allows_a_second_backward():
    x = sj.ones(3, requires_grad=True)
    y = (x.exp() * 2).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 4 * np.e * np.ones(3), rtol=1e-6)


def test_deep_chain_does_not_recurse():
    x = sj.tensor(1.0, dtype=sj.float64, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.backward()
    assert x.grad.item() == pytest.approx(1.0001**10_000, rel=1e-9)
    del y  # dropping a deep graph must not overflow the stack either


def test_non_scalar_backward_needs_a_gradient():
    x = sj.ones(2, 3, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"scalar outputs.*\(2, 3\)"):
        y.backward()
    y.backward(sj.full((2, 3), 0.5))
    np.testing.assert_allclose(x.grad.numpy(), np.ones((2, 3)))
    with pytest.raises(sj.ShapeError, match=r"\(3,\).*\(2, 3\)"):
        (x * 2).backward(sj.ones(3))


def test_backward_of_a_constant_says_why():
    with pytest.raises(RuntimeError, match="does not require grad"):
        (sj.ones(3) * 2).sum().backward()


def test_non_leaf_grad_is_kept_only_when_asked():
    x, xt = both([1.0, -2.0])
    h, ht = x * 3, xt * 3
    h.retain_grad()
    ht.retain_grad()
    y, yt = (h * h).sum(), (ht * ht).sum()
    y.backward()
    yt.backward()
    np.testing.assert_allclose(h.grad.numpy(), ht.grad.numpy())
    assert y.grad is None and h.retains_grad and not y.retains_grad


def test_grad_returns_without_touching_leaves():
    x = sj.tensor([1.0, 2.0], requires_grad=True)
    w = sj.tensor([3.0, 4.0], requires_grad=True)
    (gx,) = sj.autograd.grad((x * w).sum(), x)
    np.testing.assert_allclose(gx.numpy(), [3.0, 4.0])
    assert x.grad is None and w.grad is None


def test_grad_of_an_intermediate_tensor():
    x = sj.tensor([1.0, 2.0], requires_grad=True)
    h = x * x
    (gh,) = sj.autograd.grad((h * 5).sum(), h)
    np.testing.assert_allclose(gh.numpy(), [5.0, 5.0])


def test_grad_unused_input():
    x = sj.ones(2, requires_grad=True)
    unused = sj.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="input 1.*not used"):
        sj.autograd.grad(x.sum(), [x, unused])
    gx, gu = sj.autograd.grad(x.sum(), [x, unused], allow_unused=True)
    assert gu is None and gx is not None


def test_gradient_takes_the_input_dtype():
    w = sj.ones(3, requires_grad=True)  # float32
    x = sj.ones(3, dtype=sj.float64)
    (w * x).sum().backward()
    assert w.grad.dtype == sj.float32


def test_a_training_loop_keeps_memory_flat():
    """No cycles, nothing kept: memory after step 200 equals memory after step 20."""
    sj.manual_seed(0)
    w1 = (sj.randn(64, 32) * 0.1).requires_grad_()
    w2 = (sj.randn(32, 1) * 0.1).requires_grad_()
    x, target = sj.randn(128, 64), sj.randn(128, 1)

    def step():
        h = (x @ w1).tanh()
        loss = ((h @ w2 - target) ** 2).mean()
        loss.backward()
        with sj.no_grad():
            for w in (w1, w2):
                w -= 0.01 * w.grad
                w.grad = None
        return weakref.ref(h)

    def memory_after(steps: int) -> int:
        for _ in range(steps):
            assert step()() is None  # the activation died with its graph, without a collection
        # No reference cycles: the collector finds nothing (it only empties free lists).
        assert gc.collect() == 0, "backward left reference cycles behind"
        return tracemalloc.get_traced_memory()[0]

    gc.collect()
    gc.disable()
    tracemalloc.start()
    try:
        after_20 = memory_after(20)
        after_200 = memory_after(180)
    finally:
        tracemalloc.stop()
        gc.enable()
    assert after_200 - after_20 < 16 * 1024, (after_20, after_200)


def test_broadcasting_error_names_op_and_shapes():
    with pytest.raises(sj.ShapeError, match=r"add: cannot broadcast shapes \(2, 3\) and \(4,\)"):
        sj.ones(2, 3) + sj.ones(4)
    with pytest.raises(sj.ShapeError, match=r"mul: .*\(2, 3\) and \(2,\)"):
        sj.ones(2, 3) * sj.ones(2)


def test_matmul_error_names_shapes():
    with pytest.raises(sj.ShapeError, match=r"matmul: shapes \(2, 3\) and \(4, 5\).*3 != 4"):
        sj.ones(2, 3) @ sj.ones(4, 5)
    with pytest.raises(sj.ShapeError, match=r"matmul: cannot broadcast shapes \(2,\) and \(3,\)"):
        sj.ones(2, 1, 3) @ sj.ones(3, 3, 1)


def test_numpy_errors_are_reported_with_the_op():
    with pytest.raises(IndexError, match=r"dim 2 is out of range.*2 dims"):
        sj.ones(2, 3).sum(dim=2)
    with pytest.raises(sj.ShapeError, match=r"reshape: shape \(4,\) is invalid.*\(2, 3\)"):
        sj.ones(2, 3).reshape(4)
    with pytest.raises(sj.ShapeError, match=r"cat: .*tensor 1 has shape \(2, 4\)"):
        sj.cat([sj.ones(2, 3), sj.ones(2, 4)])
