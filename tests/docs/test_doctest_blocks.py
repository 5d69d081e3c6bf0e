"""docs/api/doctest_blocks.py: the API pages show the docstrings' doctest blocks as code.

The file sits outside the package (mkdocstrings loads it by path), so pytest's doctest
collection never reaches it: its behaviour is tested here, its own doctest included.
"""

from __future__ import annotations

import doctest
import importlib.util
import os
from pathlib import Path

import pytest

PATH = Path(__file__).resolve().parents[2] / "docs" / "api" / "doctest_blocks.py"

if importlib.util.find_spec("griffe") is None and not os.environ.get("CI"):
    pytest.skip("griffe is not installed (pip install -e '.[docs]')", allow_module_level=True)

spec = importlib.util.spec_from_file_location("doctest_blocks", PATH)
doctest_blocks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(doctest_blocks)
fence = doctest_blocks.fence_doctests


def test_its_own_doctest_passes():
    result = doctest.testmod(doctest_blocks, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 1 and result.failed == 0, result


def test_a_doctest_block_becomes_a_pycon_fence():
    text = "Add.\n\n>>> 1 + 1\n2\n>>> [0, 1][1]\n1\n\nThen prose."
    assert fence(text).split("\n") == [
        "Add.", "", "```pycon", ">>> 1 + 1", "2", ">>> [0, 1][1]", "1", "```", "", "Then prose."]


def test_a_block_at_the_end_and_an_indented_block_are_fenced_with_their_indent():
    assert fence("Example:\n    >>> f()\n    3") == (
        "Example:\n    ```pycon\n    >>> f()\n    3\n    ```")
    # The block ends at the first line indented less than its prompt.
    assert fence("  >>> x\n  1\nback") == "  ```pycon\n  >>> x\n  1\n  ```\nback"


def test_fenced_code_and_prose_are_left_as_they_are():
    fenced = "```python\n>>> not a doctest here\n```"
    assert fence(fenced) == fenced
    assert fence("No examples.\n\nNone at all.") == "No examples.\n\nNone at all."
    assert fence("") == ""


def test_two_blocks_get_two_fences():
    out = fence(">>> a\n1\n\ntext\n\n>>> b\n2")
    assert out.count("```pycon") == 2 and out.count("```") == 4
