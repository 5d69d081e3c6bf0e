"""A MkDocs hook: ship MathJax with the site, so the lessons' formulas render offline.

The lesson pages load ``javascripts/mathjax.js`` (mkdocs-jupyter's ``custom_mathjax_url``), which
loads ``javascripts/mathjax/tex-chtml.js``. Those MathJax 3.2.2 files come from the pip package
``django-static-mathjax`` (the docs extra; it holds MathJax's files and nothing of Django): the
combined TeX-to-CHTML script, the TeX extensions it loads on demand, the woff2 fonts and the
licence, about 2 MB of MathJax's 24 MB.
"""

from __future__ import annotations

import shutil
from importlib.resources import files
from pathlib import Path
from typing import Any

# What the lesson pages need, relative to MathJax's es5/ folder (LICENSE is one folder up).
PARTS = ("tex-chtml.js", "input/tex/extensions", "output/chtml/fonts/woff-v2")


def mathjax_source() -> Path:
    """MathJax's es5/ folder inside the installed ``django-static-mathjax`` package."""
    try:
        es5 = Path(str(files("mathjax"))) / "static" / "mathjax" / "es5"
    except ModuleNotFoundError as exc:
        raise RuntimeError("the site needs MathJax: pip install -e '.[docs]' "
                           "(django-static-mathjax)") from exc
    if not (es5 / "tex-chtml.js").is_file():
        raise RuntimeError(f"MathJax's tex-chtml.js is not in {es5}: reinstall "
                           "django-static-mathjax")
    return es5


def copy_mathjax(site_dir: str | Path) -> Path:
    """Copy the MathJax files into ``<site_dir>/javascripts/mathjax/``; return that folder."""
    es5 = mathjax_source()
    target = Path(site_dir) / "javascripts" / "mathjax"
    for part in PARTS:
        source, destination = es5 / part, target / part
        destination.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, destination, dirs_exist_ok=True)
        else:
            shutil.copy2(source, destination)
    shutil.copy2(es5.parent / "LICENSE", target / "LICENSE")
    return target


def on_post_build(config: Any, **kwargs: Any) -> None:
    """The hook MkDocs calls once the pages are written."""
    copy_mathjax(config["site_dir"])
