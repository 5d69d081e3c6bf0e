"""The Playground's engine: one ``Session`` trains one shenjing network on one 2-D data set and
draws what a browser tab shows (decision surface, every hidden neuron, loss curves).

It imports shenjing and the backend's NumPy only: no web library, so it is testable alone and
``shenjing.playground`` stays importable without Starlette.

Reproducibility, even with many sessions training in threads of one server: the data, the
train/test split and the batch order come from the session's own ``sj.Generator``; the weight
initialisation and dropout masks draw from shenjing's global generator, which a session swaps in
(under a process-wide lock) for exactly the code that draws (the initialisation, and training
steps only when the network has dropout) and swaps out afterwards. The take-away script,
running alone, draws the same numbers with plain ``sj.manual_seed(seed)``.
"""

from __future__ import annotations

import base64
import contextlib
import io
import math
import threading

import shenjing as sj
from shenjing import backend, nn
from shenjing.playground import data as _data
from shenjing.playground.config import Config, ConfigError
from shenjing.playground.data import CSVError, parse_csv
from shenjing.playground.layers import ACTIVATIONS, MOMENTUM

__all__ = ["Session", "CSVError", "ConfigError", "parse_csv", "HISTORY_POINTS"]

_xp = backend.module_for(backend.CPU)
HISTORY_POINTS = 400

_ACTIVATION_TYPES = (nn.Sigmoid, nn.Tanh, nn.ReLU, nn.LeakyReLU, nn.ELU, nn.GELU, nn.SiLU,
                     nn.Identity)

# one lock for shenjing's global generator: a session swaps its own state in while it draws
_RNG_LOCK = threading.Lock()


