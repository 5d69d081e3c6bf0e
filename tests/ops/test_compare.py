"""Comparisons and logic through the harness: bool results, no gradient, broadcasting."""

import numpy as np
import pytest
import torch

import shenjing as sj
from tests.ops.harness import F, G, Index, Mask, OpSpec, spec_tests

FLOATS = [(F(2, 3), F(3)), (F(2, 1), F(3)), (F(2, 3), 0.5)]
INTS = [(Index((2, 3), 3), Index((3,), 3)), (Index((4,), 2), 1)]
MASKS = [(Mask((2, 3)), Mask((3,))), (Mask((4,)), Mask((4,)))]


def spec(name, cases, fn=None):
    return OpSpec(name, fn or (lambda m, *args: getattr(m, name)(*args)), cases,
                  differentiable=False)


SPECS = [
    spec("eq", INTS + FLOATS),
    spec("ne", INTS + FLOATS),
    spec("lt", FLOATS),
    spec("le", FLOATS + INTS),
    spec("gt", FLOATS),
    spec("ge", FLOATS + INTS),
    spec("eq:operator", INTS + FLOATS[:1], lambda m, a, b: a == b),
    spec("lt:operator", FLOATS, lambda m, a, b: a < b),
    spec("gt:reflected", [(F(3),)], lambda m, a: 0.0 > a),
    spec("logical_and", MASKS + FLOATS[:2]),  # floats: true where nonzero (NaN too)
    spec("logical_or", MASKS + FLOATS[:2]),
    spec("logical_xor", MASKS + FLOATS[:2]),
    spec("logical_not", [(Mask((2, 3)),), (F(2, 3),)]),
    OpSpec("logical:operators", lambda m, a, b: (a & b, a | b, a ^ b, ~a), MASKS,
           differentiable=False, no_extremes="bitwise operators take bool and integer "
                                             "tensors only: no float input to make extreme"),
    spec("isnan", [(G([1.0, float("nan"), float("inf")]),)]),
    spec("isinf", [(G([1.0, float("-inf"), float("nan")]),)]),
    spec("isfinite", [(G([1.0, float("inf"), float("nan")]),)]),
]




# -- isclose, allclose, equal, all and any (issue 14) ----------------------------------------
INF, NAN = float("inf"), float("nan")
CLOSE_A = G([1.0, INF, -INF, NAN, 1e-9, 0.0, 1.0, 100.0, -INF, 5.0])
CLOSE_B = G([1.0 + 1e-6, INF, INF, NAN, 0.0, 1e-9, 1.1, 100.0009, -INF, NAN])
CLOSE = [(CLOSE_A, CLOSE_B, 1e-5, 1e-8, False), (CLOSE_A, CLOSE_B, 1e-5, 1e-8, True),
         (CLOSE_A, CLOSE_B, 0.0, 0.0, True), (CLOSE_A, CLOSE_B, 0.2, 0.0, False),
         (F(2, 3), F(3), 0.5, 0.5, False),  # broadcast, some close and some not
         (Index((2, 5), 4), Index((5,), 4), 0.0, 1.5, False),  # integers, measured as float
         (Index((6,), 50), Index((6,), 50), 0.5, 0.0, False),
         (Mask((2, 4)), Mask((2, 4)), 1e-5, 1e-8, False)]
ALL_ANY = [(G([[1.0, 0.0, NAN], [2.0, -1.0, 3.0]]), None, False),
           (G([[1.0, 0.0, NAN], [2.0, -1.0, 3.0]]), 1, False),
           (G([[1.0, 0.0, NAN], [2.0, -1.0, 3.0]]), 0, True),
           (G([[1.0, 0.0, NAN], [2.0, -1.0, 3.0]]), None, True),
           (G([[1.0, 0.0, NAN], [2.0, -1.0, 3.0]]), (), False),  # no dim reduced
           (F(2, 3, 4), (0, -1), False), (F(2, 3, 4), [2, 0], True), (G(0.0), 0, False),
           (Index((3, 4), 2), 1, False), (Mask((3, 4)), -1, True), (Mask((3, 4)), None, False)]

