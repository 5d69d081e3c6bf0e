"""Making tensors: shapes, dtypes and values as PyTorch gives them, and seeded randomness."""

import numpy as np
import pytest
import torch

import shenjing as sj

CALLS = [
    ("zeros", (2, 3), {}),
    ("zeros", ((2, 3),), {"dtype": "float64"}),
    ("ones", (4,), {}),
    ("ones", (2, 2), {"dtype": "int64"}),
    ("full", ((2,), 7), {}),
    ("full", ((2, 1), 0.5), {}),
    ("full", ((3,), True), {}),
    ("arange", (5,), {}),
    ("arange", (1, 2.5, 0.5), {}),
    ("arange", (10, 0, -3), {}),
    ("linspace", (-1, 1, 5), {}),
    ("eye", (3,), {}),
    ("eye", (2, 3), {"dtype": "float64"}),
]


@pytest.mark.parametrize("name, args, kwargs", CALLS)
def test_creation_matches_torch(name, args, kwargs):
    ours = getattr(sj, name)(*args, **{k: getattr(sj, v) for k, v in kwargs.items()})
    theirs = getattr(torch, name)(*args, **{k: getattr(torch, v) for k, v in kwargs.items()})
    assert ours.shape == tuple(theirs.shape)
    assert str(theirs.dtype) == f"torch.{ours.dtype}"
    np.testing.assert_allclose(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("name", ["zeros_like", "ones_like", "empty_like", "rand_like",
                                  "randn_like"])
def test_like_forms_keep_shape_and_dtype(name):
    x = sj.ones(2, 3, dtype=sj.float64)
    y = getattr(sj, name)(x)
    assert y.shape == (2, 3) and y.dtype == sj.float64
    assert getattr(sj, name)(x, dtype=sj.float32).dtype == sj.float32


def test_full_like_and_randint_like():
    x = sj.zeros(2, 2)
    np.testing.assert_array_equal(sj.full_like(x, 4.0).numpy(), np.full((2, 2), 4.0))
    r = sj.randint_like(x, 3, 6)
    assert r.dtype == sj.float32 and ((r.numpy() >= 3) & (r.numpy() < 6)).all()


def test_requires_grad_at_creation():
    assert sj.zeros(2, requires_grad=True).requires_grad
    assert sj.randn(2, requires_grad=True).is_leaf
    with pytest.raises(RuntimeError, match="floating-point"):
        sj.arange(3, requires_grad=True)


def test_manual_seed_makes_random_numbers_repeat():
    sj.manual_seed(42)
    a = (sj.rand(3), sj.randn(2, 2), sj.randint(0, 10, (4,)), sj.randperm(6))
    sj.manual_seed(42)
    b = (sj.rand(3), sj.randn(2, 2), sj.randint(0, 10, (4,)), sj.randperm(6))
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x.numpy(), y.numpy())
    assert sj.initial_seed() == 42
    sj.manual_seed(43)
    assert not np.array_equal(sj.rand(3).numpy(), a[0].numpy())


def test_random_distributions():
    sj.manual_seed(0)
    n = sj.randn(100_000)
    assert n.dtype == sj.float32
    assert abs(n.mean().item()) < 0.02 and abs(n.std().item() - 1) < 0.02
    u = sj.rand(100_000, dtype=sj.float64)
    assert u.dtype == sj.float64 and 0 <= u.min().item() and u.max().item() < 1
    assert abs(u.mean().item() - 0.5) < 0.01
    k = sj.randint(5, (1000,))
    assert set(k.tolist()) == {0, 1, 2, 3, 4}


def test_bad_arguments_say_what_is_wrong():
    with pytest.raises(ValueError, match="non-negative"):
        sj.zeros(-1)
    with pytest.raises(TypeError, match="ints"):
        sj.ones(2.5)
    with pytest.raises(TypeError, match="floating-point"):
        sj.randn(2, dtype=sj.int64)
    with pytest.raises(ValueError, match="high"):
        sj.randint(5, 5, (2,))
    with pytest.raises(ValueError, match="step"):
        sj.arange(0, 1, 0)


def test_from_numpy_shares_memory():
    a = np.zeros(3)
    t = sj.from_numpy(a)
    a[1] = 2.0
    assert t[1].item() == 2.0 and t.dtype == sj.float64
