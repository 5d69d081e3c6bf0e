"""PyTorch's own kind of programs, in examples/, run on shenjing with only the import changed.

Each script has one import block, ``if SHENJING == "0": <PyTorch imports> else: <shenjing
imports>``; these tests check that the block is the only place that names a framework and that
both branches bind the same names to the same things, then run each script on shenjing for a
few batches in a subprocess and check that it learns (finite losses that fall).
"""

from __future__ import annotations

import ast
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.datasets import SHARED_DATA, requires_mnist

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
SCRIPTS = ["pytorch_mnist_cnn.py", "pytorch_word_lm.py", "pytorch_autoencoder.py"]
SHAKESPEARE = SHARED_DATA / "tinyshakespeare"
requires_shakespeare = pytest.mark.skipif(
    not (SHAKESPEARE / "input.txt").is_file() and not os.environ.get("CI"),
    reason=f"tiny-shakespeare not found in {SHAKESPEARE} (set SHENJING_SHARED_DATA)",
)

# Where a PyTorch module's twin lives in shenjing when it is not the same path with the
# top-level name swapped (torchvision's pieces live in shenjing itself).
TWINS = {"torchvision.datasets": "shenjing.datasets",
         "torchvision.transforms": "shenjing.data.transforms"}


def _import_block(tree: ast.Module) -> ast.If:
    """The top-level ``if os.environ.get("SHENJING", ...) == "0":`` statement."""
    blocks = [node for node in tree.body
              if isinstance(node, ast.If) and "SHENJING" in ast.unparse(node.test)]
    assert len(blocks) == 1, "expected exactly one import block switched on SHENJING"
    return blocks[0]


def _bindings(statements: list[ast.stmt]) -> dict[str, str]:
    """Each name an import block binds -> the full dotted name of what it binds."""
    bound = {}
    for node in statements:
        assert isinstance(node, ast.Import | ast.ImportFrom), \
            f"line {node.lineno}: only imports belong in the import block"
        for alias in node.names:
            if isinstance(node, ast.Import):
                target = alias.name
                name = alias.asname or alias.name.partition(".")[0]
            else:
                target = f"{node.module}.{alias.name}"
                name = alias.asname or alias.name
            bound[name] = target
    return bound


def _twin(torch_name: str) -> str:
    for prefix, twin in TWINS.items():
        if torch_name == prefix or torch_name.startswith(prefix + "."):
            return twin + torch_name[len(prefix):]
    assert torch_name == "torch" or torch_name.startswith("torch."), torch_name
    return "shenjing" + torch_name[len("torch"):]


def _canonical(dotted: str) -> str:
    """``shenjing.nn`` and ``shenjing.nn.functional`` whether spelled as a module or attribute."""
    return dotted.replace(".", "/")


@pytest.mark.parametrize("script", SCRIPTS)
def test_only_the_import_block_differs(script):
    source = (EXAMPLES / script).read_text()
    tree = ast.parse(source)
    block = _import_block(tree)
    torch_side, shenjing_side = _bindings(block.body), _bindings(block.orelse)
    # Same names, and each shenjing name is the twin of the PyTorch one.
    assert sorted(torch_side) == sorted(shenjing_side)
    for name, torch_name in torch_side.items():
        assert _canonical(shenjing_side[name]) == _canonical(_twin(torch_name)), name
    # Outside the block no line names a framework: the rest is one program for both.
    lines = source.splitlines()
    outside = lines[:block.lineno - 1] + lines[block.end_lineno:]
    docstring_end = tree.body[0].end_lineno if isinstance(tree.body[0], ast.Expr) else 0
    code = "\n".join(line for line in outside[docstring_end:]
                     if not line.lstrip().startswith("#"))
    assert not re.search(r"\bshenjing\b|\btorchvision\b", code)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom) and not _inside(node, block):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) \
                else [node.module]
            assert all(m.partition(".")[0] not in ("torch", "shenjing", "torchvision")
                       for m in modules), f"{script}:{node.lineno} imports a framework"


def _inside(node: ast.AST, block: ast.If) -> bool:
    return block.lineno <= node.lineno <= block.end_lineno


def _run(script: str, *args: str, framework: str = "shenjing", cwd=None) -> str:
    env = dict(os.environ, SHENJING="0" if framework == "torch" else "1", OMP_NUM_THREADS="1")
    result = subprocess.run([sys.executable, str(EXAMPLES / script), *args], env=env, cwd=cwd,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    return result.stdout


def _floats(pattern: str, text: str) -> list[float]:
    values = [float(v) for v in re.findall(pattern, text)]
    assert values, f"no match for {pattern!r} in:\n{text}"
    assert all(math.isfinite(v) for v in values), values
    return values


@requires_mnist
def test_mnist_cnn_learns_in_a_few_batches():
    out = _run("pytorch_mnist_cnn.py", "--data-root", str(SHARED_DATA), "--epochs", "1",
               "--batch-size", "32", "--max-batches", "10", "--log-interval", "1",
               "--test-batch-size", "50")
    losses = _floats(r"Loss: ([-\d.naife]+)", out)
    assert len(losses) == 10 and min(losses[-3:]) < losses[0], losses
    correct, seen = map(int, re.search(r"Accuracy: (\d+)/(\d+)", out).groups())
    assert seen == 500 and correct > 0.2 * seen, out  # chance is 10 %


@requires_shakespeare
@pytest.mark.parametrize("framework", ["shenjing", "torch"])
def test_word_lm_learns_in_a_few_batches(tmp_path, framework):
    if framework == "torch":
        pytest.importorskip("torch")
    out = _run("pytorch_word_lm.py", "--data", str(SHAKESPEARE), "--epochs", "2",
               "--max-batches", "4", "--emsize", "16", "--nhid", "16", "--bptt", "20", "--lr", "5",
               "--log-interval", "1", "--save", str(tmp_path / "model.pt"),
               framework=framework, cwd=tmp_path)
    valid = _floats(r"valid loss +([-\d.naife]+)", out)
    _floats(r"\| loss +([-\d.naife]+)", out)
    test_loss = _floats(r"test loss +([-\d.naife]+)", out)
    assert len(valid) == 2 and valid[1] < valid[0], out
    assert abs(test_loss[0] - valid[1]) < 1.0  # the saved best model was loaded back


@requires_mnist
def test_autoencoder_learns_in_a_few_batches():
    out = _run("pytorch_autoencoder.py", "--data-root", str(SHARED_DATA), "--epochs", "2",
               "--batch-size", "64", "--max-batches", "8", "--log-interval", "1")
    train = _floats(r"Average loss: ([-\d.naife]+)", out)
    test = _floats(r"reconstruction MSE \(per pixel\): ([-\d.naife]+)", out)
    assert len(train) == len(test) == 2 and train[1] < train[0] and test[1] < test[0], out
