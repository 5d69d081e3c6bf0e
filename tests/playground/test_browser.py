"""The Playground in a real headless Chromium: the page trains, draws, restores links, takes a
CSV, hands out a script that runs, and shows a neuron's weights.

Playwright drives Debian's ``chromium`` (its own browser download is not reachable here). Without
the browser or the ``playwright`` package these tests skip, except under CI (the ``CI``
environment variable), where a missing browser fails them. They also write the README's pictures,
docs/pictures/playground.png and playground-spirals.png.
"""

import colorsys
import io
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

CHROMIUM = "/usr/bin/chromium"
PICTURES = Path(__file__).resolve().parents[2] / "docs" / "pictures"
VIEWPORT = {"width": 1200, "height": 800}
CLASS_COLOURS = ("4e79a7", "f28e2b", "59a14f", "e15759")  # the page's first four classes
WAIT_MS = 90_000  # the longest any one wait on training may take (2 shared cores, CI)


def _missing(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what}: under CI the Playground's browser tests must run (.ci/run installs "
                    "chromium and playwright)")
    pytest.skip(f"{what}: the Playground's browser tests need Debian's chromium and playwright")


@pytest.fixture(scope="module")
def server():
    """The Playground served from a thread on 127.0.0.1, a free port; yields its URL."""
    pytest.importorskip("starlette")
    from shenjing.playground.serve import serve_in_background

    with serve_in_background() as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package is not installed")
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        _missing(f"no chromium at {CHROMIUM}")
    executable = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server):
    """A fresh tab (1200x800) on the Playground; fails the test on any script error."""
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    tab = context.new_page()
    errors = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.server = server
    yield tab
    context.close()
    assert not errors, f"the page's script failed: {errors}"


def open_page(page, query: str = "") -> None:
    """Load the Playground (with a URL query) and wait for its first frame."""
    page.goto(page.server + query)
    page.wait_for_function("window.playground && playground.frames > 0 && playground.data",
                           timeout=30_000)


def number(page, selector: str) -> float:
    return float(page.text_content(selector))


