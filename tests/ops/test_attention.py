"""Scaled dot-product attention through the harness: masks, causality, blocked queries."""

import numpy as np
import torch

import shenjing as sj
from tests.ops.harness import F, G, Mask, OpSpec, spec_tests

INF = float("inf")
# A masked score is replaced by -inf (masked_fill); PyTorch adds -inf to it, so a NaN or inf
# score at a masked position makes PyTorch's whole row NaN where the mask says it cannot count.
MASKED = "a masked position's score is replaced, where PyTorch adds -inf to a NaN or inf score"


def _sdpa(m, q, k, v, **kwargs):
    return m.nn.functional.scaled_dot_product_attention(q, k, v, **kwargs)


SPECS = [
    OpSpec("scaled_dot_product_attention", _sdpa,
           [(F(2, 3, 4), F(2, 5, 4), F(2, 5, 6)), (F(3, 4), F(3, 4), F(3, 2))]),
    OpSpec("scaled_dot_product_attention:causal",
           lambda m, q, k, v: _sdpa(m, q, k, v, is_causal=True),
           [(F(1, 2, 4, 3), F(1, 2, 4, 3), F(1, 2, 4, 3)), (F(3, 2), F(5, 2), F(5, 2))],
           finer_than_torch=MASKED,
           no_extremes="PyTorch's causal kernel skips the keys after each query, so an inf in a "
                       "later value row never meets its zero weight; one matrix product here "
                       "gives 0 * inf = NaN (the masks of the other specs are checked)"),
    OpSpec("scaled_dot_product_attention:bool_mask",
           lambda m, q, k, v, mask: _sdpa(m, q, k, v, attn_mask=mask | m.eye(3, 4, dtype=m.bool)),
           [(F(2, 3, 4), F(2, 4, 4), F(2, 4, 2), Mask((3, 4)))], finer_than_torch=MASKED),
    OpSpec("scaled_dot_product_attention:float_mask",
           lambda m, q, k, v, mask: _sdpa(m, q, k, v, attn_mask=mask, scale=0.3),
           [(F(2, 3, 4), F(2, 4, 4), F(2, 4, 2), F(3, 4))]),
    OpSpec("scaled_dot_product_attention:blocked_row",
           lambda m, q, k, v: _sdpa(m, q, k, v, attn_mask=m.tensor([[False, False],
                                                                    [True, False]])),
           [(F(2, 4), F(2, 4), F(2, 3))], finer_than_torch=MASKED),
    # A float mask whose row is all -inf blocks that query too: zeros, not NaN (PyTorch 2.13)
    OpSpec("scaled_dot_product_attention:blocked_float_row",
           lambda m, q, k, v, mask: _sdpa(m, q, k, v, attn_mask=mask),
           [(F(3, 4), F(2, 4), F(2, 3), G([[-INF, -INF], [0.0, -INF], [0.5, -1.0]], False)),
            (F(2, 3, 4), F(2, 2, 4), F(2, 2, 3), G([[[-INF, -INF]], [[0.3, 0.0]]], False))],
           finer_than_torch="a row the mask blocks gives zeros whatever its scores; PyTorch's "
                            "kernel decides from the masked scores, NaN where a score is NaN"),
]

test_gradcheck, test_matches_torch = spec_tests(SPECS)


def test_dropout_drops_the_weights_of_the_seeded_mask():
    """dropout_p drops attention weights with dropout's mask (redrawn from the same seed, as
    tests/ops/test_dropout.py does) and scales the rest by 1 / (1 - p): value and gradients
    against PyTorch's attention written out with that mask."""
    rng = np.random.default_rng(0)
    q, k, v = (rng.standard_normal(shape).astype(np.float32)
               for shape in ((2, 5, 4), (2, 6, 4), (2, 6, 3)))
    p = 0.4
    ours = [sj.tensor(a, requires_grad=True) for a in (q, k, v)]
    sj.manual_seed(7)
    y = _sdpa(sj, *ours, dropout_p=p)
    sj.manual_seed(7)
    keep = torch.tensor(sj.rand(2, 5, 6).numpy() >= p)
    theirs = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    weights = torch.softmax(theirs[0] @ theirs[1].transpose(-2, -1) / 2.0, -1)
    ref = torch.where(keep, weights / (1 - p), 0.0) @ theirs[2]
    assert 0 < int(keep.sum()) < keep.numel()
    np.testing.assert_allclose(y.detach().numpy(), ref.detach().numpy(), rtol=1e-5, atol=1e-6)
    gy = rng.standard_normal((2, 5, 3)).astype(np.float32)
    y.backward(sj.tensor(gy))
    ref.backward(torch.tensor(gy))
    for g, h in zip(ours, theirs):
        np.testing.assert_allclose(g.grad.numpy(), h.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_dropout_repeats_with_the_seed_and_keeps_the_mean():
    q, k = sj.zeros(1, 400, 2), sj.zeros(1, 8, 2)  # uniform weights: each output is the
    v = sj.ones(1, 8, 1)  # mean of the kept values
    sj.manual_seed(3)
    a = _sdpa(sj, q, k, v, dropout_p=0.5)
    sj.manual_seed(3)
    b = _sdpa(sj, q, k, v, dropout_p=0.5)
    assert np.array_equal(a.numpy(), b.numpy())
    assert abs(float(a.mean()) - 1.0) < 0.1  # E[kept / (1 - p)] = 1
    assert float(a.std()) > 0.1  # the weights were dropped, not passed whole
