"""What the command line trains on: data sets as tensors, and models rebuilt from a config."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from shenjing.autograd.tensor import Tensor

IMAGE_SETS = ("mnist", "fashion-mnist")
TOY_SETS = ("quadrants", "spirals", "circles", "xor", "blobs", "moons")


@dataclass
class Config:
    """Everything needed to rebuild a trained model and feed it: written as config.json."""

    dataset: str
    model: str = "mlp"
    in_features: int = 784
    hidden: list = field(default_factory=lambda: [100])
    out_features: int = 10
    activation: str = "relu"
    dropout: float = 0.0
    mean: float = 0.0  # input normalisation, fitted on the training set
    std: float = 1.0
    classes: list = field(default_factory=list)
    train: dict = field(default_factory=dict)  # the training arguments, for the record

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=1))

    @classmethod
    def load(cls, path: Path) -> Config:
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing: is {path.parent} a run folder written "
                                    "by `shenjing train`?")
        return cls(**json.loads(path.read_text()))


@dataclass
class Splits:
    """Inputs (already normalised) and integer labels of each split."""

    train: tuple[Tensor, Tensor]
    val: tuple[Tensor, Tensor] | None
    test: tuple[Tensor, Tensor]


def build_model(config: Config):
    """The network a config describes, with fresh weights."""
    from shenjing.models import MLP

    if config.model != "mlp":
        raise ValueError(f"unknown model {config.model!r}; available: mlp")
    return MLP(config.in_features, config.hidden, config.out_features, config.activation,
               config.dropout)


def load_images(name: str, root, train: bool):
    """MNIST or Fashion-MNIST as float32 images in [0, 1] (N, 28, 28) and int64 labels."""
    from shenjing.datasets import MNIST, FashionMNIST

    dataset = (MNIST if name == "mnist" else FashionMNIST)(root, train=train, download=True)
    images = dataset.data.float() / 255.0
    return images, dataset.targets, list(dataset.classes)


def prepare(name: str, root=None, val_size: int = 5000, limit: int | None = None,
            noise: float | None = None, seed: int = 0) -> tuple[Splits, Config]:
    """Load a data set by name, fit the normalisation on its training split, split off a
    validation set, and return the splits with the matching (partial) config."""
    if name in IMAGE_SETS:
        images, labels, classes = load_images(name, root, train=True)
        test_images, test_labels, _ = load_images(name, root, train=False)
        if limit:
            images, labels = images[:limit], labels[:limit]
            test_images, test_labels = test_images[:limit], test_labels[:limit]
        n_val = min(val_size, len(labels) // 5)
        fit_part = images[: len(labels) - n_val]
        mean, std = float(fit_part.mean().item()), float(fit_part.std().item())
        normalise = lambda x: (x - mean) / std  # noqa: E731
        train = (normalise(images[: len(labels) - n_val]), labels[: len(labels) - n_val])
        val = (normalise(images[len(labels) - n_val:]), labels[len(labels) - n_val:]) \
            if n_val else None
        config = Config(name, in_features=784, out_features=len(classes), mean=mean, std=std,
                        classes=classes)
        return Splits(train, val, (normalise(test_images), test_labels)), config
    if name in TOY_SETS:
        from shenjing import datasets

        options = {} if noise is None else {"noise": noise}  # else each set's own default

        def make(n, seed):
            return getattr(datasets, name)(n, seed=seed, **options)

        n = limit or 1000
        # Training and held-out points come from different seeds: no point is in both.
        x, y = make(n, seed)
        x_val, y_val = make(max(n // 4, 50), seed + 1)
        x_test, y_test = make(n, seed + 2)
        classes = sorted({int(c) for c in y.tolist()})
        config = Config(name, in_features=2, out_features=len(classes),
                        classes=[str(c) for c in classes])
        return Splits((x, y), (x_val, y_val), (x_test, y_test)), config
    raise ValueError(f"unknown dataset {name!r}; available: {', '.join(IMAGE_SETS + TOY_SETS)}")
