"""The code in the guides runs: every ```python block of docs/getting-started.md and
docs/howto/*.md, and the ```pycon sessions as doctests.

A page's blocks run in order in one namespace (a later block uses what an earlier one built), in
a fresh interpreter working in a temporary folder (the files they save land there), with the real
data of ``../shared/data`` as ``$SHENJING_DATA`` and a time limit. A block that must not run
carries, on the line before its fence, ``<!-- docs-test: skip (why) -->``; the reason is required.
"""

from __future__ import annotations

import doctest
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.datasets import MNIST_DIR, SHARED_DATA

ROOT = Path(__file__).resolve().parents[2]
GUIDES = [ROOT / "docs" / "getting-started.md", *sorted((ROOT / "docs" / "howto").glob("*.md"))]
SKIP = re.compile(r"<!--\s*docs-test:\s*skip\s*\((?P<why>[^)]+)\)\s*-->")
FENCE = re.compile(r"^```(?P<language>\w*)\s*$")
TIME_LIMIT = 900  # seconds for one page's blocks (MNIST trains for a few epochs)


def code_blocks(path: Path) -> list[tuple[str, int, str, str | None]]:
    """``(language, first line number, code, reason to skip or None)`` for each fenced block."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks = []
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening or not opening["language"]:
            i += 1
            continue
        start = i + 1
        end = start
        while end < len(lines) and lines[end].strip() != "```":
            end += 1
        before = next((line for line in reversed(lines[:i]) if line.strip()), "")
        skip = SKIP.search(before)
        blocks.append((opening["language"], start + 1, "\n".join(lines[start:end]),
                       skip["why"].strip() if skip else None))
        i = end + 1
    return blocks


# Runs in the child: each block compiled under its page and line, so a traceback names them.
RUNNER = """
import json, sys
namespace = {"__name__": "__main__"}
for name, line, code in json.loads(sys.stdin.read()):
    print(f"--- {name}:{line}", flush=True)
    exec(compile("\\n" * (line - 1) + code, name, "exec"), namespace)
"""


def runnable(page: Path) -> list[tuple[str, int, str]]:
    """``(page, line, code)`` for each block to run: the ```python blocks, and the ```pycon
    sessions' source before them (a later block may use what a session built)."""
    parser = doctest.DocTestParser()
    blocks = []
    for language, line, code, skip in code_blocks(page):
        if skip is not None or language not in ("python", "pycon"):
            continue
        if language == "pycon":
            code = "".join(example.source for example in parser.get_examples(code))
        blocks.append((str(page.relative_to(ROOT)), line, code))
    return blocks


PAGES_WITH_CODE = [page for page in GUIDES
                   if any(language == "python" for language, *_ in code_blocks(page))]


def test_the_guides_with_python_are_the_expected_ones():
    assert {page.name for page in PAGES_WITH_CODE} >= {"getting-started.md", "training-loop.md"}


@pytest.mark.parametrize("page", PAGES_WITH_CODE,
                         ids=lambda p: str(p.relative_to(ROOT / "docs")))
def test_every_python_block_of_the_guides_runs(page, tmp_path):
    blocks = runnable(page)
    if any("MNIST" in code for _, _, code in blocks):
        # As tests.datasets.requires_mnist: under CI missing data fails instead of skipping.
        if not (MNIST_DIR / "t10k-labels-idx1-ubyte.gz").is_file() and not os.environ.get("CI"):
            pytest.skip(f"real MNIST not found in {MNIST_DIR} (set SHENJING_SHARED_DATA)")
    env = {**os.environ, "SHENJING_DATA": str(SHARED_DATA), "MPLBACKEND": "Agg",
           "PYTHONPATH": str(ROOT / "src")}
    result = subprocess.run([sys.executable, "-c", RUNNER], input=json.dumps(blocks),
                            cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=TIME_LIMIT)
    assert result.returncode == 0, (
        f"a ```python block of {page.name} failed:\n{(result.stdout + result.stderr)[-4000:]}")


@pytest.mark.parametrize("page", GUIDES, ids=lambda p: str(p.relative_to(ROOT / "docs")))
def test_every_pycon_session_of_the_guides_prints_what_it_shows(page):
    parser, runner = doctest.DocTestParser(), doctest.DocTestRunner(
        optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    globs: dict = {}
    report: list[str] = []
    for language, line, code, skip in code_blocks(page):
        if language == "pycon" and skip is None:
            test = parser.get_doctest(code, globs, page.name, str(page), line)
            runner.run(test, out=report.append, clear_globs=False)
            globs = test.globs  # DocTest copies its globals: the next session continues these
    assert runner.failures == 0, "".join(report)


def test_a_skipped_block_says_why(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("Text.\n\n<!-- docs-test: skip (needs a GPU) -->\n```python\nboom()\n```\n\n"
                    "```python\nx = 1\n```\n\n```bash\nls\n```\n", encoding="utf-8")
    assert code_blocks(page) == [("python", 5, "boom()", "needs a GPU"),
                                 ("python", 9, "x = 1", None), ("bash", 13, "ls", None)]
    for guide in GUIDES:  # a bare marker without its reason is not a marker: the block runs
        assert "docs-test: skip -->" not in guide.read_text(encoding="utf-8"), guide