class Session:
    """One network training on one data set: what a browser tab drives.

    >>> from shenjing.playground.config import Config
    >>> from shenjing.playground.engine import Session
    >>> s = Session(Config(dataset="xor", samples=40, hidden=(4,)))
    >>> s.step(3)
    >>> f = s.frame(grid=8, neuron_grid=4)
    >>> f["steps"], len(f["neurons"]), len(f["neurons"][0])
    (3, 1, 4)
    """

    def __init__(self, config: Config, csv_text: str | None = None) -> None:
        if not isinstance(config, Config):
            raise ConfigError(f"config: expected a Config, got {type(config).__name__}")
        self.config = config
        self.error: str | None = None
        self._lock = threading.Lock()  # one step or frame at a time, whatever thread asks
        self._generator = sj.Generator().manual_seed(config.seed)

        if config.dataset == "csv":
            if csv_text is None:
                raise CSVError("csv: the csv data set needs a file of x1,x2,label rows")
            X, y = parse_csv(csv_text)
            self.csv_text = csv_text
            X, y = sj.from_numpy(X), sj.from_numpy(y)
        else:
            X, y = _data.make_points(config)
            self.csv_text = None
        self.classes = int(y.max().item()) + 1
        # the split: a permutation from the session's generator (a CSV file may be sorted)
        order = sj.randperm(len(y), generator=self._generator)
        n_train = min(max(1, round(config.train * len(y))), len(y) - 1)
        self._points = {"train": X[order[:n_train]], "test": X[order[n_train:]]}
        self._labels = {"train": y[order[:n_train]], "test": y[order[n_train:]]}
        self._inputs = {part: _data.features(p, config.features)
                        for part, p in self._points.items()}
        self._targets = {part: self._target(labels) for part, labels in self._labels.items()}
        self.n_train = n_train
        self.batch = min(config.batch, n_train)
        self.batches_per_epoch = math.ceil(n_train / self.batch)
        self.bounds = _data.bounds(X.numpy())

        with self._global_rng(initial=True):
            self.model = build_model(config, self.classes)
        self.optimizer = build_optimizer(config, self.model)
        self._activation_at = {i for i, m in enumerate(self.model)
                               if isinstance(m, _ACTIVATION_TYPES)}
        self._weights = [m.weight for m in self.model if isinstance(m, nn.Linear)]

        self.steps = 0
        self.samples_seen = 0
        self._order = None  # this epoch's permutation of the train set
        self._history = {"epoch": [], "train": [], "test": []}
        self._history_stride, self._history_skipped = 1, 0
        self._losses_at = -1  # the step at which the losses below were measured
        self._losses = (None, None)
        self._grids: dict = {}

    # -- training -------------------------------------------------------------------------

    def step(self, batches: int = 1) -> None:
        """Train ``batches`` mini-batches (an epoch is ceil(n_train / batch) of them); after a
        non-finite loss it stops for good and sets ``error``."""
        if isinstance(batches, bool) or not isinstance(batches, int) or batches < 0:
            raise ValueError(f"step: batches must be an int >= 0, got {batches!r}")
        with self._lock:
            if self.error is not None or batches == 0:
                return
            # only dropout draws from the global generator while training: without it the
            # shared lock is not taken, so sessions in other threads train at the same time
            rng = self._global_rng() if self.config.dropout else contextlib.nullcontext()
            # a diverging network overflows on its way to the non-finite loss that stops it:
            # expected here, so NumPy's warnings are not printed
            with rng, _xp.errstate(over="ignore", invalid="ignore"):
                for _ in range(batches):
                    if not self._one_batch():
                        break

    def _one_batch(self) -> bool:
        position = self.steps % self.batches_per_epoch
        if position == 0:
            self._order = sj.randperm(self.n_train, generator=self._generator)
        index = self._order[position * self.batch:(position + 1) * self.batch]
        self.model.train()
        loss = self.total_loss(self.model(self._inputs["train"][index]),
                               self._targets["train"][index])
        value = loss.item()
        if not math.isfinite(value):
            epoch = self.steps / self.batches_per_epoch
            self.error = (f"the loss diverged to {value} at epoch {epoch:.1f}: lower the "
                          f"learning rate ({self.config.lr:g} now)")
            return False
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.steps += 1
        self.samples_seen += len(index)
        return True

    def data_loss(self, logits: sj.Tensor, target: sj.Tensor) -> sj.Tensor:
        """The configured loss of ``logits`` (N, k) against class indices (cross-entropy,
        hinge) or one-hot rows (MSE, on the softmax probabilities)."""
        loss = self.config.loss
        if loss == "cross_entropy":
            return nn.functional.cross_entropy(logits, target)
        if loss == "hinge":
            return nn.functional.multi_margin_loss(logits, target)
        return nn.functional.mse_loss(nn.functional.softmax(logits, dim=1), target)

    def total_loss(self, logits: sj.Tensor, target: sj.Tensor) -> sj.Tensor:
        """The loss training minimises: the data loss plus ``l1 * sum |w|`` over the weights
        (L2 is the optimizer's weight decay, see ``build_optimizer``)."""
        loss = self.data_loss(logits, target)
        if self.config.l1:
            loss = loss + self.config.l1 * sum(w.abs().sum() for w in self._weights)
        return loss

    def _target(self, labels: sj.Tensor) -> sj.Tensor:
        if self.config.loss == "mse":
            return nn.functional.one_hot(labels, self.classes).float()
        return labels

    @contextlib.contextmanager
    def _global_rng(self, initial: bool = False):
        """Run the block on this session's state of shenjing's global generator."""
        with _RNG_LOCK:
            outer = sj.get_rng_state()
            if initial:
                sj.manual_seed(self.config.seed)
            else:
                sj.set_rng_state(self._rng_state)
            try:
                yield
            finally:
                self._rng_state = sj.get_rng_state()
                sj.set_rng_state(outer)

    # -- what the page draws --------------------------------------------------------------

    @property
    def epoch(self) -> float:
        return self.steps / self.batches_per_epoch

    def losses(self) -> tuple:
        """(train loss, test loss) of the data loss on the whole sets, None where not finite."""
        if self._losses_at != self.steps:
            self.model.eval()
            with sj.no_grad():
                values = [self.data_loss(self.model(self._inputs[p]), self._targets[p]).item()
                          for p in ("train", "test")]
            self._losses = tuple(v if math.isfinite(v) else None for v in values)
            self._losses_at = self.steps
        return self._losses

    def frame(self, grid: int = 48, neuron_grid: int = 20) -> dict:
        """What the page shows now, JSON-able: the losses and their history, the decision
        surface (``grid`` x ``grid``), every hidden neuron over the plane (``neuron_grid``
        squared) and the weights. One forward of all the plane's points, in eval mode."""
        for name, value, high in (("grid", grid, 256), ("neuron_grid", neuron_grid, 64)):
            if isinstance(value, bool) or not isinstance(value, int) or not 2 <= value <= high:
                raise ValueError(f"frame: {name} must be an int from 2 to {high}, got {value!r}")
        with self._lock, _xp.errstate(over="ignore", invalid="ignore"):
            train_loss, test_loss = self.losses()
            self._record(train_loss, test_loss)
            surface, confidence, neurons = self._planes(grid, neuron_grid)
            layers = []
            for m in self.model:
                if isinstance(m, nn.Linear):
                    layers.append({"weight": _finite(m.weight.detach().numpy()).tolist(),
                                   "bias": _finite(m.bias.detach().numpy()).tolist()})
            return {
                "epoch": self.epoch,
                "samples_seen": self.samples_seen,
                "steps": self.steps,
                "train_loss": train_loss,
                "test_loss": test_loss,
                "history": {key: list(values) for key, values in self._history.items()},
                "grid": grid,
                "surface": surface,
                "confidence": confidence,
                "neurons": neurons,
                "neuron_grid": neuron_grid,
                "layers": layers,
                "inputs": list(self.config.features),
                "error": self.error,
            }

    def _record(self, train_loss, test_loss) -> None:
        """One history point per frame with progress; full, it keeps every other point and
        records half as often, so the curve spans all of training at an even density."""
        history = self._history
        if history["epoch"] and history["epoch"][-1] == self.epoch:
            return
        self._history_skipped += 1
        if self._history_skipped < self._history_stride and history["epoch"]:
            return
        self._history_skipped = 0
        history["epoch"].append(self.epoch)
        history["train"].append(train_loss)
        history["test"].append(test_loss)
        if len(history["epoch"]) >= HISTORY_POINTS:
            for key in history:
                history[key] = history[key][::2]
            self._history_stride *= 2

    def _grid_inputs(self, grid: int, neuron_grid: int) -> sj.Tensor:
        """The features of both planes' pixel centres, rows from the top (y = ymax) down."""
        key = (grid, neuron_grid)
        if key not in self._grids:
            planes = [_plane(self.bounds, g) for g in key]
            points = sj.from_numpy(_xp.concatenate(planes).astype(_xp.float32))
            self._grids = {key: _data.features(points, self.config.features)}
        return self._grids[key]

    def _planes(self, grid: int, neuron_grid: int):
        inputs = self._grid_inputs(grid, neuron_grid)
        n = grid * grid
        hidden = []
        self.model.eval()
        with sj.no_grad():
            h = inputs
            for i, module in enumerate(self.model):
                h = module(h)
                if i in self._activation_at:
                    hidden.append(h.numpy()[n:])
            logits = h.numpy()[:n]
        logits = _finite(logits.astype(_xp.float64))
        # probabilities as softmax: the surface of any loss reads the same way
        shifted = logits - logits.max(axis=1, keepdims=True)
        p = _xp.exp(shifted)
        p /= p.sum(axis=1, keepdims=True)
        k = self.classes
        surface = p.argmax(axis=1).astype(_xp.uint8)
        low = 1.0 / k
        confidence = _xp.clip((p.max(axis=1) - low) / (1.0 - low), 0.0, 1.0)
        neurons = []
        for values in hidden:
            values = _finite(values.astype(_xp.float64))
            low, high = values.min(axis=0), values.max(axis=0)
            span = _xp.where(high > low, high - low, 1.0)
            scaled = _xp.where(high > low, (values - low) / span, 0.5)
            neurons.append([_b64(_xp.rint(scaled[:, j] * 255)) for j in range(values.shape[1])])
        return _b64(surface), _b64(_xp.rint(confidence * 255)), neurons

    @property
    def split(self) -> dict:
        """The data set as split: ``{"train": (points, labels), "test": (...)}``, points an
        (n, 2) float tensor and labels an (n,) tensor of class indices, in the session's order.

        >>> from shenjing.playground.config import Config
        >>> points, labels = Session(Config(dataset="xor", samples=40)).split["train"]
        >>> tuple(points.shape), tuple(labels.shape)
        ((20, 2), (20,))
        """
        return {part: (self._points[part], self._labels[part]) for part in ("train", "test")}

    def data(self) -> dict:
        """The points for the page: ``[x1, x2, label]`` rows of each part, the classes and the
        plane's bounds [xmin, xmax, ymin, ymax]."""
        out = {}
        for part, (points, labels) in self.split.items():
            X = points.numpy().astype(_xp.float64).round(5)
            labels = labels.numpy()
            out[part] = [[float(a), float(b), int(c)] for (a, b), c in zip(X, labels)]
        return {**out, "classes": self.classes, "bounds": list(self.bounds)}

    # -- taking it away -------------------------------------------------------------------

    def weights_safetensors(self) -> bytes:
        """The model's state dict in ``sj.save``'s safetensors format (the script loads it)."""
        buffer = io.BytesIO()
        with self._lock:
            sj.save(self.model.state_dict(), buffer)
        return buffer.getvalue()

    def script(self) -> str:
        """A Python program that rebuilds this data set and network and trains it as this
        session did (``python script.py``; ``--weights FILE`` evaluates saved weights)."""
        from shenjing.playground.export import script

        return script(self)


