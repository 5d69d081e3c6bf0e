"""Differentiable operations, one file a family; each operation's gradient sits beside it.

- ``elementwise``: arithmetic, exp/log, sqrt, abs, trigonometry, clamp, maximum/minimum, where
- ``reduce``: sum, mean, var, std, max/min, logsumexp, prod, argmax/argmin
- ``shape``: reshape, permute, expand, cat, stack, split, chunk, pad
- ``indexing``: ``x[key]``, gather, masked_fill
- ``embedding``: lookup of rows by index, with a scatter-add gradient
- ``linalg``: matmul
- ``compare``: comparisons and logic (no gradient)
- ``activation``: sigmoid, tanh, relu, gelu, softplus, softmax, ...
- ``normalization``: batch norm, layer norm; ``dropout``
- ``rnn_cells``: one step of an RNN, LSTM or GRU, from differentiable operations
- ``rnn``: whole sequences, stacked and bidirectional, one fused operation a layer
  (``rnn_kernels`` holds its loops over time)
- ``loss``: cross-entropy, NLL, MSE, L1, smooth L1/Huber, BCE, multi-margin
"""
