"""Elementwise operations through the harness: float64 gradcheck, PyTorch, second derivatives."""

import warnings

import numpy as np
import pytest
import torch

import shenjing as sj
from tests.ops.harness import F, Mask, OpSpec, spec_tests

# Shape pairs that cover equal shapes, trailing and leading broadcasting, 0-d and size-1 dims.
PAIRS = [((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 1, 4), (3, 1)), ((), (2, 2)), ((1,), (2, 1))]


def binary(**kwargs):
    return [(F(*a, **kwargs), F(*b, **kwargs)) for a, b in PAIRS]


POSITIVE = {"low": 0.5, "high": 2.0}

SPECS = [
    OpSpec("add", lambda m, a, b: m.add(a, b), binary() + [(F(2, 3), 2.5)]),
    OpSpec("add:alpha", lambda m, a, b: m.add(a, b, alpha=2.0), binary()[:2]),
    OpSpec("add:operator", lambda m, a: 2.0 + a + a, [(F(2, 3),)]),
    OpSpec("sub", lambda m, a, b: m.sub(a, b), binary() + [(F(2, 3), 2.5)]),
    OpSpec("sub:reflected", lambda m, a: 1.0 - a, [(F(3),)]),
    OpSpec("mul", lambda m, a, b: m.mul(a, b), binary() + [(F(2, 3), -1.5)]),
    OpSpec("mul:reflected", lambda m, a: 3 * a, [(F(3),)]),
    OpSpec("div", lambda m, a, b: m.div(a, b),
           [(F(*a), F(*b, **POSITIVE)) for a, b in PAIRS] + [(F(2, 3), 4.0)]),
    OpSpec("div:reflected", lambda m, a: 2.0 / a, [(F(3, **POSITIVE),)]),
    OpSpec("pow", lambda m, a, b: m.pow(a, b),
           [(F(*a, **POSITIVE), F(*b, low=-1.5, high=1.5)) for a, b in PAIRS]),
    OpSpec("pow:scalar", lambda m, a, p: a**p,
           [(F(2, 3), 3), (F(2, 3, **POSITIVE), 0.5), (F(4, **POSITIVE), -2.0), (F(3), 0)],
           finer_than_torch="x = -inf, p = 0.5: p * x ** (p - 1) is IEEE's 0 here, PyTorch's "
                            "rsqrt(-inf) NaN (the power itself is NaN in both)"),
    OpSpec("pow:reflected", lambda m, a: 2.0**a, [(F(2, 3),)]),
    OpSpec("neg", lambda m, x: m.neg(x), [(F(2, 3),), (F(),)]),
    OpSpec("negative", lambda m, x: m.negative(x), [(F(3),)]),
    OpSpec("exp", lambda m, x: m.exp(x), [(F(2, 3),), (F(),)]),
    OpSpec("log", lambda m, x: m.log(x), [(F(2, 3, low=0.2, high=3.0),)]),
    OpSpec("log1p", lambda m, x: m.log1p(x), [(F(2, 3, low=-0.5, high=2.0),)]),
    OpSpec("sqrt", lambda m, x: m.sqrt(x), [(F(2, 3, low=0.2, high=3.0),)]),
    OpSpec("abs", lambda m, x: m.abs(x), [(F(2, 3, avoid=(0.0,)),)]),
    OpSpec("sign", lambda m, x: m.sign(x), [(F(2, 3, avoid=(0.0,)),)]),
    OpSpec("erf", lambda m, x: m.erf(x), [(F(2, 3, low=-3.0, high=3.0),)]),
    OpSpec("sin", lambda m, x: m.sin(x), [(F(2, 3, low=-4.0, high=4.0),)]),
    OpSpec("cos", lambda m, x: m.cos(x), [(F(2, 3, low=-4.0, high=4.0),)]),
    OpSpec("clamp", lambda m, x, lo, hi: m.clamp(x, lo, hi),
           [(F(3, 4, avoid=(-0.5, 0.5)), -0.5, 0.5), (F(3, 4, avoid=(0.0,)), 0.0, None),
            (F(3, 4, avoid=(1.0,)), None, 1.0)]),
    OpSpec("clamp:tensor", lambda m, x, lo, hi: m.clamp(x, lo, hi),
           [(F(3, 4), F(4, low=-1.5, high=-0.5), F(3, 1, low=0.5, high=1.5)),
            # bounds larger than the input: the output (and the masks) take their shape
            (F(4), F(3, 4, low=-1.0, high=1.0), None), (F(3, 1), None, F(2, 3, 4)),
            (F(1, 4), F(3, 1, low=-1.5, high=-0.5), F(3, 4, low=0.5, high=1.5))]),
    OpSpec("clip", lambda m, x: m.clip(x, -1.0, 1.0), [(F(5, avoid=(-1.0, 1.0)),)]),
    OpSpec("maximum", lambda m, a, b: m.maximum(a, b), binary()),
    OpSpec("minimum", lambda m, a, b: m.minimum(a, b), binary()),
    OpSpec("where", lambda m, c, a, b: m.where(c, a, b),
           [(Mask((2, 3)), F(2, 3), F(2, 3)), (Mask((2, 3)), F(3), F(2, 1)),
            (Mask((3,)), F(2, 3), 0.0)]),
    OpSpec("clone", lambda m, x: m.clone(x) * 2, [(F(2, 3),)]),
    OpSpec("to", lambda m, x: x.to(m.float64) * 2, [(F(2, 3),)]),
    OpSpec("true_divide", lambda m, a, b: m.true_divide(a, b), [(F(3), F(3, **POSITIVE))]),
    OpSpec("divide", lambda m, a, b: m.divide(a, b), [(F(3), F(3, **POSITIVE))]),
]


