"""Helpers for the word2vec tests: where tiny-shakespeare lives (beside the shared MNIST)."""

from __future__ import annotations

import os

import pytest

from tests.datasets import SHARED_DATA

SHAKESPEARE = SHARED_DATA / "tinyshakespeare" / "input.txt"

# In CI the corpus must be there: a missing file fails the tests instead of skipping them.
requires_shakespeare = pytest.mark.skipif(
    not SHAKESPEARE.is_file() and not os.environ.get("CI"),
    reason=f"tiny-shakespeare not found at {SHAKESPEARE} (set SHENJING_SHARED_DATA)",
)
