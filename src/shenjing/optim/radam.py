"""RAdam: Adam with the variance of its adaptive rate rectified (Liu et al., 2020)."""

from __future__ import annotations

from shenjing.backend import array_module
from shenjing.creation import zeros_like
from shenjing.optim.adam import _check_adam_args, _lerp_, _square_average_
from shenjing.optim.optimizer import Optimizer, _begin_step


class RAdam(Optimizer):
    """RAdam: momentum SGD while the second moment is too young to trust, then rectified Adam.

    Per step ``t``, with gradient ``g`` of parameter ``p``::

        g = g + weight_decay * p            (or p = p * (1 - lr * weight_decay), decoupled)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * t * beta2**t / (1 - beta2**t)
        m_hat = m / (1 - beta1**t)
        p = p - lr * m_hat * r_t * sqrt(1 - beta2**t) / (sqrt(v) + eps)   (rho_t > 5)
        p = p - lr * m_hat                                                 (otherwise)

    with ``r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))``.
    ``maximize`` ascends instead. Equivalent of ``torch.optim.RAdam``, trajectories included.

    >>> import shenjing as sj
    >>> from shenjing.optim import RAdam
    >>> w = sj.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = RAdam([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w
    tensor([ 0.8000, -1.6000], requires_grad=True)
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        decoupled_weight_decay: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        _check_adam_args(lr, betas, eps, weight_decay)
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _init_state(self, state, p, group) -> None:
        state["step"] = 0.0
        state["exp_avg"] = zeros_like(p)
        state["exp_avg_sq"] = zeros_like(p)

    @staticmethod
    def _update(x, g, *, state, group) -> None:
        """The step above on arrays: ``x`` (the parameter) changes in place."""
        xp = array_module(x)
        lr = group["lr"]
        beta1, beta2 = group["betas"]
        g, step = _begin_step(x, g, state, group, decoupled=group["decoupled_weight_decay"])
        m = state["exp_avg"]
        v = state["exp_avg_sq"]
        _lerp_(m, g, 1 - beta1)
        _square_average_(v, g, beta2)
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        update = m / bias_correction1
        update *= lr
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
        if rho_t > 5.0:  # the variance is tractable: rectified adaptive step
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                    / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            denom = xp.sqrt(v)
            denom += group["eps"]
            update *= bias_correction2**0.5 / denom
            update *= rect
        x -= update
