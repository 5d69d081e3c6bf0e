"""Lesson 001 (neurons, activations, backpropagation): each exercise's check rejects wrong answers
(off by a little, of the wrong type, of the wrong shape) and accepts the right one, computed here
independently with PyTorch, in both languages."""


import numpy as np
import pytest
import torch

import shenjing as sj
from tests.lessons import harness

NOTE = "001"


def right_1():
    """df/dw for f = sigmoid(w x + b) at x = 2, w = -1, b = 0.5, by torch."""
    w = torch.tensor(-1.0, dtype=torch.float64, requires_grad=True)
    torch.sigmoid(w * 2.0 + 0.5).backward()
    return w.grad.item()


def right_2(language):
    """delta(1) = dL/dz1 of the exercise's network, by torch from the same numbers."""
    x, W1, b1, W2, b2, target = (
        torch.from_numpy(v.numpy()) if isinstance(v, sj.Tensor) else v
        for v in harness.checkers(NOTE, language)["exercise_2_network"]())
    z1 = (W1 @ x + b1).requires_grad_()
    z2 = W2 @ torch.sigmoid(z1) + b2
    torch.nn.functional.cross_entropy(z2.reshape(1, 2), torch.tensor([target])).backward()
    return z1.grad.numpy()


def right_3():
    """The smallest n with d h_n / d x < 1e-6 for h_0 = x = 1, h_k = sigmoid(h_{k-1}), by torch."""
    for n in range(1, 100):
        x = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
        h = x
        for _ in range(n):
            h = torch.sigmoid(h)
        h.backward()
        if x.grad.item() < 1e-6:
            return n
    raise AssertionError("no depth below 100")


@pytest.mark.parametrize("language", harness.LANGUAGES)
def test_exercise_1(language):
    right = right_1()
    for wrong in (right * 1.01, right + 1e-3, -right, right / 2.0,  # chain rule without x
                  "0.298", [right], sj.tensor([right, right]), True):
        harness.rejects(NOTE, language, 1, wrong)
    for answer in (right, np.float64(right), sj.tensor(right), round(right, 6)):
        harness.accepts(NOTE, language, 1, answer)


@pytest.mark.parametrize("language", harness.LANGUAGES)
def test_exercise_2(language):
    right = right_2(language)
    wrong_values = [right * 1.01, right + 1e-3, -right, right[::-1].copy()]
    for wrong in wrong_values:
        harness.rejects(NOTE, language, 2, sj.tensor(wrong))
    harness.rejects(NOTE, language, 2, right.tolist())  # a list, not a tensor
    harness.rejects(NOTE, language, 2, right)  # a NumPy array, not a tensor
    harness.rejects(NOTE, language, 2, sj.tensor(right).reshape(1, 4))  # wrong shape
    harness.rejects(NOTE, language, 2, sj.tensor(right).reshape(4, 1))
    harness.rejects(NOTE, language, 2, sj.tensor(np.concatenate([right, [0.0]])))
    harness.accepts(NOTE, language, 2, sj.tensor(right))
    harness.accepts(NOTE, language, 2, sj.tensor(right).float())  # float32 is close enough


@pytest.mark.parametrize("language", harness.LANGUAGES)
def test_exercise_3(language):
    right = right_3()
    for wrong in (right - 1, right + 1, 1, float(right), str(right), True, 0, -right):
        harness.rejects(NOTE, language, 3, wrong)
    harness.accepts(NOTE, language, 3, right)
    harness.accepts(NOTE, language, 3, np.int64(right))
