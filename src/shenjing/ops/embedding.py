"""Embedding lookup: rows of a weight matrix picked by integer indices.

The gradient adds each output row back into the weight row it came from (a scatter-add, summing
where an index repeats) straight into a (num_embeddings, dim) array: no one-hot matrix is built.
"""

from __future__ import annotations

from shenjing.autograd import tracing
from shenjing.autograd.function import Function, ShapeError
from shenjing.autograd.tensor import Tensor
from shenjing.backend import array_module, scatter_add
from shenjing.ops.checks import _copy, require_tensor
from shenjing.ops.elementwise import _zero_unless, where


class Embedding(Function):
    """``weight[indices]``: (num_embeddings, dim) and indices (*) -> (*, dim)."""

    def forward(self, weight, indices, padding_idx, scale_grad_by_freq):
        self.indices, self.num_embeddings = indices, weight.shape[0]
        self.padding_idx, self.scale_grad_by_freq = padding_idx, scale_grad_by_freq
        return self.xp.take(weight, indices, axis=0)

    def backward(self, gy):
        return EmbeddingBackward.apply(gy, indices=self.indices,
                                       num_embeddings=self.num_embeddings,
                                       padding_idx=self.padding_idx,
                                       scale_grad_by_freq=self.scale_grad_by_freq)


class EmbeddingBackward(Function):
    """Rows of ``gy`` (*, dim) added into a zero (num_embeddings, dim) gradient at ``indices``.

    The padding row gets nothing; with ``scale_grad_by_freq`` each row is divided by how often
    its index occurs. The operation is linear in ``gy``, so its own gradient is the lookup again.
    """

    def forward(self, gy, indices, num_embeddings, padding_idx, scale_grad_by_freq):
        xp = self.xp
        self.indices = indices
        self.weights = _row_weights(xp, indices, num_embeddings, padding_idx, scale_grad_by_freq)
        # (*, dim) -> (n, dim) rows, one per index
        rows = gy.reshape(-1, gy.shape[-1])
        if self.weights is not None:
            # the padding rows selected away, not multiplied by 0: an infinite gy adds no NaN
            rows = _zero_unless(xp, self.weights.reshape(-1, 1) != 0,
                                rows * self.weights.reshape(-1, 1).astype(rows.dtype))
        gw = xp.zeros((num_embeddings, gy.shape[-1]), dtype=gy.dtype)
        scatter_add(gw, indices.reshape(-1), rows)
        return gw

    def backward(self, ggw):
        gg = Embedding.apply(ggw, indices=self.indices, padding_idx=None, scale_grad_by_freq=False)
        if self.weights is not None:
            weights = Tensor._make(self.weights[..., None].astype(gg.dtype, copy=False))
            gg = where(weights == 0, 0.0, gg * weights)
        return gg


def _row_weights(xp, indices, num_embeddings, padding_idx, scale_grad_by_freq):
    """The factor each looked-up row's gradient is scaled by (None when all are 1)."""
    if padding_idx is None and not scale_grad_by_freq:
        return None
    weights = xp.ones(indices.shape)
    if scale_grad_by_freq:
        counts = xp.bincount(indices.reshape(-1), minlength=num_embeddings)
        weights = weights / counts[indices]
    if padding_idx is not None:
        weights[indices == padding_idx] = 0.0
    return weights


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Look up rows of ``weight`` (num_embeddings, dim) for integer ``input`` (*) -> (*, dim).

    ``padding_idx``'s row gets no gradient; ``max_norm`` rescales, in place, every looked-up row
    whose ``norm_type``-norm exceeds it; ``scale_grad_by_freq`` divides each row's gradient by
    the number of times its index occurs in ``input``. ``torch.nn.functional.embedding``.

    >>> import shenjing as sj
    >>> weight = sj.arange(6.0).reshape(3, 2)
    >>> sj.nn.functional.embedding(sj.tensor([[2, 0]]), weight)
    tensor([[[4., 5.],
             [0., 1.]]])
    """
    require_tensor("embedding", input)
    require_tensor("embedding", weight)
    if sparse:
        raise NotImplementedError("embedding: sparse gradients are not supported (sparse=True)")
    if weight.ndim != 2:
        raise ShapeError(f"embedding: weight must be a matrix (num_embeddings, embedding_dim), "
                         f"got shape {weight.shape}")
    if input.dtype.kind not in "iu":  # RuntimeError, as PyTorch
        raise RuntimeError(f"embedding: indices must be an integer tensor (int64 or int32), got "
                           f"{input.dtype} (indices of shape {input.shape}, weight of shape "
                           f"{weight.shape}); convert them, e.g. with .long()")
    n = weight.shape[0]
    # A kernel: a compiled step checks every batch's indices too.
    tracing.kernel(_check_indices, input, weight_shape=weight.shape, name="embedding: check")
    padding_idx = _padding_index("embedding", padding_idx, n)
    if max_norm is not None:
        tracing.kernel(_renorm_rows, weight, input, max_norm=max_norm, norm_type=norm_type,
                       mutates=weight, name="embedding_renorm")
    # A copy of the indices: changing ``input`` later must not change the gradient.
    return Embedding.apply(weight, indices=tracing.kernel(_copy, input),
                           padding_idx=padding_idx, scale_grad_by_freq=scale_grad_by_freq)


def _check_indices(indices, *, weight_shape: tuple) -> None:
    n = weight_shape[0]
    if indices.size:
        low, high = int(indices.min()), int(indices.max())
        if low < 0 or high >= n:
            bad = low if low < 0 else high
            raise IndexError(f"embedding: index {bad} is out of range for weight of shape "
                             f"{weight_shape} (indices of shape {indices.shape} must lie in "
                             f"[0, {n}))")


def _padding_index(op: str, padding_idx, num_embeddings: int) -> int | None:
    """``padding_idx`` in [0, num_embeddings) (negative ones count from the end), or None."""
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(f"{op}: padding_idx {padding_idx} must be within num_embeddings "
                         f"{num_embeddings}")
    return int(padding_idx) % num_embeddings


def _renorm_rows(weight, indices, *, max_norm: float, norm_type: float) -> None:
    """Rescale, in place, the looked-up rows of the array ``weight`` whose norm exceeds
    ``max_norm`` (as PyTorch); a kernel, so a compiled step renormalises on every replay."""
    xp = array_module(weight)
    rows = xp.unique(indices)
    norms = xp.linalg.norm(weight[rows], ord=norm_type, axis=1)
    too_long = norms > max_norm
    if too_long.any():
        # the small constant is PyTorch's, so rows end up as it leaves them
        scale = (max_norm / (norms[too_long] + 1e-7)).astype(weight.dtype)
        weight[rows[too_long]] *= scale[:, None]
