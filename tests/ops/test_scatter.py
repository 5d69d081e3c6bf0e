"""Scatter, the index_* family, take and the data-shaped selections through the harness, with
PyTorch's argument errors and refusal under sj.compile."""

import warnings
from dataclasses import dataclass

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import shenjing as sj
from tests.ops.harness import Const, F, G, Index, Mask, OpSpec, check_gradcheck, spec_tests


@dataclass(frozen=True)
class Distinct(Index):
    """An index for a scatter along ``dim`` whose values never repeat along that dim, so that
    which of two writes wins (unspecified in PyTorch) never matters."""

    dim: int = 0

    def make(self, rng):
        wide = list(self.shape)
        wide[self.dim] = self.high
        order = rng.random(wide).argsort(axis=self.dim)
        return order[tuple(slice(0, n) for n in self.shape)]


@dataclass(frozen=True)
class Ints(Index):
    """An index with fixed values."""

    values: tuple = ()

    def make(self, rng):
        return np.asarray(self.values, dtype=np.int64).reshape(self.shape)


def ints(values) -> Ints:
    return Ints((len(values),), max(values) + 1, tuple(values))


def _quietly(fn, *args, **kwargs):
    """PyTorch warns that scatter's reduce is deprecated; the warning is not under test."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return fn(*args, **kwargs)


TIES = "values tie on purpose: finite differences straddle the kink"
ZEROS = ("the product rule with a zero factor selects by x == 0, whose derivative is not "
         "the product's second derivative (PyTorch refuses several zeros there too)")

SPECS = [
    OpSpec("scatter", lambda m, x, d, i, s: m.scatter(x, d, i, s),
           [(F(3, 4), 0, Distinct((2, 4), 3, dim=0), F(2, 4)),
            (F(3, 5), 1, Distinct((3, 2), 5, dim=1), F(3, 2)),
            (F(2, 3, 4), -1, Distinct((2, 2, 3), 4, dim=2), F(2, 2, 3)),
            (F(4), 0, Distinct((0,), 4), F(0))]),
    OpSpec("scatter:value", lambda m, x, d, i: m.scatter(x, d, i, 2.5),
           [(F(3, 4), 0, Index((2, 4), 3)), (F(3, 4), 1, Index((3, 6), 4))]),
    OpSpec("scatter:method", lambda m, x, i: x.scatter(0, i, value=-1.0), [(F(4),
           Index((3,), 4))]),
    OpSpec("scatter:reduce", lambda m, x, i, s, r: x.scatter(0, i, s, reduce=r),
           [(Const(3, 2), Index((4, 2), 3), Const(4, 2), "add"),
            (Const(3, 2), Index((4, 2), 3), Const(4, 2), "multiply")],
           ref=lambda m, x, i, s, r: _quietly(x.scatter, 0, i, s, reduce=r),
           differentiable=False),  # PyTorch has no derivative for scatter with reduce
    OpSpec("scatter_add", lambda m, x, d, i, s: m.scatter_add(x, d, i, s),
           [(F(3, 4), 0, Index((5, 4), 3), F(5, 4)), (F(3, 4), 1, Index((2, 6), 4), F(2, 6)),
            (F(4), 0, Index((9,), 4), F(9))]),
    OpSpec("scatter_add:method", lambda m, x, i, s: x.scatter_add(0, i, s),
           [(F(3), Index((5,), 3), F(5))]),
    OpSpec("scatter_reduce", lambda m, x, d, i, s, r, inc:
           m.scatter_reduce(x, d, i, s, r, include_self=inc),
           [(F(3, 4), 0, Index((5, 4), 3), F(5, 4), r, inc)
            for r in ("sum", "mean", "amax", "amin", "prod") for inc in (True, False)]
           + [(F(2, 5), 1, Index((2, 7), 5), F(2, 7), "mean", False),
              (F(6), 0, Index((4,), 6), F(4), "amin", False)]),
    OpSpec("scatter_reduce:ties", lambda m, x, i, s, r, inc:
           x.scatter_reduce(0, i, s, r, include_self=inc),
           [(G([1.0, 3.0, 3.0, 0.5]), ints([0, 0, 1, 2, 1]), G([3.0, 2.0, 3.0, 0.5, 3.0]), r, inc)
            for r in ("amax", "amin") for inc in (True, False)],
           finite_differences=False, no_extremes=TIES),
    OpSpec("scatter_reduce:zeros", lambda m, x, i, s, inc:
           x.scatter_reduce(0, i, s, "prod", include_self=inc),
           [(G([0.0, 2.0, 3.0, 1.5]), ints([0, 1, 1, 2, 2, 3]),
             G([0.5, 0.0, -1.0, 0.0, 0.0, 1.5]), inc) for inc in (True, False)]),
    # In place: on tensors no graph holds, as every in-place change in shenjing.
    OpSpec("scatter_", lambda m, x, i, s: x.clone().scatter_(1, i, s),
           [(Const(3, 4), Distinct((3, 2), 4, dim=1), Const(3, 2))], differentiable=False),
    OpSpec("scatter_:value", lambda m, x, i: x.clone().scatter_(1, i, 1.0),
           [(Const(3, 4), Index((3, 1), 4))], differentiable=False),
    OpSpec("scatter_add_", lambda m, x, i, s: x.clone().scatter_add_(0, i, s),
           [(Const(3, 4), Index((5, 4), 3), Const(5, 4))], differentiable=False),
    OpSpec("scatter_reduce_", lambda m, x, i, s: x.clone().scatter_reduce_(0, i, s, "mean",
                                                                          include_self=False),
           [(Const(3, 4), Index((5, 4), 3), Const(5, 4))], differentiable=False),
    OpSpec("index_add_", lambda m, x, i, s: x.clone().index_add_(0, i, s, alpha=2.0),
           [(Const(3, 4), Index((5,), 3), Const(5, 4))], differentiable=False),
    OpSpec("index_fill_", lambda m, x, i: x.clone().index_fill_(1, i, -1.0),
           [(Const(3, 4), Index((2,), 4))], differentiable=False),
    OpSpec("index_copy_", lambda m, x, i, s: x.clone().index_copy_(0, i, s),
           [(Const(3, 4), Distinct((2,), 3), Const(2, 4))], differentiable=False),
    OpSpec("index_select", lambda m, x, d, i: m.index_select(x, d, i),
           [(F(4, 3), 0, Index((6,), 4)), (F(4, 3), -1, Index((2,), 3)), (F(2, 3, 4), 1,
            Index((), 3)), (F(4), 0, Index((0,), 4))]),
    OpSpec("index_select:method", lambda m, x, i: x.index_select(1, i),
           [(F(2, 3), Index((4,), 3))]),
    OpSpec("index_add", lambda m, x, d, i, s: m.index_add(x, d, i, s),
           [(F(4, 3), 0, Index((6,), 4), F(6, 3)), (F(4, 3), 1, Index((2,), 3), F(4, 2)),
            (F(2, 3, 4), -1, Index((5,), 4), F(2, 3, 5))]),
    OpSpec("index_add:alpha", lambda m, x, i, s: x.index_add(0, i, s, alpha=-2.5),
           [(F(4, 2), Index((3,), 4), F(3, 2))]),
    OpSpec("index_copy", lambda m, x, d, i, s: m.index_copy(x, d, i, s),
           [(F(4, 3), 0, Distinct((3,), 4), F(3, 3)), (F(2, 5), 1, Distinct((2,), 5), F(2, 2))]),
    OpSpec("index_copy:method", lambda m, x, i, s: x.index_copy(0, i, s),
           [(F(3), Distinct((2,), 3), F(2))]),
    OpSpec("index_fill", lambda m, x, d, i, v: m.index_fill(x, d, i, v),
           [(F(4, 3), 0, Index((3,), 4), 1.5), (F(4, 3), 1, Index((2,), 3), -2.0),
            (F(4, 3), 1, Index((2,), 3), F())]),
    OpSpec("index_fill:method", lambda m, x, i: x.index_fill(0, i, 0.0),
           [(F(3, 2), Index((2,), 3))]),
    OpSpec("take", lambda m, x, i: m.take(x, i),
           [(F(3, 4), Index((5,), 12)), (F(3, 4), Index((2, 3), 12)), (F(3, 4), Index((), 12))]),
    OpSpec("take:negative", lambda m, x: x.take(m.tensor([-1, 0, -12, 5])), [(F(3, 4),)]),
    OpSpec("take_along_dim", lambda m, x, i, d: m.take_along_dim(x, i, d),
           [(F(3, 4), Index((3, 2), 4), 1), (F(3, 4), Index((1, 4), 3), 0),
            (F(3, 4), Index((5,), 12), None), (F(3, 1), Index((1, 4), 3), 0),
            (F(2, 3, 4), Index((2, 1, 4), 3), -2)]),
    OpSpec("take_along_dim:negative",  # counted from the end where a dim is given
           lambda m, x: m.take_along_dim(x, m.tensor([[-1, 0], [-4, 3], [2, -2]]), 1),
           [(F(3, 4),)]),
    OpSpec("take_along_dim:argmax", lambda m, x: x.take_along_dim(x.argmax(1, keepdim=True), 1),
           [(F(3, 5, distinct=True),)]),
    OpSpec("masked_select", lambda m, x, mask: m.masked_select(x, mask),
           [(F(3, 4), Mask((3, 4))), (F(3, 4), Mask((4,))), (F(4), Mask((2, 4))), (F(), Mask(()))]),
    OpSpec("masked_select:method", lambda m, x, mask: x.masked_select(mask),
           [(F(2, 3), Mask((2, 3)))]),
    OpSpec("nonzero", lambda m, mask: m.nonzero(mask),
           [(Mask((3, 4)),), (Mask((5,)),), (Mask(()),)], differentiable=False,
           no_extremes="a bool input only; nonzero:method meets extreme floats"),
    OpSpec("nonzero:tuple", lambda m, mask: m.nonzero(mask, as_tuple=True),
           [(Mask((3, 4)),), (Mask(()),)], differentiable=False,
           no_extremes="a bool input only; nonzero:method meets extreme floats"),
    OpSpec("nonzero:method", lambda m, x: (x > 0).float().nonzero(), [(F(2, 3),)],
           differentiable=False),
    OpSpec("argwhere", lambda m, x: m.argwhere(x > 0.5), [(F(3, 4),)], differentiable=False),
    OpSpec("argwhere:method", lambda m, x: (x > 0).argwhere(), [(F(4),)],
           differentiable=False),
]


test_gradcheck, test_matches_torch = spec_tests(SPECS)


@pytest.mark.parametrize("op", ["scatter", "scatter_add", "scatter_reduce"])
def test_a_larger_src_uses_its_leading_corner(op):
    """src may be larger than index: its leading corner is written, the rest gets no gradient
    (PyTorch computes the values, but its backward fails on the shapes, so only the values are
    compared with it; the gradient is checked against finite differences)."""
    extra = ("mean",) if op == "scatter_reduce" else ()
    index = np.array([[0, 2], [1, 0]])
    x, src = np.ones((3, 3)), np.arange(12.0).reshape(3, 4)
    ours = getattr(sj, op)(sj.tensor(x), 0, sj.tensor(index), sj.tensor(src), *extra)
    theirs = getattr(torch, op)(torch.tensor(x), 0, torch.tensor(index), torch.tensor(src),
                                *extra)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    spec = OpSpec(op, lambda m, x, i, s: getattr(m, op)(x, 0, i, s, *extra), [])
    check_gradcheck(spec, (F(3, 3), Distinct((2, 2), 3), F(3, 4)))
    s = sj.tensor(src, requires_grad=True)
    getattr(sj, op)(sj.tensor(x), 0, sj.tensor(index), s, *extra).sum().backward()
    assert not s.grad[:, 2:].numpy().any() and not s.grad[2:].numpy().any()


def test_in_place_forms_change_the_tensor_and_refuse_a_graph():
    x = sj.zeros(2, 3)
    assert x.scatter_(1, sj.tensor([[0], [2]]), 1.0) is x
    assert x.tolist() == [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    w = sj.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="index_add_"):
        w.index_add_(0, sj.tensor([0]), sj.ones(1))
    with pytest.raises(RuntimeError, match="scatter_"):
        (w * 2).scatter_(0, sj.tensor([0]), 1.0)
    with sj.no_grad():
        w.index_add_(0, sj.tensor([0, 0]), sj.ones(2))
    assert w.tolist() == [2.0, 0.0, 0.0]


def test_scatter_src_gradient_is_gather_where_indices_repeat():
    """Both writes to one place get the gradient there, as PyTorch's gather gives them."""
    index = [[0, 0, 1]]
    grads = []
    for m in (sj, torch):
        x = m.zeros(2, 3, requires_grad=True)
        src = m.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
        y = x.scatter(0, m.tensor(index), src)
        (y * m.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).sum().backward()
        grads.append((x.grad.numpy(), src.grad.numpy()))
    for ours, theirs in zip(*grads):
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("dtype", [np.int64, np.int32])
@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_on_integers(dtype, reduce, include_self):
    x = np.array([5, -7, 3, 0], dtype=dtype)
    src = np.array([1, 2, -4, 6, 3], dtype=dtype)
    index = np.array([0, 0, 1, 1, 0])
    ours = sj.scatter_reduce(sj.tensor(x), 0, sj.tensor(index), sj.tensor(src), reduce,
                             include_self=include_self)
    theirs = torch.scatter_reduce(torch.tensor(x), 0, torch.tensor(index), torch.tensor(src),
                                  reduce, include_self=include_self)
    assert ours.dtype == theirs.numpy().dtype
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def _prod_second_derivative(m, src):
    x = m.tensor([3.0], dtype=m.float64, requires_grad=True)
    src = m.tensor(src, dtype=m.float64, requires_grad=True)
    y = x.scatter_reduce(0, m.zeros(len(src), dtype=m.int64), src, "prod")
    g = m.autograd.grad(y.sum(), [src], create_graph=True)[0]
    return m.autograd.grad(g.sum(), [x, src])


