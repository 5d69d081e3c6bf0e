"""What the command line trains on: data sets as tensors, text corpora, and models rebuilt from a
config."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from shenjing.autograd.tensor import Tensor
from shenjing.serialization import save_json

IMAGE_SETS = ("mnist", "fashion-mnist", "cifar10")
TOY_SETS = ("quadrants", "spirals", "circles", "xor", "blobs", "moons")
MODELS = ("mlp", "cnn", "lenet", "vgg", "resnet20")
TEXT_TASKS = ("charlm",)
CELLS = ("lstm", "gru", "rnn")  # the recurrent layers of a character language model
TRANSFORMER = "transformer"  # the causal Transformer character model
CHARLM_MODELS = CELLS + (TRANSFORMER,)


@dataclass
class Config:
    """Everything needed to rebuild a trained model and feed it: written as config.json."""

    dataset: str
    model: str = "mlp"
    in_features: int = 784  # C * H * W of an image, or 2 for the 2-D sets
    in_channels: int = 1
    image_size: int = 28
    hidden: list = field(default_factory=lambda: [100])
    out_features: int = 10
    activation: str = "relu"
    dropout: float = 0.0
    mean: list = field(default_factory=lambda: [0.0])  # per-channel input normalisation,
    std: list = field(default_factory=lambda: [1.0])  # fitted on the training split
    classes: list = field(default_factory=list)
    train: dict = field(default_factory=dict)  # the training arguments, for the record
    run_id: str = ""  # names this run in its files (metrics.json), to tell runs apart

    def save(self, path: Path) -> None:
        save_json(asdict(self), path)

    @classmethod
    def load(cls, path: Path) -> Config:
        data = _read_config(path)
        if data.get("dataset") in TEXT_TASKS:
            raise ValueError(f"{path.parent} is a {data['dataset']} run (a character language "
                             f"model): sample it with `shenjing sample {path.parent}`")
        try:
            return cls(**data)
        except TypeError as exc:
            raise ValueError(f"{path}: not a run's config ({exc})") from None

    def normalise(self, images: Tensor) -> Tensor:
        """Images (N, C, H, W), as stored (uint8) or in [0, 1] -> float32 normalised with this
        run's per-channel statistics."""
        from shenjing.creation import tensor

        if images.dtype == "uint8":
            images = images.float() / 255.0
        shape = (1, -1, 1, 1)
        mean = tensor(self.mean, dtype=images.dtype, device=images.device).reshape(shape)
        std = tensor(self.std, dtype=images.dtype, device=images.device).reshape(shape)
        return (images - mean) / std


def _read_config(path: Path) -> dict:
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: is {path.parent} a run folder written "
                                "by `shenjing train`?")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not a run's config ({exc})") from None


