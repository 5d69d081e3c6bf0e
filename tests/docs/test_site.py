"""The documentation site builds offline with warnings as errors, and holds what it promises.

``mkdocs build --strict`` executes every lesson (docs/lessons/, jupytext .py notebooks) from a
clean kernel on the real data of ``../shared/data``, renders the API reference from the
docstrings and writes the search index. One build (several minutes: it runs all ten lessons)
serves every test of the site below. The README's links are checked without building.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.datasets import SHARED_DATA
from tests.lessons import harness

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

# Under CI (the CI variable set, as .ci/run does) a missing generator or browser fails these
# tests instead of skipping them, as tests.datasets.requires_mnist does for the data.
requires_mkdocs = pytest.mark.skipif(
    importlib.util.find_spec("mkdocs") is None and not os.environ.get("CI"),
    reason="mkdocs is not installed (pip install -e '.[docs]'); CI installs it and builds the site",
)
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
requires_chromium = pytest.mark.skipif(
    (importlib.util.find_spec("playwright") is None or not Path(CHROMIUM).is_file())
    and not os.environ.get("CI"),
    reason="Playwright or the system's Chromium is missing (CI installs both)",
)

LESSONS = [(note, language) for note in harness.NOTES for language in harness.LANGUAGES]
API_PAGES = ("index", "tensor", "nn", "optim", "data", "train", "static", "viz", "serialization",
             "word2vec", "classic")
# One object each API page must document (its heading id is the object's path).
API_OBJECTS = {
    "tensor": "shenjing.Tensor", "nn": "shenjing.nn.modules.linear.Linear",
    "optim": "shenjing.optim.SGD", "data": "shenjing.data.DataLoader",
    "train": "shenjing.train.fit", "static": "shenjing.static.compile.compile",
    "viz": "shenjing.viz.decision_surface", "serialization": "shenjing.serialization.save",
    "word2vec": "shenjing.word2vec.Word2Vec", "classic": "shenjing.classic.KNearestNeighbors",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site, built once by the one command (strict: any warning fails the build)."""
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "SHENJING_DATA": str(SHARED_DATA), "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file",
         str(ROOT / "mkdocs.yml"), "--site-dir", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    log = result.stdout + result.stderr
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{log[-6000:]}"
    return out


def _page(site: Path, relative: str) -> str:
    path = site / relative
    assert path.is_file(), f"the site has no {relative}"
    return path.read_text(encoding="utf-8")


@requires_mkdocs
@pytest.mark.parametrize(("note", "language"), LESSONS)
def test_every_lesson_is_a_page_with_its_outputs_and_pictures(site, note, language):
    source = harness.path(note, language)
    html = _page(site, f"lessons/{language}/{source.stem}.html")
    assert "Traceback" not in html, f"lesson {note} ({language}) shows a traceback"
    assert re.search(r'<img[^>]+src="data:image/png;base64,', html), (
        f"lesson {note} ({language}) shows no matplotlib picture")
    # Executed: the code cells have outputs, and each solution ran its check.
    assert "jp-OutputArea-output" in html, (
        f"lesson {note} ({language}) has no outputs: was it executed?")
    # The notebook itself sits beside the page, behind the download button (docs/overrides/).
    assert (site / "lessons" / language / source.name).read_bytes() == source.read_bytes()
    assert f'href="{source.name}"' in html, f"lesson {note} ({language}) has no download link"


@requires_mkdocs
def test_the_lessons_landing_page_links_every_lesson_in_both_languages(site):
    html = _page(site, "lessons/index.html")
    for note, language in LESSONS:
        stem = harness.path(note, language).stem
        assert f'href="{language}/{stem}.html"' in html, (note, language)


@requires_mkdocs
@pytest.mark.parametrize("page", API_PAGES)
def test_the_api_reference_is_rendered_from_the_docstrings(site, page):
    html = _page(site, f"api/{page}.html")
    if page == "index":
        return
    assert 'class="doc doc-heading"' in html, f"api/{page}: nothing rendered by mkdocstrings"
    assert f'id="{API_OBJECTS[page]}"' in html, f"api/{page} does not document {API_OBJECTS[page]}"
    # Doctest examples are code blocks, not Markdown quotes (docs/api/doctest_blocks.py).
    assert "<blockquote>\n<blockquote>" not in html, f"api/{page}: a doctest shown as quotes"


