"""Reading the lessons (jupytext percent files under docs/lessons/) and running their exercise
checks alone.

A lesson's cells carry tags that the tests read:

- ``setup``: imports and seeds, the first code cell;
- ``concept-<name>``: the cell that shows a concept of its note (``CONCEPTS`` lists them);
- ``checker``: the functions that check the exercises, self-contained (they use only what the
  setup cell imports), so that a test can run them without the rest of the lesson;
- ``exercise-N``: where the learner writes ``answer_N`` (``None`` as shipped);
- ``check-N``: runs the check of exercise N; with ``answer_N = None`` it only says that the
  exercise is not answered yet, with a wrong answer it raises ``AssertionError``;
- ``solution-N``: at the end, the worked answer, which runs the check again and passes.
"""

from __future__ import annotations

import re
from pathlib import Path

import jupytext

LESSONS = Path(__file__).resolve().parents[2] / "docs" / "lessons"
LANGUAGES = ("zh", "en")
NOTES = ("000", "001", "002", "003", "004")


def path(note: str, language: str) -> Path:
    """The lesson of ``note`` ("000" to "004") in ``language`` ("zh" or "en")."""
    (found,) = sorted((LESSONS / language).glob(f"{note}-*.py"))
    return found


def read(note: str, language: str):
    return jupytext.read(path(note, language))


def tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def tagged(nb, tag: str) -> list:
    """The cells of ``nb`` that carry ``tag``."""
    return [cell for cell in nb.cells if tag in tags(cell)]


def code_of(nb, tag: str) -> str:
    (cell,) = tagged(nb, tag)
    assert cell.cell_type == "code", f"the cell tagged {tag} is not code"
    return cell.source


def exercises(nb) -> list[int]:
    """The numbers N of the ``exercise-N`` cells, in order."""
    return [int(m.group(1)) for cell in nb.cells for t in tags(cell)
            if (m := re.fullmatch(r"exercise-(\d+)", t))]


def checkers(note: str, language: str) -> dict:
    """A fresh namespace holding what the lesson's setup and checker cells define."""
    nb = read(note, language)
    namespace: dict = {"__name__": f"lesson_{note}_{language}"}
    for tag in ("setup", "checker"):
        exec(compile(code_of(nb, tag), f"<{note}-{language} {tag}>", "exec"), namespace)
    return namespace


def run_check(note: str, language: str, number: int, answer) -> str:
    """Run the ``check-N`` cell with ``answer_N = answer``; returns what it printed."""
    import contextlib
    import io

    nb = read(note, language)
    namespace = checkers(note, language)
    namespace[f"answer_{number}"] = answer
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code_of(nb, f"check-{number}"), f"<{note}-{language} check-{number}>",
                     "exec"), namespace)
    return out.getvalue()


def execute(lesson: Path, timeout: int = 600):
    """Run every cell of a lesson in a fresh kernel from the repository root, as the site build
    does; returns the executed notebook. Raises on the first cell that fails."""
    import nbclient

    nb = jupytext.read(lesson)
    nbclient.NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(LESSONS.parents[1])}}).execute()
    return nb


if __name__ == "__main__":  # python -m tests.lessons.harness docs/lessons/zh/000-....py
    import sys
    import time

    for name in sys.argv[1:]:
        start = time.perf_counter()
        execute(Path(name))
        print(f"{name}: ran in {time.perf_counter() - start:.1f} s")