@dataclass
class CharLMConfig:
    """What rebuilds a character language model: written as config.json, beside vocab.json."""

    dataset: str
    model: str  # the recurrent layer (lstm, gru or rnn), or transformer
    vocab_size: int
    embedding_dim: int  # a transformer's d_model
    hidden_size: int  # a transformer's dim_feedforward
    num_layers: int
    dropout: float
    corpus: str  # the text file it learned from
    val_fraction: float = 0.1  # the last part of the corpus, held out
    train: dict = field(default_factory=dict)  # the training arguments, for the record
    run_id: str = ""  # names this run in its files (metrics.json), to tell runs apart
    heads: int = 0  # a transformer's attention heads (0 for a recurrent model)
    context: int = 0  # the most characters a transformer sees at once (0 for a recurrent model)

    def save(self, path: Path) -> None:
        save_json(asdict(self), path)

    @classmethod
    def load(cls, path: Path) -> CharLMConfig:
        data = _read_config(path)
        if data.get("dataset") not in TEXT_TASKS:
            raise ValueError(f"{path.parent} is a {data.get('dataset')} run, not a character "
                             "language model: train one with `shenjing train charlm`")
        try:
            return cls(**data)
        except TypeError as exc:
            raise ValueError(f"{path}: not a charlm config ({exc})") from None

    def build_model(self):
        """The CharLM or CharTransformer this config describes, with fresh weights."""
        from shenjing.models import CharLM, CharTransformer

        if self.model == TRANSFORMER:
            return CharTransformer(self.vocab_size, self.embedding_dim, self.heads,
                                   self.num_layers, self.context, self.hidden_size, self.dropout)
        return CharLM(self.vocab_size, self.embedding_dim, self.hidden_size, self.num_layers,
                      self.model, self.dropout)

    def batches(self, ids: Tensor, batch_size: int, seq_len: int, shuffle: bool = False):
        """Batches of the encoded text ``ids`` for this model: for a recurrent model, consecutive
        chunks of ``batch_size`` parallel streams (``BPTTLoader``, the state carries across
        them); for a transformer, non-overlapping windows of ``seq_len`` characters
        (``CharWindows``), shuffled with ``shuffle``."""
        from shenjing.data import BPTTLoader, DataLoader

        if self.model == TRANSFORMER:
            return DataLoader(CharWindows(ids, seq_len), batch_size=batch_size, shuffle=shuffle)
        return BPTTLoader(ids, batch_size, seq_len)

    def score(self, model, batches) -> dict:
        """The mean validation loss per character (nats) and bits per character of ``model``
        over ``batches`` (as ``batches`` makes them): ``{"loss": ..., "bpc": ...}``."""
        from shenjing.train import evaluate, evaluate_sequence
        from shenjing.train.sequence import LN2, sequence_cross_entropy

        if self.model == TRANSFORMER:
            loss = evaluate(model, batches, loss=sequence_cross_entropy, metrics=())["loss"]
            return {"loss": loss, "bpc": loss / LN2}
        return evaluate_sequence(model, batches)

    def val_batches(self, val_text: str, vocab):
        """The validation batches of the run: as many streams as in training (fewer for a
        short text), windows of the training length (shorter for a short text)."""
        ids = vocab.encode(val_text)
        n = len(ids) - 1
        seq_len = self.train["seq_len"]
        if self.model == TRANSFORMER:
            return self.batches(ids, self.train["batch_size"], min(seq_len, n))
        return self.batches(ids, min(self.train["batch_size"], n), seq_len)


class CharWindows:
    """Non-overlapping windows of an encoded text, for a model without carried state: item
    ``i`` is ``(ids[i*T : i*T+T], ids[i*T+1 : i*T+T+1])``, inputs and the next characters.

    Every character but the first is a target once per pass; a window's first targets have
    little context, as the model will see them at the start of a sample. ``get_batch`` cuts a
    whole batch with one gather.

    >>> import shenjing as sj
    >>> windows = CharWindows(sj.arange(10), 4)
    >>> len(windows), windows[1]
    (2, (tensor([4, 5, 6, 7]), tensor([5, 6, 7, 8])))
    """

    def __init__(self, ids: Tensor, seq_len: int) -> None:
        if seq_len < 1:
            raise ValueError(f"CharWindows: seq_len must be at least 1, got {seq_len}")
        if len(ids) < seq_len + 1:
            raise ValueError(f"CharWindows: {len(ids)} characters are too few for one window of "
                             f"{seq_len} and its next character")
        self.ids, self.seq_len = ids, seq_len

    def __len__(self) -> int:
        return (len(self.ids) - 1) // self.seq_len

    def __getitem__(self, index: int):
        inputs, target = self.get_batch([index])
        return inputs[0], target[0]

    def get_batch(self, indices):
        from shenjing.creation import arange, tensor

        T = self.seq_len
        # (N, 1) window starts + (T + 1,) offsets -> (N, T + 1) positions in the text
        starts = tensor(list(indices), dtype="int64").reshape(-1, 1) * T
        window = self.ids[starts + arange(T + 1, dtype="int64")]
        return window[:, :-1], window[:, 1:]


