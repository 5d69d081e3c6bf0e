"""Transcendental functions through the harness (float64 gradcheck, PyTorch, second
derivatives), and their dtypes, methods and errors compared with PyTorch directly."""

import numpy as np
import pytest
import torch

import shenjing as sj
from tests.ops.harness import F, OpSpec, spec_tests

PAIRS = [((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 1, 4), (3, 1)), ((), (2, 2)), ((1,), (2, 1))]

UNIT = {"low": -0.9, "high": 0.9}  # inside the domain of asin, acos and atanh
POSITIVE = {"low": 0.2, "high": 3.0}


def unary(name, *cases):
    return OpSpec(name, lambda m, x: getattr(m, name)(x), list(cases))


SPECS = [
    unary("tan", (F(2, 3, low=-1.2, high=1.2),), (F(),)),
    unary("asin", (F(2, 3, **UNIT),)),
    unary("arcsin", (F(4, **UNIT),)),
    unary("acos", (F(2, 3, **UNIT),)),
    unary("arccos", (F(4, **UNIT),)),
    unary("atan", (F(2, 3, low=-3.0, high=3.0),)),
    unary("arctan", (F(4),)),
    OpSpec("atan2", lambda m, a, b: m.atan2(a, b),
           [(F(*a, avoid=(0.0,)), F(*b)) for a, b in PAIRS]),
    OpSpec("arctan2", lambda m, a, b: m.arctan2(a, b), [(F(2, 3, avoid=(0.0,)), F(3))]),
    unary("sinh", (F(2, 3, low=-3.0, high=3.0),), (F(),)),
    unary("cosh", (F(2, 3, low=-3.0, high=3.0),)),
    unary("asinh", (F(2, 3, low=-3.0, high=3.0),)),
    unary("arcsinh", (F(4),)),
    unary("acosh", (F(2, 3, low=1.2, high=3.0),)),
    unary("arccosh", (F(4, low=1.2, high=3.0),)),
    unary("atanh", (F(2, 3, **UNIT),)),
    unary("arctanh", (F(4, **UNIT),)),
    unary("exp2", (F(2, 3, low=-3.0, high=3.0),), (F(),)),
    unary("expm1", (F(2, 3, low=-3.0, high=3.0),)),
    unary("log2", (F(2, 3, **POSITIVE),)),
    unary("log10", (F(2, 3, **POSITIVE),)),
    OpSpec("logaddexp", lambda m, a, b: m.logaddexp(a, b),
           [(F(*a, low=-3.0, high=3.0), F(*b, low=-3.0, high=3.0)) for a, b in PAIRS]),
    unary("rsqrt", (F(2, 3, **POSITIVE),)),
    unary("reciprocal", (F(2, 3, avoid=(0.0,), margin=0.3),), (F(low=0.5),)),
    unary("square", (F(2, 3),), (F(),)),
    OpSpec("tan:methods", lambda m, x: (x.tan(), x.sinh(), x.cosh(), x.atan(), x.asinh(),
                                        x.exp2(), x.expm1(), x.square(), x.asin(), x.acos(),
                                        x.atanh(), x.arcsin(), x.arctan2(x + 2)),
           [(F(2, 3, **UNIT),)]),
    OpSpec("log2:methods", lambda m, x: (x.log2(), x.log10(), x.rsqrt(), x.reciprocal(),
                                         x.acosh(), x.logaddexp(x * 2)),
           [(F(2, 3, low=1.2, high=3.0),)]),
]


test_gradcheck, test_matches_torch = spec_tests(SPECS)


FLOAT_VALUED = ["tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "exp2",
                "expm1", "log2", "log10", "rsqrt", "reciprocal"]
INTS = [([1, 2, 3], "int64"), ([-1, 0, 2], "int32"), ([True, False], "bool"), ([3, -4], "int8"),
        ([3, 200], "uint8")]


def _same(ours, theirs, exact=False):
    assert str(theirs.dtype) == f"torch.{ours.dtype}"
    if exact:
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    else:
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, equal_nan=True)


