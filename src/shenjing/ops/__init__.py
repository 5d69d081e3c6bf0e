"""Differentiable operations, one file a family; each operation's gradient sits beside it.

- ``elementwise``: arithmetic, exp/log, sqrt, abs, trigonometry, clamp, maximum/minimum, where
- ``reduce``: sum, mean, var, std, max/min, logsumexp, prod, argmax/argmin
- ``shape``: reshape, permute, expand, cat, stack, split, chunk, pad
- ``indexing``: ``x[key]``, gather, masked_fill
- ``linalg``: matmul
- ``compare``: comparisons and logic (no gradient)
- ``activation``: sigmoid, tanh, relu, gelu, softplus, softmax, ...
- ``normalization``: batch norm, layer norm; ``dropout``
- ``loss``: cross-entropy, NLL, MSE, L1, smooth L1/Huber, BCE, multi-margin
"""
