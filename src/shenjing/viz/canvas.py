"""What every picture shares: matplotlib imported on demand, a headless figure, saving by suffix.

``import shenjing`` never imports matplotlib: each drawing function calls ``new_figure``, which
imports it then (or explains how to install it). Figures are made with matplotlib's object API
on an Agg canvas, never through ``pyplot``: no window opens, no global state is touched, and a
figure is freed as soon as it is no longer referenced.
"""

from __future__ import annotations

from pathlib import Path

INSTALL_HINT = "pip install 'shenjing[plots]'"
DPI = 100
FORMATS = (".png", ".svg")

# Tableau's ten colours: distinct for up to ten classes, readable by most colour-blind people.
CLASS_COLORS = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1",
                "#76b7b2", "#edc948", "#ff9da7", "#9c755f", "#bab0ac")
# Weights: red negative, white near zero, green positive.
DIVERGING = ("#b2182b", "#ffffff", "#1b7837")


class MissingExtraError(ImportError):
    """An optional extra (matplotlib for the pictures) is not installed; says how to install."""


def require_matplotlib():
    """The matplotlib module, or a ``MissingExtraError`` that says how to install it."""
    try:
        import matplotlib
    except ImportError:
        raise MissingExtraError("shenjing.viz draws with matplotlib, which is not installed: "
                                f"{INSTALL_HINT}") from None
    return matplotlib


def new_figure(width: float, height: float, layout: str | None = "constrained"):
    """A matplotlib ``Figure`` of ``width`` x ``height`` inches on a headless Agg canvas."""
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=DPI, layout=layout)
    FigureCanvasAgg(figure)
    return figure


def check_suffix(path: str | Path, formats: tuple[str, ...] = FORMATS) -> Path:
    """``path`` as a Path, if its suffix names a format we write; else a ValueError naming it."""
    path = Path(path)
    if path.suffix.lower() not in formats:
        raise ValueError(f"{path}: the suffix chooses the format; use one of "
                         f"{', '.join(formats)}")
    return path


def save(figure, path: str | Path, dpi: int = DPI) -> Path:
    """Write ``figure`` to ``path`` as PNG or SVG (by the suffix), making its folder."""
    path = check_suffix(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # No creation date in the file: the same picture gives the same bytes.
    metadata = {"Date": None} if path.suffix.lower() == ".svg" else {}
    figure.savefig(path, dpi=dpi, metadata=metadata)
    return path


def finish(figure, path: str | Path | None):
    """Save ``figure`` when a path is given; return the figure either way."""
    if path is not None:
        save(figure, path)
    return figure


def diverging_colormap():
    """The red-white-green colormap for signed values (centre it on zero with vmin = -vmax)."""
    require_matplotlib()
    from matplotlib.colors import LinearSegmentedColormap

    return LinearSegmentedColormap.from_list("shenjing_signed", DIVERGING)


def to_numpy(tensor):
    """A tensor (on any device, in any graph) as a NumPy array on the host, for drawing."""
    return tensor.detach().cpu().numpy()


def compact_png(path: str | Path) -> bool:
    """Rewrite a PNG with a 256-colour palette (octree, no dithering): about a third of the
    bytes, the same picture to the eye; for pictures kept in a repository. Returns False (and
    leaves the file) without Pillow."""
    try:
        from PIL import Image
    except ImportError:
        return False
    path = Path(path)
    with Image.open(path) as image:
        rgb = image.convert("RGB")
    rgb.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(
        path, optimize=True)
    return True
