"""Scaled dot-product attention: each query's softmax-weighted average of the values.

``softmax(q @ k^T * scale + mask) @ v``, written with differentiable operations (matmul,
masked_fill, softmax, dropout), so gradients and second derivatives come from them. Shapes:
``q`` is (..., L, E), ``k`` (..., S, E), ``v`` (..., S, Ev); the result is (..., L, Ev).
"""

from __future__ import annotations

import math

from shenjing.autograd import tracing
from shenjing.autograd.function import ShapeError
from shenjing.autograd.tensor import Tensor
from shenjing.backend import array_module
from shenjing.ops.activation import softmax
from shenjing.ops.checks import broadcast_shape, require_tensor
from shenjing.ops.dropout import dropout
from shenjing.ops.indexing import masked_fill
from shenjing.ops.linalg import matmul
from shenjing.ops.reduce import amax


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask=None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale=None,
                                 enable_gqa: bool = False) -> Tensor:
    """Attention of ``query`` over ``key``/``value``; ``F.scaled_dot_product_attention``.

    ``attn_mask``: a bool mask (True where a query may attend) or a float mask added to the
    scores, broadcast to (..., L, S). ``is_causal``: query i sees keys 0..i (the mask PyTorch
    builds, aligned at the top left). ``scale``: 1/sqrt(E) unless given. ``dropout_p`` drops
    attention weights (always, as in PyTorch: pass 0 outside training). A query whose bool mask
    allows no key (a bool row all False, or a float row all -inf) gets zeros, and zero
    gradients, as in PyTorch 2.13.

    >>> import shenjing as sj
    >>> q = k = v = sj.ones(2, 3, 4)
    >>> sj.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True).shape
    (2, 3, 4)
    """
    op = "scaled_dot_product_attention"
    for name, t in (("query", query), ("key", key), ("value", value)):
        require_tensor(op, t)
        if t.ndim < 2:
            raise ShapeError(f"{op}: {name} needs at least 2 dims (..., length, features), got "
                             f"shape {t.shape}")
    if enable_gqa:
        raise NotImplementedError(f"{op}: enable_gqa (grouped-query attention) is not supported")
    L, E, S = query.shape[-2], query.shape[-1], key.shape[-2]
    if key.shape[-1] != E or value.shape[-2] != S:
        raise ShapeError(f"{op}: query {query.shape}, key {key.shape} and value {value.shape} "
                         "do not fit: key needs the query's features, value the key's length")
    if is_causal and attn_mask is not None:
        raise RuntimeError(f"{op}: pass attn_mask or is_causal, not both (is_causal builds "
                           "its own mask)")
    scale = 1.0 / math.sqrt(E) if scale is None else scale
    scores = matmul(query, key.transpose(-2, -1)) * scale  # (..., L, S)
    blocked = None  # queries whose mask allows no key
    if is_causal:
        xp = array_module(query._data)
        attn_mask = Tensor._make(tracing.constant(xp.tril(xp.ones((L, S), dtype=bool))))
    if attn_mask is not None:
        require_tensor(op, attn_mask)
        broadcast_shape(op, attn_mask.shape, scores.shape)
        if attn_mask.dtype.kind == "b":
            blocked = amax(attn_mask.to(scores.dtype), dim=-1, keepdim=True) == 0
            scores = masked_fill(scores, ~attn_mask, -math.inf)
        else:
            blocked = amax(attn_mask.detach(), dim=-1, keepdim=True) == -math.inf
            scores = scores + attn_mask
        # Blocked rows get finite scores (then zeros below), so no NaN reaches the gradient.
        scores = masked_fill(scores, blocked, 0.0)
    weights = softmax(scores, -1)
    if blocked is not None:
        weights = masked_fill(weights, blocked, 0.0)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, training=True)
    return matmul(weights, value)


__all__ = ["scaled_dot_product_attention"]
