"""Shared test set-up: every test starts from the same seed."""

import numpy as np
import pytest

import shenjing as sj


@pytest.fixture(autouse=True)
def _seed():
    sj.manual_seed(0)
    np.random.seed(0)
