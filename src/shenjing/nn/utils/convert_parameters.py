"""All parameters as one flat vector and back, as ``torch.nn.utils.parameters_to_vector``:
what second-order methods, line searches and weight-space pictures work on."""

from __future__ import annotations

from collections.abc import Iterable

from shenjing.autograd.tensor import Tensor
from shenjing.ops.shape import cat


def _parameters(parameters, op: str) -> list[Tensor]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for p in params:
        if not isinstance(p, Tensor):
            raise TypeError(f"{op}: expected tensors, got {type(p).__name__}")
    return params


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """The parameters flattened and joined in order: one vector, differentiable like ``cat``.

    >>> import shenjing as sj
    >>> net = sj.nn.Linear(3, 2)
    >>> sj.nn.utils.parameters_to_vector(net.parameters()).shape
    (8,)
    """
    params = _parameters(parameters, "parameters_to_vector")
    return cat([p.reshape(-1) for p in params])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Give each parameter its slice of ``vec`` as its data, in order (the inverse of
    ``parameters_to_vector``); the parameters then share memory with ``vec``, as in PyTorch.

    Unlike PyTorch, a vector longer than the parameters is an error, not silently cut.

    >>> import shenjing as sj
    >>> net = sj.nn.Linear(1, 1)
    >>> sj.nn.utils.vector_to_parameters(sj.tensor([2.0, 3.0]), net.parameters())
    >>> net.weight.item(), net.bias.item()
    (2.0, 3.0)
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: expected a Tensor, but got: {type(vec).__name__}")
    params = _parameters(parameters, "vector_to_parameters")
    total = sum(p.numel() for p in params)
    if vec.ndim != 1 or vec.numel() != total:
        raise RuntimeError(f"vector_to_parameters: the vector of shape {tuple(vec.shape)} does "
                           f"not fit parameters of {total} values in all (shapes "
                           f"{[tuple(p.shape) for p in params]}): expected shape ({total},)")
    start = 0
    for p in params:
        n = p.numel()
        p.data = vec[start:start + n].detach().reshape(p.shape)
        start += n
