"""Adam: adaptive moment estimation, with the AMSGrad variant and (coupled) weight decay."""

from __future__ import annotations

from shenjing.backend import array_module
from shenjing.creation import zeros_like
from shenjing.optim.optimizer import Optimizer, _begin_step, _check_lr, _check_nonnegative


class Adam(Optimizer):
    """Adam: per-parameter steps from running averages of the gradient and its square.

    Per step ``t``, with gradient ``g`` of parameter ``p``::

        g = g + weight_decay * p            (or p = p * (1 - lr * weight_decay), decoupled)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        v_max = max(v_max, v)               (amsgrad; then v_max replaces v below)
        p = p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    ``maximize`` ascends instead. Equivalent of ``torch.optim.Adam``, trajectories included.

    >>> import shenjing as sj
    >>> from shenjing.optim import Adam
    >>> w = sj.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = Adam([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w
    tensor([ 0.9000, -1.9000], requires_grad=True)
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        _check_adam_args(lr, betas, eps, weight_decay)
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def _init_state(self, state, p, group) -> None:
        state["step"] = 0.0
        state["exp_avg"] = zeros_like(p)
        state["exp_avg_sq"] = zeros_like(p)
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = zeros_like(p)

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
        if group["amsgrad"]:
            v_max = state["max_exp_avg_sq"]
            xp.maximum(v_max, v, out=v_max)
            v = v_max
        step_size = lr / (1 - beta1**step)
        denom = xp.sqrt(v)
        denom /= (1 - beta2**step) ** 0.5
        denom += group["eps"]
        update = m * -step_size
        update /= denom
        x += update


def _square_average_(v, g, decay: float) -> None:
    """``v = decay * v + (1 - decay) * g * g`` in place, in PyTorch's order of rounding
    (``v * decay`` plus ``((1 - decay) * g) * g``): the running mean of squared gradients."""
    v *= decay
    t = g * (1 - decay)
    t *= g
    v += t


def _lerp_(start, end, weight: float) -> None:
    """``start += weight * (end - start)`` in place on arrays, rounded as ``torch._lerp_``.

    PyTorch switches to ``end - (end - start) * (1 - weight)`` for weights of 0.5 and more,
    which is exact at weight 1.
    """
    d = end - start  # a new array (or a NumPy scalar, for 0-d arrays): never an alias
    if abs(weight) < 0.5:
        d *= weight
        start += d
    else:
        d *= 1 - weight
        array_module(start).subtract(end, d, out=start)


def _check_adam_args(lr, betas, eps, weight_decay) -> None:
    _check_lr(lr)
    _check_nonnegative("eps", "epsilon", eps)
    if len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    for i, beta in enumerate(betas):
        if not 0.0 <= beta < 1.0:
            raise ValueError(
                f"Invalid beta parameter at index {i}: {beta} (betas[{i}] must be in [0, 1))"
            )
    _check_nonnegative("weight_decay", "weight_decay", weight_decay)
