"""Lesson 004 (the 2-6-4 quadrant network, backpropagation by hand): its exercise checks accept
the right answers, computed here independently with PyTorch and plain arithmetic, and reject
wrong ones (off by a little, the usual mistakes, wrong type, wrong shape) in both languages."""

import math

import numpy
import pytest
import torch

import shenjing as sj
from tests.lessons import harness

NOTE = "004"
LANGUAGES = harness.LANGUAGES


# Exercise 1: the cross-entropy of the scores (2.0, 1.0, 0.1, -1.0) for true class 2.
LOGITS = torch.tensor([[2.0, 1.0, 0.1, -1.0]], dtype=torch.float64)


def loss_for(target):
    return torch.nn.functional.cross_entropy(LOGITS, torch.tensor([target])).item()


@pytest.mark.parametrize("language", LANGUAGES)
def test_exercise_1_accepts_the_loss(language):
    expected = loss_for(2)
    assert expected == pytest.approx(-math.log(math.exp(0.1) / sum(
        math.exp(z) for z in (2.0, 1.0, 0.1, -1.0))))
    harness.accepts(NOTE, language, 1, expected)
    harness.accepts(NOTE, language, 1, numpy.float32(expected))
    harness.accepts(NOTE, language, 1, sj.tensor(expected))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("wrong", [
    loss_for(2) + 0.01,                 # off by a little
    -loss_for(2),                       # the minus sign forgotten
    math.exp(-loss_for(2)),             # the probability, not its -log
    loss_for(0),                        # the wrong class
    math.log(4),                        # a uniform guess
    "2.349",                            # wrong type
    [loss_for(2)],                      # a list
    sj.tensor([loss_for(2)] * 4),       # wrong shape
])
def test_exercise_1_rejects(language, wrong):
    harness.rejects(NOTE, language, 1, wrong)


# Exercise 2: dL/dWa of the mean cross-entropy of the 2-6-4 tanh network on the data the lesson
# gives; the reference is PyTorch's autograd on the same numbers.
def exercise_2_torch(language):
    namespace = harness.checkers(NOTE, language)
    X, y, Wa, b1, Wb, b2 = (torch.tensor(t.numpy()) for t in namespace["exercise_2_data"]())
    Wa.requires_grad_(True)
    loss = torch.nn.functional.cross_entropy(torch.tanh(X @ Wa + b1) @ Wb + b2, y)
    (gWa,) = torch.autograd.grad(loss, [Wa])
    # the same gradient without the tanh derivative, a usual mistake
    H = torch.tanh(X @ Wa + b1).detach()
    dZ = (torch.softmax(H @ Wb + b2, dim=1) - torch.nn.functional.one_hot(y, 4)) / len(y)
    no_tanh = X.T @ (dZ @ Wb.T)
    return gWa.numpy(), no_tanh.numpy(), len(y)


@pytest.mark.parametrize("language", LANGUAGES)
def test_exercise_2_accepts_the_gradient(language):
    expected, _, _ = exercise_2_torch(language)
    harness.accepts(NOTE, language, 2, sj.tensor(expected))
    harness.accepts(NOTE, language, 2, sj.tensor(expected.astype(numpy.float64)))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("mistake", ["little", "times_n", "no_tanh", "transposed", "zeros",
                                     "numpy", "list", "flat"])
def test_exercise_2_rejects(language, mistake):
    expected, no_tanh, n = exercise_2_torch(language)
    wrong = {
        "little": sj.tensor(expected + 1e-2),
        "times_n": sj.tensor(expected * n),
        "no_tanh": sj.tensor(no_tanh),
        "transposed": sj.tensor(expected.T.copy()),
        "zeros": sj.zeros(2, 6),
        "numpy": expected,
        "list": expected.tolist(),
        "flat": sj.tensor(expected.reshape(-1)),
    }[mistake]
    harness.rejects(NOTE, language, 2, wrong)


# Exercise 3: parameter updates in one epoch of 1000 points: BGD, SGD, mini-batches of 32.
@pytest.mark.parametrize("language", LANGUAGES)
def test_exercise_3_accepts_the_counts(language):
    expected = (1, 1000, math.ceil(1000 / 32))
    harness.accepts(NOTE, language, 3, expected)
    harness.accepts(NOTE, language, 3, list(expected))
    harness.accepts(NOTE, language, 3, tuple(numpy.int64(v) for v in expected))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("wrong", [
    (1, 1000, 31),              # the last, smaller batch forgotten
    (1, 1000, 33),              # off by one the other way
    (1000, 1, 32),              # BGD and SGD swapped
    (1, 1, 32),
    (1, 1000, 1000 / 32),       # not whole batches
    (1.0, 1000.0, 32.0),        # floats
    (True, 1000, 32),           # a bool is not a count
    (1, 1000),                  # two numbers
    32,                         # one number
    "1, 1000, 32",              # a string
])
def test_exercise_3_rejects(language, wrong):
    harness.rejects(NOTE, language, 3, wrong)
