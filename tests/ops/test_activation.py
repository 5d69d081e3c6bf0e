"""Activation functions and softmax through the harness."""

import numpy as np
import pytest
import torch

import shenjing as sj
from tests.ops.harness import (
    F,
    OpSpec,
    spec_tests,
)

SHAPES = [(F(3, 4, low=-4.0, high=4.0),), (F(),)]
KINKED = [(F(3, 4, low=-4.0, high=4.0, avoid=(0.0,)),)]
# both sides of the kinks at -3 and 3 of hardsigmoid and hardswish
WIDE = (F(4, 5, low=-5.0, high=5.0, avoid=(-3.0, 3.0)),)

SPECS = [
    OpSpec("sigmoid", lambda m, x: m.sigmoid(x), SHAPES),
    OpSpec("sigmoid:functional", lambda m, x: m.nn.functional.sigmoid(x), SHAPES[:1]),
    OpSpec("tanh", lambda m, x: m.tanh(x), SHAPES),
    OpSpec("relu", lambda m, x: m.relu(x), KINKED),
    OpSpec("relu:functional", lambda m, x: m.nn.functional.relu(x), KINKED),
    OpSpec("leaky_relu", lambda m, x, s: m.nn.functional.leaky_relu(x, s),
           [(*KINKED[0], 0.01), (*KINKED[0], 0.2)]),
    OpSpec("elu", lambda m, x, a: m.nn.functional.elu(x, a), [(*KINKED[0], 1.0),
                                                             (*KINKED[0], 0.5)]),
    OpSpec("selu", lambda m, x: m.nn.functional.selu(x), KINKED),
    OpSpec("gelu", lambda m, x, a: m.nn.functional.gelu(x, approximate=a),
           [(*SHAPES[0], "none"), (*SHAPES[0], "tanh"), (F(), "none")]),
    OpSpec("silu", lambda m, x: m.nn.functional.silu(x), SHAPES),
    OpSpec("swish", lambda m, x: m.nn.functional.swish(x, beta=2.0), SHAPES,
           ref=lambda m, x: x * torch.sigmoid(2.0 * x)),
    OpSpec("softplus", lambda m, x, b, t: m.nn.functional.softplus(x, b, t),
           [(*SHAPES[0], 1.0, 20.0), (*SHAPES[0], 2.0, 20.0),
            (F(3, 4, low=-4.0, high=4.0, avoid=(1.0,)), 1.0, 1.0)]),
    OpSpec("softmax", lambda m, x, d: m.softmax(x, d),
           [(F(3, 4), -1), (F(3, 4), 0), (F(2, 3, 4), 1), (F(5), 0),
            (F(16, 5), 1)]),  # 16 short rows: the max down the columns (_max_keepdim)
    OpSpec("softmax:functional", lambda m, x: m.nn.functional.softmax(x, dim=1), [(F(2, 3),)]),
    OpSpec("log_softmax", lambda m, x, d: m.log_softmax(x, d),
           [(F(3, 4), -1), (F(3, 4), 0), (F(2, 3, 4), 1), (F(16, 5), -1)]),
    OpSpec("log_softmax:functional", lambda m, x: x.log_softmax(-1), [(F(2, 3),)]),
    # issue 14
    OpSpec("hardtanh", lambda m, x, lo, hi: m.nn.functional.hardtanh(x, lo, hi),
           [(F(3, 4, avoid=(-1.0, 1.0)), -1.0, 1.0), (F(3, 4, avoid=(-0.5, 1.5)), -0.5, 1.5),
            (F(), -1.0, 1.0)]),
    OpSpec("relu6", lambda m, x: m.nn.functional.relu6(x),
           [(F(3, 4, low=-2.0, high=8.0, avoid=(0.0, 6.0)),)]),
    OpSpec("hardsigmoid", lambda m, x: m.nn.functional.hardsigmoid(x), [WIDE]),
    OpSpec("hardswish", lambda m, x: m.nn.functional.hardswish(x), [WIDE, (F(),)]),
    OpSpec("softsign", lambda m, x: m.nn.functional.softsign(x), KINKED),
    OpSpec("mish", lambda m, x: m.nn.functional.mish(x), SHAPES),
    OpSpec("celu", lambda m, x, a: m.celu(x, a),
           [(*KINKED[0], 1.0), (*KINKED[0], 2.0), (*KINKED[0], -0.5)]),
    OpSpec("celu:functional", lambda m, x: m.nn.functional.celu(x, 0.5), KINKED),
    OpSpec("logsigmoid", lambda m, x: m.nn.functional.logsigmoid(x), SHAPES),
    OpSpec("softmin", lambda m, x, d: m.nn.functional.softmin(x, d),
           [(F(3, 4), -1), (F(2, 3, 4), 1)]),
    OpSpec("glu", lambda m, x, d: m.nn.functional.glu(x, d),
           [(F(3, 4), -1), (F(4, 3), 0), (F(2, 6, 2), 1)]),
    OpSpec("threshold", lambda m, x, t, v: m.threshold(x, t, v),
           [(F(3, 4, avoid=(0.5,)), 0.5, -3.0), (F(3, 4, avoid=(0.0,)), 0.0, 0.0)]),
    OpSpec("threshold:functional", lambda m, x: m.nn.functional.threshold(x, 0.1, 2.0),
           [(F(3, 4, avoid=(0.1,)),)]),
    OpSpec("tanhshrink", lambda m, x: m.nn.functional.tanhshrink(x), SHAPES),
    OpSpec("softshrink", lambda m, x, lam: m.nn.functional.softshrink(x, lam),
           [(F(3, 4, avoid=(-0.5, 0.5)), 0.5), (F(3, 4, avoid=(-1.0, 1.0)), 1.0),
            (F(3, 4, avoid=(0.0,)), 0.0)]),
    OpSpec("hardshrink", lambda m, x, lam: m.hardshrink(x, lam),
           [(F(3, 4, avoid=(-0.5, 0.5)), 0.5), (F(3, 4, avoid=(-1.0, 1.0)), 1.0)]),
    OpSpec("hardshrink:method", lambda m, x: x.hardshrink(0.3), [(F(5, avoid=(-0.3, 0.3)),)]),
]


