"""Gradient clipping: rescale gradients whose joint norm is too large, or clamp each value.

Clipping works in place on the ``.grad`` arrays, so it goes between ``backward()`` and
``optimizer.step()``. Non-finite gradients flow through as in PyTorch (an infinite norm scales
the gradients to NaN) unless ``error_if_nonfinite`` asks for an error.

All array work runs through ``tracing.kernel`` and the norm stays an array (no value is read into
Python), so a step compiled by ``sj.compile`` replays the clipping; only ``error_if_nonfinite``
needs the norm's value, and it is refused inside a compiled step.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from shenjing import backend
from shenjing.autograd import tracing
from shenjing.autograd.tensor import Tensor

TensorOrTensors = Tensor | Iterable[Tensor]


def _as_list(tensors: TensorOrTensors) -> list[Tensor]:
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _vector_norm(xp, x, p: float):
    """The p-norm of all elements of an array, as ``torch.linalg.vector_norm`` (a 0-d array)."""
    x = x.reshape(-1)
    if p == 2.0:
        return xp.sqrt(xp.dot(x, x))
    if p == math.inf:
        return xp.abs(x).max()
    if p == -math.inf:
        return xp.abs(x).min()
    if p == 0.0:
        return xp.asarray(xp.count_nonzero(x), dtype=x.dtype)
    if p == 1.0:
        return xp.abs(x).sum()
    return (xp.abs(x) ** p).sum() ** (1.0 / p)


def _total_norm(*arrays, norm_type: float):
    """The p-norm of the arrays' p-norms: 0-d, of their promoted dtype, on arrays[0]'s device."""
    device = backend.device_of(arrays[0])
    xp = backend.array_module(arrays[0])
    dtype = xp.result_type(*arrays)
    with backend.expected_float_errors(xp):
        norms = [
            backend.to_device(_vector_norm(backend.array_module(a), a, norm_type), device)
            for a in arrays
        ]
        total = _vector_norm(xp, xp.stack(norms).astype(dtype, copy=False), norm_type)
    return xp.asarray(total, dtype=dtype)


def _clip_coef(norm, *, max_norm: float):
    """``min(1, max_norm / (norm + 1e-6))``: the factor the gradients are scaled by."""
    xp = backend.array_module(norm)
    with backend.expected_float_errors(xp):
        return xp.minimum(max_norm / (norm + 1e-6), 1.0)


def _scale_(g, coef) -> None:
    """``g *= coef`` in place (inf * 0 is NaN, as in PyTorch, without a warning)."""
    with backend.expected_float_errors(backend.array_module(g)):
        g *= backend.to_device(coef, backend.device_of(g))


def _clamp_(g, *, clip_value: float) -> None:
    """Clamp ``g`` to ``[-clip_value, clip_value]`` in place."""
    backend.array_module(g).clip(g, -clip_value, clip_value, out=g)


def get_total_norm(
    tensors: TensorOrTensors, norm_type: float = 2.0, error_if_nonfinite: bool = False
) -> Tensor:
    """The norm of the norms of ``tensors``: their joint p-norm as if concatenated (for p > 0).

    Returns a 0-d tensor of the tensors' (promoted) dtype on the first tensor's device;
    ``tensor(0.)`` for no tensors. Equivalent of ``torch.nn.utils.get_total_norm``.

    >>> import shenjing as sj
    >>> from shenjing.nn.utils import get_total_norm
    >>> get_total_norm([sj.tensor([3.0]), sj.tensor([4.0])])
    tensor(5.)
    """
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return Tensor(0.0)
    total = tracing.kernel(_total_norm, *tensors, name="get_total_norm", norm_type=norm_type)
    if error_if_nonfinite:
        tracing.refuse("clipping with error_if_nonfinite=True",
                       "it reads whether the norm is finite into Python; clip without the check")
        if not bool(backend.array_module(total).isfinite(total)):
            raise RuntimeError(
                f"The total norm of order {norm_type} for gradients from `parameters` is "
                "non-finite, so it cannot be clipped. To disable this error and scale the "
                "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
            )
    return Tensor._make(total)  # the kernel's own array, so a recorded step can follow it


def clip_grads_with_norm_(
    parameters: TensorOrTensors, max_norm: float, total_norm: Tensor
) -> None:
    """Scale the gradients in place by ``min(1, max_norm / (total_norm + 1e-6))``.

    Equivalent of ``torch.nn.utils.clip_grads_with_norm_``.
    """
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    for grad in grads:
        tracing.require_recorded(grad, "clip_grads_with_norm_")
    if not grads:
        return
    coef = tracing.kernel(_clip_coef, total_norm, name="clip_coef", max_norm=float(max_norm))
    for grad in grads:
        tracing.kernel(_scale_, grad, coef, name="clip_grads_with_norm_", mutates=grad)


def clip_grad_norm_(
    parameters: TensorOrTensors,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> Tensor:
    """Rescale the gradients in place so that their joint norm is at most ``max_norm``.

    The norm is taken over all gradients together, as if concatenated into one vector
    (``norm_type`` may be ``float('inf')``); gradients are multiplied by
    ``min(1, max_norm / (total_norm + 1e-6))``. Parameters without a gradient are skipped.
    Returns the total norm before clipping, a 0-d tensor. With ``error_if_nonfinite`` a NaN or
    infinite norm raises ``RuntimeError`` instead. Equivalent of
    ``torch.nn.utils.clip_grad_norm_``.

    >>> import shenjing as sj
    >>> from shenjing.nn.utils import clip_grad_norm_
    >>> w = sj.tensor([1.0, 1.0], requires_grad=True)
    >>> (w * sj.tensor([3.0, 4.0])).sum().backward()
    >>> clip_grad_norm_([w], max_norm=1.0)
    tensor(5.)
    >>> w.grad
    tensor([0.6000, 0.8000])
    """
    parameters = _as_list(parameters)
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total_norm)
    return total_norm


def clip_grad_value_(parameters: TensorOrTensors, clip_value: float) -> None:
    """Clamp every gradient value in place to ``[-clip_value, clip_value]``.

    Parameters without a gradient are skipped. Equivalent of ``torch.nn.utils.clip_grad_value_``.

    >>> import shenjing as sj
    >>> from shenjing.nn.utils import clip_grad_value_
    >>> w = sj.tensor([1.0, 1.0, 1.0], requires_grad=True)
    >>> (w * sj.tensor([-3.0, 0.5, 4.0])).sum().backward()
    >>> clip_grad_value_([w], clip_value=1.0)
    >>> w.grad
    tensor([-1.0000,  0.5000,  1.0000])
    """
    clip_value = float(clip_value)
    for p in _as_list(parameters):
        grad = p.grad
        if grad is not None:
            tracing.require_recorded(grad, "clip_grad_value_")
        if grad is None:
            continue
        tracing.kernel(_clamp_, grad, name="clip_grad_value_", mutates=grad, clip_value=clip_value)