@pytest.mark.parametrize("values, dtype", INTS)
@pytest.mark.parametrize("name", FLOAT_VALUED)
def test_integers_give_float32(name, values, dtype):
    with np.errstate(all="raise"):  # NaN outside the domain and inf at a pole come quietly
        ours = getattr(sj, name)(sj.tensor(values, dtype=getattr(sj, dtype)))
    _same(ours, getattr(torch, name)(torch.tensor(values, dtype=getattr(torch, dtype))))


@pytest.mark.parametrize("values, dtype", INTS)
def test_square_keeps_integers_and_makes_bools_int64(values, dtype):
    _same(sj.square(sj.tensor(values, dtype=getattr(sj, dtype))),
          torch.square(torch.tensor(values, dtype=getattr(torch, dtype))), exact=True)


@pytest.mark.parametrize("name", ["atan2", "arctan2"])
def test_atan2_of_integers_and_mixed_dtypes(name):
    cases = [(sj.tensor([1, -1, 0]), sj.tensor([-2, 0, -1])),
             (sj.tensor([1, -1], dtype=sj.int8), sj.tensor([2.0, -2.0], dtype=sj.float64)),
             (sj.tensor([1.0, -1.0]), sj.tensor([2.0, -2.0], dtype=sj.float64))]
    for a, b in cases:
        ours = getattr(sj, name)(a, b)
        theirs = getattr(torch, name)(torch.from_numpy(a.numpy()), torch.from_numpy(b.numpy()))
        _same(ours, theirs)


def test_outside_the_domain_is_nan_without_warnings():
    x = [-2.0, -1.0, 0.0, 1.0, 2.0, float("inf"), float("-inf"), float("nan")]
    for name in FLOAT_VALUED + ["square"]:
        with np.errstate(all="raise"):
            ours = getattr(sj, name)(sj.tensor(x))
        _same(ours, getattr(torch, name)(torch.tensor(x)))


def test_logaddexp_matches_torch_at_infinities():
    a = [float("inf"), float("-inf"), float("inf"), 1000.0, -1000.0, float("nan")]
    b = [float("inf"), float("-inf"), float("-inf"), 1000.0, 1.0, 0.0]
    with np.errstate(all="raise"):
        ours = sj.logaddexp(sj.tensor(a), sj.tensor(b))
    _same(ours, torch.logaddexp(torch.tensor(a), torch.tensor(b)))


ERRORS = [
    (lambda m: m.atan2(m.ones(2), 1.0), TypeError),
    (lambda m: m.logaddexp(m.ones(2), 1.0), TypeError),
    (lambda m: m.logaddexp(m.tensor([1, 2]), m.tensor([1, 2])), NotImplementedError),
    (lambda m: m.tan([1.0, 2.0]), TypeError),
]


@pytest.mark.parametrize("case", range(len(ERRORS)))
def test_errors_are_torchs_type(case):
    fn, error = ERRORS[case]
    with pytest.raises(error):
        fn(torch)
    with pytest.raises(error):
        fn(sj)


def test_every_function_is_a_tensor_method_as_in_torch():
    from shenjing.ops import transcendental

    for name in transcendental.__all__:
        assert hasattr(torch, name) and hasattr(torch.Tensor, name), name
        assert getattr(sj.Tensor, name) is getattr(transcendental, name)
        assert getattr(sj, name) is getattr(transcendental, name)


def test_atan2_gradient_is_zero_where_the_squares_vanish_as_in_torch():
    a, b = [0.0, 1e-30, 0.0, float("inf"), 1.0], [0.0, 0.0, -0.0, 1.0, float("inf")]
    x, y = sj.tensor(a, requires_grad=True), sj.tensor(b, requires_grad=True)
    tx, ty = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    gy = [0.7, -1.3, 0.2, 0.5, 0.9]
    with np.errstate(invalid="ignore"):  # inf * 0 in the products: NaN, as PyTorch's
        ours = sj.autograd.grad(sj.atan2(x, y), [x, y], sj.tensor(gy))
    theirs = torch.autograd.grad(torch.atan2(tx, ty), [tx, ty], torch.tensor(gy))
    for g, h in zip(ours, theirs):
        np.testing.assert_array_equal(g.numpy(), h.numpy())
