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

import ast
import functools
import io
import re
import tokenize
from pathlib import Path

import jupytext

LESSONS = Path(__file__).resolve().parents[2] / "docs" / "lessons"
LANGUAGES = ("zh", "en")
NOTES = ("000", "001", "002", "003", "004")


def path(note: str, language: str) -> Path:
    """The lesson of ``note`` ("000" to "004") in ``language`` ("zh" or "en")."""
    (found,) = sorted((LESSONS / language).glob(f"{note}-*.py"))
    return found


@functools.cache
def read(note: str, language: str):
    """The lesson, parsed once per test run (hundreds of checks read it): do not modify it."""
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


# --- Concept cells: each shows something, computed with shenjing -------------------------------

def _root(node) -> str | None:
    """The name at the root of ``a.b.c(...)[i]``: ``a``."""
    while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _runs(tree: ast.AST):
    """The nodes that run when the cell runs: those outside ``def``, ``lambda`` and ``class``
    bodies (a function that prints but is never called shows nothing)."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        todo.extend(child for child in ast.iter_child_nodes(node) if not isinstance(
            child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef))


def _binding(node) -> tuple[list, list]:
    """What a statement binds and from what: (target nodes, source nodes)."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [ast.Name(node.name)], [node]
    if isinstance(node, ast.Assign):
        return node.targets, [node.value]
    if isinstance(node, ast.AugAssign | ast.AnnAssign | ast.NamedExpr):
        return [node.target], [node.value] if node.value else []
    if isinstance(node, ast.For | ast.comprehension):
        return [node.target], [node.iter]
    if isinstance(node, ast.With):
        return ([i.optional_vars for i in node.items if i.optional_vars],
                [i.context_expr for i in node.items])
    return [], []


def _uses(node, names: set[str]) -> bool:
    return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(node))


def shenjing_names(cells) -> list[set[str]]:
    """For each code cell, the names that hold something built with shenjing when the cell
    begins: what the lesson imported from shenjing (``sj``, ``F``...), then every name that an
    earlier statement bound from an expression (or a ``def``/``class`` body) that uses one."""
    names: set[str] = set()
    before = []
    for cell in cells:
        before.append(set(names))
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Import):
                names |= {a.asname or a.name for a in node.names
                          if a.name.split(".")[0] == "shenjing"}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == (
                    "shenjing"):
                names |= {a.asname or a.name for a in node.names}
            else:
                targets, sources = _binding(node)
                if any(_uses(s, names) for s in sources):
                    names |= {n.id for t in targets for n in ast.walk(t)
                              if isinstance(n, ast.Name)}
    return before


def _shows(tree: ast.Module) -> bool:
    """Does running the cell show something: a call of print or display, of ``plt.*`` or of a
    shenjing picture (``sj.viz.*``), or a last statement that is an expression (Jupyter shows its
    value)?"""
    last = tree.body[-1] if tree.body else None
    if isinstance(last, ast.Expr) and not isinstance(last.value, ast.Constant):
        return True
    for node in _runs(tree):
        if isinstance(node, ast.Call) and (
                isinstance(node.func, ast.Name) and node.func.id in ("print", "display")
                or _root(node.func) == "plt"
                or ast.unparse(node.func).startswith(("sj.viz.", "shenjing.viz."))):
            return True
    return False


def concept_problems(nb) -> list[str]:
    """What is wrong with the ``concept-*`` cells of ``nb``: each must be code that shows
    something and uses shenjing (``sj.`` or a name the lesson built with it); a cell of ``pass``
    under a concept tag proves nothing."""
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    problems = []
    for cell, names in zip(code, shenjing_names(code)):
        concepts = ", ".join(t for t in tags(cell) if t.startswith("concept-"))
        if not concepts:
            continue
        tree = ast.parse(cell.source)
        if not _shows(tree):
            problems.append(f"{concepts}: the cell shows nothing (no print, display, plt.*, "
                            "sj.viz picture, nor a last line that is an expression)")
        if not _uses(tree, names | {"sj"}):
            problems.append(f"{concepts}: the cell does not use shenjing (sj. or a name built "
                            "with it)")
    return problems


# --- The two languages share their code: only strings and comments are translated --------------