test_gradcheck, test_matches_torch = spec_tests(SPECS)


# -- the modules of issue 14 against PyTorch's twins (tests/nn/test_modules.py's pattern) ---------
MODULES = [
    ("Hardtanh", (), {}), ("Hardtanh", (-0.5, 2.0), {"inplace": True}), ("ReLU6", (), {}),
    ("ReLU6", (), {"inplace": True}), ("Hardsigmoid", (), {}), ("Hardswish", (), {}),
    ("Softsign", (), {}), ("Mish", (), {}), ("Mish", (), {"inplace": True}), ("CELU", (), {}),
    ("CELU", (0.5,), {"inplace": True}), ("LogSigmoid", (), {}), ("Softmin", (), {"dim": 1}),
    ("GLU", (), {}), ("GLU", (0,), {}), ("Threshold", (0.1, 20.0), {}),
    ("Threshold", (0.1, 20.0), {"inplace": True}), ("Tanhshrink", (), {}), ("Softshrink", (), {}),
    ("Softshrink", (1.0,), {}), ("Hardshrink", (), {}), ("Hardshrink", (0.2,), {}),
]


@pytest.mark.parametrize("name, args, kwargs", MODULES,
                         ids=[f"{m[0]}-{i}" for i, m in enumerate(MODULES)])
def test_module_matches_torch(name, args, kwargs):
    ours = getattr(sj.nn, name)(*args, **kwargs)
    theirs = getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    x = np.random.default_rng(0).uniform(-5.0, 5.0, (4, 6)).astype(np.float32)
    xs, xt = sj.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, r = ours(xs), theirs(xt * 1.0)  # * 1.0: PyTorch's inplace modules need a non-leaf
    np.testing.assert_allclose(y.detach().numpy(), r.detach().numpy(), rtol=1e-5, atol=1e-6)
    g = np.random.default_rng(1).standard_normal(y.shape).astype(np.float32)
    y.backward(sj.tensor(g))
    r.backward(torch.tensor(g))
    np.testing.assert_allclose(xs.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("fn, error", [
    (lambda m, x: m.nn.functional.glu(x, 1), RuntimeError),  # an odd dim cannot be halved
    (lambda m, x: m.nn.functional.glu(x.sum()), RuntimeError),
    (lambda m, x: m.nn.functional.hardtanh(x, 2.0, 1.0), ValueError),
    (lambda m, x: m.nn.functional.softshrink(x, -1.0), RuntimeError),
    (lambda m, x: m.nn.functional.celu(x, 0.0), RuntimeError),
])
def test_errors_like_torch(fn, error):
    x = np.ones((2, 3), dtype=np.float32)
    with pytest.raises(error):
        fn(torch, torch.tensor(x))
    with pytest.raises(error):
        fn(sj, sj.tensor(x))


def test_integer_inputs_keep_their_dtype_where_torch_does():
    x = np.array([-2, 0, 3, 8])
    for fn in (lambda m, x: m.nn.functional.relu6(x), lambda m, x: m.threshold(x, 1, -1),
               lambda m, x: m.nn.functional.hardtanh(x, -1, 1)):
        y, r = fn(sj, sj.tensor(x)), fn(torch, torch.tensor(x))
        assert y.dtype == r.numpy().dtype
        np.testing.assert_array_equal(y.numpy(), r.numpy())


@pytest.mark.parametrize("fn", [
    lambda m: m.nn.functional.prelu(m.ones(2, 4), m.ones(3)),  # 3 slopes for 4 channels
    lambda m: m.nn.PReLU(3)(m.ones(2, 4)),
    lambda m: m.nn.functional.gelu(m.ones(2), approximate="foo"),
])
def test_argument_errors_are_runtime_errors_as_in_torch(fn):
    with pytest.raises(RuntimeError):
        fn(torch)
    with pytest.raises((RuntimeError, ValueError)) as caught:  # ours are both
        fn(sj)
    assert isinstance(caught.value, RuntimeError) and isinstance(caught.value, ValueError)


@pytest.mark.parametrize("shape", [(16, 32), (15, 5), (16, 33), (200, 10), (4, 3, 5)])
def test_the_softmax_shift_is_the_row_max_whichever_way_it_is_taken(shape):
    # _max_keepdim reduces short rows down the columns of a transposed copy (16 rows or more,
    # 32 classes or fewer); either way it must be x.max(axis=-1, keepdims=True), NaN included.
    from shenjing.ops.activation import _max_keepdim

    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    x.flat[7] = np.nan
    x.flat[-1] = np.inf
    expected = x.max(axis=-1, keepdims=True)
    got = _max_keepdim(x, x.ndim - 1)
    assert got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)
