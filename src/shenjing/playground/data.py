"""The Playground's data: the toy sets of ``shenjing.datasets``, a CSV file of ``x1,x2,label``,
and the input features a network sees.

The feature formulas exist twice on purpose, as functions here and as source text for the
take-away script, so that the script computes exactly what the session did
(``tests/playground/test_export.py`` runs it and compares).
"""

from __future__ import annotations

import math

import shenjing as sj
from shenjing import backend
from shenjing.datasets import toy
from shenjing.playground.config import Config, ConfigError

_xp = backend.module_for(backend.CPU)

MAX_CSV_ROWS, MIN_CSV_ROWS, MAX_CSV_CLASSES = 5000, 4, 16
MAX_CSV_CHARS = 1_000_000
# squared features of larger coordinates overflow float32 and would read as a diverging loss
MAX_CSV_MAGNITUDE = 1e6
# blobs: Config.noise (0 to 0.5) widens each blob from its base spread, as a standard deviation
BLOB_SPREAD = 0.4

# name -> (function of the x1, x2 columns, the same formula as source text for the script)
FEATURE_FORMULAS = {
    "x1": (lambda x1, x2: x1, "x1"),
    "x2": (lambda x1, x2: x2, "x2"),
    "x1^2": (lambda x1, x2: x1 * x1, "x1 * x1"),
    "x2^2": (lambda x1, x2: x2 * x2, "x2 * x2"),
    "x1*x2": (lambda x1, x2: x1 * x2, "x1 * x2"),
    "sin_x1": (lambda x1, x2: sj.sin(x1), "sj.sin(x1)"),
    "sin_x2": (lambda x1, x2: sj.sin(x2), "sj.sin(x2)"),
}


class CSVError(ValueError):
    """A CSV file the Playground cannot read; the message names the line."""


def features(X: sj.Tensor, names: tuple) -> sj.Tensor:
    """Points ``X`` (N, 2) -> the network's inputs (N, len(names)), one column per feature."""
    x1, x2 = X[:, 0], X[:, 1]
    return sj.stack([FEATURE_FORMULAS[name][0](x1, x2) for name in names], dim=1)


def make_points(config: Config):
    """The data set's points (N, 2) float32 and labels (N,) int64, as Tensors, from the seed.

    A CSV set comes through ``load_csv`` instead; this covers the generated ones.
    """
    name, n, noise, seed = config.dataset, config.samples, config.noise, config.seed
    if name == "spirals":
        return toy.spirals(n, noise, seed, n_arms=config.classes)
    if name == "blobs":
        return toy.blobs(n, centers=config.classes, noise=BLOB_SPREAD + noise, seed=seed)
    if name in ("quadrants", "xor", "circles", "moons"):
        return getattr(toy, name)(n, noise, seed)
    raise ConfigError(f"dataset: {name!r} has no generator (a CSV set needs its file)")


def points_source(config: Config) -> str:
    """The call that ``make_points`` makes, as source text for the script."""
    name, n, noise, seed = config.dataset, config.samples, config.noise, config.seed
    if name == "spirals":
        return f"datasets.spirals({n}, {noise!r}, {seed}, n_arms={config.classes})"
    if name == "blobs":
        return (f"datasets.blobs({n}, centers={config.classes}, "
                f"noise={BLOB_SPREAD + noise!r}, seed={seed})")
    return f"datasets.{name}({n}, {noise!r}, {seed})"


def parse_csv(text: str):
    """CSV text of ``x1,x2,label`` rows -> points (N, 2) float32 and labels (N,) int64 arrays.

    A header line is optional; labels may be any integers or strings and become 0..k-1 in
    sorted order (numeric order when every label is an integer). Blank lines are skipped.
    ``CSVError`` names the line of the first bad row.

    >>> from shenjing.playground.data import parse_csv
    >>> X, y = parse_csv("x1,x2,label\\n0,0,a\\n1,1,b\\n0,1,a\\n1,0,b\\n")
    >>> X.shape, y.tolist()
    ((4, 2), [0, 1, 0, 1])
    """
    if not isinstance(text, str):
        raise CSVError(f"csv: expected text, got {type(text).__name__}")
    if len(text) > MAX_CSV_CHARS:
        raise CSVError(f"csv: the file has {len(text)} characters, more than the "
                       f"{MAX_CSV_CHARS} allowed")
    points, labels, rows = [], [], 0
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        cells = [cell.strip() for cell in line.split(",")]
        rows += 1
        if len(cells) != 3 or not all(cells):
            raise CSVError(f"line {number}: expected x1,x2,label, got {line[:60]!r}")
        try:
            x1, x2 = float(cells[0]), float(cells[1])
        except ValueError:
            if rows == 1:  # the header
                continue
            raise CSVError(f"line {number}: x1 and x2 must be numbers, got "
                           f"{line[:60]!r}") from None
        if not (math.isfinite(x1) and math.isfinite(x2)):
            raise CSVError(f"line {number}: x1 and x2 must be finite, got {line[:60]!r}")
        if max(abs(x1), abs(x2)) > MAX_CSV_MAGNITUDE:
            raise CSVError(f"line {number}: x1 and x2 must be within +-{MAX_CSV_MAGNITUDE:g}, "
                           f"got {line[:60]!r}")
        points.append((x1, x2))
        labels.append(cells[2])
        if len(points) > MAX_CSV_ROWS:
            raise CSVError(f"line {number}: more than {MAX_CSV_ROWS} rows")
    if len(points) < MIN_CSV_ROWS:
        raise CSVError(f"csv: at least {MIN_CSV_ROWS} rows of x1,x2,label are needed, got "
                       f"{len(points)}")
    try:
        order = sorted(set(labels), key=int)
    except ValueError:
        order = sorted(set(labels))
    if not 2 <= len(order) <= MAX_CSV_CLASSES:
        raise CSVError(f"csv: the labels must name 2 to {MAX_CSV_CLASSES} classes, got "
                       f"{len(order)}")
    index = {label: i for i, label in enumerate(order)}
    X = _xp.asarray(points, dtype=_xp.float32)
    y = _xp.asarray([index[label] for label in labels], dtype=_xp.int64)
    return X, y


def bounds(X) -> list:
    """[xmin, xmax, ymin, ymax] of points (N, 2), each range padded by 10% on both sides."""
    X = _xp.asarray(X, dtype=_xp.float64)
    out = []
    for axis in range(2):
        low, high = float(X[:, axis].min()), float(X[:, axis].max())
        pad = 0.1 * (high - low) if high > low else 1.0  # one coordinate only: a unit margin
        out += [low - pad, high + pad]
    return out
