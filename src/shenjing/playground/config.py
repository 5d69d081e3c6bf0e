"""The Playground's configuration: one frozen dataclass that a URL query string round-trips.

Everything a browser tab can set lives here, checked where it enters, so the engine never sees a
bad value and the page can show the message as it is: each ``ConfigError`` names the field
(its query key) and the value it got.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from urllib.parse import parse_qsl, urlencode

DATASETS = ("quadrants", "xor", "circles", "spirals", "blobs", "moons", "csv")
FEATURES = ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin_x1", "sin_x2")
ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "swish", "linear")
LOSSES = ("cross_entropy", "mse", "hinge")  # hinge = nn.MultiMarginLoss
OPTIMIZERS = ("sgd", "momentum", "adam", "rmsprop")
MAX_LAYERS, MAX_NEURONS = 6, 16
# the number of classes each fixed data set has (spirals and blobs take Config.classes, a CSV
# file its labels' count)
FIXED_CLASSES = {"quadrants": 4, "xor": 2, "circles": 2, "moons": 2}

# query key -> dataclass field, where they differ
_KEYS = {"act": "activations", "opt": "optimizer"}
_FIELDS = {"activations": "act", "optimizer": "opt"}


class ConfigError(ValueError):
    """A configuration value the Playground cannot use; the message starts with the query key."""


@dataclass(frozen=True)
class Config:
    """One network on one data set, as a tab's URL describes it.

    >>> from shenjing.playground.config import Config
    >>> c = Config.from_query("dataset=spirals&classes=3&hidden=16,16&act=relu&lr=0.01")
    >>> c.hidden, c.activations
    ((16, 16), ('relu', 'relu'))
    >>> Config.from_query(c.to_query()) == c
    True
    """

    dataset: str = "quadrants"
    noise: float = 0.0
    samples: int = 400
    train: float = 0.5
    classes: int = 4
    features: tuple = ("x1", "x2")
    hidden: tuple = (8, 8)
    activations: tuple = ("tanh", "tanh")
    loss: str = "cross_entropy"
    optimizer: str = "sgd"
    lr: float = 0.03
    batch: int = 10
    l1: float = 0.0
    l2: float = 0.0
    dropout: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: normalise through the back door, once, here
        set_(self, "dataset", _choice("dataset", self.dataset, DATASETS))
        set_(self, "noise", _real("noise", self.noise, 0.0, 0.5))
        set_(self, "samples", _integer("samples", self.samples, 20, 2000))
        set_(self, "train", _real("train", self.train, 0.1, 0.9))
        set_(self, "classes", _integer("classes", self.classes, 2, 8))
        set_(self, "features", _features(self.features))
        set_(self, "hidden", _hidden(self.hidden))
        set_(self, "activations", _activations(self.activations, len(self.hidden)))
        set_(self, "loss", _choice("loss", self.loss, LOSSES))
        set_(self, "optimizer", _choice("opt", self.optimizer, OPTIMIZERS))
        lr = _real("lr", self.lr, 0.0, 10.0)
        if lr == 0:
            raise ConfigError("lr: the learning rate must be > 0, got 0")
        set_(self, "lr", lr)
        set_(self, "batch", _integer("batch", self.batch, 1, 1000))
        set_(self, "l1", _real("l1", self.l1, 0.0, 10.0))
        set_(self, "l2", _real("l2", self.l2, 0.0, 10.0))
        dropout = _real("dropout", self.dropout, 0.0, 1.0)
        if dropout >= 1:
            raise ConfigError(f"dropout: the drop probability must be < 1, got {dropout!r}")
        set_(self, "dropout", dropout)
        set_(self, "seed", _integer("seed", self.seed, 0, 2**32 - 1))

    @property
    def n_classes(self) -> int | None:
        """The classes the data set has (None for a CSV file: its labels decide)."""
        if self.dataset == "csv":
            return None
        return FIXED_CLASSES.get(self.dataset, self.classes)

    @classmethod
    def from_query(cls, query: str | Mapping[str, str]) -> Config:
        """A URL query string (``"dataset=xor&lr=0.1"``, a leading ``?`` allowed) or a mapping
        of its keys to strings -> Config; ``ConfigError`` on an unknown key or a bad value."""
        if isinstance(query, str):
            pairs = parse_qsl(query.removeprefix("?"), keep_blank_values=True)
            seen: dict[str, str] = {}
            for key, value in pairs:
                if key in seen:
                    raise ConfigError(f"{key}: given twice ({seen[key]!r} and {value!r})")
                seen[key] = value
            query = seen
        elif not isinstance(query, Mapping):
            raise ConfigError(f"query: expected a query string or a mapping, got "
                              f"{type(query).__name__}")
        names = [f.name for f in fields(cls)]
        kwargs = {}
        for key, value in query.items():
            name = _KEYS.get(key, key)
            if name not in names or key in _FIELDS:
                known = ", ".join(_FIELDS.get(n, n) for n in names)
                raise ConfigError(f"{key}: unknown key (the keys are {known})")
            if not isinstance(value, str):
                raise ConfigError(f"{key}: expected a string, got {type(value).__name__}")
            kwargs[name] = _parse(key, name, value.strip())
        return cls(**kwargs)

    def to_query(self) -> str:
        """The canonical query string: every key, in a fixed order; round-trips exactly."""
        items = []
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, tuple):
                text = ",".join(str(v) for v in value)
            else:
                text = repr(value) if isinstance(value, float) else str(value)
            items.append((_FIELDS.get(f.name, f.name), text))
        return urlencode(items, safe=",^*")


_INTS = {"samples", "classes", "batch", "seed"}
_FLOATS = {"noise", "train", "lr", "l1", "l2", "dropout"}


def _parse(key: str, name: str, text: str):
    """One query value -> the Python value the dataclass checks."""
    if name in _INTS:
        try:
            return int(text)
        except ValueError:
            raise ConfigError(f"{key}: expected an integer, got {text!r}") from None
    if name in _FLOATS:
        try:
            return float(text)
        except ValueError:
            raise ConfigError(f"{key}: expected a number, got {text!r}") from None
    if name == "hidden":
        parts = [p.strip() for p in text.split(",")] if text else []
        try:
            return tuple(int(p) for p in parts)
        except ValueError:
            raise ConfigError(f"hidden: expected neurons per layer as integers separated by "
                              f"commas, got {text!r}") from None
    if name in ("features", "activations"):
        return tuple(p.strip() for p in text.split(",")) if text else ()
    return text


def _choice(key: str, value, options: tuple) -> str:
    if value not in options:
        raise ConfigError(f"{key}: unknown value {value!r} (choose from {', '.join(options)})")
    return value


def _integer(key: str, value, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        # a float with an integral value is taken (JSON has one number type)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise ConfigError(f"{key}: expected an integer, got {value!r}")
    if not low <= value <= high:
        raise ConfigError(f"{key}: must be from {low} to {high}, got {value}")
    return int(value)


def _real(key: str, value, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{key}: expected a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ConfigError(f"{key}: must be a finite number, got {value!r}")
    if not low <= value <= high:
        raise ConfigError(f"{key}: must be from {low:g} to {high:g}, got {value!r}")
    return value


def _features(value) -> tuple:
    value = _sequence("features", value)
    for name in value:
        _choice("features", name, FEATURES)
    if not value:
        raise ConfigError("features: choose at least one input feature")
    if len(set(value)) != len(value):
        raise ConfigError(f"features: a feature is given twice in {','.join(value)}")
    # the checkboxes' order, whatever order the link had: one network, one query
    return tuple(name for name in FEATURES if name in value)


def _hidden(value) -> tuple:
    value = _sequence("hidden", value)
    if len(value) > MAX_LAYERS:
        raise ConfigError(f"hidden: at most {MAX_LAYERS} hidden layers, got {len(value)}")
    for width in value:
        if isinstance(width, bool) or not isinstance(width, int):
            raise ConfigError(f"hidden: neurons per layer must be integers, got {width!r}")
        if width < 1:
            raise ConfigError(f"hidden: a layer needs at least 1 neuron, got {width}")
        if width > MAX_NEURONS:
            raise ConfigError(f"hidden: at most {MAX_NEURONS} neurons per layer, got {width}")
    return tuple(int(w) for w in value)


def _activations(value, layers: int) -> tuple:
    value = _sequence("act", value)
    for name in value:
        _choice("act", name, ACTIVATIONS)
    if layers == 0:
        return ()
    if len(value) == layers:
        return value
    if len(value) >= 1 and len(set(value)) == 1:  # one activation for all layers
        return value[:1] * layers
    raise ConfigError(f"act: {len(value)} activations for {layers} hidden layers: give one per "
                      f"layer, or one for all")


def _sequence(key: str, value) -> tuple:
    if isinstance(value, str) or not isinstance(value, (tuple, list)):
        raise ConfigError(f"{key}: expected a list, got {value!r}")
    return tuple(value)