def load_charlm(folder: Path):
    """The character model of a run folder, with its best weights, and its vocabulary.

    Reads model.safetensors, or, for a run that was stopped before it ended, the model in its
    last best.safetensors checkpoint.
    """
    from shenjing.cli.run_folder import BEST, MODEL, finished, read_weights, written_by_this_run
    from shenjing.data import CharVocab
    from shenjing.serialization import CheckpointError

    config = CharLMConfig.load(folder / "config.json")
    vocab = CharVocab.load(folder / "vocab.json")
    if len(vocab) != config.vocab_size:
        raise ValueError(f"{folder}: vocab.json has {len(vocab)} characters, config.json says "
                         f"{config.vocab_size}")
    model = config.build_model()
    weights = folder / MODEL
    if finished(folder) and weights.exists():
        state = read_weights(weights)
    elif written_by_this_run(folder, BEST):
        checkpoint = read_weights(folder / BEST)
        print(f"{folder}: no model.safetensors (training did not finish); using the checkpoint "
              f"of epoch {checkpoint.get('epoch')}", file=sys.stderr)
        state = checkpoint.get("model")
        if not isinstance(state, dict):
            raise CheckpointError(f"{folder / BEST}: holds no model state dict")
    else:
        raise FileNotFoundError(f"{folder}: no weights of this run yet (model.safetensors, or "
                                "best.safetensors of an unfinished run); has training finished "
                                "an epoch?")
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise ValueError(f"{folder}: the weights do not fit its config.json ({exc})") from None
    return model.eval(), vocab


def evaluate_charlm(folder: Path, data: str | None = None) -> dict:
    """``shenjing eval`` of a charlm run: its model's loss on the run's validation text, again.

    The text is the one recorded in config.json (tiny-shakespeare from ``data``, else from the
    recorded data folder, if that file has moved), cut as in training (``--limit``, the last
    ``val_fraction``). Returns ``{"loss": nats/char, "bpc": bits/char, "characters": n}``.
    """
    from shenjing.data.text import split_text

    config = CharLMConfig.load(folder / "config.json")
    model, vocab = load_charlm(folder)
    recorded = config.train
    if recorded.get("text") is None and (data is not None or not Path(config.corpus).exists()):
        text, _ = load_corpus(None, data_folder(data, recorded.get("data")))
    else:
        text, _ = load_corpus(config.corpus, None)
    if recorded.get("limit"):
        text = text[: recorded["limit"]]
    _, val_text = split_text(text, config.val_fraction)
    unknown = sorted(set(val_text) - set(vocab.chars))
    if unknown:
        raise ValueError(f"{folder}: the validation text has characters the model never saw "
                         f"({''.join(unknown[:10])!r}): is {config.corpus} the text it learned?")
    scores = config.score(model, config.val_batches(val_text, vocab))
    return {**scores, "characters": len(val_text)}


def load_corpus(text_file: str | None, data_dir: str | None) -> tuple[str, str]:
    """The training text and where it came from: ``text_file`` (any UTF-8 file), else
    tiny-shakespeare from ``data_dir`` (or $SHENJING_DATA, or ~/.cache/shenjing), downloaded if
    missing."""
    if text_file is not None:
        from shenjing.data.text import read_text

        return read_text(text_file), str(Path(text_file).resolve())
    from shenjing.datasets import TinyShakespeare

    corpus = TinyShakespeare(data_dir, download=True)
    return corpus.text, str(corpus.path.resolve())


@dataclass
class Splits:
    """The data sets of each split: batches of inputs, normalised, and integer labels."""

    train: object
    val: object | None
    test: object


def build_model(config: Config):
    """The network a config describes, with fresh weights."""
    from shenjing import models

    if config.model == "mlp":
        return models.MLP(config.in_features, config.hidden, config.out_features,
                          config.activation, config.dropout)
    if config.in_features == 2:
        raise ValueError(f"the {config.model} model needs images; {config.dataset} has points")
    if config.model == "cnn":
        if config.image_size != 28:
            raise ValueError("the cnn model is made for 28x28 images; use vgg or resnet20")
        return models.MnistCNN(config.out_features, config.in_channels, config.dropout)
    if config.model == "lenet":
        return models.LeNet5(config.out_features, config.in_channels, config.image_size)
    if config.model == "vgg":
        return models.SmallVGG(config.out_features, config.in_channels)
    if config.model == "resnet20":
        return models.resnet20(config.out_features, config.in_channels)
    raise ValueError(f"unknown model {config.model!r}; available: {', '.join(MODELS)}")


def data_folder(given: str | None, recorded: str | None):
    """Where a run's data is: ``--data``, else ``$SHENJING_DATA``, else the folder the run was
    trained with (recorded as an absolute path), else the default cache."""
    import os

    from shenjing.datasets.root import ENV_VAR

    return given or os.environ.get(ENV_VAR) or recorded


