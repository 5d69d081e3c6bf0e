"""Bitwise operations through the harness: every integer dtype and bool, values and dtypes.

No gradients (``differentiable=False``). Each spec also has a float case: PyTorch raises
``NotImplementedError`` there, and ``raising`` turns the exception into a tensor naming its type,
so that the harness compares the error type with PyTorch's as it compares values (and the
extreme-input pass meets a float input).
"""

from dataclasses import dataclass

import numpy as np
import pytest
import torch

import shenjing as sj
from tests.ops.harness import F, Index, Mask, OpSpec, spec_tests

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64"]
INTEGERS = DTYPES[1:]


@dataclass(frozen=True)
class Ints(Index):
    """An integer input of ``dtype`` with values in [low, high] (the dtype's range by default)."""

    dtype: str = "int64"
    low: int | None = None

    def make(self, rng):
        info = np.iinfo(self.dtype)
        low = info.min if self.low is None else self.low
        high = info.max if self.high is None else self.high
        return rng.integers(low, high, self.shape, dtype=self.dtype, endpoint=True)


def I(dtype, *shape):  # noqa: E743, N802 - reads as a descriptor
    """Values over the whole range of ``dtype`` (bool: a mask)."""
    return Mask(tuple(shape)) if dtype == "bool" else Ints(tuple(shape), None, dtype)


def S(dtype, *shape):  # noqa: N802
    """Shift amounts of ``dtype``: negative, within the width, and the width or more."""
    bits = np.iinfo(dtype).bits
    low = 0 if dtype == "uint8" else -2
    return Ints(tuple(shape), bits + 2, dtype, low)


ERRORS = (NotImplementedError, RuntimeError, TypeError, ValueError, IndexError)


def raising(fn):
    """``fn`` that returns, where it raises, a 0-d tensor holding the position of the
    exception's type in ERRORS (-1 for another type): compared with PyTorch like any output."""

    def guarded(m, *args):
        try:
            return fn(m, *args)
        except Exception as exc:  # noqa: BLE001 - the type is the result
            kind = ERRORS.index(type(exc)) if type(exc) in ERRORS else -1
            # Made by operations from an input (a 0-d int64), which a compiled step can replay.
            first = next(a for a in args if isinstance(a, m.Tensor))
            return (first != first).sum() * 0 + kind

    return guarded


def spec(name, fn, cases, **kwargs):
    return OpSpec(name, raising(fn), cases, differentiable=False, **kwargs)


def binary(name):
    return lambda m, a, b: getattr(m, name)(a, b)


# Every dtype with itself (broadcast), every pair of dtypes (promotion), Python ints that wrap
# to the dtype, a bool number, 0-d tensors (which do not widen), a float tensor and a float.
SAME = [(I(d, 2, 3), I(d, 3)) for d in DTYPES]
PAIRS = [(I(a, 4), I(b, 4)) for a in DTYPES for b in DTYPES if a != b]
NUMBERS = [(I(d, 5), n) for d in DTYPES for n in (-1, 300, True)]
ZERO_DIM = [(I("int8", 3), I("int64")), (I("bool", 3), I("int32")), (I("int16"), I("uint8"))]
FLOATS = [(F(3), I("int32", 3)), (I("int64", 3), 2.5), (F(3), F(3))]
BINARY = SAME + PAIRS + NUMBERS + ZERO_DIM + FLOATS

# Shifts: every integer dtype with amounts from -2 to the width + 2, promotion, numbers; bool
# operands are refused (PyTorch has no shift for bool) unless a number promotes them to int64.
SHIFTS = ([(I(d, 2, 6), S(d, 6)) for d in INTEGERS]
          + [(I("int8", 4), S("int16", 4)), (I("uint8", 4), S("int8", 4)),
             (I("int32", 4), S("int64", 4))]
          + [(I(d, 5), n) for d in INTEGERS for n in (1, 3, 9)]
          + [(I("bool", 3), 1), (I("bool", 3), I("bool", 3))]
          + FLOATS)

