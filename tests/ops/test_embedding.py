"""Embedding lookup through the harness, and its argument checks."""

import numpy as np
import pytest
import torch

import shenjing as sj
from tests.ops.harness import F, Index, OpSpec, spec_tests

SPECS = [
    OpSpec("embedding", lambda m, w, i: m.nn.functional.embedding(i, w),
           [(F(6, 3), Index((4,), 6)), (F(5, 4), Index((2, 7), 5)), (F(3, 2), Index((), 3))]),
    # Row 2 is padding: it gets no gradient, by design not the derivative finite differences see;
    # likewise gradients scaled by frequency. PyTorch is the reference for both.
    OpSpec("embedding:padding_idx", lambda m, w, i: m.nn.functional.embedding(i, w, padding_idx=2),
           [(F(5, 3), Index((3, 6), 5))], finite_differences=False),
    OpSpec("embedding:scale_grad_by_freq",
           lambda m, w, i: m.nn.functional.embedding(i, w, padding_idx=0, scale_grad_by_freq=True),
           [(F(4, 3), Index((10,), 4))], finite_differences=False),
]

test_gradcheck, test_matches_torch = spec_tests(SPECS)


def test_repeated_indices_add_up_and_padding_row_gets_nothing():
    weight = sj.zeros(4, 2, requires_grad=True)
    y = sj.nn.functional.embedding(sj.tensor([[1, 1, 3], [1, 0, 0]]), weight, padding_idx=0)
    y.backward(sj.ones(2, 3, 2))
    np.testing.assert_array_equal(weight.grad.numpy(), [[0, 0], [3, 3], [0, 0], [1, 1]])


def test_gradient_is_not_changed_by_later_edits_of_the_indices():
    weight = sj.randn(5, 2, requires_grad=True)
    indices = sj.tensor([0, 1])
    y = sj.nn.functional.embedding(indices, weight)
    indices[0] = 4
    y.sum().backward()
    np.testing.assert_array_equal(weight.grad.numpy()[:, 0], [1, 1, 0, 0, 0])


def test_max_norm_renormalises_the_looked_up_rows_in_place_as_torch():
    rng = np.random.default_rng(0)
    w = rng.standard_normal((6, 3)).astype(np.float32) * 3
    indices = np.array([[0, 2], [2, 5]])
    ours, theirs = sj.tensor(w), torch.tensor(w)
    y = sj.nn.functional.embedding(sj.tensor(indices), ours, max_norm=1.5)
    yt = torch.nn.functional.embedding(torch.tensor(indices), theirs, max_norm=1.5)
    np.testing.assert_allclose(y.numpy(), yt.numpy(), rtol=1e-6)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    assert np.linalg.norm(ours.numpy()[[0, 2, 5]], axis=1).max() <= 1.5 + 1e-6
    np.testing.assert_array_equal(ours.numpy()[1], w[1])  # rows not looked up stay


@pytest.mark.parametrize("bad", [-1, 6])
def test_out_of_range_index_names_op_index_and_shapes(bad):
    with pytest.raises(IndexError, match=rf"embedding: index {bad} .*\(6, 3\).*\(2,\)"):
        sj.nn.functional.embedding(sj.tensor([0, bad]), sj.randn(6, 3))


def test_float_indices_are_a_runtime_error_as_in_pytorch():
    with pytest.raises(RuntimeError, match=r"embedding: indices must be an integer tensor "
                                           r"\(int64 or int32\), got float32 .*\(2,\).*\(6, 3\)"):
        sj.nn.functional.embedding(sj.tensor([0.0, 1.0]), sj.randn(6, 3))
    with pytest.raises(RuntimeError, match="'indices' to have one of the following scalar "
                                           "types: Long, Int"):
        torch.nn.functional.embedding(torch.tensor([0.0, 1.0]), torch.randn(6, 3))


def test_weight_must_be_a_matrix_and_padding_idx_in_range():
    with pytest.raises(sj.ShapeError, match=r"embedding: weight must be a matrix"):
        sj.nn.functional.embedding(sj.tensor([0]), sj.randn(6))
    with pytest.raises(ValueError, match=r"padding_idx 6 must be within num_embeddings 6"):
        sj.nn.functional.embedding(sj.tensor([0]), sj.randn(6, 3), padding_idx=6)
    with pytest.raises(NotImplementedError, match="sparse"):
        sj.nn.functional.embedding(sj.tensor([0]), sj.randn(6, 3), sparse=True)


def test_second_order_gradient_is_the_lookup_again():
    weight = sj.randn(4, 3, dtype=sj.float64, requires_grad=True)
    indices = sj.tensor([1, 1, 2])
    y = sj.nn.functional.embedding(indices, weight, padding_idx=2)
    v = sj.randn(3, 3, dtype=sj.float64, requires_grad=True)
    (g,) = sj.autograd.grad(y, weight, v, create_graph=True)
    u = sj.randn(4, 3, dtype=sj.float64)
    (gv,) = sj.autograd.grad((g * u).sum(), v)
    expected = u.numpy()[[1, 1, 2]] * np.array([[1.0], [1.0], [0.0]])  # padding: no path
    np.testing.assert_allclose(gv.numpy(), expected)