test_gradcheck, test_matches_torch = spec_tests(SPECS)


INT_DTYPES = ["uint8", "int8", "int16", "int32", "int64"]
# Python ints outside (or at the edge of) the small dtypes: PyTorch wraps them into the dtype.
SCALARS = [300, -3, 256, -129, 2**40 + 7, 127]


@pytest.mark.parametrize("dtype", INT_DTYPES)
@pytest.mark.parametrize("op", ["add", "sub", "mul", "rsub", "radd"])
def test_a_python_int_wraps_into_an_integer_tensors_dtype(op, dtype):
    fns = {"add": lambda a, s: a + s, "sub": lambda a, s: a - s, "mul": lambda a, s: a * s,
           "rsub": lambda a, s: s - a, "radd": lambda a, s: s + a}
    for s in SCALARS:
        ours = fns[op](sj.tensor([5, 100, 7], dtype=getattr(sj, dtype)), s)
        theirs = fns[op](torch.tensor([5, 100, 7], dtype=getattr(torch, dtype)), s)
        assert str(theirs.dtype) == f"torch.{ours.dtype}"
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy(), err_msg=f"{op} {s}")


def test_clamp_with_a_bound_larger_than_the_input_sums_the_gradient_back():
    for m in (sj, torch):
        a = m.arange(4.0, requires_grad=True)
        m.clamp(a, min=m.full((3, 4), 2.0)).sum().backward()
        np.testing.assert_array_equal(a.grad.numpy(), [0.0, 0.0, 3.0, 3.0])


@pytest.mark.parametrize("call", [
    lambda m: m.clamp(m.ones(2)),
    lambda m: m.where(m.ones(2), m.ones(2), m.zeros(2)),
], ids=["clamp-no-bounds", "where-float-condition"])
def test_argument_errors_are_runtime_errors_as_in_torch(call):
    with pytest.raises(RuntimeError):
        call(torch)
    with pytest.raises(RuntimeError):
        call(sj)


def test_division_by_zero_gives_inf_and_nan_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = sj.div(sj.tensor([1, 0, -2]), 0)
        z = sj.tensor([1.0, 0.0]) / sj.tensor([0.0, 0.0])
    np.testing.assert_array_equal(y.numpy(), torch.div(torch.tensor([1, 0, -2]), 0).numpy())
    np.testing.assert_array_equal(z.numpy(), [np.inf, np.nan])
