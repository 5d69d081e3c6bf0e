"""Channel dropout: zero whole feature maps during training and rescale the rest."""

from __future__ import annotations

import warnings

from shenjing.autograd.function import ShapeError
from shenjing.autograd.tensor import Tensor
from shenjing.ops.checks import require_tensor
from shenjing.ops.dropout import _drop


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero each channel ``input[n, c]`` with probability ``p``, scale the rest by ``1/(1 - p)``.

    Neighbouring pixels of a feature map are strongly correlated, so dropping single pixels
    regularises little; dropping whole maps does. One draw per (N, C) pair, broadcast over the
    remaining dims. As in PyTorch, a 3-d input is read as (N, C, L), with a warning. Outside
    training (or with p = 0) the input is returned as it is; ``sj.manual_seed`` fixes the mask.
    ``inplace`` is accepted for PyTorch's signature and ignored. ``F.dropout2d``.

    >>> import shenjing as sj
    >>> from shenjing.ops.dropout2d import dropout2d
    >>> y = dropout2d(sj.ones(1, 8, 2, 2), 0.5)
    >>> sorted(set(y.tolist()[0][0][0] + y.tolist()[0][1][0]) - {0.0, 2.0})
    []
    >>> x = sj.ones(1, 8, 2, 2)
    >>> dropout2d(x, 0.5, training=False) is x
    True
    """
    require_tensor("dropout2d", input)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout2d: p must be in [0, 1], got {p}")
    if input.ndim < 2:
        raise ShapeError(f"dropout2d: expected an (N, C, H, W) input, got shape {input.shape}")
    if input.ndim == 3:
        warnings.warn(f"dropout2d: a 3-d input of shape {input.shape} is read as (N, C, L), "
                      "as PyTorch does; use a 4-d (N, C, H, W) input to drop 2-d channels",
                      stacklevel=2)
    elif input.ndim != 4:
        warnings.warn(f"dropout2d: expected a 4-d (N, C, H, W) input, got shape {input.shape}; "
                      "dropping along its first two dims, as PyTorch does", stacklevel=2)
    if not training or p == 0.0:
        return input
    mask_shape = input.shape[:2] + (1,) * (input.ndim - 2)  # one draw per (N, C) channel
    return _drop(input, p, mask_shape)