_FSTRING_START = getattr(tokenize, "FSTRING_START", None)  # Python 3.12 splits f-strings
_FSTRING_END = getattr(tokenize, "FSTRING_END", None)
_LAYOUT = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
           tokenize.ENDMARKER}


def _fields(text: str) -> list[str]:
    """The expressions inside the f-strings of a run of adjacent string literals ``text``
    (format specs left out: a translation may pad differently), sorted: a translation may put
    them in another order."""
    node = ast.parse(f"(\n{text}\n)", mode="eval").body
    return sorted(ast.unparse(v.value) for v in getattr(node, "values", [])
                  if isinstance(v, ast.FormattedValue) and not isinstance(v.value, ast.Constant))


def code_tokens(source: str) -> list[str]:
    """The tokens of ``source`` without comments, layout and the text of strings: what the
    Chinese and English lessons must share. A run of adjacent string literals (``"a" f"b {x}"``)
    becomes one token naming the expressions of its f-strings, so the code inside them counts
    too."""
    lines = source.splitlines(keepends=True)

    def text(start, end) -> str:
        (r0, c0), (r1, c1) = start, end
        if r0 == r1:
            return lines[r0 - 1][c0:c1]
        return lines[r0 - 1][c0:] + "".join(lines[r0:r1 - 1]) + lines[r1 - 1][:c1]

    out: list[str] = []
    run = None        # (start, end) of the run of string literals being read
    depth = 0         # inside an f-string (3.12+), how deep
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        kind = token.type
        if depth or kind in (tokenize.STRING, _FSTRING_START):
            depth += (kind == _FSTRING_START) - (kind == _FSTRING_END)
            run = (run[0] if run else token.start, token.end)
            continue
        if kind in _LAYOUT and not (run and kind in (tokenize.NEWLINE, tokenize.ENDMARKER)):
            continue  # comments and line breaks inside brackets do not end a run of strings
        if run:
            out.append(f"<str {_fields(text(*run))}>")
            run = None
        if kind not in _LAYOUT:
            out.append(token.string)
    return out


def code_differences(zh, en) -> list[str]:
    """Where the code cells of two notebooks differ beyond their strings and comments."""
    zh_code, en_code = ([c for c in nb.cells if c.cell_type == "code"] for nb in (zh, en))
    if len(zh_code) != len(en_code):
        return [f"{len(zh_code)} code cells against {len(en_code)}"]
    problems = []
    for i, (a, b) in enumerate(zip(zh_code, en_code)):
        ta, tb = code_tokens(a.source), code_tokens(b.source)
        if ta != tb:
            at = next(j for j, (x, y) in enumerate(zip([*ta, None], [*tb, None])) if x != y)
            problems.append(f"code cell {i} {tags(a)}: zh has {' '.join(ta[at:at + 8])!r}, "
                            f"en has {' '.join(tb[at:at + 8])!r}")
    return problems


# --- What a test of an exercise asks of its check -----------------------------------------------

# What every check prints, in each language, when the answer is right (and never otherwise).
RIGHT = {"zh": "正确", "en": "right"}


def accepts(note: str, language: str, number: int, answer) -> str:
    """Assert that check ``number`` says ``answer`` is right: it prints the lesson's "right"
    marker, which the unanswered check does not print. Returns what it printed."""
    printed = run_check(note, language, number, answer)
    unanswered = run_check(note, language, number, None)
    marker = RIGHT[language]
    assert marker not in unanswered.lower(), (
        f"lesson {note} ({language}) check {number}: the unanswered message says {marker!r}")
    assert printed != unanswered and marker in printed.lower(), (
        f"lesson {note} ({language}) check {number} does not say {answer!r} is right: "
        f"it printed {printed!r}")
    return printed


def rejects(note: str, language: str, number: int, answer) -> str:
    """Assert that check ``number`` raises AssertionError for ``answer``, with a hint (a message
    that is not empty). Returns the hint."""
    try:
        printed = run_check(note, language, number, answer)
    except AssertionError as error:
        hint = str(error).strip()
        assert hint, f"lesson {note} ({language}) check {number}: {answer!r} gets no hint"
        return hint
    raise AssertionError(f"lesson {note} ({language}) check {number} accepts the wrong answer "
                         f"{answer!r}: it printed {printed!r}")


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
