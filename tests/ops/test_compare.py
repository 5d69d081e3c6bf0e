"""Comparisons and logic through the harness: bool results, no gradient, broadcasting."""

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


test_gradcheck, test_matches_torch = spec_tests(SPECS)