def build_model(config: Config, classes: int) -> nn.Sequential:
    """Linear, activation (and Dropout) per hidden layer, then a Linear to the class scores."""
    layers, width = [], len(config.features)
    for neurons, activation in zip(config.hidden, config.activations):
        layers += [nn.Linear(width, neurons), ACTIVATIONS[activation][0]()]
        if config.dropout:
            layers.append(nn.Dropout(config.dropout))
        width = neurons
    layers.append(nn.Linear(width, classes))
    return nn.Sequential(*layers)


def build_optimizer(config: Config, model: nn.Module) -> sj.optim.Optimizer:
    """The configured optimizer; L2 is its ``weight_decay`` on the weights only (biases get
    none), the same as adding ``l2 / 2 * sum w**2`` to the loss for SGD."""
    weights = [m.weight for m in model if isinstance(m, nn.Linear)]
    biases = [m.bias for m in model if isinstance(m, nn.Linear)]
    groups = [{"params": weights, "weight_decay": config.l2},
              {"params": biases, "weight_decay": 0.0}]
    name, lr = config.optimizer, config.lr
    if name == "sgd":
        return sj.optim.SGD(groups, lr=lr)
    if name == "momentum":
        return sj.optim.SGD(groups, lr=lr, momentum=MOMENTUM)
    if name == "adam":
        return sj.optim.Adam(groups, lr=lr)
    return sj.optim.RMSprop(groups, lr=lr)


def _plane(bounds: list, g: int):
    """Pixel centres of a g x g image of the plane, row-major, the top row first: (g*g, 2)."""
    xmin, xmax, ymin, ymax = bounds
    xs = xmin + (_xp.arange(g) + 0.5) / g * (xmax - xmin)
    ys = ymax - (_xp.arange(g) + 0.5) / g * (ymax - ymin)
    gx, gy = _xp.meshgrid(xs, ys)
    return _xp.stack([gx.ravel(), gy.ravel()], axis=1)


def _finite(array):
    """NaN -> 0 and +-inf -> +-1e30: JSON and pixels have no room for them."""
    return _xp.nan_to_num(array, nan=0.0, posinf=1e30, neginf=-1e30)


def _b64(values) -> str:
    return base64.b64encode(_xp.asarray(values).astype(_xp.uint8).tobytes()).decode("ascii")
