"""AdamW: Adam with decoupled weight decay (Loshchilov and Hutter, 2019)."""

from __future__ import annotations

from shenjing.optim.adam import Adam


class AdamW(Adam):
    """Adam whose weight decay shrinks the parameters directly instead of adding to the gradient.

    Each step first sets ``p = p * (1 - lr * weight_decay)``, then takes Adam's step, so the decay
    never enters the running averages. Default ``weight_decay=1e-2``. Equivalent of
    ``torch.optim.AdamW``, trajectories included.

    >>> import shenjing as sj
    >>> from shenjing.optim import AdamW
    >>> w = sj.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = AdamW([w], lr=0.1, weight_decay=0.5)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w
    tensor([ 0.8500, -1.8000], requires_grad=True)
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
        )

    def load_state_dict(self, state_dict) -> None:
        """Load a state dict (see ``Optimizer.load_state_dict``); weight decay stays decoupled."""
        super().load_state_dict(state_dict)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
