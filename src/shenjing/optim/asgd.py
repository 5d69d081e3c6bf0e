"""ASGD: averaged stochastic gradient descent (Polyak and Juditsky, 1992)."""

from __future__ import annotations

from shenjing.creation import tensor, zeros_like
from shenjing.optim.optimizer import Optimizer, _begin_step, _check_lr, _check_nonnegative


class ASGD(Optimizer):
    """ASGD: SGD with a decaying step, keeping a running average ``ax`` of the iterates.

    Per step ``t``, with gradient ``g`` of parameter ``p``::

        g = g + weight_decay * p
        p = p * (1 - lambd * eta) - eta * g
        ax = ax + mu * (p - ax)                      (ax = p while mu is 1)
        eta = lr / (1 + lambd * lr * t)**alpha
        mu = 1 / max(1, t - t0)

    The averaging starts at step ``t0``; read the average from ``optimizer.state[p]["ax"]``.
    ``eta`` and ``mu`` are float32 scalar tensors, as PyTorch keeps them (and keep their dtype
    when a state dict is loaded). ``maximize`` ascends instead. Equivalent of
    ``torch.optim.ASGD``, trajectories included.

    >>> import shenjing as sj
    >>> from shenjing.optim import ASGD
    >>> w = sj.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = ASGD([w], lr=0.25, lambd=0.0)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w
    tensor([ 0.5000, -1.0000], requires_grad=True)
    """

    _kept_dtype = ("eta", "mu")

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
    ) -> None:
        _check_lr(lr)
        _check_nonnegative("weight_decay", "weight_decay", weight_decay)
        defaults = {
            "lr": lr,
            "lambd": lambd,
            "alpha": alpha,
            "t0": t0,
            "weight_decay": weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _init_state(self, state, p, group) -> None:
        state["step"] = 0.0
        state["eta"] = tensor(float(group["lr"]), device=p.device)  # float32, as PyTorch's
        state["mu"] = tensor(1.0, device=p.device)
        state["ax"] = zeros_like(p)

    @staticmethod
    def _update(x, g, *, state, group) -> None:
        """The step above on arrays: ``x`` (the parameter) changes in place."""
        lr, lambd = group["lr"], group["lambd"]
        g, step = _begin_step(x, g, state, group)
        eta, mu, ax = state["eta"], state["mu"], state["ax"]
        eta_value = float(eta)
        x *= 1 - lambd * eta_value
        x += g * -eta_value
        if float(mu) != 1:
            d = x - ax
            d *= mu
            ax += d
        else:
            ax[...] = x
        eta[...] = lr / ((1 + lambd * lr * step) ** group["alpha"])
        mu[...] = 1 / max(1, step - group["t0"])
