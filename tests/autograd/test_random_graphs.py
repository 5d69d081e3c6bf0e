"""Property-based tests: random expression graphs and random shapes, against PyTorch.

hypothesis draws a small program (a list of operations over random leaves of broadcastable
shapes); both libraries run it, and every leaf's gradient must agree.
"""

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import shenjing as sj

UNARY = {
    "exp": lambda m, x: m.exp(x.clamp(-3, 3)),
    "tanh": lambda m, x: m.tanh(x),
    "sigmoid": lambda m, x: m.sigmoid(x),
    "sin": lambda m, x: m.sin(x),
    "square": lambda m, x: x * x,
    "log_abs": lambda m, x: m.log(x.abs() + 1),
    "softplus": lambda m, x: m.nn.functional.softplus(x),
    "sum_keep": lambda m, x: x.sum(dim=-1, keepdim=True),
    "mean0": lambda m, x: x.mean(dim=0, keepdim=True),
    "softmax": lambda m, x: m.softmax(x, dim=-1),
    "transpose_back": lambda m, x: x.transpose(0, -1).transpose(0, -1),
    "flip_sign": lambda m, x: -x,
}
BINARY = {
    "add": lambda m, a, b: a + b,
    "sub": lambda m, a, b: a - b,
    "mul": lambda m, a, b: a * b,
    "div": lambda m, a, b: a / (b * b + 1),
    "maximum": lambda m, a, b: m.maximum(a, b),
    "where": lambda m, a, b: m.where(a > b, a, b * 2),
}

# Shapes that all broadcast together to (3, 4): every binary op sees broadcasting.
SHAPES = [(3, 4), (4,), (3, 1), (1, 4), (1, 1), ()]

step = st.one_of(
    st.tuples(st.just("unary"), st.sampled_from(sorted(UNARY)), st.integers(0, 99)),
    st.tuples(st.just("binary"), st.sampled_from(sorted(BINARY)), st.integers(0, 99),
              st.integers(0, 99)),
)


def run(m, leaves, program):
    values = list(leaves)
    for kind, name, *picks in program:
        args = [values[p % len(values)] for p in picks]
        values.append(UNARY[name](m, *args) if kind == "unary" else BINARY[name](m, *args))
    # Weigh every value into the loss, so that each op's gradient counts.
    return sum((v * (i + 1)).sum() for i, v in enumerate(values[len(leaves):])) + sum(
        v.sum() * 0.5 for v in leaves)


@settings(max_examples=60, deadline=None)
@given(
    shapes=st.lists(st.sampled_from(SHAPES), min_size=1, max_size=4),
    program=st.lists(step, min_size=1, max_size=8),
    seed=st.integers(0, 2**31 - 1),
)
def test_random_graphs_match_torch(shapes, program, seed):
    rng = np.random.default_rng(seed)
    arrays = [rng.uniform(-2, 2, s) for s in shapes]
    ours = [sj.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    loss = run(sj, ours, program)
    loss_t = run(torch, theirs, program)
    loss.backward()
    loss_t.backward()
    np.testing.assert_allclose(loss.item(), loss_t.item(), rtol=1e-9)
    for x, xt in zip(ours, theirs):
        np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-7, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    shape=st.lists(st.integers(1, 4), min_size=1, max_size=4),
    data=st.data(),
)
def test_reshape_permute_and_index_roundtrip_like_torch(shape, data):
    ndim = len(shape)
    permutation = data.draw(st.permutations(range(ndim)))
    key = tuple(data.draw(st.one_of(st.integers(-n, n - 1), st.slices(n))) for n in shape)
    array = np.random.default_rng(0).standard_normal(shape)
    x, xt = sj.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)

    def f(t):
        y = t.permute(*permutation).reshape(-1)
        y = y.reshape(*[shape[p] for p in permutation]).permute(*np.argsort(permutation))
        return y[key] if all(not isinstance(k, slice) or (k.step or 1) > 0 for k in key) else y

    y, yt = f(x), f(xt)
    assert y.shape == tuple(yt.shape)
    np.testing.assert_array_equal(y.detach().numpy(), yt.detach().numpy())
    g = np.random.default_rng(1).standard_normal(y.shape)
    y.backward(sj.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_array_equal(x.grad.numpy(), xt.grad.numpy())


@settings(max_examples=60, deadline=None)
@given(
    a=st.lists(st.integers(1, 3), min_size=0, max_size=3),
    b=st.lists(st.integers(1, 3), min_size=0, max_size=3),
    mask=st.lists(st.booleans(), min_size=3, max_size=3),
)
def test_broadcast_gradients_reduce_to_each_shape(a, b, mask):
    # Make the shapes broadcastable by setting some dims to 1.
    a = [1 if m else n for n, m in zip(a, mask)]
    b = [n if i < len(b) - len(a) or a[i - (len(b) - len(a))] in (1, n) else 1
         for i, n in enumerate(b)]
    try:
        np.broadcast_shapes(tuple(a), tuple(b))
    except ValueError:
        return
    rng = np.random.default_rng(0)
    xa, xb = rng.standard_normal(a), rng.standard_normal(b)
    sa, sb = sj.tensor(xa, requires_grad=True), sj.tensor(xb, requires_grad=True)
    ta, tb = torch.tensor(xa, requires_grad=True), torch.tensor(xb, requires_grad=True)
    (sa * sb + sa).exp().sum().backward()
    (ta * tb + ta).exp().sum().backward()
    assert sa.grad.shape == tuple(a) and sb.grad.shape == tuple(b)
    np.testing.assert_allclose(sa.grad.numpy(), ta.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(sb.grad.numpy(), tb.grad.numpy(), rtol=1e-10)
