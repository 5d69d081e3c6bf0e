"""The bilinear form ``y_o = x1^T W_o x2 + b_o``: one matrix product, a product and a sum."""

from __future__ import annotations

from shenjing.autograd.tensor import Tensor
from shenjing.ops.checks import require_tensor
from shenjing.ops.linalg import matmul

__all__ = ["bilinear"]


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None
             ) -> Tensor:
    """``y[..., o] = sum_ij input1[..., i] * weight[o, i, j] * input2[..., j] + bias[o]``.

    input1 (*, in1), input2 (*, in2) with the same batch dims, weight (out, in1, in2), bias
    (out,) -> (*, out). Built from a matrix product, a product and a sum, so gradients of every
    order follow. Equivalent of ``torch.nn.functional.bilinear``.

    >>> import shenjing as sj
    >>> sj.nn.functional.bilinear(sj.ones(2, 3), sj.ones(2, 4), sj.ones(5, 3, 4)).shape
    (2, 5)
    """
    for t in (input1, input2, weight):
        require_tensor("bilinear", t)
    if weight.ndim != 3:
        raise RuntimeError(f"bilinear: expected weight of shape (out, in1, in2), got "
                           f"{weight.shape}")
    out, in1, in2 = weight.shape
    if input1.ndim != input2.ndim:
        raise RuntimeError(f"bilinear: input1 of shape {input1.shape} and input2 of shape "
                           f"{input2.shape} have different numbers of dims")
    if input1.ndim == 0:
        raise RuntimeError("bilinear: expected inputs of at least 1 dim, got 0-d tensors")
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(f"bilinear: the batch dims of input1 of shape {input1.shape} and "
                           f"input2 of shape {input2.shape} differ")
    if input1.shape[-1] != in1 or input2.shape[-1] != in2:
        raise RuntimeError(f"bilinear: input1 of shape {input1.shape} and input2 of shape "
                           f"{input2.shape} do not match weight of shape {weight.shape} "
                           f"(expected last dims {in1} and {in2})")
    if bias is not None and bias.shape != (out,):
        raise RuntimeError(f"bilinear: expected bias of shape ({out},) for weight of shape "
                           f"{weight.shape}, got {bias.shape}")
    batch = input1.shape[:-1]
    x1 = input1.reshape(-1, in1)
    x2 = input2.reshape(-1, 1, in2)
    # (N, in1) @ (in1, out * in2) -> (N, out, in2): x1^T W_o for every o in one product
    w = weight.permute(1, 0, 2).reshape(in1, out * in2)
    y = (matmul(x1, w).reshape(-1, out, in2) * x2).sum(-1)  # (N, out)
    if bias is not None:
        y = y + bias
    return y.reshape(*batch, out)
