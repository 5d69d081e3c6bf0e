"""Helpers for the picture tests: decode a written file and check it is a real, non-blank
picture of the expected size (PNG and GIF through Pillow, SVG as XML)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
from PIL import Image

# Grey-level variance of a picture with something on it; a blank one has 0, a single line on
# white about 10 or less.
MIN_VARIANCE = 50.0


def pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L"), dtype=np.float64)


def check_png(path: Path, figure=None, size: tuple[int, int] | None = None,
              min_variance: float = MIN_VARIANCE) -> np.ndarray:
    """Assert ``path`` is a PNG of the figure's size (inches x 100 dpi) or of ``size``, and not
    blank; returns its RGB pixels."""
    assert path.is_file(), f"{path} was not written"
    with Image.open(path) as image:
        assert image.format == "PNG", image.format
        if figure is not None:
            width, height = figure.get_size_inches() * figure.dpi
            size = (round(width), round(height))
        if size is not None:
            assert abs(image.size[0] - size[0]) <= 1 and abs(image.size[1] - size[1]) <= 1, \
                (image.size, size)
        assert pixels(image).var() > min_variance, f"{path} looks blank"
        return np.asarray(image.convert("RGB"))


def check_gif(path: Path, frames: int | None = None) -> list[np.ndarray]:
    """Assert ``path`` is an animated GIF (of ``frames`` frames), each frame non-blank;
    returns the frames' grey pixels."""
    with Image.open(path) as image:
        assert image.format == "GIF", image.format
        if frames is not None:
            assert image.n_frames == frames, (image.n_frames, frames)
        found = []
        for k in range(image.n_frames):
            image.seek(k)
            grey = pixels(image)
            assert grey.var() > MIN_VARIANCE, f"frame {k} of {path} looks blank"
            found.append(grey)
        return found


def check_svg(path: Path, min_shapes: int = 10) -> ET.Element:
    """Assert ``path`` is an SVG document with a size and at least ``min_shapes`` drawn shapes."""
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg"), root.tag
    assert root.get("width") and root.get("height")
    shapes = [e for e in root.iter() if e.tag.split("}")[-1] in
              ("path", "polygon", "ellipse", "rect", "use", "text", "image")]
    assert len(shapes) >= min_shapes, f"{path} holds only {len(shapes)} shapes"
    return root
