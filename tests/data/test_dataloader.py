"""DataLoader: batch shapes and dtypes, determinism under seeds, drop_last, collate_fn, and the
one-fancy-index fast path agreeing with per-sample collation."""

import numpy as np
import pytest

import shenjing as sj
from shenjing.data import DataLoader, Dataset, TensorDataset, default_collate


def make_dataset(n=10):
    return TensorDataset(sj.arange(float(n * 3)).reshape(n, 3), sj.arange(n))


def epoch_labels(loader):
    return [y.tolist() for _, y in loader]


def test_batches_shapes_and_dtypes():
    loader = DataLoader(make_dataset(10), batch_size=4)
    batches = list(loader)
    assert len(loader) == len(batches) == 3
    assert [x.shape for x, _ in batches] == [(4, 3), (4, 3), (2, 3)]
    assert all(x.dtype == sj.float32 and y.dtype == sj.int64 for x, y in batches)
    assert epoch_labels(loader) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_drop_last():
    loader = DataLoader(make_dataset(10), batch_size=4, drop_last=True)
    assert len(loader) == 2 and epoch_labels(loader) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(DataLoader(make_dataset(8), batch_size=4, drop_last=True)) == 2
    assert list(DataLoader(make_dataset(3), batch_size=4, drop_last=True)) == []


def test_same_seed_same_batches_different_seed_different_batches():
    ds = make_dataset(50)
    a = epoch_labels(DataLoader(ds, batch_size=8, shuffle=True, generator=1))
    b = epoch_labels(DataLoader(ds, batch_size=8, shuffle=True, generator=1))
    c = epoch_labels(DataLoader(ds, batch_size=8, shuffle=True, generator=2))
    assert a == b and a != c
    assert sorted(sum(a, [])) == list(range(50))  # every sample once per epoch


def test_manual_seed_governs_shuffling_without_a_generator():
    ds = make_dataset(50)
    loader = DataLoader(ds, batch_size=8, shuffle=True)
    sj.manual_seed(123)
    first = epoch_labels(loader)
    second = epoch_labels(loader)
    sj.manual_seed(123)
    assert epoch_labels(loader) == first and epoch_labels(loader) == second
    assert first != second  # a new order every epoch
    sj.manual_seed(124)
    assert epoch_labels(loader) != first


def test_epochs_differ_but_runs_repeat_with_a_seeded_generator():
    ds = make_dataset(30)
    loader = DataLoader(ds, batch_size=30, shuffle=True, generator=9)
    run1 = [epoch_labels(loader) for _ in range(3)]
    loader = DataLoader(ds, batch_size=30, shuffle=True, generator=9)
    run2 = [epoch_labels(loader) for _ in range(3)]
    assert run1 == run2 and run1[0] != run1[1]


def test_a_numpy_generator_can_be_passed():
    ds = make_dataset(20)
    a = epoch_labels(DataLoader(ds, 5, True, generator=np.random.default_rng(4)))
    b = epoch_labels(DataLoader(ds, 5, True, generator=np.random.default_rng(4)))
    assert a == b


class Pairs(Dataset):
    """A plain dataset (no get_batch): samples come one by one through collate_fn."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return {"x": sj.full((2,), float(i)), "label": i % 3, "weight": 0.5, "name": f"s{i}"}


def test_default_collate_batches_each_field():
    batch = next(iter(DataLoader(Pairs(5), batch_size=4)))
    assert batch["x"].shape == (4, 2) and batch["x"].dtype == sj.float32
    assert batch["label"].tolist() == [0, 1, 2, 0] and batch["label"].dtype == sj.int64
    assert batch["weight"].dtype == sj.float32 and batch["name"] == ["s0", "s1", "s2", "s3"]


def test_default_collate_types():
    x, y, flag = default_collate([(np.zeros((2, 2), np.uint8), np.int64(3), True),
                                  (np.ones((2, 2), np.uint8), np.int64(4), False)])
    assert x.shape == (2, 2, 2) and x.dtype == sj.uint8
    assert y.tolist() == [3, 4] and y.dtype == sj.int64
    assert flag.dtype == sj.bool
    assert default_collate([[1, 2.0], [3, 4.0]])[1].tolist() == [2.0, 4.0]
    with pytest.raises(ValueError, match="different lengths"):
        default_collate([(1, 2), (1,)])
    with pytest.raises(TypeError, match="collate_fn"):
        default_collate([object(), object()])
    with pytest.raises(ValueError, match="empty"):
        default_collate([])


def test_custom_collate_fn_gets_the_list_of_samples():
    seen = []

    def collate(samples):
        seen.append(len(samples))
        return [int(y) for _, y in samples]

    loader = DataLoader(make_dataset(5), batch_size=2, collate_fn=collate)
    assert list(loader) == [[0, 1], [2, 3], [4]] and seen == [2, 2, 1]


def test_fast_path_equals_per_sample_collation():
    ds = TensorDataset(sj.randn(37, 4, 5), sj.randint(0, 10, (37,)), sj.rand(37))
    fast = list(DataLoader(ds, 8, shuffle=True, generator=5))
    slow = list(DataLoader(ds, 8, shuffle=True, generator=5, collate_fn=default_collate))
    assert len(fast) == len(slow) == 5
    for batch_fast, batch_slow in zip(fast, slow):
        for a, b in zip(batch_fast, batch_slow):
            assert a.shape == b.shape and a.dtype == b.dtype
            assert np.array_equal(a.numpy(), b.numpy())


def test_fast_path_is_one_index_not_a_loop():
    calls = []

    class Counting(TensorDataset):
        def __getitem__(self, index):
            calls.append(index)
            return super().__getitem__(index)

    for _ in DataLoader(Counting(sj.zeros(1000, 2)), batch_size=100, shuffle=True):
        pass
    assert calls == []


def test_plain_sequences_work_as_datasets():
    assert [b.tolist() for b in DataLoader([1, 2, 3, 4, 5], batch_size=2)] == [[1, 2], [3, 4],
                                                                               [5]]


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True])
def test_bad_batch_size(batch_size):
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        DataLoader(make_dataset(), batch_size=batch_size)


def test_dataset_must_be_indexable():
    with pytest.raises(TypeError, match="__getitem__ and __len__"):
        DataLoader(iter([1, 2]))
    assert "batch_size=4" in repr(DataLoader(make_dataset(), batch_size=4))
