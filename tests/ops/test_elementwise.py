"""Elementwise operations through the harness: float64 gradcheck, PyTorch, second derivatives."""

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
           [(F(3, 4), F(4, low=-1.5, high=-0.5), F(3, 1, low=0.5, high=1.5))]),
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
