"""Differentiable operations, one file a family; each operation's gradient sits beside it.

- ``elementwise``: arithmetic, exp/log, sqrt, abs, sin/cos, clamp, maximum/minimum, where,
  ``div(rounding_mode=)``
- ``transcendental``: tan and the inverse and hyperbolic functions, exp2/log2/log10, expm1,
  logaddexp, rsqrt, reciprocal, square
- ``rounding``: round, ceil, floor, trunc, frac, fmod, remainder, floor_divide, copysign, lerp
- ``bitwise``: ``&``, ``|``, ``^``, ``~``, ``<<``, ``>>`` on integer and bool tensors (no gradient)
- ``reduce``: sum, mean, var, std, max/min, logsumexp, prod, argmax/argmin
- ``cumulative``: cumsum, cumprod, cummax, cummin, logcumsumexp
- ``statistics``: var_mean, std_mean, norm, dist, cdist, cosine_similarity, normalize, one_hot
- ``sorting``: sort, argsort, topk, kthvalue, median, nanmedian, mode, msort
- ``shape``: reshape, permute, expand, cat, stack, split, chunk, pad (constant, reflect,
  replicate, circular; negative widths crop)
- ``rearrange``: flip, roll, repeat, tile, repeat_interleave, tril/triu, diag, diagonal,
  unflatten, unfold, meshgrid, narrow, movedim
- ``indexing``: ``x[key]``, gather, masked_fill
- ``scatter``: scatter, scatter_add, scatter_reduce, index_select/add/fill/copy,
  masked_select, nonzero, take_along_dim, take
- ``embedding``: lookup of rows by index, with a scatter-add gradient
- ``linalg``: matmul and the fused linear layer
- ``products``: dot, inner, outer, mv, bmm, addmm, baddbmm, tensordot
- ``einsum``: Einstein summation from permutes, diagonals and matrix products
- ``bilinear``: the bilinear form ``x1^T A x2``
- ``compare``: comparisons and logic, isclose/allclose/equal, all/any (no gradient)
- ``activation``: sigmoid, tanh, relu, gelu, softplus, softmax, hardtanh, mish, glu, ...
- ``attention``: scaled dot-product attention (masks, causal, dropout)
- ``normalization``: batch, layer, group and instance norm; ``dropout``, ``dropout2d``
- ``conv``: conv1d/conv2d and their transposes; ``pooling``: max/avg pools (1-D, 2-D,
  adaptive), max_unpool2d; ``upsample``: interpolate, pixel_shuffle/unshuffle
- ``rnn_cells``: one step of an RNN, LSTM or GRU, from differentiable operations
- ``rnn``: whole sequences, stacked and bidirectional, one fused operation a layer
  (``rnn_kernels`` holds its loops over time)
- ``loss``: cross-entropy, NLL, MSE, L1, smooth L1/Huber, BCE, multi-margin; ``pair_loss``:
  KL divergence, cosine embedding, margin ranking, triplet, hinge, soft margin, Poisson and
  Gaussian NLL
"""