def test_scatter_reduce_prod_second_derivative_with_two_zeros_on_a_target():
    """d2 y / d src_0 d src_1 of 3 * src_0 * src_1 at (0, 0) is 3 (PyTorch refuses to say)."""
    gx, gsrc = _prod_second_derivative(sj, [0.0, 0.0])
    assert gx.tolist() == [0.0] and gsrc.tolist() == [3.0, 3.0]
    gx, gsrc = _prod_second_derivative(sj, [0.0, 0.0, 2.0])
    assert gx.tolist() == [0.0] and gsrc.tolist() == [6.0, 6.0, 0.0]
    ours = _prod_second_derivative(sj, [1.0, 0.0, 2.0])  # one zero: PyTorch answers
    theirs = _prod_second_derivative(torch, [1.0, 0.0, 2.0])
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_scatter_reduce_prod_second_derivative_with_three_zeros_is_refused():
    for m in (torch, sj):
        with pytest.raises(RuntimeError, match="ouble backward"):
            _prod_second_derivative(m, [0.0, 0.0, 0.0])
    # the first derivative stays available
    src = sj.zeros(3, dtype=sj.float64, requires_grad=True)
    sj.ones(1, dtype=sj.float64).scatter_reduce(0, sj.zeros(3, dtype=sj.int64), src,
                                                "prod").backward()
    assert src.grad.tolist() == [0.0, 0.0, 0.0]


