"""autograd sits below the operations: none of its files imports shenjing above backend/autograd."""

import ast
from pathlib import Path

import pytest

import shenjing.autograd

AUTOGRAD = Path(shenjing.autograd.__file__).parent
ALLOWED = ("shenjing.autograd", "shenjing.backend")


def _imports(path: Path):
    """Every module a file imports, at the top or inside a function, as (line, name)."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "shenjing":  # from shenjing import backend
                yield from ((node.lineno, f"shenjing.{alias.name}") for alias in node.names)
            else:
                yield node.lineno, node.module


@pytest.mark.parametrize("path", sorted(AUTOGRAD.glob("*.py")), ids=lambda p: p.name)
def test_autograd_imports_nothing_above_it(path):
    upward = [f"{path.name}:{line}: {name}" for line, name in _imports(path)
              if name.startswith("shenjing") and not name.startswith(ALLOWED)]
    assert not upward, f"autograd imports from above itself: {upward}"
