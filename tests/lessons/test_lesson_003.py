"""Lesson 003 (the 784-16-16-10 MNIST network): each exercise's check rejects wrong answers and
accepts the right one, computed here independently with PyTorch as the oracle."""

import numpy as np
import pytest
import torch

import shenjing as sj
from tests.lessons import harness

NOTE = "003"


@pytest.mark.parametrize("language", harness.LANGUAGES)
def test_exercise_1_counts_the_parameters_of_784_32_32_10(language):
    torch_net = torch.nn.Sequential(torch.nn.Linear(784, 32), torch.nn.Sigmoid(),
                                    torch.nn.Linear(32, 32), torch.nn.Sigmoid(),
                                    torch.nn.Linear(32, 10), torch.nn.Sigmoid())
    right = sum(p.numel() for p in torch_net.parameters())
    weights_only = sum(p.numel() for p in torch_net.parameters() if p.dim() == 2)
    harness.accepts(NOTE, language, 1, right)
    harness.accepts(NOTE, language, 1, np.int64(right))  # a NumPy integer is an integer too
    for wrong in (right + 1, right - 10, weights_only, 784 + 32 + 32 + 10, 13_002,
                  float(right), str(right), True, [right]):
        harness.rejects(NOTE, language, 1, wrong)


@pytest.mark.parametrize("language", harness.LANGUAGES)
def test_exercise_2_the_derivative_of_the_cost_by_each_output(language):
    outputs = harness.checkers(NOTE, language)["outputs_2"].numpy()
    a = torch.tensor(outputs, requires_grad=True)
    y = torch.nn.functional.one_hot(torch.tensor(2), 10).float()
    ((a - y) ** 2).sum().backward()
    right = a.grad.numpy()
    harness.accepts(NOTE, language, 2, sj.tensor(right))
    harness.accepts(NOTE, language, 2, sj.tensor(right, dtype=sj.float64))  # float64 is fine
    for wrong in (right / 2, -right, right + 0.01, right * 1.01, np.where(y == 1, right, 0),
                  2 * (outputs - 1)):
        harness.rejects(NOTE, language, 2, sj.tensor(wrong))
    harness.rejects(NOTE, language, 2, sj.tensor(right).reshape(1, 10))  # wrong shape
    harness.rejects(NOTE, language, 2, sj.tensor(right[:9]))
    harness.rejects(NOTE, language, 2, right)  # a NumPy array, not a tensor
    harness.rejects(NOTE, language, 2, right.tolist())
    harness.rejects(NOTE, language, 2, float(right[2]))


@pytest.mark.parametrize("language", harness.LANGUAGES)
def test_exercise_3_steps_per_epoch(language):
    loader = torch.utils.data.DataLoader(range(60_000), batch_size=128)
    right = len(loader)
    harness.accepts(NOTE, language, 3, right)
    harness.accepts(NOTE, language, 3, float(right))  # a whole float is accepted
    for wrong in (60_000 // 128, 60_000 / 128, right + 1, 600, "469", -right, [right]):
        harness.rejects(NOTE, language, 3, wrong)
