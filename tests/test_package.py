"""The package as users meet it: a quiet, light import; the README's example runs and learns."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_is_quiet_and_light():
    code = (
        "import sys, shenjing\n"
        "heavy = {'torch', 'matplotlib', 'cupy', 'PIL', 'scipy'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""


def test_the_package_never_imports_torch():
    sources = (ROOT / "src" / "shenjing").rglob("*.py")
    offenders = [str(p) for p in sources if "import torch" in p.read_text()]
    assert not offenders


def test_autograd_tour_example_runs_and_learns():
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "autograd_tour.py")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "gradcheck (central differences, float64): True" in result.stdout
    assert "H v = tensor([ 6.,  0., 18.])" in result.stdout
