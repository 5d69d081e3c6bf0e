"""Adagrad: per-coordinate steps scaled by the root of the summed squared gradients."""

from __future__ import annotations

from shenjing.backend import array_module
from shenjing.creation import full_like
from shenjing.optim.optimizer import Optimizer, _begin_step, _check_lr, _check_nonnegative


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011): coordinates with large past gradients take smaller steps.

    Per step ``t``, with gradient ``g`` of parameter ``p``::

        g = g + weight_decay * p
        s = s + g**2                          (s starts at initial_accumulator_value)
        p = p - lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)

    ``maximize`` ascends instead. State is created for every parameter at construction, as
    in PyTorch. Equivalent of ``torch.optim.Adagrad``, trajectories included.

    >>> import shenjing as sj
    >>> from shenjing.optim import Adagrad
    >>> w = sj.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = Adagrad([w], lr=0.5)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w
    tensor([ 0.5000, -1.5000], requires_grad=True)
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        _check_lr(lr)
        _check_nonnegative("lr_decay", "lr_decay", lr_decay)
        _check_nonnegative("weight_decay", "weight_decay", weight_decay)
        _check_nonnegative(
            "initial_accumulator_value", "initial_accumulator_value", initial_accumulator_value
        )
        _check_nonnegative("eps", "epsilon", eps)
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "maximize": maximize,
        }
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(self.state[p], p, group)

    def _init_state(self, state, p, group) -> None:
        state["step"] = 0.0
        state["sum"] = full_like(p, group["initial_accumulator_value"])

    @staticmethod
    def _update(x, g, *, state, group) -> None:
        """The step above on arrays: ``x`` (the parameter) changes in place."""
        g, step = _begin_step(x, g, state, group)
        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        s = state["sum"]
        s += g * g
        denom = array_module(x).sqrt(s)
        denom += group["eps"]
        update = g * -clr
        update /= denom
        x += update