@requires_mkdocs
def test_the_markdown_pages_and_their_pictures_are_there(site):
    for page in ("index", "getting-started", "howto/command-line", "howto/training-loop",
                 "results", "speed", "static-graphs", "pytorch-differences",
                 "pytorch-examples", "char-transformer"):
        _page(site, f"{page}.html")
    results = _page(site, "results.html")
    for picture in re.findall(r'src="(pictures/[^"]+)"', results):
        assert (site / picture).is_file(), picture
    assert 'src="pictures/quadrants-surface.png"' in results


@requires_mkdocs
def test_the_search_index_covers_lessons_and_api(site):
    index = json.loads(_page(site, "search/search_index.json"))
    locations = {doc["location"].split("#")[0] for doc in index["docs"]}
    for note, language in LESSONS:
        assert f"lessons/{language}/{harness.path(note, language).stem}.html" in locations
    assert "api/train.html" in locations and "getting-started.html" in locations


@requires_mkdocs
def test_a_chinese_word_is_a_token_of_the_search_index(site):
    # jieba (the docs extra) cuts the Chinese text into words joined by U+200B, which the
    # separator splits on; the lessons' terms (docs/hooks/jieba-words.txt) stay whole words.
    index = json.loads(_page(site, "search/search_index.json"))
    separator = re.compile(index["config"]["separator"])
    tokens: set[str] = set()
    for doc in index["docs"]:
        if doc["location"].startswith("lessons/zh/"):
            tokens.update(separator.split(doc["title"] + " " + doc["text"]))
    for word in ("反向传播", "梯度下降", "神经元", "激活函数"):
        assert word in tokens, f"{word} is not a token of the search index"


@requires_mkdocs
def test_the_site_loads_nothing_from_the_network(site):
    for page in site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert not re.search(r"<script[^>]*\ssrc=[\"']?(https?:)?//", html), (
            f"{page.relative_to(site)} loads a script from the network")
    # MathJax ships with the site (docs/hooks/ship_mathjax.py): the script, the TeX extensions
    # it loads on demand and the fonts.
    mathjax = site / "javascripts" / "mathjax"
    assert (mathjax / "tex-chtml.js").is_file() and (mathjax / "LICENSE").is_file()
    assert (mathjax / "input" / "tex" / "extensions" / "ams.js").is_file()
    assert any((mathjax / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))
    for note, language in LESSONS:
        html = _page(site, f"lessons/{language}/{harness.path(note, language).stem}.html")
        assert '<script src="../../javascripts/mathjax.js">' in html, (note, language)


@requires_mkdocs
@requires_chromium
@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_formulas_of_a_lesson_render_in_a_browser(site, language):
    from playwright.sync_api import sync_playwright

    stem = harness.path(harness.NOTES[0], language).stem
    page_path = site / "lessons" / language / f"{stem}.html"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            failed: list[str] = []
            page.on("requestfailed", lambda request: failed.append(request.url))
            page.goto(page_path.as_uri())
            page.wait_for_selector("mjx-container", timeout=60_000)
            page.wait_for_load_state("networkidle")
            rendered = page.locator("mjx-container").count()
            errors = page.locator("mjx-merror").count()
            displayed = page.locator("mjx-container[display]").count()
        finally:
            browser.close()
    assert rendered >= 10 and displayed >= 1, f"only {rendered} formulas rendered"
    assert errors == 0, f"{errors} formulas failed to typeset"
    # Material's search index is fetched by a request that file:// refuses; MathJax's is not.
    assert not [url for url in failed if "/mathjax" in url], failed


@requires_mkdocs
def test_the_readmes_anchors_into_the_site_exist(site):
    for page, anchor in _readme_links():
        if anchor and page.startswith("docs/") and page.endswith(".md"):
            html = _page(site, page.removeprefix("docs/").removesuffix(".md") + ".html")
            assert f'id="{anchor}"' in html, f"README: {page}#{anchor} has no such id"


def _readme_links() -> list[tuple[str, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)\s]+)\)", text)
    return [tuple(link.partition("#")[::2]) for link in links if "://" not in link]


def test_the_readme_is_a_front_door():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 130, f"the README has {len(lines)} lines: move tables to docs/"
    # The two commands come first: users and CI run them.
    assert lines[2:6] == [
        "```bash",
        "pip install -e . && shenjing train mnist --out runs/mnist-mlp    "
        "# install, train a digit classifier",
        "pip install -e '.[test]' && python -m pytest                    "
        "# install the test extras, run the tests",
        "```",
    ]
    for page, _ in _readme_links():
        assert (ROOT / page).exists(), f"the README links to {page}, which does not exist"
