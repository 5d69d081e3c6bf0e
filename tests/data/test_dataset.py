"""Dataset, TensorDataset, Subset, random_split and the generator argument."""

import numpy as np
import pytest

import shenjing as sj
from shenjing.data import Dataset, Subset, TensorDataset, as_generator, random_split


def test_dataset_base_class_asks_for_its_methods():
    with pytest.raises(NotImplementedError, match="__getitem__"):
        Dataset()[0]
    with pytest.raises(NotImplementedError, match="__len__"):
        len(Dataset())


def test_tensor_dataset_rows():
    X = sj.arange(12.0).reshape(4, 3)
    y = sj.tensor([0, 1, 1, 0])
    ds = TensorDataset(X, y)
    assert len(ds) == 4
    x1, y1 = ds[1]
    assert x1.tolist() == [3.0, 4.0, 5.0] and y1.item() == 1
    xb, yb = ds.get_batch(np.array([3, 0, 3]))
    assert xb.tolist() == [[9.0, 10.0, 11.0], [0.0, 1.0, 2.0], [9.0, 10.0, 11.0]]
    assert yb.tolist() == [0, 0, 0] and yb.dtype == sj.int64


def test_tensor_dataset_checks_its_tensors():
    with pytest.raises(ValueError, match="share their first dim"):
        TensorDataset(sj.zeros(3, 2), sj.zeros(4))
    with pytest.raises(TypeError, match="argument 1 is a ndarray"):
        TensorDataset(sj.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match="at least one tensor"):
        TensorDataset()
    with pytest.raises(ValueError, match="0-d"):
        TensorDataset(sj.tensor(1.0))


def test_tensor_dataset_keeps_gradients_flowing():
    X = sj.randn(5, 2, requires_grad=True)
    (xb,) = TensorDataset(X).get_batch([4, 4, 1])
    xb.sum().backward()
    assert X.grad.tolist()[4] == [2.0, 2.0] and X.grad.tolist()[0] == [0.0, 0.0]


def test_subset_maps_indices_and_keeps_the_fast_path():
    ds = TensorDataset(sj.arange(10))
    sub = Subset(ds, [7, 2, 5])
    assert len(sub) == 3 and sub[0][0].item() == 7 and sub[-1][0].item() == 5
    assert sub.get_batch([2, 0])[0].tolist() == [5, 7]
    assert not hasattr(Subset(list(range(5)), [1]), "get_batch")  # lists have no fast path
    assert Subset(list("abc"), [2, 0])[[0, 1]] == ["c", "a"]


def test_random_split_with_lengths():
    parts = random_split(range(10), [5, 3, 2], generator=0)
    assert [len(p) for p in parts] == [5, 3, 2]
    indices = [i for p in parts for i in p.indices]
    assert sorted(indices) == list(range(10)) and indices != list(range(10))


@pytest.mark.parametrize("n, fractions", [
    (11, [0.3, 0.3, 0.4]), (10, [0.8, 0.2]), (7, [1 / 3, 1 / 3, 1 / 3]), (5, [0.1, 0.9]),
    (100, [0.05, 0.15, 0.8]), (9, [0.5, 0.5]),
])
def test_random_split_with_fractions_follows_pytorch_rounding(n, fractions):
    torch = pytest.importorskip("torch")
    expected = [len(p) for p in torch.utils.data.random_split(range(n), fractions)]
    assert [len(p) for p in random_split(range(n), fractions, generator=0)] == expected


def test_random_split_is_deterministic():
    a = random_split(range(100), [50, 50], generator=7)[0].indices
    b = random_split(range(100), [50, 50], generator=7)[0].indices
    c = random_split(range(100), [50, 50], generator=8)[0].indices
    assert a == b and a != c
    sj.manual_seed(1)
    d = random_split(range(100), [50, 50])[0].indices
    sj.manual_seed(1)
    e = random_split(range(100), [50, 50])[0].indices
    assert d == e


@pytest.mark.parametrize("lengths, message", [
    ([5, 4], "sum to 9, but the dataset has 10"),
    ([0.5, 0.4], "sum to 0.9"),
    ([-1, 11], "non-negative"),
    ([], "must not be empty"),
    (["a"], "ints that sum"),
])
def test_random_split_checks_lengths(lengths, message):
    with pytest.raises(ValueError, match=message):
        random_split(range(10), lengths)


def test_as_generator():
    g = np.random.default_rng(0)
    assert as_generator(g) is g
    assert as_generator(None) is sj.backend.generator()
    assert as_generator(3).permutation(5).tolist() == np.random.default_rng(3).permutation(
        5).tolist()
    with pytest.raises(TypeError, match="generator must be"):
        as_generator("seed")
    with pytest.raises(TypeError, match="generator must be"):
        as_generator(True)