def quadrant_colours(png: bytes) -> list:
    """The most common colour near the middle of each quadrant of a picture (TL, TR, BL, BR):
    the surface's colour there, whatever points are drawn over it."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    w, h = image.size
    colours = []
    for fy in (0.25, 0.75):
        for fx in (0.25, 0.75):
            box = (int(fx * w) - 15, int(fy * h) - 15, int(fx * w) + 15, int(fy * h) + 15)
            pixels = np.asarray(image.crop(box)).reshape(-1, 3)
            colours.append(Counter(map(tuple, pixels.tolist())).most_common(1)[0][0])
    return colours


def hue_and_saturation(rgb) -> tuple:
    h, s, _ = colorsys.rgb_to_hsv(*(c / 255 for c in rgb))
    return 360 * h, s


def nearest_class(rgb, k: int) -> int:
    """The class whose colour (Tableau's, as the page draws them) has the nearest hue: the
    surface mixes a class colour with white by confidence, which keeps its hue."""
    hue, _ = hue_and_saturation(rgb)
    hues = [hue_and_saturation(bytes.fromhex(c))[0] for c in CLASS_COLOURS[:k]]
    return min(range(k), key=lambda i: min(abs(hue - hues[i]), 360 - abs(hue - hues[i])))


def canvas_pixels(page, selector: str) -> np.ndarray:
    """The RGBA pixels (H, W, 4) of a canvas on the page, read in the page itself."""
    width, height, flat = page.evaluate(
        """sel => { const c = document.querySelector(sel);
                    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
                    return [c.width, c.height, Array.from(d)]; }""", selector)
    return np.asarray(flat, dtype=np.uint8).reshape(height, width, 4)


def colour_count(pixels: np.ndarray) -> int:
    """How many different opaque colours a canvas shows (a blank one shows at most one)."""
    opaque = pixels[pixels[..., 3] > 0][:, :3]
    return len({tuple(p) for p in opaque.tolist()})


def set_and_change(page, selector: str, value: str) -> None:
    """Give an input (a range slider too, which Playwright cannot fill) a value, as a user does."""
    page.evaluate("""([sel, v]) => { const el = document.querySelector(sel); el.value = v;
                     el.dispatchEvent(new Event("input"));
                     el.dispatchEvent(new Event("change")); }""", [selector, value])


def in_force(page, text: str) -> None:
    """Wait until the address bar, the page's query and the server's data event all hold
    ``text``: the control reached the server and the session rebuilt with it."""
    page.wait_for_function("t => location.search.includes(t) && playground.query.includes(t)"
                           " && playground.data.query.includes(t)", arg=text, timeout=30_000)


def save_picture(page, name: str) -> None:
    """The page as the README shows it: 1200x800, a 256-colour palette to keep it small."""
    from PIL import Image

    image = Image.open(io.BytesIO(page.screenshot())).convert("RGB")
    PICTURES.mkdir(parents=True, exist_ok=True)
    image.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(
        PICTURES / name, optimize=True)


def test_quadrants_train_until_the_surface_has_four_colours(page):
    open_page(page)
    assert page.input_value("#dataset") == "quadrants"
    assert page.locator(".neuron").count() == 16  # the default 2-8-8-4
    tile = '.neuron[data-layer="1"][data-index="0"] canvas'
    neuron_before = canvas_pixels(page, tile)
    page.click("#play")
    page.wait_for_function("playground.lastFrame.history.epoch.length > 3", timeout=WAIT_MS)
    curves_early = canvas_pixels(page, "#curves")
    # Training: the test loss shown falls below 0.1, epochs and samples seen go up.
    page.wait_for_function("parseFloat(document.querySelector('#test-loss').textContent) < 0.1",
                           timeout=WAIT_MS)
    page.wait_for_timeout(2_000)  # a little more, for the picture
    page.click("#pause")
    page.wait_for_function("!playground.running")
    assert number(page, "#epoch") > 0
    assert number(page, "#samples-seen") > 0
    assert number(page, "#test-loss") < 0.1

    # A neuron's heat map and the loss curves are drawn, and change as the network trains.
    neuron_after = canvas_pixels(page, tile)
    assert colour_count(neuron_after) > 20, "the neuron's heat map is (nearly) blank"
    assert np.abs(neuron_after.astype(int) - neuron_before).max() > 30, "the heat map never moved"
    curves_late = canvas_pixels(page, "#curves")
    assert colour_count(curves_late) > 10, "the loss curves are blank"
    assert (curves_late != curves_early).any(), "the loss curves did not change while training"

    # Four quadrants, four colours: each quadrant clearly coloured by the class of the training
    # points that lie in it.
    colours = quadrant_colours(page.locator("#surface").screenshot())
    for i, rgb in enumerate(colours):
        assert hue_and_saturation(rgb)[1] > 0.25, f"quadrant {i} is washed out: {rgb}"
    classes = [nearest_class(rgb, 4) for rgb in colours]
    data = page.evaluate("playground.data")
    xmin, xmax, ymin, ymax = data["bounds"]
    expected = []
    for fy in (0.25, 0.75):  # where quadrant_colours looks: TL, TR, BL, BR
        for fx in (0.25, 0.75):
            x, y = xmin + fx * (xmax - xmin), ymax - fy * (ymax - ymin)
            inside = [c for px, py, c in data["train"]
                      if (px > 0) == (x > 0) and (py > 0) == (y > 0)]
            expected.append(Counter(inside).most_common(1)[0][0])
    assert sorted(expected) == [0, 1, 2, 3]
    assert classes == expected, f"quadrant colours {colours} -> classes {classes}, the training " \
        f"points there are of classes {expected}"

    # Hovering a neuron shows its weights (one per input) and its bias, as the last frame has them.
    neuron = page.locator('.neuron[data-layer="0"][data-index="2"]')
    neuron.hover()
    tooltip = page.locator("#tooltip")
    tooltip.wait_for(state="visible")
    layer = page.evaluate("playground.lastFrame.layers[0]")
    text = tooltip.inner_text()
    assert "bias" in text
    assert f"{layer['bias'][2]:+.3f}" in text
    for w in layer["weight"][2]:
        assert f"{w:+.3f}" in text
    assert page.locator("#tooltip .weights tr").count() == 1 + 2  # a header, x1 and x2
    save_picture(page, "playground.png")


def test_three_spirals_train(page):
    open_page(page)
    page.select_option("#dataset", "spirals")
    page.wait_for_function("playground.query.includes('dataset=spirals')")
    page.select_option("#classes", "3")
    page.wait_for_function("playground.data.classes === 3 && playground.lastFrame.layers"
                           ".at(-1).bias.length === 3 && playground.query.includes('classes=3')")
    # A network that can wind around the spirals: Adam, and a third hidden layer.
    page.select_option("#optimizer", "adam")
    page.wait_for_function("playground.query.includes('opt=adam')")
    page.click("#add-layer")
    page.wait_for_function("document.querySelectorAll('.neuron').length === 24")
    assert page.locator(".out").count() == 3
    assert re.search(r"hidden=8,8,\d+", page.url)
    page.wait_for_function("playground.lastFrame.layers.length === 4")
    start = page.evaluate("[playground.lastFrame.epoch, playground.lastFrame.test_loss]")
    assert start[0] == 0
    page.click("#play")
    page.wait_for_function(
        f"playground.lastFrame.epoch > 20 && playground.lastFrame.test_loss < {0.7 * start[1]}",
        timeout=WAIT_MS)
    assert number(page, "#epoch") > 20
    # Train on a little longer for the picture, then hold still.
    page.wait_for_timeout(5_000)
    page.click("#pause")
    page.wait_for_function("!playground.running")
    history = page.evaluate("playground.lastFrame.history")
    assert len(history["epoch"]) > 5
    assert history["test"][-1] < history["test"][0]
    save_picture(page, "playground-spirals.png")


def test_the_url_restores_the_configuration(page):
    query = ("?dataset=circles&noise=0.2&samples=200&features=x1,x2,x1%5E2&hidden=4,3,2"
             "&act=relu,tanh,sigmoid&loss=mse&opt=momentum&lr=0.1&batch=5&l2=0.001&seed=7")
    open_page(page, query)
    expected = {"#dataset": "circles", "#noise": "0.2", "#samples": "200", "#loss": "mse",
                "#optimizer": "momentum", "#lr": "0.1", "#batch": "5", "#l2": "0.001",
                "#seed": "7", "#classes": "2"}
    for selector, value in expected.items():
        assert page.input_value(selector) == value, selector
    assert page.is_checked("#feature-x1_2")
    assert not page.is_checked("#feature-sin_x1")
    for layer, (neurons, activation) in enumerate([(4, "relu"), (3, "tanh"), (2, "sigmoid")]):
        assert page.locator(f'.neuron[data-layer="{layer}"]').count() == neurons
        assert page.input_value(f'.activation[data-layer="{layer}"]') == activation
    assert page.locator(".out").count() == 2
    frame = page.evaluate("playground.lastFrame")
    assert frame["inputs"] == ["x1", "x2", "x1^2"]
    assert [len(layer["bias"]) for layer in frame["layers"]] == [4, 3, 2, 2]
    # The address bar holds the canonical query, and a change of a control rewrites it.
    assert "hidden=4,3,2" in page.url and "act=relu,tanh,sigmoid" in page.url
    page.select_option("#lr", "0.3")
    page.wait_for_function("location.search.includes('lr=0.3')")
    page.click('.add-neuron[data-layer="1"]')
    page.wait_for_function("location.search.includes('hidden=4,4,2')")
    # Reloading that address restores the changed network.
    open_page(page, "?" + page.url.split("?", 1)[1])
    assert page.locator('.neuron[data-layer="1"]').count() == 4
    assert page.input_value("#lr") == "0.3"

    # A link the server refuses: the page says why and falls back to the defaults.
    open_page(page, "?lr=nan&hidden=4")
    banner = page.locator("#error")
    assert banner.is_visible()
    assert "lr" in banner.inner_text() and "finite" in banner.inner_text()
    assert page.input_value("#lr") == "0.03"
    page.click("#error-close")
    assert not banner.is_visible()
    open_page(page, "?hidden=4,0")
    assert "hidden" in banner.inner_text() and "at least 1 neuron" in banner.inner_text()
    assert page.locator(".neuron").count() == 16


def test_csv_upload_and_a_malformed_one(page):
    open_page(page)
    rng = np.random.default_rng(0)
    names = ["red", "green", "blue"]
    centres = [(-1.0, -1.0), (1.0, -1.0), (0.0, 1.2)]
    lines = ["x1,x2,label"]
    for i in range(90):
        cx, cy = centres[i % 3]
        x, y = rng.normal((cx, cy), 0.3)
        lines.append(f"{x:.4f},{y:.4f},{names[i % 3]}")
    csv = ("\n".join(lines) + "\n").encode()
    page.set_input_files("#csv", files=[{"name": "blobs.csv", "mimeType": "text/csv",
                                         "buffer": csv}])
    page.wait_for_function("playground.query.includes('dataset=csv') && playground.data"
                           ".classes === 3 && playground.lastFrame.layers.at(-1).bias.length === 3")
    assert page.input_value("#dataset") == "csv"
    assert page.input_value("#classes") == "3"
    assert page.locator(".out").count() == 3
    assert "blobs.csv" in page.text_content("#csv-status")
    data = page.evaluate("playground.data")
    assert len(data["train"]) + len(data["test"]) == 90
    page.click("#step")
    page.wait_for_function("playground.lastFrame.epoch >= 1")

    bad = b"x1,x2,label\n0.1,0.2,a\n0.3,oops,b\n0.5,0.6,a\n0.7,0.8,b\n"
    page.set_input_files("#csv", files=[{"name": "bad.csv", "mimeType": "text/csv",
                                         "buffer": bad}])
    banner = page.locator("#error")
    banner.wait_for(state="visible")
    text = banner.inner_text()
    assert "CSV" in text and "line 3" in text, text
    # The uploaded data set keeps training.
    assert page.evaluate("playground.data.classes") == 3
    assert page.input_value("#dataset") == "csv"
    assert "dataset=csv" in page.url

    # Sixteen classes (a CSV's most): sixteen different colours, in the legend and the outputs.
    rows = [f"{np.cos(c) * 2 + 0.1 * i:.3f},{np.sin(c) * 2:.3f},{c}" for c in range(16)
            for i in range(3)]
    page.set_input_files("#csv", files=[{"name": "many.csv", "mimeType": "text/csv",
                                         "buffer": ("\n".join(rows) + "\n").encode()}])
    page.wait_for_function("playground.data.classes === 16 && document.querySelectorAll('.out')"
                           ".length === 16")
    legend = page.evaluate("[...document.querySelectorAll('#legend .class i')]"
                           ".map(i => getComputedStyle(i).backgroundColor)")
    outputs = page.evaluate("[...document.querySelectorAll('.out')]"
                            ".map(o => getComputedStyle(o).backgroundColor)")
    assert len(set(legend)) == 16 and legend == outputs


def test_download_the_script_and_weights_and_run_them(page, tmp_path):
    open_page(page, "?hidden=6&act=tanh&opt=adam&lr=0.03")
    page.click("#step")
    page.wait_for_function("playground.lastFrame.epoch >= 1")
    page_loss = page.evaluate("playground.lastFrame.test_loss")
    with page.expect_download() as download:
        page.click("#download-script")
    script = tmp_path / "playground.py"
    download.value.save_as(script)
    with page.expect_download() as download:
        page.click("#download-weights")
    weights = tmp_path / "playground.safetensors"
    download.value.save_as(weights)

    def run(*args):
        done = subprocess.run([sys.executable, str(script), *args], capture_output=True,
                              text=True, timeout=180, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        return float(re.search(r"test loss (\S+)", done.stdout).group(1))

    # Trained from the command line to the same result, and the page's weights give it too.
    assert run() == pytest.approx(page_loss, rel=1e-4, abs=1e-6)
    assert run("--weights", str(weights)) == pytest.approx(page_loss, rel=1e-4, abs=1e-6)


def test_a_diverging_loss_is_reported(page):
    # A learning rate of 10 on a deep linear network: the loss overflows at once.
    open_page(page, "?lr=10&act=linear&hidden=16,16,16&loss=hinge")
    page.click("#play")
    banner = page.locator("#error")
    banner.wait_for(state="visible", timeout=WAIT_MS)
    assert "diverged" in banner.inner_text() and "learning rate" in banner.inner_text()
    page.wait_for_function("!playground.running")
    assert page.is_enabled("#play") and not page.is_enabled("#pause")


def test_a_lost_session_restarts_paused_and_says_so(page):
    # The server forgets the session mid-play (a restart, a reaped tab): the page starts a new
    # one with the same configuration, shows it paused (as the server starts it) and says why.
    open_page(page, "?act=linear&hidden=5&lr=0.1")
    page.click("#play")
    page.wait_for_function("playground.running && playground.lastFrame.epoch > 0")
    old = page.evaluate("playground.id")
    page.evaluate("id => fetch(`/api/sessions/${id}`, {method: 'DELETE'})", old)
    page.wait_for_function("id => playground.id && playground.id !== id", arg=old, timeout=30_000)
    page.wait_for_function("playground.lastFrame.epoch === 0")
    assert not page.evaluate("playground.running")
    assert page.is_enabled("#play") and not page.is_enabled("#pause")
    banner = page.locator("#error")
    assert banner.is_visible()
    text = banner.inner_text()
    assert "lost this session" in text and "paused" in text and "Play" in text, text
    assert "act=linear" in page.url and "hidden=5" in page.url
    # It is not frozen: the page and the new session agree, and Play trains.
    frames = page.evaluate("playground.frames")
    page.wait_for_timeout(1_000)
    assert page.evaluate("playground.lastFrame.epoch") == 0  # really paused on the server too
    page.click("#play")
    page.wait_for_function("n => playground.running && playground.frames > n + 3"
                           " && playground.lastFrame.epoch > 0", arg=frames)


def test_every_control_reaches_the_server(page):
    open_page(page, "?hidden=4,3&seed=3")
    first = page.evaluate("playground.data")
    total = len(first["train"]) + len(first["test"])
    assert total == 400 and len(first["train"]) == 200

    set_and_change(page, "#noise", "0.3")
    in_force(page, "noise=0.3")
    assert page.text_content("#noise-value") == "0.3"
    assert page.evaluate("playground.data.train") != first["train"]  # the points moved

    page.select_option("#samples", "200")
    in_force(page, "samples=200")
    data = page.evaluate("playground.data")
    assert len(data["train"]) + len(data["test"]) == 200

    set_and_change(page, "#train", "0.8")
    in_force(page, "train=0.8")
    assert len(page.evaluate("playground.data.train")) == 160

    page.check("#feature-x1_x2")
    in_force(page, "features=x1,x2,x1*x2")
    page.wait_for_function("playground.lastFrame.inputs.length === 3")
    assert not page.locator(".feature-row.off #feature-x1_x2").count()

    page.select_option('.activation[data-layer="1"]', "relu")
    in_force(page, "act=tanh,relu")
    for selector, value, text in [("#loss", "hinge", "loss=hinge"), ("#l1", "0.001", "l1=0.001"),
                                  ("#l2", "0.01", "l2=0.01"), ("#dropout", "0.2", "dropout=0.2")]:
        page.select_option(selector, value)
        in_force(page, text)

    page.click('.remove-neuron[data-layer="0"]')
    in_force(page, "hidden=3,3")
    page.wait_for_function("playground.lastFrame.layers[0].bias.length === 3")
    assert page.locator('.neuron[data-layer="0"]').count() == 3
    page.click("#remove-layer")
    in_force(page, "hidden=3&")
    page.wait_for_function("playground.lastFrame.layers.length === 2")
    assert page.locator(".neuron").count() == 3
    assert page.text_content("#layer-count") == "1"

    # Reset: back to epoch 0 and the same initial weights (the seed makes them).
    initial = page.evaluate("playground.lastFrame.layers")
    page.click("#step")
    page.wait_for_function("playground.lastFrame.epoch >= 1")
    assert page.evaluate("playground.lastFrame.layers") != initial
    page.click("#reset")
    page.wait_for_function("playground.lastFrame.epoch === 0")
    assert page.evaluate("playground.lastFrame.layers") == initial
    assert number(page, "#epoch") == 0
    assert "same initial weights" in page.get_attribute("#reset", "title")


def test_a_refused_feature_change_shows_the_features_in_force(page):
    open_page(page)
    page.uncheck("#feature-x1")
    in_force(page, "features=x2&")
    page.wait_for_function("playground.lastFrame.inputs.length === 1")
    # Unticking the last feature: the server refuses, and the box shows x2 still in force.
    page.click("#feature-x2")  # not uncheck(): the page may tick it again before that looks
    banner = page.locator("#error")
    banner.wait_for(state="visible")
    assert "features" in banner.inner_text()
    page.wait_for_function("document.querySelector('#feature-x2').checked")
    assert not page.is_checked("#feature-x1")
    assert page.locator(".feature-row.off #feature-x2").count() == 0
    assert "features=x2&" in page.url
    assert page.evaluate("playground.lastFrame.inputs") == ["x2"]
