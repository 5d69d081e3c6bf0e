"""gradcheck and gradgradcheck catch wrong gradients and say where."""

import pytest

import shenjing as sj


class WrongTranspose(sj.autograd.Function):
    """y = x @ W with a backward that forgets to transpose."""

    def forward(self, x, w):
        self.save_for_backward(x, w)
        return x @ w

    def backward(self, gy):
        x, w = self.saved_tensors
        return gy @ w, x.T @ gy  # should be gy @ w.T


class SquareWithFrozenDerivative(sj.autograd.Function):
    """Right first derivative (2x), wrong second (0): the derivative is built from a constant."""

    def forward(self, x):
        self.save_for_backward(x)
        return x * x

    def backward(self, gy):
        (x,) = self.saved_tensors
        return 2 * x.detach() * gy


def test_accepts_a_correct_function():
    x = sj.randn(3, 4, requires_grad=True)
    w = sj.randn(4, 2, requires_grad=True)
    assert sj.autograd.gradcheck(lambda x, w: (x @ w).tanh(), [x, w])


def test_names_the_input_and_the_worst_element():
    x = sj.randn(3, 3, requires_grad=True)
    w = sj.randn(3, 3, requires_grad=True)
    where = r"input 0 \(shape \(3, 3\)\) is wrong at index \(\d, \d\).*analytical"
    with pytest.raises(sj.autograd.GradcheckError, match=where):
        sj.autograd.gradcheck(WrongTranspose.apply, [x, w])
    assert not sj.autograd.gradcheck(WrongTranspose.apply, [x, w], raise_exception=False)


def test_checks_in_float64_whatever_the_input_dtype():
    x = sj.randn(5, requires_grad=True)  # float32
    assert sj.autograd.gradcheck(lambda x: x.exp().sum(), [x], atol=1e-7, rtol=1e-6)


def test_gradgradcheck_catches_a_wrong_second_derivative():
    x = sj.randn(4, requires_grad=True)
    assert sj.autograd.gradcheck(SquareWithFrozenDerivative.apply, [x])
    with pytest.raises(sj.autograd.GradcheckError):
        sj.autograd.gradgradcheck(SquareWithFrozenDerivative.apply, [x])
    assert sj.autograd.gradgradcheck(lambda x: x * x, [x])


def test_needs_a_differentiable_input():
    with pytest.raises(ValueError, match="no input requires grad"):
        sj.autograd.gradcheck(lambda x: x * 2, [sj.ones(2)])


def test_detects_a_wrongly_detached_output():
    x = sj.randn(3, requires_grad=True)
    with pytest.raises(sj.autograd.GradcheckError):
        sj.autograd.gradcheck(lambda x: x.detach() * 2, [x])