# -- argument errors: PyTorch's exception type, with the op named --------------------------------
X = np.zeros((3, 4))

ERRORS = [
    ("scatter index out of range", lambda m, x: x.scatter(0, m.tensor([[0, 1, 2, 5]]), 1.0),
     RuntimeError),
    ("scatter negative index", lambda m, x: x.scatter(0, m.tensor([[0, -1]]), 1.0),
     RuntimeError),
    ("scatter index too large", lambda m, x: x.scatter(0, m.tensor([[0, 1, 2, 0, 0]]), 1.0),
     RuntimeError),
    ("scatter src too small", lambda m, x: x.scatter(0, m.tensor([[0, 1]]), m.ones(1, 1)),
     RuntimeError),
    ("scatter float index", lambda m, x: x.scatter(0, m.tensor([[0.0, 1.0]]), 1.0),
     RuntimeError),
    ("scatter dims differ", lambda m, x: x.scatter(0, m.tensor([0, 1]), m.ones(2)),
     RuntimeError),
    ("scatter dim out of range", lambda m, x: x.scatter(2, m.tensor([[0]]), 1.0), IndexError),
    ("scatter_add dtypes differ",
     lambda m, x: x.scatter_add(0, m.tensor([[0, 1]]), m.ones(1, 2, dtype=m.float32)),
     RuntimeError),
    ("scatter_reduce unknown", lambda m, x: x.scatter_reduce(0, m.tensor([[0]]),
                                                             m.ones(1, 1, dtype=m.float64), "foo"),
     RuntimeError),
    ("index_select out of range", lambda m, x: x.index_select(0, m.tensor([0, 3])), IndexError),
    ("index_select matrix index", lambda m, x: x.index_select(0, m.tensor([[0, 1]])),
     IndexError),
    ("index_add out of range",
     lambda m, x: x.index_add(0, m.tensor([0, 3]), m.ones(2, 4, dtype=m.float64)),
     RuntimeError),
    ("index_add wrong source",
     lambda m, x: x.index_add(0, m.tensor([0, 1]), m.ones(3, 4, dtype=m.float64)),
     RuntimeError),
    ("index_fill out of range", lambda m, x: x.index_fill(0, m.tensor([0, 3]), 1.0), IndexError),
    ("index_fill vector value",
     lambda m, x: x.index_fill(1, m.tensor([0]), m.tensor([2.0], dtype=m.float64)),
     RuntimeError),
    ("index_copy out of range",
     lambda m, x: x.index_copy(0, m.tensor([0, 3]), m.ones(2, 4, dtype=m.float64)),
     IndexError),
    ("take out of range", lambda m, x: x.take(m.tensor([12])), IndexError),
    ("take out of range below", lambda m, x: x.take(m.tensor([-13])), IndexError),
    ("take_along_dim shapes", lambda m, x: m.take_along_dim(x, m.tensor([[1, 2]]), 0),
     RuntimeError),
    ("masked_select float mask", lambda m, x: m.masked_select(x, m.tensor([1, 0, 1, 0])),
     RuntimeError),
    ("masked_select shapes",
     lambda m, x: m.masked_select(x, m.tensor([True, False, True])), RuntimeError),
]


