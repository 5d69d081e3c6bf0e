"""NAdam: Adam with Nesterov momentum and a momentum schedule (Dozat, 2016)."""

from __future__ import annotations

from shenjing.backend import array_module
from shenjing.creation import tensor, zeros_like
from shenjing.optim.adam import _check_adam_args, _lerp_, _square_average_
from shenjing.optim.optimizer import Optimizer, _begin_step, _check_nonnegative


class NAdam(Optimizer):
    """NAdam: Adam whose step looks ahead along the momentum, with a warming momentum schedule.

    Per step ``t``, with gradient ``g`` of parameter ``p``::

        g = g + weight_decay * p            (or p = p * (1 - lr * weight_decay), decoupled)
        mu_t = beta1 * (1 - 0.5 * 0.96**(t * momentum_decay)); prod = prod * mu_t
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        d = sqrt(v / (1 - beta2**t)) + eps
        p = p - lr * (1 - mu_t) / (1 - prod) * g / d
              - lr * mu_{t+1} / (1 - prod * mu_{t+1}) * m / d

    The running product ``mu_product`` is a float32 scalar tensor, as PyTorch keeps it (and
    keeps its dtype when a state dict is loaded, so a resumed run continues bit for bit).
    ``maximize`` ascends instead. Equivalent of ``torch.optim.NAdam``, trajectories included.

    >>> import shenjing as sj
    >>> from shenjing.optim import NAdam
    >>> w = sj.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = NAdam([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w
    tensor([ 0.8944, -1.8944], requires_grad=True)
    """

    _kept_dtype = ("mu_product",)

    def __init__(
        self,
        params,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        _check_adam_args(lr, betas, eps, weight_decay)
        _check_nonnegative("momentum_decay", "momentum_decay", momentum_decay)
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum_decay": momentum_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _init_state(self, state, p, group) -> None:
        state["step"] = 0.0
        state["mu_product"] = tensor(1.0, device=p.device)  # float32, as PyTorch's
        state["exp_avg"] = zeros_like(p)
        state["exp_avg_sq"] = zeros_like(p)

    @staticmethod
    def _update(x, g, *, state, group) -> None:
        """The step above on arrays: ``x`` (the parameter) changes in place."""
        xp = array_module(x)
        lr = group["lr"]
        beta1, beta2 = group["betas"]
        momentum_decay = group["momentum_decay"]
        g, step = _begin_step(x, g, state, group, decoupled=group["decoupled_weight_decay"])
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
        mu_product = state["mu_product"]
        mu_product *= mu  # rounded in the product's own dtype, as PyTorch's
        prod = float(mu_product)
        m = state["exp_avg"]
        v = state["exp_avg_sq"]
        _lerp_(m, g, 1 - beta1)
        _square_average_(v, g, beta2)
        denom = xp.sqrt(v / (1 - beta2**step))
        denom += group["eps"]
        update = g * (-lr * (1.0 - mu) / (1.0 - prod))
        update /= denom
        x += update
        update = m * ((-lr * mu_next) / (1.0 - prod * mu_next))
        update /= denom
        x += update
