"""Rounding, remainders, copysign and lerp: the harness on floats, and integer semantics,
dtypes and errors compared with PyTorch directly."""

import numpy as np
import pytest
import torch

import shenjing as sj
from tests.ops.harness import F, OpSpec, spec_tests

# Shape pairs that cover equal shapes, trailing and leading broadcasting, 0-d and size-1 dims.
PAIRS = [((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 1, 4), (3, 1)), ((), (2, 2)), ((1,), (2, 1))]

# Divisors away from zero; dividends spread over several multiples of them, so that quotients
# of both signs round in both directions.
DIVIDEND = {"low": -6.0, "high": 6.0}
DIVISOR = {"low": -2.0, "high": 2.0, "avoid": (0.0,), "margin": 0.2}


def divisions():
    return [(F(*a, **DIVIDEND), F(*b, **DIVISOR)) for a, b in PAIRS]


STEPS = "a step function: zero gradient, as PyTorch defines it (its jumps are not differentiable)"

SPECS = [
    OpSpec("round", lambda m, x: m.round(x), [(F(2, 3, low=-4.0, high=4.0),), (F(),)]),
    OpSpec("round:decimals", lambda m, x, d: m.round(x, decimals=d),
           [(F(2, 3, low=-4.0, high=4.0), 2), (F(2, 3, low=-400.0, high=400.0), -1),
            (F(4, low=-1.0, high=1.0), 0)]),
    OpSpec("round:method", lambda m, x: x.round(decimals=1) * x, [(F(2, 3),)]),
    OpSpec("ceil", lambda m, x: m.ceil(x), [(F(2, 3, low=-4.0, high=4.0),)]),
    OpSpec("floor", lambda m, x: m.floor(x), [(F(2, 3, low=-4.0, high=4.0),)]),
    OpSpec("trunc", lambda m, x: m.trunc(x), [(F(2, 3, low=-4.0, high=4.0),)]),
    OpSpec("fix", lambda m, x: m.fix(x), [(F(5, low=-4.0, high=4.0),)]),
    OpSpec("frac", lambda m, x: m.frac(x), [(F(2, 3, low=-4.0, high=4.0),), (F(),)]),
    OpSpec("fmod", lambda m, a, b: m.fmod(a, b), divisions() + [(F(2, 3, **DIVIDEND), 1.5),
                                                                (F(4, **DIVIDEND), -0.75)]),
    OpSpec("fmod:method", lambda m, a, b: a.fmod(b), [(F(3, **DIVIDEND), F(3, **DIVISOR))]),
    OpSpec("remainder", lambda m, a, b: m.remainder(a, b),
           divisions() + [(F(2, 3, **DIVIDEND), 1.5), (F(4, **DIVIDEND), -0.75)]),
    # PyTorch has no derivative for remainder(number, tensor); remainder(tensor, tensor) has.
    OpSpec("remainder:scalar_first", lambda m, b: m.remainder(5.5, b), [(F(2, 3, **DIVISOR),)],
           ref=lambda m, b: m.remainder(m.full_like(b, 5.5), b)),
    OpSpec("remainder:operator", lambda m, a, b: (a % b, a % 1.5, -4.3 % b),
           [(F(2, 3, **DIVIDEND), F(3, **DIVISOR))],
           ref=lambda m, a, b: (a % b, a % 1.5, m.full_like(b, -4.3) % b)),
    OpSpec("floor_divide", lambda m, a, b: m.floor_divide(a, b),
           divisions() + [(F(2, 3, **DIVIDEND), -1.5)],
           # PyTorch has no derivative for floor_divide (a backward through it raises); its
           # twin div(rounding_mode="floor") has the zero gradient that shenjing gives both.
           ref=lambda m, a, b: m.div(a, b, rounding_mode="floor")),
    OpSpec("floor_divide:operator", lambda m, a, b: (a // b, a // 2.0, 7.0 // b),
           [(F(2, 3, **DIVIDEND), F(3, **DIVISOR))],
           ref=lambda m, a, b: (m.div(a, b, rounding_mode="floor"),
                                m.div(a, 2.0, rounding_mode="floor"),
                                m.div(7.0, b, rounding_mode="floor"))),
    OpSpec("div:trunc", lambda m, a, b: m.div(a, b, rounding_mode="trunc"),
           divisions() + [(F(2, 3, **DIVIDEND), -1.5)]),
    OpSpec("div:floor", lambda m, a, b: m.div(a, b, rounding_mode="floor"),
           divisions()[:3] + [(F(2, 3, **DIVIDEND), 1.5)]),
    OpSpec("div:method_rounding", lambda m, a, b: a.div(b, rounding_mode="trunc") * a,
           [(F(2, 3, **DIVIDEND), F(3, **DIVISOR))]),
    OpSpec("copysign", lambda m, a, b: m.copysign(a, b),
           [(F(*a, avoid=(0.0,)), F(*b, avoid=(0.0,))) for a, b in PAIRS]
           + [(F(2, 3, avoid=(0.0,)), -1.0), (F(3, avoid=(0.0,)), 2)]),
    OpSpec("copysign:method", lambda m, a, b: a.copysign(b) * a,
           [(F(3, avoid=(0.0,)), F(3, avoid=(0.0,)))]),
    OpSpec("lerp", lambda m, a, b, w: m.lerp(a, b, w),
           [(F(2, 3), F(2, 3), 0.25), (F(2, 3), F(3), 0.75), (F(2, 3), F(2, 3), -1.5),
            (F(2, 3), F(2, 3), F(2, 3, low=-1.0, high=1.5, avoid=(-0.5, 0.5), margin=0.02)),
            (F(2, 1), F(3), F(2, 3, low=0.0, high=1.0)), (F(), F(2), F(3, 1))]),
    OpSpec("lerp:method", lambda m, a, b: a.lerp(b, 0.5), [(F(4), F(4))]),
]


test_gradcheck, test_matches_torch = spec_tests(SPECS)


# -- integers: exact, with Python's signs where PyTorch has them ---------------------------------
INT_DTYPES = ["int8", "int16", "int32", "int64", "uint8"]
DIVIDENDS = [7, -7, 5, -5, 0, 9, -1, 6, 100, -100]
DIVISORS = [2, 2, -3, -3, 4, -1, 3, -4, 7, -7]

INTEGER_DIVISIONS = {
    "fmod": lambda m, a, b: m.fmod(a, b),
    "remainder": lambda m, a, b: m.remainder(a, b),
    "floor_divide": lambda m, a, b: m.floor_divide(a, b),
    "div_trunc": lambda m, a, b: m.div(a, b, rounding_mode="trunc"),
    "div_floor": lambda m, a, b: m.div(a, b, rounding_mode="floor"),
    "mod_operator": lambda m, a, b: a % b,
    "floordiv_operator": lambda m, a, b: a // b,
    "scalar_divisor": lambda m, a, b: (m.remainder(a, 3), m.fmod(a, -3), a // -3, a % 2.5),
    "scalar_dividend": lambda m, a, b: (m.remainder(-11, b), 11 // b, -11 % b),
    # Python ints beyond the small dtypes wrap around into them (300 as uint8 is 44)
    "scalar_out_of_range": lambda m, a, b: (m.remainder(a, 300), m.fmod(a, 300), a // 300,
                                            m.div(a, -129, rounding_mode="trunc"),
                                            m.remainder(-300, b.abs() + 1)),
}


def _ints(m, dtype, values):
    if dtype == "uint8":
        values = [abs(v) for v in values]
    return m.tensor(values, dtype=getattr(m, dtype))


def _same(ours, theirs):
    ours = ours if isinstance(ours, tuple) else (ours,)
    theirs = theirs if isinstance(theirs, tuple) else (theirs,)
    for y, r in zip(ours, theirs, strict=True):
        assert str(r.dtype) == f"torch.{y.dtype}"
        np.testing.assert_array_equal(y.numpy(), r.numpy())


@pytest.mark.parametrize("dtype", INT_DTYPES)
@pytest.mark.parametrize("name", sorted(INTEGER_DIVISIONS))
def test_integer_division_matches_torch(name, dtype):
    # (with uint8, the scalar cases' negative numbers wrap around into the dtype, as PyTorch's)
    fn = INTEGER_DIVISIONS[name]
    ours = fn(sj, _ints(sj, dtype, DIVIDENDS), _ints(sj, dtype, DIVISORS))
    theirs = fn(torch, _ints(torch, dtype, DIVIDENDS), _ints(torch, dtype, DIVISORS))
    _same(ours, theirs)


@pytest.mark.parametrize("name", sorted(INTEGER_DIVISIONS))
def test_integer_division_by_zero_is_a_runtime_error(name):
    if name in ("scalar_divisor", "scalar_out_of_range"):
        pytest.skip("no zero divisor in this case")
    a, b = sj.tensor([4, 5]), sj.tensor([1, 0])
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        INTEGER_DIVISIONS[name](torch, torch.tensor([4, 5]), torch.tensor([1, 0]))
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        INTEGER_DIVISIONS[name](sj, a, b)


def test_mixed_integer_and_float_operands_promote_as_torch():
    cases = [
        lambda m: m.fmod(m.tensor([7, -7]), 2.5),
        lambda m: m.tensor([7, -7], dtype=m.int32) // m.tensor([2.0, 2.0]),
        lambda m: m.remainder(m.tensor([7, -7], dtype=m.int16), m.tensor(3)),
        lambda m: m.tensor([7, -7], dtype=m.int8) % m.tensor([3, 3], dtype=m.int32),
        lambda m: m.div(m.tensor([7, -7]), m.tensor([2.0, 2.0], dtype=m.float64),
                        rounding_mode="trunc"),
        lambda m: m.copysign(m.tensor([1, 2]), m.tensor([-1, 1])),
        lambda m: m.copysign(m.tensor([1.0, 2.0]), m.tensor([-1.0, 1.0], dtype=m.float64)),
        lambda m: m.copysign(m.tensor([1, 2], dtype=m.int8), -2),
    ]
    for case in cases:
        _same(case(sj), case(torch))


@pytest.mark.parametrize("name", ["round", "ceil", "floor", "trunc", "fix"])
@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_rounding_integers_keeps_them(name, dtype):
    _same(getattr(sj, name)(_ints(sj, dtype, DIVIDENDS)),
          getattr(torch, name)(_ints(torch, dtype, DIVIDENDS)))


def test_round_matches_torch_on_halves_and_decimals():
    values = [0.5, 1.5, 2.5, -0.5, -1.5, 1.2345, -1.2355, 1234.5, 1250.0, 1350.0, 0.125, 1e-3]
    for dtype in ("float32", "float64"):
        for decimals in (0, 1, 2, 3, -1, -2):
            ours = sj.round(sj.tensor(values, dtype=getattr(sj, dtype)), decimals=decimals)
            theirs = torch.round(torch.tensor(values, dtype=getattr(torch, dtype)),
                                 decimals=decimals)
            _same(ours, theirs)


def test_float_divisions_by_zero_and_infinity_match_torch():
    a = [5.0, -5.0, 0.0, float("inf"), float("nan"), 3.0, -3.0, 0.0]
    b = [0.0, 0.0, 0.0, 2.0, 1.0, float("inf"), float("inf"), -2.0]
    for name, fn in INTEGER_DIVISIONS.items():
        if name.startswith("scalar"):
            continue
        with np.errstate(all="raise"):  # no NumPy warning either: these are IEEE's answers
            ours = fn(sj, sj.tensor(a), sj.tensor(b))
        theirs = fn(torch, torch.tensor(a), torch.tensor(b))
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy(), err_msg=name)
        # the sign of zeros too
        np.testing.assert_array_equal(np.signbit(ours.numpy()), np.signbit(theirs.numpy()),
                                      err_msg=f"{name}: sign of zero")


def test_gradients_of_fmod_and_remainder_are_torchs_by_the_divisor():
    for name in ("fmod", "remainder"):
        a, b = [7.0, -7.0, 5.5, -5.5], [2.0, 2.0, -1.5, -1.5]
        x, y = sj.tensor(a, requires_grad=True), sj.tensor(b, requires_grad=True)
        tx, ty = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
        getattr(sj, name)(x, y).sum().backward()
        getattr(torch, name)(tx, ty).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())
        np.testing.assert_array_equal(y.grad.numpy(), ty.grad.numpy())


ERRORS = [
    (lambda m: m.frac(m.tensor([1, 2])), NotImplementedError),
    (lambda m: m.round(m.tensor([1, 2]), decimals=1), NotImplementedError),
    (lambda m: m.round(m.tensor([1.0]), decimals=1.5), TypeError),
    (lambda m: m.floor(m.tensor([True])), NotImplementedError),
    (lambda m: m.floor_divide(m.tensor([True]), m.tensor([True])), NotImplementedError),
    (lambda m: m.remainder(m.tensor([True]), m.tensor([True])), NotImplementedError),
    (lambda m: m.fmod(m.tensor([True]), m.tensor([True])), NotImplementedError),
    (lambda m: m.div(m.tensor([1.0]), 2.0, rounding_mode="round"), RuntimeError),
    (lambda m: m.lerp(m.ones(2), m.ones(2, dtype=m.float64), 0.5), RuntimeError),
    (lambda m: m.lerp(m.ones(2), m.ones(2), m.ones(2, dtype=m.float64)), RuntimeError),
    (lambda m: m.lerp(m.tensor([1, 2]), m.tensor([1, 2]), 0.5), NotImplementedError),
    (lambda m: m.lerp(m.ones(2), 1.0, 0.5), TypeError),
    (lambda m: m.copysign(-1.0, m.ones(2)), TypeError),
    (lambda m: m.fmod(m.ones(2, 3), m.ones(4)), RuntimeError),
]


@pytest.mark.parametrize("case", range(len(ERRORS)))
def test_errors_are_torchs_type(case):
    fn, error = ERRORS[case]
    with pytest.raises(error):
        fn(torch)
    with pytest.raises(error):
        fn(sj)


def test_rounding_methods_match_torch():
    x = sj.tensor([1.25, -2.75])
    for name in ("round", "ceil", "floor", "trunc", "fix", "frac"):
        assert hasattr(torch.Tensor, name)
        np.testing.assert_array_equal(getattr(x, name)().numpy(),
                                      getattr(torch.tensor([1.25, -2.75]), name)().numpy())
