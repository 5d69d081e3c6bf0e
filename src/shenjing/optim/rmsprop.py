"""RMSprop: steps scaled by a running root-mean-square of the gradient (Hinton's lecture 6e)."""

from __future__ import annotations

from shenjing.backend import array_module
from shenjing.creation import zeros_like
from shenjing.optim.adam import _lerp_, _square_average_
from shenjing.optim.optimizer import Optimizer, _begin_step, _check_lr, _check_nonnegative


class RMSprop(Optimizer):
    """RMSprop, optionally centered (divides by an estimate of the variance) and with momentum.

    Per step, with gradient ``g`` of parameter ``p``::

        g = g + weight_decay * p
        v = alpha * v + (1 - alpha) * g**2
        a = alpha * a + (1 - alpha) * g           (centered; then v - a**2 replaces v below)
        d = sqrt(v) + eps
        b = momentum * b + g / d; p = p - lr * b  (momentum > 0)
        p = p - lr * g / d                        (otherwise)

    ``maximize`` ascends instead. Equivalent of ``torch.optim.RMSprop``, trajectories included.

    >>> import shenjing as sj
    >>> from shenjing.optim import RMSprop
    >>> w = sj.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = RMSprop([w], lr=0.01, alpha=0.75)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w
    tensor([ 0.9800, -1.9800], requires_grad=True)
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        _check_lr(lr)
        _check_nonnegative("eps", "epsilon", eps)
        _check_nonnegative("momentum", "momentum", momentum)
        _check_nonnegative("weight_decay", "weight_decay", weight_decay)
        _check_nonnegative("alpha", "alpha", alpha)
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _init_state(self, state, p, group) -> None:
        state["step"] = 0.0
        state["square_avg"] = zeros_like(p)
        if group["momentum"] > 0:
            state["momentum_buffer"] = zeros_like(p)
        if group["centered"]:
            state["grad_avg"] = zeros_like(p)

    @staticmethod
    def _update(x, g, *, state, group) -> None:
        """The step above on arrays: ``x`` (the parameter) changes in place."""
        xp = array_module(x)
        lr = group["lr"]
        alpha = group["alpha"]
        momentum = group["momentum"]
        g, _ = _begin_step(x, g, state, group)
        v = state["square_avg"]
        _square_average_(v, g, alpha)
        if group["centered"]:
            a = state["grad_avg"]
            _lerp_(a, g, 1 - alpha)
            denom = xp.sqrt(v - a * a)
        else:
            denom = xp.sqrt(v)
        denom += group["eps"]
        if momentum > 0:
            b = state["momentum_buffer"]
            b *= momentum
            b += g / denom
            x -= lr * b
        else:
            update = g * -lr
            update /= denom
            x += update