SPECS = [
    spec("bitwise_and", binary("bitwise_and"), BINARY),
    spec("bitwise_or", binary("bitwise_or"), BINARY),
    spec("bitwise_xor", binary("bitwise_xor"), BINARY),
    spec("bitwise_not", lambda m, x: m.bitwise_not(x), [(I(d, 2, 3),) for d in DTYPES] + [(F(3),)]),
    spec("bitwise_left_shift", binary("bitwise_left_shift"), SHIFTS),
    spec("bitwise_right_shift", binary("bitwise_right_shift"), SHIFTS),
    spec("bitwise_and:operators", lambda m, a, b: (a & b, a | b, a ^ b, ~a),
         SAME + [(I("int16", 3), I("uint8", 3)), (I("uint8", 3), -1)] + FLOATS[:1]),
    spec("bitwise_not:operator", lambda m, a: ~a, [(I(d, 4),) for d in DTYPES] + [(F(3),)]),
    spec("bitwise_and:reflected", lambda m, a: (3 & a, -1 | a, 5 ^ a),
         [(I(d, 4),) for d in DTYPES] + [(F(3),)]),
    spec("bitwise_left_shift:operators", lambda m, a, b: (a << b, a >> b),
         [(I(d, 6), S(d, 6)) for d in INTEGERS] + [(I("int32", 3), 4)] + FLOATS[:1]),
    spec("bitwise_left_shift:reflected", lambda m, a: (1 << a, -64 >> a),
         [(S(d, 6),) for d in INTEGERS] + [(F(3),)]),
    spec("bitwise_and:methods", lambda m, a, b: (a.bitwise_and(b), a.bitwise_or(b),
                                               a.bitwise_xor(b), a.bitwise_not()),
         [(I("int32", 3), I("int32", 3)), (I("bool", 3), True)],
         no_extremes="integer and bool inputs only; bitwise_and's float case meets extremes"),
]

test_gradcheck, test_matches_torch = spec_tests(SPECS)


def test_the_issue_example_gives_bitwise_values():
    """Issue 14: ``t & t`` on int32 gave logical results as bool."""
    t = sj.tensor([[1, -8, 1], [32, 1, 6]], dtype=sj.int32)
    y = t & t
    assert y.dtype == sj.int32
    assert y.tolist() == [[1, -8, 1], [32, 1, 6]]


@pytest.mark.parametrize("op", ["bitwise_and", "bitwise_or", "bitwise_left_shift"])
def test_float_operands_raise_not_implemented_error_as_torch(op):
    a = np.ones(3, dtype=np.float32)
    with pytest.raises(NotImplementedError):
        getattr(torch, op)(torch.tensor(a), torch.tensor(a))
    with pytest.raises(NotImplementedError, match=f"{op}: not implemented for float32"):
        getattr(sj, op)(sj.tensor(a), sj.tensor(a))
    assert issubclass(NotImplementedError, RuntimeError)  # so `except RuntimeError` catches it


def test_errors_name_the_op_and_shapes():
    with pytest.raises(ValueError, match=r"bitwise_and.*\(2,\).*\(3,\)"):
        sj.bitwise_and(sj.tensor([1, 2]), sj.tensor([1, 2, 3]))
    with pytest.raises(TypeError, match="bitwise_xor"):
        sj.bitwise_xor(sj.tensor([1]), "a")


def test_results_carry_no_gradient_and_compile():
    x = sj.tensor([1, 2, 3], dtype=sj.int16)

    def step(x):
        return (x << 2) ^ ~x

    compiled = sj.compile(step)
    for values in ([1, 2, 3], [-7, 100, 0]):
        x = sj.tensor(values, dtype=sj.int16)
        assert compiled(x).tolist() == step(x).tolist()
        assert compiled(x).dtype == sj.int16


def test_only_float_and_bool_shift_cases_raise():
    """``raising`` hides no case where both libraries fail: PyTorch raises on exactly the
    float cases and the shifts of bools."""
    from tests.ops.harness import _arrays, _to_module, has_float_input

    for s in SPECS:
        for case in s.cases:
            values = _to_module(torch, case, _arrays(case, 0), np.float32)
            out = s.fn(torch, *values)
            bool_shift = "shift" in s.name and all(
                isinstance(v, torch.Tensor) and v.dtype == torch.bool for v in values)
            # No integer case gives a 0-d int64 result.
            raised = isinstance(out, torch.Tensor) and out.dtype == torch.int64 and (
                out.shape == ())
            floats = has_float_input(case) or any(isinstance(v, float) for v in case)
            expected = floats or bool_shift
            assert raised == expected, f"{s.name}: {case} raises: {raised}, not {expected}"
