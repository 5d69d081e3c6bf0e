"""Training health: per-layer gradient norms, update-to-weight ratios and dead ReLUs, as a
callback for ``fit`` that records them and warns in the log when training looks sick.

What it watches, and why:

- the gradient norm of each layer's weight, as backward made it (before any clipping): when
  the first layer's is orders of magnitude below the last layer's, gradients vanish on their
  way back (deep sigmoid networks) and the first layers barely learn; far above, they explode;
- the update-to-weight ratio ``|W_after - W_before| / |W_before|`` of each step: about 1e-3 is
  healthy (Karpathy's rule of thumb); much larger and the learning rate is too high, much
  smaller and the layer is not moving;
- the fraction of dead ReLU units: units whose output is zero for every sample of a batch (for
  convolutions, channels zero everywhere), which pass no gradient and so may never recover.
"""

from __future__ import annotations

import math

from shenjing.backend import array_module
from shenjing.train.callbacks import Callback


def _norm(tensor) -> float:
    data = tensor._data
    xp = array_module(data)
    return float(xp.sqrt(xp.sum(xp.square(data, dtype="float64"))))


class GradientHealth(Callback):
    """Record gradient norms, update ratios and dead-ReLU fractions per layer every ``every``
    steps; at each epoch's end, warn in the log (once per problem and layer) when they look
    unhealthy. Layers are the modules with a weight of two or more dims (Linear, Conv2d),
    named as in ``named_modules``; dead units are counted at every ``ReLU`` module.

    After training: ``steps`` (the recorded step numbers, counted across epochs),
    ``grad_norm[layer]``, ``update_ratio[layer]``, ``dead_fraction[relu]`` (lists aligned with
    ``steps``), ``warnings`` (the messages logged). Draw them with
    ``sj.viz.health.training_health``.

    >>> import shenjing as sj
    >>> health = GradientHealth()
    >>> model = sj.nn.Sequential(sj.nn.Linear(2, 4), sj.nn.ReLU(), sj.nn.Linear(4, 2))
    >>> data = [(sj.randn(8, 2), sj.randint(0, 2, (8,)))]
    >>> _ = sj.train.fit(model, data, loss="cross_entropy", epochs=2, verbose=False,
    ...                  optimizer=sj.optim.SGD(model.parameters(), lr=0.1), callbacks=[health])
    >>> health.steps, sorted(health.grad_norm), sorted(health.dead_fraction)
    ([1, 2], ['0', '2'], ['1'])
    """

    def __init__(self, every: int = 1, vanishing_ratio: float = 1e-2,
                 dead_threshold: float = 0.5, update_ratio_range: tuple = (1e-6, 1e-1)):
        if every < 1:
            raise ValueError(f"GradientHealth: every must be at least 1, got {every}")
        self.every = every
        self.vanishing_ratio = vanishing_ratio
        self.dead_threshold = dead_threshold
        self.update_ratio_range = update_ratio_range
        self.steps: list[int] = []
        self.grad_norm: dict[str, list[float]] = {}
        self.update_ratio: dict[str, list[float]] = {}
        self.dead_fraction: dict[str, list[float]] = {}
        self.warnings: list[str] = []
        self._step = 0
        self._layers: dict = {}
        self._relus: dict = {}
        self._outputs: dict = {}  # each ReLU's outputs of the current step
        self._norms: dict = {}  # the gradient norms of the current step, before clipping
        self._before: dict = {}
        self._removers: list = []
        self._warned: set = set()
        self._epoch_start = 0

    # -- the callback hooks ---------------------------------------------------------------------
    def on_train_begin(self, state) -> None:
        from shenjing.nn.modules.activation import ReLU

        self.steps, self.warnings, self._warned, self._step = [], [], set(), 0
        self._layers = {name: m for name, m in state.model.named_modules()
                        if getattr(m, "weight", None) is not None and m.weight.ndim >= 2}
        self._relus = {name: m for name, m in state.model.named_modules()
                       if isinstance(m, ReLU)}
        self.grad_norm = {name: [] for name in self._layers}
        self.update_ratio = {name: [] for name in self._layers}
        self.dead_fraction = {name: [] for name in self._relus}
        for name, module in self._relus.items():
            self._removers.append(module.register_forward_hook(self._catch(name)))
        if self.every == 1:
            self._snapshot()

    def on_epoch_begin(self, state) -> None:
        self._epoch_start = len(self.steps)

    def on_after_backward(self, state) -> None:
        # The gradients as backward made them: clipping, which comes next, would hide a blow-up.
        if (self._step + 1) % self.every == 0:
            self._norms = {name: _norm(layer.weight.grad) if layer.weight.grad is not None
                           else 0.0 for name, layer in self._layers.items()}

    def on_batch_end(self, state, logs: dict) -> None:
        self._step += 1
        if self._step % self.every == 0:
            self.steps.append(self._step)
            for name, layer in self._layers.items():
                weight = layer.weight
                norm = self._norms.get(name)
                if norm is None:  # a loop that does not call on_after_backward
                    norm = _norm(weight.grad) if weight.grad is not None else 0.0
                self.grad_norm[name].append(norm)
                before = self._before.get(name)
                if before is not None:
                    xp = array_module(before)
                    change = float(xp.linalg.norm((weight._data - before).ravel()))
                    size = float(xp.linalg.norm(before.ravel()))
                    self.update_ratio[name].append(change / size if size else math.inf)
                else:
                    self.update_ratio[name].append(math.nan)
            for name in self._relus:
                self.dead_fraction[name].append(self._dead(name))
        self._outputs, self._norms = {}, {}
        if (self._step + 1) % self.every == 0:
            self._snapshot()

    def on_epoch_end(self, state, logs: dict) -> None:
        for message in self.check(self._epoch_start):
            state.log(message)

    def state_dict(self) -> dict:
        return {"steps": list(self.steps), "grad_norm": self.grad_norm,
                "update_ratio": self.update_ratio, "dead_fraction": self.dead_fraction,
                "warnings": list(self.warnings), "warned": [list(k) for k in self._warned],
                "step": self._step}

    def load_state_dict(self, state_dict: dict) -> None:
        self.steps, self.warnings = list(state_dict["steps"]), list(state_dict["warnings"])
        self.grad_norm = {k: list(v) for k, v in state_dict["grad_norm"].items()}
        self.update_ratio = {k: list(v) for k, v in state_dict["update_ratio"].items()}
        self.dead_fraction = {k: list(v) for k, v in state_dict["dead_fraction"].items()}
        self._warned = {tuple(key) for key in state_dict["warned"]}
        self._step = int(state_dict["step"])
        if (self._step + 1) % self.every == 0:  # the next step is recorded: from these weights
            self._snapshot()

    def on_train_end(self, state) -> None:
        for remove in self._removers:
            remove()
        self._removers, self._before, self._outputs, self._norms = [], {}, {}, {}

    # -- measuring ------------------------------------------------------------------------------
    def _snapshot(self) -> None:
        self._before = {name: layer.weight._data.copy() for name, layer in self._layers.items()}

    def _catch(self, name: str):
        def hook(module, inputs, output):
            # validation passes are not training health, nor steps that are not recorded
            if module.training and (self._step + 1) % self.every == 0:
                # the arrays, not the tensors (the graph may go); a ReLU used more than once
                # in a step (ResNet's blocks) is judged on all its outputs
                self._outputs.setdefault(name, []).append(output._data)

        return hook

    def _dead(self, name: str) -> float:
        """The fraction of a ReLU's units that were never positive in this step's outputs.

        A unit is a feature (N, F) or a channel (N, C, H, W); a ReLU used more than once counts
        each use's units: a channel can be dead in one block and alive in another.
        """
        outputs = self._outputs.get(name)
        if not outputs:
            return math.nan
        dead = units = 0
        for data in outputs:
            xp = array_module(data)
            alive = data > 0
            if data.ndim > 2:
                alive = alive.reshape(data.shape[0], data.shape[1], -1).any(axis=2)
            alive = alive.any(axis=0)
            units += alive.size
            dead += int(alive.size - xp.count_nonzero(alive))
        return dead / units if units else math.nan

    # -- judging --------------------------------------------------------------------------------
    def check(self, since: int = 0) -> list[str]:
        """New warnings about the steps recorded from index ``since`` on (each problem of each
        layer is reported once); they are also appended to ``warnings``."""
        messages = []

        def mean(values):
            finite = [v for v in values[since:] if math.isfinite(v)]
            return sum(finite) / len(finite) if finite else math.nan

        def warn(key, message):
            if key not in self._warned:
                self._warned.add(key)
                messages.append(f"warning: {message}")

        names = list(self._layers)
        if len(names) >= 2:
            first, last = mean(self.grad_norm[names[0]]), mean(self.grad_norm[names[-1]])
            if last > 0 and first / last < self.vanishing_ratio:
                warn(("vanishing",), f"vanishing gradients: the first layer's gradient norm "
                     f"({names[0]}: {first:.2e}) is {last / max(first, 1e-300):.0e} times "
                     f"smaller than the last layer's ({names[-1]}: {last:.2e}); try ReLU, "
                     "better initialisation, batch norm or residual connections")
            if first > 0 and last / first < self.vanishing_ratio:
                warn(("exploding",), f"exploding gradients: the first layer's gradient norm "
                     f"({names[0]}: {first:.2e}) is {first / max(last, 1e-300):.0e} times "
                     f"larger than the last layer's ({names[-1]}: {last:.2e}); try gradient "
                     "clipping or a smaller learning rate")
        low, high = self.update_ratio_range
        for name in names:
            ratio = mean(self.update_ratio[name])
            if ratio > high:
                warn(("large update", name), f"layer {name}: updates are {ratio:.1e} of the "
                     "weights per step (about 1e-3 is healthy); the learning rate may be too "
                     "high")
            elif ratio < low:
                warn(("small update", name), f"layer {name}: updates are only {ratio:.1e} of "
                     "the weights per step; the layer is hardly learning (learning rate too "
                     "low, or vanishing gradients)")
        for name, fractions in self.dead_fraction.items():
            dead = mean(fractions)
            if dead > self.dead_threshold:
                warn(("dead", name), f"ReLU {name}: {100 * dead:.0f} % of its units are dead "
                     "(zero for every sample of a batch); try a lower learning rate, "
                     "LeakyReLU, or a different initialisation")
        self.warnings.extend(messages)
        return messages
