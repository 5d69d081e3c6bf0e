"""The buffer pool: arrays given back are lent again, never twice at once, within its budget."""

import numpy as np

from shenjing.backend.pool import BufferPool


def test_a_given_back_array_is_lent_again_for_the_same_shape_and_dtype():
    pool = BufferPool()
    a = pool.take(np, (100, 10), np.float32)
    pool.give(a)
    assert pool.take(np, (100, 10), np.float64) is not a
    assert pool.take(np, (10, 100), np.float32) is not a
    assert pool.take(np, (100, 10), np.float32) is a
    assert pool.take(np, (100, 10), np.float32) is not a  # lent out: not lent again


def test_an_array_given_back_twice_is_lent_once():
    pool = BufferPool()
    a = pool.take(np, (4, 4), np.float32)
    pool.give(a, a)
    pool.give(a)
    assert pool.take(np, (4, 4), np.float32) is a
    assert pool.take(np, (4, 4), np.float32) is not a


def test_views_and_arrays_beyond_the_budget_are_not_kept():
    pool = BufferPool(max_bytes=1000)
    base = np.empty((10, 10), np.float32)
    pool.give(base[:5], np.empty(1000, np.float32), None)
    assert pool.take(np, (5, 10), np.float32) is not base
    small = np.empty(100, np.float32)
    pool.give(small)
    assert pool.take(np, (100,), np.float32) is small
    pool.give(small)
    pool.clear()
    assert pool.take(np, (100,), np.float32) is not small