def load_images(name: str, root, train: bool):
    """An image set as stored: uint8 images (N, C, H, W), int64 labels and class names.

    Images stay uint8 (a quarter of float32's memory) and become floats a batch at a time
    (``Config.normalise``).
    """
    from shenjing.datasets import CIFAR10, MNIST, FashionMNIST

    if name == "cifar10":
        dataset = CIFAR10(root, train=train, download=True, channels_first=True)
        images = dataset.data
    else:
        dataset = (MNIST if name == "mnist" else FashionMNIST)(root, train=train, download=True)
        images = dataset.data.unsqueeze(1)
    return images, dataset.targets, list(dataset.classes)


def channel_statistics(images: Tensor, chunk: int = 4096) -> tuple[list, list]:
    """Per-channel mean and standard deviation (unbiased) of uint8 images (N, C, H, W) in
    [0, 1] units, in float64 a chunk at a time: no float copy of the whole set."""
    from shenjing.creation import zeros

    channels = images.shape[1]
    total, count = zeros(channels, dtype="float64"), images.numel() // channels
    for start in range(0, len(images), chunk):
        total = total + images[start:start + chunk].double().sum(dim=(0, 2, 3))
    mean = total / (255.0 * count)
    squares = zeros(channels, dtype="float64")
    centre = mean.reshape(1, -1, 1, 1)
    for start in range(0, len(images), chunk):
        deviation = images[start:start + chunk].double() / 255.0 - centre
        squares = squares + (deviation * deviation).sum(dim=(0, 2, 3))
    std = (squares / max(count - 1, 1)).sqrt()
    return mean.tolist(), std.tolist()


def prepare(name: str, root=None, val_size: int = 5000, limit: int | None = None,
            noise: float | None = None, seed: int = 0, augment: bool = False,
            ) -> tuple[Splits, Config]:
    """Load a data set by name, fit the normalisation on its training split, split off a
    validation set, and return the splits (data sets to batch) with the matching (partial)
    config. ``augment`` crops and flips the training images (the CIFAR-10 recipe)."""
    from shenjing.data import TensorDataset

    if name in IMAGE_SETS:
        images, labels, classes = load_images(name, root, train=True)
        test_images, test_labels, _ = load_images(name, root, train=False)
        if limit:
            images, labels = images[:limit], labels[:limit]
            test_images, test_labels = test_images[:limit], test_labels[:limit]
        n_fit = len(labels) - min(val_size, len(labels) // 5)
        channels, size = images.shape[1], images.shape[2]
        mean, std = channel_statistics(images[:n_fit])
        config = Config(name, in_features=channels * size * size, in_channels=channels,
                        image_size=size, out_features=len(classes), classes=classes,
                        mean=mean, std=std)
        train = ImageSet(images[:n_fit], labels[:n_fit], config, augment=augment)
        val = (ImageSet(images[n_fit:], labels[n_fit:], config)
               if n_fit < len(labels) else None)
        return Splits(train, val, ImageSet(test_images, test_labels, config)), config
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
        splits = Splits(TensorDataset(x, y), TensorDataset(x_val, y_val),
                        TensorDataset(x_test, y_test))
        return splits, config
    raise ValueError(f"unknown dataset {name!r}; available: {', '.join(IMAGE_SETS + TOY_SETS)}")


class ImageSet:
    """Stored images (uint8, N C H W) and their labels, normalised a batch at a time as they
    are drawn; with ``augment``, batches are also randomly cropped (padding 4) and flipped
    horizontally (the CIFAR-10 recipe).

    The padding is black in normalised units, one value per channel.
    """

    def __init__(self, images: Tensor, labels: Tensor, config: Config, augment: bool = False,
                 pad: int = 4):
        from shenjing.data.transforms import Compose, RandomCrop, RandomHorizontalFlip

        self.images, self.labels, self.config = images, labels, config
        self.transform = None
        if augment:
            black = [-mean / std for mean, std in zip(config.mean, config.std)]
            self.transform = Compose([RandomCrop(images.shape[-1], padding=pad, fill=black),
                                      RandomHorizontalFlip()])

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int):
        images, labels = self.get_batch([index])
        return images[0], labels[0]

    def get_batch(self, indices):
        from shenjing.creation import tensor

        index = tensor(indices, dtype="int64")
        images = self.config.normalise(self.images[index])
        if self.transform is not None:
            images = self.transform.batched(images)
        return images, self.labels[index]
