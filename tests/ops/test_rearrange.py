"""Rearranging operations through the harness, and their argument errors against PyTorch's."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import shenjing as sj
from tests.ops.harness import F, Index, OpSpec, spec_tests

SPECS = [
    OpSpec("flip", lambda m, x, d: m.flip(x, d),
           [(F(2, 3, 4), (0, 2)), (F(3, 2), (-1,)), (F(4), (0,)), (F(), ())]),
    OpSpec("flip:method", lambda m, x: x.flip(1), [(F(2, 3),)]),
    OpSpec("flip:listed", lambda m, x: x.flip(0, 1), [(F(2, 3),)]),
    OpSpec("fliplr", lambda m, x: m.fliplr(x), [(F(2, 3),), (F(2, 3, 2),)]),
    OpSpec("flipud", lambda m, x: m.flipud(x), [(F(3),), (F(3, 2),)]),
    OpSpec("roll", lambda m, x, s, d: m.roll(x, s, d),
           [(F(2, 5), 2, 1), (F(2, 5), (1, -3), (0, 1)), (F(2, 3), 4, None),
            (F(3, 4), -1, None), (F(3, 2, 2), (1, 1), (0, 0))]),
    OpSpec("roll:method", lambda m, x: x.roll(1, 0), [(F(4),)]),
    OpSpec("repeat", lambda m, x, s: x.repeat(*s),
           [(F(2, 3), (2, 1)), (F(3), (2, 3)), (F(2, 1), (1, 2, 3)), (F(), (3,)),
            (F(2, 2), (0, 2))]),
    OpSpec("repeat:tuple", lambda m, x: x.repeat((2, 2)), [(F(2),)]),
    OpSpec("tile", lambda m, x, s: m.tile(x, s),
           [(F(2, 3), (2,)), (F(2, 3), (2, 1, 2)), (F(3), (2, 2))]),
    OpSpec("tile:method", lambda m, x: x.tile((2, 1)), [(F(2, 2),)]),
    OpSpec("tile:varargs", lambda m, x: x.tile(2, 2), [(F(2),), (F(2, 3),)]),
    OpSpec("repeat_interleave", lambda m, x, r, d: m.repeat_interleave(x, r, dim=d),
           [(F(2, 3), 2, None), (F(2, 3), 3, 1), (F(2, 3), 2, -2), (F(), 3, None),
            (F(2, 3), 0, 0)]),
    OpSpec("repeat_interleave:tensor", lambda m, x, r: m.repeat_interleave(x, r, dim=0),
           [(F(3, 2), Index((3,), 3)), (F(3, 2), Index((), 3)),
            (F(3, 2), Index((1,), 3))]),  # one count, broadcast as in PyTorch
    OpSpec("repeat_interleave:flat", lambda m, x, r: x.repeat_interleave(r),
           [(F(2, 2), Index((4,), 3)), (F(2, 2), Index((1,), 3))]),
    OpSpec("repeat_interleave:counts", lambda m, r: m.repeat_interleave(r),
           [(Index((4,), 3),)], differentiable=False,
           no_extremes="its one input is the integer counts: no float to make extreme"),
    OpSpec("tril", lambda m, x, k: m.tril(x, k),
           [(F(3, 4), 0), (F(3, 4), 1), (F(2, 4, 3), -1), (F(3, 3), 5), (F(3, 3), -5)]),
    OpSpec("tril:method", lambda m, x: x.tril(), [(F(3, 3),)]),
    OpSpec("triu", lambda m, x, k: m.triu(x, diagonal=k),
           [(F(3, 4), 0), (F(4, 3), -1), (F(2, 3, 3), 2)]),
    OpSpec("triu:method", lambda m, x: x.triu(1), [(F(3, 3),)]),
    OpSpec("diagonal", lambda m, x, o, a, b: m.diagonal(x, o, a, b),
           [(F(3, 4), 0, 0, 1), (F(3, 4), 1, 0, 1), (F(3, 4), -2, 0, 1), (F(3, 4), 5, 0, 1),
            (F(2, 3, 4), 0, -1, 0), (F(2, 3, 4), 1, 2, 1)]),
    OpSpec("diagonal:method", lambda m, x: x.diagonal(dim1=-2, dim2=-1), [(F(2, 3, 3),)]),
    OpSpec("diag_embed", lambda m, x, o, a, b: m.diag_embed(x, o, a, b),
           [(F(3,), 0, -2, -1), (F(2, 3), 1, -2, -1), (F(2, 3), -1, 0, 2), (F(2, 3), 0, 2, 0)]),
    OpSpec("diag_embed:method", lambda m, x: x.diag_embed(), [(F(2, 2),)]),
    OpSpec("diag", lambda m, x, k: m.diag(x, k),
           [(F(3), 0), (F(3), 1), (F(3), -2), (F(3, 4), 0), (F(3, 4), 2), (F(4, 3), -1)]),
    OpSpec("diag:method", lambda m, x: x.diag(), [(F(2, 2),)]),
    OpSpec("unflatten", lambda m, x, d, s: m.unflatten(x, d, s),
           [(F(2, 6), 1, (2, 3)), (F(6, 2), 0, (-1, 2)), (F(2, 6), -1, (6,))]),
    OpSpec("unflatten:method", lambda m, x: x.unflatten(0, (2, 2)), [(F(4),)]),
    OpSpec("unfold", lambda m, x, d, size, step: x.unfold(d, size, step),
           [(F(7), 0, 2, 1), (F(7), 0, 3, 2), (F(2, 8, 3), 1, 4, 3), (F(2, 5), -1, 5, 1),
            (F(3, 4), 0, 2, 1), (F(4), 0, 0, 1)]),
    OpSpec("meshgrid", lambda m, *xs: m.meshgrid(*xs[:-1], indexing=xs[-1]),
           [(F(2), F(3), "ij"), (F(2), F(3), "xy"), (F(2), F(3), F(4), "xy"),
            (F(3), "ij"), (F(), F(2), "ij")]),
    OpSpec("meshgrid:list", lambda m, a, b: m.meshgrid([a, b], indexing="ij"), [(F(2), F(2))]),
    OpSpec("narrow", lambda m, x, d, s, n: m.narrow(x, d, s, n),
           [(F(4, 3), 0, 1, 2), (F(4, 3), -1, -2, 2), (F(4, 3), 1, 3, 0)]),
    OpSpec("narrow:method", lambda m, x: x.narrow(0, 0, 1), [(F(2, 2),)]),
    OpSpec("movedim", lambda m, x, s, d: m.movedim(x, s, d),
           [(F(2, 3, 4), 0, 2), (F(2, 3, 4), (0, 1), (2, 0)), (F(2, 3, 4), -1, 0), (F(), 0, 0)]),
    OpSpec("movedim:method", lambda m, x: x.movedim(1, 0), [(F(2, 3),)]),
    OpSpec("moveaxis", lambda m, x: m.moveaxis(x, (0, 2), (1, 0)), [(F(2, 3, 4),)]),
]


test_gradcheck, test_matches_torch = spec_tests(SPECS)


# -- argument errors: PyTorch's exception type, with the op named --------------------------------
X = np.arange(6.0).reshape(2, 3)

ERRORS = [
    ("flip dim out of range", lambda m, x: m.flip(x, (2,)), IndexError),
    ("flip repeated dim", lambda m, x: m.flip(x, (0, 0)), RuntimeError),
    ("fliplr of a vector", lambda m, x: m.fliplr(x[0]), RuntimeError),
    ("roll shifts and dims differ", lambda m, x: m.roll(x, (1, 2), (0,)), RuntimeError),
    ("roll two shifts without dims", lambda m, x: m.roll(x, (1, 2)), RuntimeError),
    ("repeat fewer sizes than dims", lambda m, x: x.repeat(2), RuntimeError),
    ("repeat negative", lambda m, x: x.repeat(-1, 1), RuntimeError),
    ("repeat_interleave negative", lambda m, x: m.repeat_interleave(x, -1), RuntimeError),
    ("repeat_interleave wrong count",
     lambda m, x: m.repeat_interleave(x, m.tensor([1, 2]), dim=1), RuntimeError),
    ("repeat_interleave negative tensor",
     lambda m, x: m.repeat_interleave(x, m.tensor([1, -2]), dim=0), RuntimeError),
    ("tril of a vector", lambda m, x: m.tril(x[0]), RuntimeError),
    ("diag of 3 dims", lambda m, x: m.diag(x[None]), RuntimeError),
    ("diagonal same dims", lambda m, x: m.diagonal(x, 0, 1, -1), RuntimeError),
    ("diagonal dim out of range", lambda m, x: m.diagonal(x, 0, 0, 2), IndexError),
    ("diag_embed same dims", lambda m, x: m.diag_embed(x, 0, 1, 1), RuntimeError),
    ("unflatten wrong sizes", lambda m, x: m.unflatten(x, 1, (2, 2)), RuntimeError),
    ("unfold too large", lambda m, x: x.unfold(1, 4, 1), RuntimeError),
    ("unfold step 0", lambda m, x: x.unfold(1, 2, 0), RuntimeError),
    ("meshgrid of a matrix", lambda m, x: m.meshgrid(x, indexing="ij"), RuntimeError),
    ("narrow past the end", lambda m, x: m.narrow(x, 0, 1, 5), RuntimeError),
    ("narrow start out of range", lambda m, x: m.narrow(x, 0, 3, 0), IndexError),
    ("narrow start out of range below", lambda m, x: m.narrow(x, 0, -3, 1), IndexError),
    ("movedim repeated", lambda m, x: m.movedim(x, (0, 0), (1, 0)), RuntimeError),
    ("movedim lengths differ", lambda m, x: m.movedim(x, (0, 1), (1,)), RuntimeError),
]


@pytest.mark.parametrize("what, fn, error", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_are_pytorchs_type(what, fn, error):
    with pytest.raises(error):
        fn(torch, torch.tensor(X))
    with pytest.raises(error):
        fn(sj, sj.tensor(X))


def test_repeat_interleave_with_tensor_repeats_is_refused_when_compiled():
    step = sj.compile(lambda x, r: sj.repeat_interleave(x, r, dim=0))
    with pytest.raises(sj.static.TraceError, match="repeat_interleave"):
        step(sj.ones(2, 2), sj.tensor([1, 2]))


def test_flip_and_repeat_copy():
    """flip and repeat return new memory, as PyTorch's: writing to them leaves the input."""
    x = sj.arange(4.0)
    for y in (sj.flip(x, (0,)), x.repeat(1), sj.tril(x.reshape(2, 2))):
        y[...] = -1.0
    assert x.tolist() == [0.0, 1.0, 2.0, 3.0]


