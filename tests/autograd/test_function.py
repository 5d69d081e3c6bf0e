"""Writing operations: the Function API, multi-output nodes, and what happens when they err."""

import numpy as np
import pytest

import shenjing as sj


class MulAdd(sj.autograd.Function):
    """y = a * b + c, with a scalar parameter."""

    def forward(self, a, b, c, *, scale):
        self.scale = scale
        self.save_for_backward(a, b)
        return scale * a * b + c

    def backward(self, gy):
        a, b = self.saved_tensors
        ga = gy * b * self.scale if self.needs_input_grad[0] else None
        gb = gy * a * self.scale if self.needs_input_grad[1] else None
        return ga, gb, gy


class MinMax(sj.autograd.Function):
    """Two outputs: the row minimum and maximum."""

    def forward(self, x):
        self.save_for_backward(x)
        return x.min(axis=1), x.max(axis=1)

    def backward(self, g_min, g_max):
        (x,) = self.saved_tensors
        data = x.detach().numpy()
        lo = sj.tensor(data == data.min(axis=1, keepdims=True), dtype=x.dtype)
        hi = sj.tensor(data == data.max(axis=1, keepdims=True), dtype=x.dtype)
        return lo * g_min.unsqueeze(1) + hi * g_max.unsqueeze(1)


def test_custom_function_with_broadcasting_and_constants():
    a = sj.randn(2, 3, dtype=sj.float64, requires_grad=True)
    b = sj.randn(3, dtype=sj.float64, requires_grad=True)
    c = sj.randn(2, 1, dtype=sj.float64, requires_grad=True)
    assert sj.autograd.gradcheck(lambda a, b, c: MulAdd.apply(a, b, c, scale=2.0), [a, b, c])
    y = MulAdd.apply(a, b.detach(), 1.0, scale=3.0)
    assert y.grad_fn.needs_input_grad == (True, False, False)


def test_multi_output_function_with_one_output_used():
    x = sj.tensor([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]], requires_grad=True)
    lo, hi = MinMax.apply(x)
    hi.sum().backward()  # lo gets no gradient: the engine passes zeros for it
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1, 0], [0, 0, 1]])
    assert lo.grad_fn is hi.grad_fn and (lo._output_nr, hi._output_nr) == (0, 1)


def test_wrong_number_of_gradients_is_reported():
    class Broken(sj.autograd.Function):
        def forward(self, a, b):
            return a + b

        def backward(self, gy):
            return gy

    a, b = sj.ones(2, requires_grad=True), sj.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="BrokenBackward returned 1 gradients for 2 inputs"):
        Broken.apply(a, b).sum().backward()


def test_wrong_gradient_shape_is_reported():
    class Broken(sj.autograd.Function):
        def forward(self, x):
            return x.sum()

        def backward(self, gy):
            return sj.ones(5)

    x = sj.ones(2, 3, requires_grad=True)
    with pytest.raises(sj.ShapeError, match=r"BrokenBackward.*\(5,\).*\(2, 3\)"):
        Broken.apply(x).backward()


def test_graph_introspection():
    x = sj.ones(2, requires_grad=True)
    y = (x * 2).exp()
    assert y.grad_fn.name() == "ExpBackward"
    (mul, _), = y.grad_fn.next_functions
    assert mul.name() == "MulBackward"
    (acc, _), (none, _) = mul.next_functions
    assert isinstance(acc, sj.autograd.AccumulateGrad) and acc.variable() is x
    assert none is None


def test_non_differentiable_outputs():
    x = sj.randn(3, 4, requires_grad=True)
    assert not x.argmax().requires_grad and not (x > 0).requires_grad
    values, indices = x.max(dim=1)
    assert values.requires_grad and not indices.requires_grad and indices.dtype == sj.int64
