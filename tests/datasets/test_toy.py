"""The 2-D teaching sets: shapes, dtypes, class balance, geometry, noise and determinism."""

import numpy as np
import pytest

import shenjing as sj
from shenjing.data import TensorDataset
from shenjing.datasets import blobs, circles, moons, quadrants, spirals, xor

SETS = {
    "quadrants": (quadrants, 4),
    "xor": (xor, 2),
    "spirals": (spirals, 2),
    "circles": (circles, 2),
    "moons": (moons, 2),
    "blobs": (blobs, 3),
}


@pytest.mark.parametrize("name", SETS)
@pytest.mark.parametrize("n", [101, 400])
def test_shapes_dtypes_and_class_balance(name, n):
    make, k = SETS[name]
    X, y = make(n, noise=0.1)
    assert X.shape == (n, 2) and X.dtype == sj.float32
    assert y.shape == (n,) and y.dtype == sj.int64
    counts = np.bincount(y.numpy(), minlength=k)
    assert len(counts) == k and counts.sum() == n and counts.max() - counts.min() <= 1
    assert np.isfinite(X.numpy()).all()


@pytest.mark.parametrize("name", SETS)
def test_same_seed_same_set_different_seed_different_set(name):
    make, _ = SETS[name]
    X1, y1 = make(200, noise=0.2, seed=1)
    X2, y2 = make(200, noise=0.2, seed=1)
    X3, _ = make(200, noise=0.2, seed=2)
    assert np.array_equal(X1.numpy(), X2.numpy()) and np.array_equal(y1.numpy(), y2.numpy())
    assert not np.array_equal(X1.numpy(), X3.numpy())


@pytest.mark.parametrize("name", SETS)
def test_seed_none_follows_manual_seed(name):
    make, _ = SETS[name]
    sj.manual_seed(3)
    a = make(50, noise=0.1, seed=None)[0].numpy()
    b = make(50, noise=0.1, seed=None)[0].numpy()
    sj.manual_seed(3)
    c = make(50, noise=0.1, seed=None)[0].numpy()
    assert np.array_equal(a, c) and not np.array_equal(a, b)


@pytest.mark.parametrize("name", SETS)
def test_as_dataset_and_shuffled_order(name):
    make, _ = SETS[name]
    ds = make(60, as_dataset=True)
    assert isinstance(ds, TensorDataset) and len(ds) == 60
    y = ds.tensors[1].numpy()
    assert not np.array_equal(y, np.sort(y))  # classes are mixed, not in blocks


def test_quadrants_label_points_by_quadrant():
    X, y = quadrants(400)
    x0, x1 = X.numpy().T
    expected = np.select([(x0 > 0) & (x1 > 0), (x0 < 0) & (x1 > 0), (x0 < 0) & (x1 < 0)],
                         [0, 1, 2], 3)
    assert np.array_equal(y.numpy(), expected)
    assert np.abs(X.numpy()).max() <= 1.0


def test_xor_labels():
    X, y = xor(400)
    x0, x1 = X.numpy().T
    assert np.array_equal(y.numpy(), (x0 * x1 < 0).astype(np.int64))


def test_noise_moves_points_but_keeps_labels():
    X0, y0 = quadrants(400, noise=0.0, seed=5)
    X1, y1 = quadrants(400, noise=0.3, seed=5)
    assert np.array_equal(y0.numpy(), y1.numpy())
    shift = (X1 - X0).numpy()
    assert 0.2 < shift.std() < 0.4  # gaussian noise of std 0.3


def test_circles_radii_and_moons_centres():
    X, y = circles(200, factor=0.3)
    r = np.linalg.norm(X.numpy(), axis=1)
    np.testing.assert_allclose(r[y.numpy() == 0], 1.0, rtol=1e-6)
    np.testing.assert_allclose(r[y.numpy() == 1], 0.3, rtol=1e-6)
    X, y = moons(200)
    upper, lower = X.numpy()[y.numpy() == 0], X.numpy()[y.numpy() == 1]
    np.testing.assert_allclose(np.linalg.norm(upper, axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(lower - [1.0, 0.5], axis=1), 1.0, rtol=1e-6)


def test_spirals_arms_and_radius():
    X, y = spirals(300, n_arms=3, turns=1.5)
    assert sorted(np.bincount(y.numpy()).tolist()) == [100, 100, 100]
    r = np.linalg.norm(X.numpy(), axis=1)
    assert r.min() > 0 and r.max() <= 1.0 + 1e-6


def test_blobs_gather_around_their_centres():
    centers = [(0.0, 0.0), (4.0, 4.0), (-4.0, 4.0), (0.0, -5.0)]
    X, y = blobs(400, centers=centers, noise=0.5)
    for k, centre in enumerate(centers):
        points = X.numpy()[y.numpy() == k]
        np.testing.assert_allclose(points.mean(axis=0), centre, atol=0.2)
        assert ((0.4 < points.std(axis=0)) & (points.std(axis=0) < 0.6)).all()


@pytest.mark.parametrize("call, message", [
    (lambda: quadrants(3), "n_samples must be an int >= 4"),
    (lambda: moons(10, noise=-1.0), "noise must be >= 0"),
    (lambda: spirals(10, n_arms=1), "n_arms must be an int >= 2"),
    (lambda: circles(10, factor=1.5), "factor must be in"),
    (lambda: blobs(10, centers=[1, 2, 3]), "centers must be an int or a list of"),
])
def test_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()