def test_integer_inputs_keep_their_dtype():
    x = np.arange(6, dtype=np.int32).reshape(2, 3)
    for fn in (lambda m, t: m.flip(t, (0,)), lambda m, t: t.repeat(2, 1),
               lambda m, t: m.diag_embed(t), lambda m, t: t.unfold(1, 2, 1),
               lambda m, t: m.repeat_interleave(t, 2, dim=1), lambda m, t: m.triu(t)):
        ours, theirs = fn(sj, sj.tensor(x)), fn(torch, torch.tensor(x))
        assert ours.dtype == theirs.numpy().dtype
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# -- random shapes (hypothesis): forward and gradient against PyTorch ----------------------------
shapes = st.lists(st.integers(0, 4), min_size=1, max_size=4).map(tuple)


def _ops(draw, shape):
    """One rearranging op drawn for a tensor of ``shape``, as fn(m, x)."""
    ndim = len(shape)
    dim = draw(st.integers(-ndim, ndim - 1))
    dims = tuple(draw(st.sets(st.integers(0, ndim - 1), max_size=ndim)))
    other = draw(st.integers(0, ndim - 1).filter(lambda d: d % ndim != dim % ndim)) \
        if ndim > 1 else None
    n = shape[dim]
    size = draw(st.integers(0, n))
    step = draw(st.integers(1, 3))
    shift = draw(st.integers(-5, 5))
    offset = draw(st.integers(-3, 3))
    repeats = tuple(draw(st.lists(st.integers(0, 2), min_size=ndim, max_size=ndim + 1)))
    ops = {
        "flip": lambda m, x: m.flip(x, dims),
        "roll": lambda m, x: m.roll(x, shift, dim),
        "roll_flat": lambda m, x: m.roll(x, shift),
        "repeat": lambda m, x: x.repeat(*repeats),
        "tile": lambda m, x: m.tile(x, repeats[1:]),
        "repeat_interleave": lambda m, x: m.repeat_interleave(x, step, dim=dim),
        "unfold": lambda m, x: x.unfold(dim, size, step),
        "narrow": lambda m, x: m.narrow(x, dim, n - size, size),
        "movedim": lambda m, x: m.movedim(x, dim, -1),
    }
    if other is not None:
        ops["diagonal"] = lambda m, x: m.diagonal(x, offset, dim, other)
        ops["tril"] = lambda m, x: m.tril(x, offset)
        ops["diag_embed"] = lambda m, x: m.diag_embed(x, offset, dim % ndim, other)
    name = draw(st.sampled_from(sorted(ops)))
    return name, ops[name]


@st.composite
def cases(draw):
    shape = draw(shapes)
    return shape, *_ops(draw, shape)


@settings(max_examples=80, deadline=None)
@given(case=cases(), seed=st.integers(0, 2**16))
def test_random_shapes_match_torch(case, seed):
    shape, name, fn = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(np.float32)
    ours, theirs = sj.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, r = fn(sj, ours), fn(torch, theirs)
    assert y.shape == tuple(r.shape), name
    np.testing.assert_array_equal(y.detach().numpy(), r.detach().numpy(), err_msg=name)
    g = rng.standard_normal(y.shape).astype(np.float32)
    y.backward(sj.tensor(g))
    r.backward(torch.tensor(g))
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-6, atol=1e-6,
                               err_msg=name)
