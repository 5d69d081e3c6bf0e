"""Two-dimensional teaching sets: quadrants, spirals, circles, XOR, gaussian blobs, moons.

Each returns float32 points ``X`` of shape ``(n_samples, 2)`` and int64 labels ``y`` of shape
``(n_samples,)`` (or a ``TensorDataset`` with ``as_dataset=True``), classes as balanced as
``n_samples`` allows, in shuffled order. ``noise`` is the standard deviation of gaussian noise
added to the points; ``seed`` makes a set reproducible (``None`` draws from the generator that
``sj.manual_seed`` seeds). The names follow scikit-learn's ``make_moons``, ``make_circles`` and
``make_blobs``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from shenjing import backend
from shenjing.autograd.tensor import Tensor
from shenjing.data.dataset import TensorDataset, as_generator

_xp = backend.module_for(backend.CPU)


def _check(name: str, n_samples: int, noise: float, n_classes: int) -> None:
    if not isinstance(n_samples, int) or isinstance(n_samples, bool) or n_samples < n_classes:
        raise ValueError(f"{name}: n_samples must be an int >= {n_classes} (one per class), "
                         f"got {n_samples!r}")
    if not noise >= 0:
        raise ValueError(f"{name}: noise must be >= 0, got {noise!r}")


def _counts(n: int, k: int) -> list[int]:
    """``n`` split into ``k`` counts that differ by at most one."""
    return [n // k + (i < n % k) for i in range(k)]


def _finish(X, y, noise: float, rng, as_dataset: bool):
    # shuffle before drawing the noise: the same seed then gives the same points and labels in
    # the same order at every noise level, and noise only moves the points
    order = rng.permutation(len(y))
    X, y = X[order], y[order]
    if noise:
        X = X + noise * rng.standard_normal(X.shape)
    X = Tensor._make(_xp.ascontiguousarray(X, dtype=backend.get_default_dtype()))
    y = Tensor._make(_xp.ascontiguousarray(y, dtype=backend.DEFAULT_INT))
    return TensorDataset(X, y) if as_dataset else (X, y)


def quadrants(n_samples: int = 400, noise: float = 0.0, seed: int | None = 0, *,
              as_dataset: bool = False):
    """Points uniform in the square [-1, 1]^2, labelled 0..3 by quadrant (I, II, III, IV).

    The four-class problem for a 2-6-4 network: class 0 is x > 0, y > 0, class 1 is x < 0, y > 0,
    class 2 is x < 0, y < 0, class 3 is x > 0, y < 0. Noise moves points after labelling, so it
    blurs the axes.

    >>> from shenjing.datasets import quadrants
    >>> X, y = quadrants(8)
    >>> X.shape, y.dtype, sorted(y.tolist())
    ((8, 2), dtype('int64'), [0, 0, 1, 1, 2, 2, 3, 3])
    """
    _check("quadrants", n_samples, noise, 4)
    rng = as_generator(seed)
    X, y = _quadrant_points(n_samples, rng)
    return _finish(X, y, noise, rng, as_dataset)


def _quadrant_points(n_samples: int, rng):
    """Points in [-1, 1]^2, as equal as can be per quadrant, with quadrant labels 0..3."""
    signs = [(1, 1), (-1, 1), (-1, -1), (1, -1)]
    X, y = [], []
    for label, (m, (sx, sy)) in enumerate(zip(_counts(n_samples, 4), signs)):
        # |x|, |y| in (0, 1]: points never sit on an axis, so the labels are unambiguous
        magnitude = 1.0 - rng.random((m, 2))
        X.append(magnitude * _xp.array([sx, sy]))
        y.append(_xp.full(m, label))
    return _xp.concatenate(X), _xp.concatenate(y)


def xor(n_samples: int = 400, noise: float = 0.0, seed: int | None = 0, *,
        as_dataset: bool = False):
    """The XOR problem: points in [-1, 1]^2, label 1 where x and y have opposite signs.

    The classic set a single linear layer cannot separate.

    >>> from shenjing.datasets import xor
    >>> X, y = xor(100)
    >>> bool(((X[:, 0] * X[:, 1] < 0) == (y == 1)).all())
    True
    """
    _check("xor", n_samples, noise, 2)
    rng = as_generator(seed)
    X, quadrant = _quadrant_points(n_samples, rng)
    return _finish(X, quadrant % 2, noise, rng, as_dataset)  # I, III -> 0; II, IV -> 1


def spirals(n_samples: int = 300, noise: float = 0.0, seed: int | None = 0, *,
            n_arms: int = 2, turns: float = 1.0, as_dataset: bool = False):
    """Interleaved spiral arms, one class per arm (two by default); radius grows from 0 to 1.

    Arm ``k`` winds ``turns`` times around the origin, rotated by ``2 pi k / n_arms``; the
    classic set from cs231n and TensorFlow Playground that needs a non-linear network.

    >>> from shenjing.datasets import spirals
    >>> X, y = spirals(300, n_arms=3)
    >>> X.shape, sorted(set(y.tolist()))
    ((300, 2), [0, 1, 2])
    """
    if not isinstance(n_arms, int) or n_arms < 2:
        raise ValueError(f"spirals: n_arms must be an int >= 2, got {n_arms!r}")
    _check("spirals", n_samples, noise, n_arms)
    rng = as_generator(seed)
    X, y = [], []
    for arm, m in enumerate(_counts(n_samples, n_arms)):
        t = _xp.linspace(0.0, 1.0, m + 1)[1:]  # radius in (0, 1]: no two arms share the origin
        angle = 2 * math.pi * (turns * t + arm / n_arms)
        X.append(_xp.stack([t * _xp.cos(angle), t * _xp.sin(angle)], axis=1))
        y.append(_xp.full(m, arm))
    return _finish(_xp.concatenate(X), _xp.concatenate(y), noise, rng, as_dataset)


def circles(n_samples: int = 400, noise: float = 0.0, seed: int | None = 0, *,
            factor: float = 0.5, as_dataset: bool = False):
    """Two concentric circles: the outer one (radius 1) is class 0, the inner one (radius
    ``factor``) class 1; as ``sklearn.datasets.make_circles``.

    >>> from shenjing.datasets import circles
    >>> X, y = circles(100)
    >>> r = (X ** 2).sum(dim=1).sqrt()
    >>> bool(((r - 1).abs() < 1e-5).eq(y == 0).all())
    True
    """
    if not 0 < factor < 1:
        raise ValueError(f"circles: factor must be in (0, 1), got {factor!r}")
    _check("circles", n_samples, noise, 2)
    rng = as_generator(seed)
    X, y = [], []
    for label, (m, radius) in enumerate(zip(_counts(n_samples, 2), (1.0, factor))):
        angle = _xp.linspace(0.0, 2 * math.pi, m, endpoint=False)
        X.append(radius * _xp.stack([_xp.cos(angle), _xp.sin(angle)], axis=1))
        y.append(_xp.full(m, label))
    return _finish(_xp.concatenate(X), _xp.concatenate(y), noise, rng, as_dataset)


def moons(n_samples: int = 400, noise: float = 0.0, seed: int | None = 0, *,
          as_dataset: bool = False):
    """Two interleaving half circles; as ``sklearn.datasets.make_moons``.

    Class 0 is the upper moon (centre (0, 0)), class 1 the lower one (centre (1, 0.5)).

    >>> from shenjing.datasets import moons
    >>> X, y = moons(10)
    >>> X.shape, sorted(y.tolist())
    ((10, 2), [0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
    """
    _check("moons", n_samples, noise, 2)
    rng = as_generator(seed)
    n_upper, n_lower = _counts(n_samples, 2)
    t_upper = _xp.linspace(0.0, math.pi, n_upper)
    t_lower = _xp.linspace(0.0, math.pi, n_lower)
    upper = _xp.stack([_xp.cos(t_upper), _xp.sin(t_upper)], axis=1)
    lower = _xp.stack([1.0 - _xp.cos(t_lower), 0.5 - _xp.sin(t_lower)], axis=1)
    X = _xp.concatenate([upper, lower])
    y = _xp.concatenate([_xp.zeros(n_upper), _xp.ones(n_lower)])
    return _finish(X, y, noise, rng, as_dataset)


def blobs(n_samples: int = 300, centers: int | Sequence[Sequence[float]] = 3,
          noise: float = 0.5, seed: int | None = 0, *, as_dataset: bool = False):
    """Gaussian blobs, one class per centre; ``noise`` is each blob's standard deviation.

    ``centers`` is a number of blobs (placed evenly on a circle of radius 2) or a list of
    ``(x, y)`` centres. Like ``sklearn.datasets.make_blobs`` (``noise`` is its ``cluster_std``).

    >>> from shenjing.datasets import blobs
    >>> X, y = blobs(90, centers=[(0, 0), (5, 5), (-5, 5)], noise=0.1)
    >>> X.shape, [y.tolist().count(k) for k in range(3)]
    ((90, 2), [30, 30, 30])
    """
    if isinstance(centers, int) and not isinstance(centers, bool):
        if centers < 1:
            raise ValueError(f"blobs: centers must be >= 1, got {centers}")
        angle = _xp.arange(centers) * 2 * math.pi / centers
        points = 2.0 * _xp.stack([_xp.cos(angle), _xp.sin(angle)], axis=1)
    else:
        points = _xp.asarray(centers, dtype=float)
        if points.ndim != 2 or points.shape[1] != 2 or len(points) < 1:
            raise ValueError(f"blobs: centers must be an int or a list of (x, y) pairs, got "
                             f"shape {points.shape}")
    k = len(points)
    _check("blobs", n_samples, noise, k)
    rng = as_generator(seed)
    counts = _counts(n_samples, k)
    X = _xp.repeat(points, counts, axis=0)
    y = _xp.repeat(_xp.arange(k), counts)
    return _finish(X, y, noise, rng, as_dataset)