@pytest.mark.parametrize("what, fn, error", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_are_pytorchs_type(what, fn, error):
    with pytest.raises(error):
        fn(torch, torch.tensor(X))
    with pytest.raises(error) as caught:
        fn(sj, sj.tensor(X))
    op = what.split()[0]
    assert op in str(caught.value), f"the message does not name {op}: {caught.value}"


@pytest.mark.parametrize("index", [-5, 4])
def test_take_along_dim_refuses_an_index_outside_minus_size_to_size(index):
    """PyTorch 2.13 takes such an index modulo the size (-5 and 4 of 4 as 3 and 0); an index
    beyond the dim is a mistake more often than a wish, so shenjing says so."""
    with pytest.raises(IndexError, match=f"take_along_dim: index {index} is out of bounds for "
                                         "dim 1 with size 4"):
        sj.take_along_dim(sj.zeros(3, 4), sj.tensor([[index]]), 1)


def test_index_errors_are_both_index_and_runtime_errors():
    """scatter's is a RuntimeError in PyTorch, index_select's an IndexError: ours are both."""
    with pytest.raises(IndexError, match=r"scatter: index 5 is out of bounds for dim 0 with "
                                         r"size 3"):
        sj.zeros(3).scatter(0, sj.tensor([5]), 1.0)
    with pytest.raises(RuntimeError, match="index_select: index 3 .* size 3"):
        sj.zeros(3).index_select(0, sj.tensor([3]))


# -- data-dependent shapes are refused under sj.compile, and checked on every replay -------------
@pytest.mark.parametrize("fn", [
    lambda x: sj.masked_select(x, x > 0),
    lambda x: sj.nonzero(x),
    lambda x: sj.nonzero(x, as_tuple=True)[0],
    lambda x: sj.argwhere(x),
], ids=["masked_select", "nonzero", "nonzero-tuple", "argwhere"])
def test_data_shaped_outputs_are_refused_when_compiled(fn):
    step = sj.compile(fn)
    with pytest.raises(sj.static.TraceError):
        step(sj.tensor([1.0, -1.0, 2.0]))


def test_a_compiled_scatter_checks_each_batchs_indices():
    step = sj.compile(lambda x, i: x.scatter_add(0, i, sj.ones(2)))
    step(sj.zeros(3), sj.tensor([0, 2]))
    with pytest.raises(IndexError, match="scatter_add: index 3"):
        step(sj.zeros(3), sj.tensor([0, 3]))


# -- random shapes (hypothesis): forward and gradients against PyTorch ---------------------------
@st.composite
def scatter_cases(draw):
    """(op, shape of input, dim, index array, shape of src): index no larger than input outside
    dim, src the size of index (PyTorch's backward needs that)."""
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    dim = draw(st.integers(0, len(shape) - 1))
    op = draw(st.sampled_from(["scatter_add", "sum", "prod", "mean", "amax", "amin",
                               "index_select", "index_add", "take_along_dim"]))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    if op in ("index_select", "index_add"):
        index = rng.integers(0, shape[dim], draw(st.integers(0, 5)))
        src = shape[:dim] + (len(index),) + shape[dim + 1:]
    else:
        ishape = tuple(draw(st.sampled_from([1, n]) if op == "take_along_dim"
                            else st.integers(0, n)) for n in shape)  # broadcastable there
        ishape = ishape[:dim] + (draw(st.integers(0, 5)),) + ishape[dim + 1:]
        index = rng.integers(0, shape[dim], ishape)
        src = ishape
    return op, shape, dim, index, src, draw(st.booleans()), seed


def _scatter_op(m, op, x, dim, index, src, include_self):
    if op == "scatter_add":
        return x.scatter_add(dim, index, src)
    if op == "index_select":
        return x.index_select(dim, index)
    if op == "index_add":
        return x.index_add(dim, index, src, alpha=1.5)
    if op == "take_along_dim":
        return m.take_along_dim(x, index, dim)
    return x.scatter_reduce(dim, index, src, op, include_self=include_self)


@settings(max_examples=80, deadline=None)
@given(case=scatter_cases())
def test_random_scatters_match_torch(case):
    op, shape, dim, index, src_shape, include_self, seed = case
    rng = np.random.default_rng(seed + 1)
    x = rng.uniform(0.5, 2.0, shape) * rng.choice([-1, 1], shape)
    src = rng.uniform(0.5, 2.0, src_shape)
    results = []
    for m in (sj, torch):
        xt, st_ = m.tensor(x, requires_grad=True), m.tensor(src, requires_grad=True)
        y = _scatter_op(m, op, xt, dim, m.tensor(index), st_, include_self)
        y.backward(m.tensor(np.cos(np.arange(y.numel())).reshape(tuple(y.shape))))
        results.append((y.detach().numpy(), xt.grad.numpy(),
                        None if st_.grad is None else st_.grad.numpy()))
    (y, gx, gs), (r, hx, hs) = results
    np.testing.assert_allclose(y, r, rtol=1e-12, err_msg=op)
    np.testing.assert_allclose(gx, hx, rtol=1e-10, atol=1e-12, err_msg=op)
    if hs is not None:
        assert gs is not None
        np.testing.assert_allclose(gs, hs, rtol=1e-10, atol=1e-12, err_msg=op)
