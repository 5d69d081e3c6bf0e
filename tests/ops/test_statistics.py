"""Statistics and distances through the harness: var/std_mean, norms, cdist, cosine similarity,
normalize and one_hot. Cases with a zero vector check PyTorch's gradient there (0, not NaN):
they skip finite differences, which see a kink."""

import math

import numpy as np
import pytest
import torch

import shenjing as sj
from shenjing.static import TraceError
from tests.ops.harness import F, G, Index, OpSpec, spec_tests

INF = math.inf
NONZERO = {"avoid": (0.0,)}
ZERO_ROW = G([[0.0, 0.0, 0.0], [1.0, -2.0, 0.5]])
KINK = {"finite_differences": False}  # a zero vector: the norm has a kink there


def F_(*shape):  # noqa: N802 - distinct values: no tie for the largest magnitude
    return F(*shape, distinct=True)


SPECS = [
    OpSpec("var_mean", lambda m, x, *a, **k: m.var_mean(x, *a, **k),
           [(F(3, 4),), (F(3, 4), 1), (F(2, 3, 4), (0, 2)), (F(5), 0, False)]),
    OpSpec("var_mean:correction", lambda m, x, d, c, keep: m.var_mean(x, d, correction=c,
                                                                      keepdim=keep),
           [(F(3, 4), 1, 0, True), (F(3, 4), 0, 2, False), (F(3, 4), None, 1, False)]),
    OpSpec("var_mean:unbiased", lambda m, x: m.var_mean(x, False), [(F(4, 2),)]),
    OpSpec("std_mean", lambda m, x, *a, **k: m.std_mean(x, *a, **k),
           [(F(3, 4),), (F(3, 4), 1), (F(2, 3, 4), (0, 2)), (F(5), 0, False)]),
    OpSpec("std_mean:correction", lambda m, x, d, c, keep: m.std_mean(x, d, correction=c,
                                                                      keepdim=keep),
           [(F(3, 4), 1, 0, True), (F(3, 4), -1, 2, False)]),
    OpSpec("norm", lambda m, x: m.norm(x), [(F(3, 4),), (F(5),), (F(),)]),
    OpSpec("norm:p", lambda m, x, p, d, keep: m.norm(x, p, d, keep),
           [(F(3, 4, **NONZERO), 1, 1, False), (F_(3, 4), INF, 1, True), (F_(3, 4), -INF, 0, False),
            (F(3, 4, **NONZERO), 0, 1, False), (F(3, 4), 3, None, False),
            (F(3, 4, **NONZERO), 0.5, 1, False), (F(3, 4, **NONZERO), 1.5, (0, 1), True),
            (F(2, 3, 4), 2, (0, 2), False), (F(3, 4), "fro", 1, False), (F_(6), INF, None, False)]),
    OpSpec("norm:zero", lambda m, x, p: m.norm(x, p, dim=1),
           [(ZERO_ROW, p) for p in (2, 1.5, 3, INF, 0.5, 1, 2.5, 0)], **KINK),
    OpSpec("norm:ties", lambda m, x, p: m.norm(x, p, dim=1),
           [(G([[1.0, -3.0, 3.0], [2.0, 2.0, -2.0]]), INF)], **KINK),  # ties share the gradient
    OpSpec("norm:method", lambda m, x: x.norm(dim=0) + x.norm(1), [(F(3, 2, **NONZERO),)]),
    OpSpec("dist", lambda m, a, b, p: m.dist(a, b, p),
           [(F(3, 4), F(4), 2), (F(3, 4), F(3, 4), 1), (F_(3, 4), F(3, 1, low=5, high=6), INF),
            (F(2, 3), F(2, 3), 3)]),
    OpSpec("dist:zero", lambda m, a: m.dist(a, a * 1.0), [(F(3),)], **KINK),
    OpSpec("dist:method", lambda m, a, b: a.dist(b), [(F(3, 2), F(2))]),
    OpSpec("cdist", lambda m, a, b: m.cdist(a, b),
           [(F(4, 3), F(5, 3)), (F(2, 3, 4), F(1, 5, 4)), (F(3, 2), F(3, 2))]),
    OpSpec("cdist:p", lambda m, a, b, p: m.cdist(a, b, p),
           [(F(4, 3), F(5, 3), 1.0), (F(4, 3), F(5, 3), INF), (F(2, 4, 3), F(2, 2, 3), 3.0),
            (F(4, 3), F(2, 3), 0.5)]),
    OpSpec("cdist:zero", lambda m, a, b, p: m.cdist(a, b, p),
           [(ZERO_ROW, G([[0.0, 0.0, 0.0], [1.0, -2.0, 0.5], [2.0, 1.0, 0.0]]), p)
            for p in (2.0, 1.0, 3.0, INF, 1.5, 0.5, 2.5)], **KINK),
    OpSpec("cosine_similarity", lambda m, a, b, *args: m.cosine_similarity(a, b, *args),
           [(F(3, 4), F(3, 4)), (F(3, 4), F(3, 4), 0), (F(2, 3, 4), F(3, 1), -1),
            (F(3, 1), F(3, 4), 1), (F(5), F(5), 0)]),
    OpSpec("cosine_similarity:zero", lambda m, a, b: m.nn.functional.cosine_similarity(a, b),
           [(ZERO_ROW, F(2, 3)), (G([[1e-9, 0.0, 0.0], [1.0, 2.0, 3.0]]), F(2, 3))], **KINK),
    OpSpec("normalize", lambda m, x, *args: m.nn.functional.normalize(x, *args),
           [(F(3, 4),), (F(3, 4, **NONZERO), 1.0, 0), (F(2, 3, 4), 3.0, -1), (F(5), 2.0, 0)]),
    # eps 1e-6, not 1e-12: a second derivative divides by eps ** 4, which float32 cannot hold
    OpSpec("normalize:zero", lambda m, x: m.nn.functional.normalize(x, eps=1e-6),
           [(G([[0.0, 0.0], [1.0, 2.0], [1e-7, 0.0]]),)], **KINK),
    OpSpec("one_hot", lambda m, x, n: m.nn.functional.one_hot(x, n),
           [(Index((5,), 4), 4), (Index((2, 3), 3), 5), (Index((0,), 1), 3)],
           differentiable=False,
           no_extremes="class indices are int64: there is no float input to make extreme"),
]


