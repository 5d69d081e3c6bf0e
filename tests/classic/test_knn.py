"""KNearestNeighbors and pairwise_distances: blocked distances agree exactly with a brute-force
computation, neighbours are ordered by (distance, index), votes break ties as documented, memory
stays within the budget, errors name what is wrong; and real MNIST on a subset."""

import tracemalloc

import numpy as np
import pytest

import shenjing as sj
from shenjing.classic import KNearestNeighbors, NotFittedError, pairwise_distances
from shenjing.classic.knn import block_shape, vote
from tests.datasets import SHARED_DATA, requires_mnist


def brute_distances(a, b, metric):
    """The full distance matrix by broadcasting, in float64."""
    diff = a[:, None, :].astype(np.float64) - b[None, :, :].astype(np.float64)
    if metric == "l1":
        return np.abs(diff).sum(axis=2)
    return np.sqrt((diff * diff).sum(axis=2))


def brute_neighbors(a, b, metric, k):
    """Indices (n_a, k) ordered by distance, equal distances by index (a stable sort)."""
    d = brute_distances(a, b, metric)
    order = np.argsort(d, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(d, order, axis=1), order


def brute_predict(neighbor_labels):
    """Majority vote; ties to the class whose nearest member comes first, one row at a time."""
    out = []
    for row in neighbor_labels:
        counts = {c: list(row).count(c) for c in row}
        top = max(counts.values())
        out.append(next(c for c in row if counts[c] == top))
    return np.array(out)


@pytest.fixture
def integer_data():
    """Small integer-valued samples: distances are exact in float64, and many tie."""
    rng = np.random.default_rng(1)
    x_train = rng.integers(0, 4, size=(53, 7)).astype(np.float64)
    y_train = rng.integers(0, 3, size=53)
    x_query = rng.integers(0, 4, size=(150, 7)).astype(np.float64)
    return x_train, y_train, x_query


# Budgets whose blocks divide neither the 150 queries nor the 53 training samples (nor, for L1,
# the block's columns its slabs), and one budget that holds everything in one block.
BUDGETS = {"l2": [16 * 64 * 7, 16 * 64 * 20, 10**7], "l1": [15_000, 108_500]}
CASES = [(metric, budget) for metric, budgets in BUDGETS.items() for budget in budgets]


@pytest.mark.parametrize("metric,max_memory", CASES)
def test_blocks_do_not_divide_the_data(metric, max_memory):
    rows, cols, slab = block_shape(150, 53, 7, 8, metric, max_memory)
    if max_memory == 10**7:
        assert (rows, cols) == (150, 53)
    else:
        assert 150 % rows and 53 % cols, (rows, cols)
    if metric == "l1":
        assert cols % slab, (cols, slab)


@pytest.mark.parametrize("metric,max_memory", CASES)
@pytest.mark.parametrize("k", [1, 4, 53])
def test_kneighbors_agree_exactly_with_brute_force(integer_data, metric, max_memory, k):
    x_train, y_train, x_query = integer_data
    knn = KNearestNeighbors(k=k, metric=metric, max_memory=max_memory).fit(x_train, y_train)
    dist, index = knn.kneighbors(x_query)
    want_dist, want_index = brute_neighbors(x_query, x_train, metric, k)
    assert dist.dtype == sj.float64 and index.dtype == sj.int64
    np.testing.assert_array_equal(index.numpy(), want_index)  # ties included: by index
    np.testing.assert_array_equal(dist.numpy(), want_dist)


@pytest.mark.parametrize("metric,max_memory", CASES)
def test_pairwise_distances_agree_exactly_with_brute_force(integer_data, metric, max_memory):
    x_train, _, x_query = integer_data
    got = pairwise_distances(x_query, x_train, metric=metric, max_memory=max_memory)
    np.testing.assert_array_equal(got.numpy(), brute_distances(x_query, x_train, metric))
    if metric == "l2":
        squared = pairwise_distances(x_query, x_train, squared=True, max_memory=max_memory)
        want = brute_distances(x_query, x_train, metric) ** 2
        np.testing.assert_allclose(squared.numpy(), want, rtol=1e-12)


@pytest.mark.parametrize("metric", ["l2", "l1"])
def test_float32_images_match_brute_force(metric):
    rng = np.random.default_rng(2)
    x_train = rng.random((40, 3, 5), dtype=np.float32)
    x_query = rng.random((13, 3, 5), dtype=np.float32)
    knn = KNearestNeighbors(k=3, metric=metric, max_memory=1000).fit(
        sj.tensor(x_train), sj.tensor(rng.integers(0, 2, 40)))
    dist, index = knn.kneighbors(sj.tensor(x_query))
    want_dist, want_index = brute_neighbors(x_query.reshape(13, -1), x_train.reshape(40, -1),
                                            metric, 3)
    assert dist.dtype == sj.float32
    np.testing.assert_allclose(dist.numpy(), want_dist, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(index.numpy(), want_index)


@pytest.mark.parametrize("k", [1, 2, 3, 5, 8])
def test_predict_is_the_documented_majority_vote(integer_data, k):
    x_train, y_train, x_query = integer_data
    labels = y_train * 10 + 5  # any integers, not only 0..C-1
    knn = KNearestNeighbors(k=k, max_memory=16 * 64 * 7).fit(x_train, labels)
    _, want_index = brute_neighbors(x_query, x_train, "l2", k)
    predicted = knn.predict(x_query)
    assert predicted.dtype == sj.int64
    np.testing.assert_array_equal(predicted.numpy(), brute_predict(labels[want_index]))


def test_vote_ties_go_to_the_class_of_the_nearest_tied_neighbour():
    labels = np.array([
        [2, 0, 0, 2],  # 2-2 tie between 2 and 0: 2 is nearer
        [1, 0, 2, 0],  # 0 has a majority, though 1 is nearest
        [1, 2, 0, 3],  # all tied: the nearest, 1
        [3, 0, 0, 3],  # 3 and 0 tie, 3 nearer
        [0, 3, 3, 0],
    ])
    assert vote(labels, 4).tolist() == [2, 0, 1, 3, 0]
    assert vote(labels[:, :2], 4).tolist() == labels[:, 0].tolist()  # k=2 agrees with k=1


def test_tie_break_on_points():
    # the query at 0 has class 1 at distance 1 and class 0 at distances 2 and -2... and 3
    x_train = np.array([[1.0], [2.0], [-2.0], [-1.0], [3.0]])
    y_train = np.array([1, 0, 0, 2, 2])
    knn = KNearestNeighbors(k=4).fit(x_train, y_train)
    dist, index = knn.kneighbors([[0.0]])
    # equal distances are ordered by training index
    assert index.tolist() == [[0, 3, 1, 2]] and dist.tolist() == [[1.0, 1.0, 2.0, 2.0]]
    assert knn.predict([[0.0]]).tolist() == [0]  # two votes for 0, one each for 1 and 2
    knn = KNearestNeighbors(k=2).fit(x_train, y_train)
    assert knn.predict([[0.0]]).tolist() == [1]  # 1-1: the nearer one, index 0 before index 3
    # exact duplicates of the query with different labels: the earlier training sample wins
    knn = KNearestNeighbors(k=1).fit([[5.0, 5.0], [5.0, 5.0]], [7, 3])
    assert knn.predict([[5.0, 5.0]]).tolist() == [7]


def test_working_memory_stays_within_the_budget():
    rng = np.random.default_rng(3)
    x_train = rng.standard_normal((4000, 16))
    x_query = rng.standard_normal((1500, 16))
    budget = 2 * 2**20
    full_matrix = 1500 * 4000 * 8
    assert full_matrix > 20 * budget
    for metric in ("l2", "l1"):
        knn = KNearestNeighbors(k=5, metric=metric, max_memory=budget).fit(
            x_train, rng.integers(0, 10, 4000))
        tracemalloc.start()
        try:
            knn.predict(x_query)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        outputs = 1500 * 5 * (8 + 8)  # the neighbours' distances and indices, kept for all
        assert peak < budget + outputs + 2**16, (metric, peak)


def test_accepts_tensors_arrays_lists_and_images():
    x = [[0.0, 0.0], [0.0, 1.0], [5.0, 5.0], [6.0, 5.0]]
    y = [0, 0, 1, 1]
    for make in (list, np.array, sj.tensor):
        knn = KNearestNeighbors(k=1).fit(make(x), make(y))
        assert knn.predict(make([[0.1, 0.2], [5.5, 5.0]])).tolist() == [0, 1]
        assert knn.score(make(x), make(y)) == 1.0
    images = np.arange(4 * 2 * 2, dtype=np.uint8).reshape(4, 2, 2)
    knn = KNearestNeighbors(k=1).fit(images, y)
    assert knn.predict(images).tolist() == y
    assert knn.predict(images.reshape(4, 4)).tolist() == y  # same number of features


def test_errors_name_what_is_wrong():
    x, y = np.zeros((3, 4)), np.array([0, 1, 0])
    with pytest.raises(NotFittedError, match="not fitted yet; call fit"):
        KNearestNeighbors().predict(x)
    with pytest.raises(ValueError, match="k=4 is more than the 3 training samples"):
        KNearestNeighbors(k=4).fit(x, y)
    knn = KNearestNeighbors(k=1).fit(x, y)
    with pytest.raises(ValueError, match="k=5 is more than the 3 training samples"):
        knn.kneighbors(x, k=5)
    with pytest.raises(sj.ShapeError, match=r"X of shape \(2, 5\) has 5 features per sample, "
                                            r"but the model was fit on samples of shape \(4,\)"):
        knn.predict(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="unknown metric 'cosine'; expected 'l2' or 'l1'"):
        KNearestNeighbors(metric="cosine")
    with pytest.raises(ValueError, match="k must be at least 1, got 0"):
        KNearestNeighbors(k=0)
    with pytest.raises(TypeError, match="k must be an integer, got 2.5"):
        KNearestNeighbors(k=2.5)
    with pytest.raises(sj.ShapeError, match=r"y of shape \(2,\) must hold one label per sample"):
        KNearestNeighbors().fit(x, y[:2])
    with pytest.raises(TypeError, match="y must hold integer class labels, got dtype float64"):
        KNearestNeighbors().fit(x, y.astype(float))
    with pytest.raises(sj.ShapeError, match=r"X must hold samples as \(N, D\)"):
        KNearestNeighbors().fit(np.zeros(3), y)
    with pytest.raises(ValueError, match="X holds NaN or infinite values"):
        KNearestNeighbors().fit(np.full((3, 4), np.nan), y)
    with pytest.raises(ValueError, match="X holds NaN or infinite values"):
        knn.predict(np.full((1, 4), np.inf))
    with pytest.raises(sj.ShapeError, match=r"A of shape \(1, 2\) and B of shape \(1, 3\)"):
        pairwise_distances(np.zeros((1, 2)), np.zeros((1, 3)))


@requires_mnist
def test_real_mnist_subset():
    train = sj.datasets.MNIST(SHARED_DATA, train=True)
    test = sj.datasets.MNIST(SHARED_DATA, train=False)
    knn = KNearestNeighbors(k=3).fit(train.data[:5000], train.targets[:5000])
    # 5,000 training images already classify 1,000 test images well (about 93 %)
    assert knn.score(test.data[:1000], test.targets[:1000]) > 0.90
