"""SGD: stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

from shenjing.backend import array_module
from shenjing.optim.optimizer import Optimizer, _check_lr, _check_nonnegative


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (Nesterov) momentum and L2 weight decay.

    Per step, with gradient ``g`` of parameter ``p``::

        g = g + weight_decay * p
        b = g (first step), else momentum * b + (1 - dampening) * g
        g = g + momentum * b (nesterov), else b
        p = p - lr * g

    ``maximize`` ascends instead. Equivalent of ``torch.optim.SGD``, trajectories included.

    >>> import shenjing as sj
    >>> from shenjing.optim import SGD
    >>> w = sj.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = SGD([w], lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     opt.zero_grad()
    ...     (w * w).sum().backward()
    ...     opt.step()
    >>> w
    tensor([ 0.4600, -0.9200], requires_grad=True)
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        _check_lr(lr)
        _check_nonnegative("momentum", "momentum", momentum)
        _check_nonnegative("weight_decay", "weight_decay", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(
                "Nesterov momentum requires a momentum and zero dampening "
                f"(got momentum={momentum}, dampening={dampening})"
            )
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    @staticmethod
    def _update(x, g, *, state, group) -> None:
        """The step above on arrays: ``x`` (the parameter) changes in place."""
        momentum = group["momentum"]
        weight_decay = group["weight_decay"]
        if group["maximize"]:
            g = -g
        if weight_decay != 0:
            g = g + weight_decay * x
        if momentum != 0:
            b = state.get("momentum_buffer")
            if b is None:
                # the first step starts the buffer at g; xp.array, not g.copy(): g may be a
                # NumPy scalar for a 0-d parameter
                b = array_module(x).array(g, dtype=x.dtype)
                state["momentum_buffer"] = b
            else:
                dampening = group["dampening"]
                b *= momentum
                b += g if dampening == 0 else (1 - dampening) * g
            g = g + momentum * b if group["nesterov"] else b
        x -= group["lr"] * g
