"""kfold, cross_validate and select_k: folds partition the data, select_k scores every k from one
neighbour search per fold, agrees with cross-validating each k on its own, and picks the known
best k on constructed problems."""

import numpy as np
import pytest

import shenjing as sj
import shenjing.classic.knn as knn_module
from shenjing.classic import KNearestNeighbors, LinearClassifier, cross_validate, kfold, select_k


def test_kfold_partitions_the_samples():
    splits = kfold(23, folds=5, seed=4)
    assert [len(val) for _, val in splits] == [5, 5, 5, 4, 4]
    everything = np.concatenate([val for _, val in splits])
    assert sorted(everything.tolist()) == list(range(23))
    for train, val in splits:
        assert not set(train.tolist()) & set(val.tolist())
        assert len(train) + len(val) == 23
    again = kfold(23, folds=5, seed=4)
    assert all((a[1] == b[1]).all() for a, b in zip(splits, again))
    assert [v.tolist() for _, v in kfold(4, folds=2, shuffle=False)] == [[0, 1], [2, 3]]


def test_kfold_errors():
    with pytest.raises(ValueError, match=r"folds must be between 2 and the number of samples \(3"):
        kfold(3, folds=4)
    with pytest.raises(ValueError, match="folds must be between 2"):
        kfold(3, folds=1)


def noisy_halves(n=300, flip=0.3, seed=0):
    """1-D points, class = side of 0, with a fraction of labels flipped: large k averages the
    noise away, k=1 copies it (about 58 % against 70 %)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=(n, 1))
    y = (x[:, 0] > 0).astype(np.int64)
    flipped = rng.random(n) < flip
    y[flipped] = 1 - y[flipped]
    return x, y


def narrow_stripes(n=300):
    """Points 0, 1, 2, ... in stripes of 6 of alternating class: the nearest neighbour is mostly
    of the query's stripe; 25 neighbours span four stripes."""
    x = np.arange(n, dtype=np.float64)[:, None]
    return x, (np.arange(n) // 6) % 2


def test_select_k_picks_the_known_best_k():
    x, y = noisy_halves()
    selection = select_k(x, y, ks=(1, 15), folds=5)
    assert selection.best_k == 15 and selection.mean_scores[1] > selection.mean_scores[0] + 0.05
    x, y = narrow_stripes()
    selection = select_k(x, y, ks=(25, 1), folds=5)
    assert selection.ks == (1, 25)
    assert selection.best_k == 1 and selection.mean_scores[0] > 0.75 > selection.mean_scores[1]


def test_select_k_agrees_with_cross_validating_each_k(monkeypatch):
    x, y = noisy_halves(n=120, seed=1)
    calls = []
    search = knn_module._kneighbors

    def counted(*args, **kwargs):
        calls.append(args[3])  # the k searched for
        return search(*args, **kwargs)

    monkeypatch.setattr(knn_module, "_kneighbors", counted)
    ks = (1, 2, 3, 4, 5, 7, 9)
    selection = select_k(sj.tensor(x), sj.tensor(y), ks=ks, folds=4, seed=2)
    assert calls == [9, 9, 9, 9]  # one neighbour search per fold, not one per k
    calls.clear()
    for i, k in enumerate(ks):
        result = cross_validate(KNearestNeighbors(k=k), x, y, folds=4, seed=2)
        assert result.scores == tuple(fold[i] for fold in selection.fold_scores)
    assert len(calls) == 4 * len(ks)
    assert "<- best" in selection.table()


def test_ties_between_ks_go_to_the_smallest_k():
    x = np.array([[0.0], [0.1], [5.0], [5.1]] * 3)
    y = np.array([0, 0, 1, 1] * 3)
    selection = select_k(x, y, ks=(5, 3, 1), folds=3)
    assert selection.mean_scores == (1.0, 1.0, 1.0) and selection.best_k == 1


def test_cross_validate_takes_an_estimator_or_a_factory():
    x, y = noisy_halves(n=100)
    estimator = KNearestNeighbors(k=7)
    by_estimator = cross_validate(estimator, x, y, folds=5)
    assert estimator._train is None  # copied, never fitted itself
    by_factory = cross_validate(lambda: KNearestNeighbors(k=7), x, y, folds=5)
    assert by_estimator == by_factory and len(by_factory.scores) == 5
    assert 0.5 < by_factory.mean <= 1 and by_factory.std >= 0
    linear = cross_validate(LinearClassifier("softmax", lr=0.5, epochs=20, batch_size=10),
                            x, y, folds=4)
    assert linear.mean > 0.6
    with pytest.raises(TypeError, match="expected an estimator"):
        cross_validate(3, x, y)


def test_select_k_errors():
    x, y = noisy_halves(n=10)
    with pytest.raises(ValueError, match="k=9 is more than the 8 training samples of a fold"):
        select_k(x, y, ks=(1, 9), folds=5)
    with pytest.raises(ValueError, match="ks must be a non-empty sequence"):
        select_k(x, y, ks=())
    with pytest.raises(ValueError, match="each k must be at least 1, got 0"):
        select_k(x, y, ks=(0, 1))
    with pytest.raises(ValueError, match="unknown metric"):
        select_k(x, y, metric="cos")


def test_cross_validate_takes_a_class_as_the_factory():
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(-3, 1, (20, 2)), rng.normal(3, 1, (20, 2))])
    y = np.repeat([0, 1], 20)
    result = cross_validate(KNearestNeighbors, X, y, folds=4)
    assert len(result.scores) == 4 and result.mean > 0.9