test_gradcheck, test_matches_torch = spec_tests(SPECS)


def test_one_hot_infers_the_classes_and_a_compiled_step_refuses():
    x = [[0, 3], [2, 1]]
    np.testing.assert_array_equal(sj.nn.functional.one_hot(sj.tensor(x)).numpy(),
                                  torch.nn.functional.one_hot(torch.tensor(x)).numpy())
    compiled = sj.compile(lambda t: sj.nn.functional.one_hot(t))
    with pytest.raises(TraceError, match="one_hot"):
        compiled(sj.tensor(x))


@pytest.mark.parametrize("call", [
    lambda m: m.nn.functional.one_hot(m.tensor([1, 2]), 2),
    lambda m: m.nn.functional.one_hot(m.tensor([-1, 2]), 3),
    lambda m: m.nn.functional.one_hot(m.tensor([1.0, 2.0]), 3),
    lambda m: m.nn.functional.one_hot(m.tensor([], dtype=m.int64)),
    lambda m: m.norm(m.arange(3)),
    lambda m: m.norm(m.ones(2, 2), "abc"),
    lambda m: m.cdist(m.ones(3, 4), m.ones(2, 5)),
    lambda m: m.cdist(m.ones(4), m.ones(2, 4)),
    lambda m: m.cdist(m.ones(3, 4), m.ones(2, 4), p=-1.0),
    lambda m: m.cosine_similarity(m.ones(3, 4), m.ones(2, 4)),
    lambda m: m.nn.functional.normalize(m.ones(4), dim=1),
])
def test_errors_are_torchs_types(call):
    with pytest.raises(Exception) as theirs:
        call(torch)
    with pytest.raises(theirs.type, match=r"\w+"):
        call(sj)


def test_var_and_std_take_correction():
    x = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    for c in (0, 1, 2):
        np.testing.assert_allclose(sj.var(sj.tensor(x), 1, correction=c).numpy(),
                                   torch.var(torch.tensor(x), 1, correction=c).numpy(), rtol=1e-5)
        np.testing.assert_allclose(sj.tensor(x).std(correction=c).numpy(),
                                   torch.tensor(x).std(correction=c).numpy(), rtol=1e-5)
