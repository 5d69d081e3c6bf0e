"""Activation functions and softmax through the harness."""

import torch

from tests.ops.harness import (
    F,
    OpSpec,
    spec_tests,
)

SHAPES = [(F(3, 4, low=-4.0, high=4.0),), (F(),)]
KINKED = [(F(3, 4, low=-4.0, high=4.0, avoid=(0.0,)),)]

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
           [(F(3, 4), -1), (F(3, 4), 0), (F(2, 3, 4), 1), (F(5), 0)]),
    OpSpec("softmax:functional", lambda m, x: m.nn.functional.softmax(x, dim=1), [(F(2, 3),)]),
    OpSpec("log_softmax", lambda m, x, d: m.log_softmax(x, d),
           [(F(3, 4), -1), (F(3, 4), 0), (F(2, 3, 4), 1)]),
    OpSpec("log_softmax:functional", lambda m, x: x.log_softmax(-1), [(F(2, 3),)]),
]


test_gradcheck, test_matches_torch = spec_tests(SPECS)
