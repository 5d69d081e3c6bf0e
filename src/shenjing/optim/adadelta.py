"""Adadelta: steps scaled by running averages of squared gradients and squared steps (Zeiler)."""

from __future__ import annotations

from shenjing.backend import array_module
from shenjing.creation import zeros_like
from shenjing.optim.adam import _square_average_
from shenjing.optim.optimizer import Optimizer, _begin_step, _check_lr, _check_nonnegative


class Adadelta(Optimizer):
    """Adadelta: the step's units come from a running average of past steps, not from ``lr``.

    Per step, with gradient ``g`` of parameter ``p``::

        g = g + weight_decay * p
        v = rho * v + (1 - rho) * g**2
        delta = sqrt(u + eps) / sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta**2
        p = p - lr * delta

    ``maximize`` ascends instead. Equivalent of ``torch.optim.Adadelta``, trajectories included.

    >>> import shenjing as sj
    >>> from shenjing.optim import Adadelta
    >>> w = sj.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = Adadelta([w], lr=1.0, rho=0.0, eps=1e-4)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w
    tensor([ 0.9900, -1.9900], requires_grad=True)
    """

    def __init__(
        self,
        params,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
    ) -> None:
        _check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho} (rho must be in [0, 1])")
        _check_nonnegative("eps", "epsilon", eps)
        _check_nonnegative("weight_decay", "weight_decay", weight_decay)
        defaults = {
            "lr": lr,
            "rho": rho,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _init_state(self, state, p, group) -> None:
        state["step"] = 0.0
        state["square_avg"] = zeros_like(p)
        state["acc_delta"] = zeros_like(p)

    @staticmethod
    def _update(x, g, *, state, group) -> None:
        """The step above on arrays: ``x`` (the parameter) changes in place."""
        xp = array_module(x)
        rho, eps = group["rho"], group["eps"]
        g, _ = _begin_step(x, g, state, group)
        v = state["square_avg"]
        u = state["acc_delta"]
        _square_average_(v, g, rho)
        std = xp.sqrt(v + eps)
        delta = xp.sqrt(u + eps)
        delta /= std
        delta *= g
        _square_average_(u, delta, rho)
        delta *= -group["lr"]
        x += delta