SPECS += [
    spec("isclose", CLOSE, lambda m, a, b, rtol, atol, equal_nan: m.isclose(
        a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)),
    # allclose and equal answer with a Python bool, made a tensor here to be compared (so a
    # compiled step refuses them: the answer is data read into Python).
    spec("allclose", CLOSE + [(G([1.0, 2.0]), G([1.0, 2.0 + 1e-6]), 1e-5, 1e-8, False)],
         lambda m, a, b, rtol, atol, equal_nan: (
             m.tensor(m.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)),
             m.tensor(a.allclose(b, rtol, atol, equal_nan)))),
    # Shapes that differ give False, not an error; a tensor equals itself in another dtype
    # (promotion); NaN equals nothing.
    spec("equal", [(F(2, 3), F(2, 3)), (F(2, 3), F(3)), (F(3), F(1, 3)),
                   (G([1.0, NAN]), G([1.0, NAN])), (Index((4,), 3), Index((4,), 3)),
                   (Mask((3,)), Mask((3,)))],
         lambda m, a, b: (m.tensor(m.equal(a, b)), m.tensor(a.equal(a)),
                          m.tensor(m.equal(a, a.to(m.float64))))),
    spec("all", ALL_ANY, lambda m, x, dim, keepdim: m.all(x, dim, keepdim)),
    spec("any", ALL_ANY, lambda m, x, dim, keepdim: m.any(x, dim, keepdim)),
    spec("all:methods", ALL_ANY[:4] + ALL_ANY[-3:], lambda m, x, dim, keepdim: (
        x.all(dim, keepdim), x.any(dim=dim, keepdim=keepdim), x.all(), x.any())),
    spec("isclose:methods", CLOSE[:2], lambda m, a, b, rtol, atol, equal_nan: a.isclose(
        b, rtol, atol, equal_nan)),
]


test_gradcheck, test_matches_torch = spec_tests(SPECS)


def test_close_errors_are_torch_types():
    a, b = np.ones(3, dtype=np.float32), np.ones(3, dtype=np.float64)
    for m in (torch, sj):
        with pytest.raises(RuntimeError):
            m.isclose(m.tensor(a), m.tensor(b))
        with pytest.raises(RuntimeError):
            m.allclose(m.tensor(a), m.tensor(a), rtol=-1.0)
        with pytest.raises(TypeError):
            m.isclose(m.tensor(a), 1.0)
    with pytest.raises(ValueError, match=r"isclose: cannot broadcast shapes \(3,\) and \(4,\)"):
        sj.isclose(sj.ones(3), sj.ones(4))
    with pytest.raises(RuntimeError, match="isclose: input of dtype float32 and other of dtype "
                                           "float64"):
        sj.isclose(sj.tensor(a), sj.tensor(b))


def test_all_and_any_of_uint8_give_uint8_as_torch():
    x = np.array([[1, 0], [3, 7]], dtype=np.uint8)
    for op in ("all", "any"):
        for dim in (None, 0, 1):
            ours = getattr(sj, op)(sj.tensor(x), dim)
            theirs = getattr(torch, op)(torch.tensor(x), *(() if dim is None else (dim,)))
            assert ours.dtype == np.uint8 == theirs.numpy().dtype
            np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_all_and_any_dim_errors():
    with pytest.raises(IndexError, match="all: dim 2"):
        sj.ones(2, 3).all(2)
    with pytest.raises(RuntimeError, match="any: dim \\(0, 0\\) names a dim more than once"):
        sj.any(sj.ones(2, 3), (0, 0))


def test_all_with_dim_compiles():
    def step(x):
        return x.all(1), sj.any(x > 0, dim=0, keepdim=True)

    compiled = sj.compile(step)
    for values in ([[1.0, 0.0], [2.0, 3.0]], [[0.0, -1.0], [1.0, 1.0]]):
        x = sj.tensor(values)
        for got, expected in zip(compiled(x), step(x)):
            assert got.tolist() == expected.tolist()


@pytest.mark.parametrize("dtype, a, b, rtol, atol", [
    ("uint8", [0, 250, 3], [255, 252, 3], 0.0, 2.0),  # 0 - 255 must not wrap around to 1
    ("int8", [-128, 127, 5], [127, -128, 6], 0.0, 2.0),
    ("int64", [-2**62, 2**62, 7], [2**62, -2**62, 7], 0.0, 2.0),
    ("int64", [-2**63, 2**63 - 1, 0], [2**63 - 1, -2**63, 0], 0.5, 1.0),
    ("int64", [2**30 + 1, 2**30 + 64, 2**30 + 1], [2**30, 2**30, 2**30], 0.0, 0.5),  # float32
    ("int32", [2**24 + 1, 2**24 + 1], [2**24, 2**24], 0.0, 0.0),  # exact without tolerances
    ("int16", [100, 100, -1000], [90, -1000, 100], 0.1, 0.0),
])
def test_isclose_of_integers_never_wraps_around(dtype, a, b, rtol, atol):
    ours, theirs = (m.isclose(m.tensor(a, dtype=getattr(m, dtype)),
                              m.tensor(b, dtype=getattr(m, dtype)), rtol=rtol, atol=atol)
                    for m in (sj, torch))
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_isclose_of_integers_measures_in_the_default_dtype():
    a, b = [2**30 + 1], [2**30]  # one apart: equal in float32, not in float64
    for m in (sj, torch):
        m.set_default_dtype(m.float64)
        try:
            assert not bool(m.isclose(m.tensor(a), m.tensor(b), rtol=0.0, atol=0.5))
        finally:
            m.set_default_dtype(m.float32)
        assert bool(m.isclose(m.tensor(a), m.tensor(b), rtol=0.0, atol=0.5))
