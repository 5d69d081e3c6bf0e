"""Scaled dot-product attention through the harness: masks, causality, blocked queries."""

from tests.ops.harness import F, Mask, OpSpec, spec_tests


def _sdpa(m, q, k, v, **kwargs):
    return m.nn.functional.scaled_dot_product_attention(q, k, v, **kwargs)


SPECS = [
    OpSpec("scaled_dot_product_attention", _sdpa,
           [(F(2, 3, 4), F(2, 5, 4), F(2, 5, 6)), (F(3, 4), F(3, 4), F(3, 2))]),
    OpSpec("scaled_dot_product_attention:causal",
           lambda m, q, k, v: _sdpa(m, q, k, v, is_causal=True),
           [(F(1, 2, 4, 3), F(1, 2, 4, 3), F(1, 2, 4, 3)), (F(3, 2), F(5, 2), F(5, 2))]),
    OpSpec("scaled_dot_product_attention:bool_mask",
           lambda m, q, k, v, mask: _sdpa(m, q, k, v, attn_mask=mask | m.eye(3, 4, dtype=m.bool)),
           [(F(2, 3, 4), F(2, 4, 4), F(2, 4, 2), Mask((3, 4)))]),
    OpSpec("scaled_dot_product_attention:float_mask",
           lambda m, q, k, v, mask: _sdpa(m, q, k, v, attn_mask=mask, scale=0.3),
           [(F(2, 3, 4), F(2, 4, 4), F(2, 4, 2), F(3, 4))]),
    OpSpec("scaled_dot_product_attention:blocked_row",
           lambda m, q, k, v: _sdpa(m, q, k, v, attn_mask=m.tensor([[False, False],
                                                                    [True, False]])),
           [(F(2, 4), F(2, 4), F(2, 3))]),
]

test_gradcheck, test_matches_torch = spec_tests(SPECS)
