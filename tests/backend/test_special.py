"""erf and scatter-add, the functions the backend provides itself."""

import math

import numpy as np

from shenjing.backend import erf, scatter_add


def test_erf_matches_math_erf_to_float64_precision():
    x = np.concatenate([np.linspace(-7, 7, 20001), [-1e-300, 0.0, 1e-8, 30.0, -30.0]])
    expected = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(erf(x), expected, rtol=0, atol=5e-15)


def test_erf_keeps_dtype_and_special_values():
    x = np.array([np.inf, -np.inf, np.nan, 0.5], dtype=np.float32)
    y = erf(x)
    assert y.dtype == np.float32
    assert y[0] == 1 and y[1] == -1 and np.isnan(y[2])
    assert abs(y[3] - math.erf(0.5)) < 1e-7


def test_scatter_add_adds_repeated_indices():
    target = np.zeros(4)
    scatter_add(target, (np.array([0, 2, 0, 0]),), np.array([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(target, [8.0, 0.0, 2.0, 0.0])


def test_scatter_add_of_whole_rows_adds_repeated_and_negative_indices():
    rng = np.random.default_rng(0)
    target = rng.standard_normal((6, 3, 2))
    expected = target.copy()
    rows = np.array([[0, -1, 5], [2, 0, 0]])  # -1 and 5 are the same row
    values = rng.standard_normal((2, 3, 3, 2))
    np.add.at(expected, (rows,), values)
    scatter_add(target, (rows,), values)
    np.testing.assert_allclose(target, expected, rtol=1e-14)
    empty = np.zeros((3, 2))
    scatter_add(empty, (np.zeros(0, dtype=np.int64),), np.zeros((0, 2)))
    assert not empty.any()


def test_scatter_add_of_rows_refuses_indices_below_minus_n_as_add_at():
    import numpy as np
    import pytest

    from shenjing.backend import scatter_add

    for index in ([-7], [6]):
        target = np.zeros((6, 3))
        with pytest.raises(IndexError, match="out of bounds for axis 0 with size 6"):
            scatter_add(target, np.array(index), np.ones((1, 3)))
        assert not target.any()
