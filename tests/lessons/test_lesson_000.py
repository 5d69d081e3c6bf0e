"""Lesson 000 (the fully connected network): its exercise checks accept the right answer,
computed here independently with PyTorch or plain arithmetic, and reject wrong ones."""

import math

import numpy as np
import pytest
import torch

import shenjing as sj
from tests.lessons import harness

NOTE = "000"

X1 = [1.0, 2.0, -1.0, 0.5, 0.0, 3.0]
W1 = [0.2, -0.4, 0.1, 0.6, 1.0, -0.1]
B1 = 0.5
SCORES2 = [3.0, 1.0, 0.2, -2.0]


def neuron_output() -> float:
    z = torch.dot(torch.tensor(W1), torch.tensor(X1)) + B1
    return torch.sigmoid(z).item()


def softmax_of_scores() -> np.ndarray:
    return torch.softmax(torch.tensor(SCORES2, dtype=torch.float64), dim=0).numpy()


def descent(steps: int, eta: float = 0.1, sign: float = -1.0) -> float:
    w = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    for _ in range(steps):
        ((w - 3) ** 2).backward()
        with torch.no_grad():
            w += sign * eta * w.grad
        w.grad = None
    return w.item()


def right_answer(number: int):
    if number == 1:
        return neuron_output()
    if number == 2:
        return sj.tensor(softmax_of_scores())
    return descent(3)


def wrong_answers(number: int) -> list:
    if number == 1:
        z = sum(w * x for w, x in zip(W1, X1)) + B1
        a = neuron_output()
        return [z, 1 / (1 + math.exp(z)), 1 / (1 + math.exp(-(z - B1))), a + 1e-2, a * 1.01,
                "0.45", [a], sj.tensor([a, a]), True]
    if number == 2:
        p = softmax_of_scores()
        e = np.exp(SCORES2)
        return [sj.tensor(e), sj.tensor(p + 0.01), sj.tensor(p[::-1].copy()),
                sj.tensor(p[:3].copy()), sj.tensor(p.reshape(1, 4)), p, p.tolist(),
                sj.tensor(1 / (1 + np.exp(-np.array(SCORES2)))), float(p[0])]
    right = descent(3)
    return [descent(3, sign=+1.0), descent(2), descent(4), 3.0, right + 0.01, right * 1.01,
            sj.tensor([right, right]), str(right), [right]]


@pytest.mark.parametrize("language", harness.LANGUAGES)
@pytest.mark.parametrize("number", [1, 2, 3])
def test_the_right_answer_passes(language, number):
    harness.accepts(NOTE, language, number, right_answer(number))


@pytest.mark.parametrize("language", harness.LANGUAGES)
@pytest.mark.parametrize("number", [1, 2, 3])
def test_wrong_answers_are_rejected(language, number):
    for wrong in wrong_answers(number):
        harness.rejects(NOTE, language, number, wrong)


@pytest.mark.parametrize("language", harness.LANGUAGES)
def test_answers_as_tensors_and_numpy_numbers_are_accepted(language):
    # a 0-d tensor where a float is asked, a NumPy float, and a float64 tensor for softmax
    harness.accepts(NOTE, language, 1, sj.tensor(neuron_output()))
    harness.accepts(NOTE, language, 3, np.float64(descent(3)))
    harness.accepts(NOTE, language, 2, sj.tensor(softmax_of_scores(), dtype=sj.float64))


@pytest.mark.parametrize("language", harness.LANGUAGES)
def test_the_exercise_data_is_what_the_test_assumes(language):
    namespace = harness.checkers(NOTE, language)
    x, w, b = namespace["exercise_1_data"]()
    assert x.tolist() == X1 and np.allclose(w.tolist(), W1) and b.item() == B1


@pytest.mark.parametrize("language", harness.LANGUAGES)
def test_an_unanswered_exercise_says_so(language):
    for number in (1, 2, 3):
        assert harness.run_check(NOTE, language, number, None).strip()
