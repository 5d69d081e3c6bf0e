"""Lesson 002 (from k-nearest neighbours to Word2Vec): its exercise checks, in both languages,
reject wrong answers and accept the right one, computed here independently with PyTorch or by
hand."""

import numpy as np
import pytest
import torch

import shenjing as sj
from tests.lessons import harness

NOTE = "002"


def svm_loss_by_torch() -> float:
    # The note's L_i = sum_{j != y} max(0, s_j - s_y + 1); PyTorch's multi_margin_loss divides
    # that sum by the number of classes.
    scores, target = torch.tensor([[2.2, 2.5, -3.1]]), torch.tensor([2])
    return torch.nn.functional.multi_margin_loss(scores, target).item() * scores.shape[1]


def conv_shape_by_torch() -> tuple:
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 16, kernel_size=5),
                              torch.nn.MaxPool2d(kernel_size=2),
                              torch.nn.Conv2d(16, 32, kernel_size=3, stride=2, padding=1))
    with torch.no_grad():
        return tuple(net(torch.zeros(1, 3, 32, 32)).shape[1:])


def lstm_parameters_by_torch() -> int:
    return sum(p.numel() for p in torch.nn.LSTM(input_size=32, hidden_size=128).parameters())


RIGHT = {1: svm_loss_by_torch, 2: conv_shape_by_torch, 3: lstm_parameters_by_torch}


def wrong_answers(number: int) -> list:
    right = RIGHT[number]()
    if number == 1:
        return [right + 0.1, right - 1.0, right / 3,     # off, off by the margin, PyTorch's mean
                6.3, "12.9", [right], sj.tensor([right, right]), True]
    if number == 2:
        C, H, W = right
        return [(C, H + 1, W + 1), (16, H, W), (1, C, H, W), [C, H], (C, H - 0.5, W - 0.5),
                f"({C}, {H}, {W})", C * H * W, (C, 6, 6)]
    return [right + 1, right // 4, right - 4 * 128, float(right), str(right), (right,), True]


@pytest.mark.parametrize("language", harness.LANGUAGES)
@pytest.mark.parametrize("number", sorted(RIGHT))
def test_the_check_accepts_the_right_answer(language, number):
    harness.accepts(NOTE, language, number, RIGHT[number]())


@pytest.mark.parametrize("language", harness.LANGUAGES)
@pytest.mark.parametrize("number", sorted(RIGHT))
def test_the_check_rejects_wrong_answers(language, number):
    for wrong in wrong_answers(number):
        harness.rejects(NOTE, language, number, wrong)


@pytest.mark.parametrize("language", harness.LANGUAGES)
def test_the_checks_take_the_usual_spellings_of_a_right_answer(language):
    harness.accepts(NOTE, language, 1, np.float64(svm_loss_by_torch()))
    harness.accepts(NOTE, language, 1, sj.tensor(svm_loss_by_torch()))
    harness.accepts(NOTE, language, 2, list(conv_shape_by_torch()))
    harness.accepts(NOTE, language, 3, np.int64(lstm_parameters_by_torch()))


@pytest.mark.parametrize("language", harness.LANGUAGES)
def test_a_wrong_answer_gets_a_hint_not_the_answer(language):
    for number in RIGHT:
        right = RIGHT[number]()
        for wrong in wrong_answers(number):
            hint = harness.rejects(NOTE, language, number, wrong)
            assert str(right) not in hint, f"exercise {number}: the hint gives it away"
