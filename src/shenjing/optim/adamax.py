"""Adamax: Adam with the infinity norm in place of the root mean square (Kingma and Ba, sec. 7)."""

from __future__ import annotations

from shenjing.backend import array_module
from shenjing.creation import zeros_like
from shenjing.optim.adam import _check_adam_args, _lerp_
from shenjing.optim.optimizer import Optimizer, _begin_step


class Adamax(Optimizer):
    """Adamax: steps scaled by a decaying maximum of the gradient's magnitude.

    Per step ``t``, with gradient ``g`` of parameter ``p``::

        g = g + weight_decay * p
        m = beta1 * m + (1 - beta1) * g
        u = max(beta2 * u, |g| + eps)
        p = p - lr / (1 - beta1**t) * m / u

    ``maximize`` ascends instead. Equivalent of ``torch.optim.Adamax``, trajectories included.

    >>> import shenjing as sj
    >>> from shenjing.optim import Adamax
    >>> w = sj.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = Adamax([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w
    tensor([ 0.9000, -1.9000], requires_grad=True)
    """

    def __init__(
        self,
        params,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
    ) -> None:
        _check_adam_args(lr, betas, eps, weight_decay)
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _init_state(self, state, p, group) -> None:
        state["step"] = 0.0
        state["exp_avg"] = zeros_like(p)
        state["exp_inf"] = zeros_like(p)

    @staticmethod
    def _update(x, g, *, state, group) -> None:
        """The step above on arrays: ``x`` (the parameter) changes in place."""
        xp = array_module(x)
        beta1, beta2 = group["betas"]
        g, step = _begin_step(x, g, state, group)
        m = state["exp_avg"]
        u = state["exp_inf"]
        _lerp_(m, g, 1 - beta1)
        u *= beta2
        xp.maximum(u, xp.abs(g) + group["eps"], out=u)
        clr = group["lr"] / (1 - beta1**step)
        update = m * -clr
        update /= u
        x += update
