"""Convolutional networks of the notes: LeNet-5, a small CNN for MNIST, a small VGG, ResNet-20."""

from __future__ import annotations

from collections.abc import Sequence

from shenjing.autograd.tensor import Tensor
from shenjing.nn.modules.activation import ReLU, Tanh
from shenjing.nn.modules.container import Sequential
from shenjing.nn.modules.conv import Conv2d
from shenjing.nn.modules.linear import Flatten, Linear
from shenjing.nn.modules.module import Module
from shenjing.nn.modules.normalization import BatchNorm2d


def _pooling():
    # Imported late: the pooling layers live in their own module.
    from shenjing.nn.modules.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d

    return MaxPool2d, AvgPool2d, AdaptiveAvgPool2d


class LeNet5(Sequential):
    """LeCun et al. (1998): conv 5x5 (6) - pool - conv 5x5 (16) - pool - 120 - 84 - classes.

    For 32x32 inputs as in the paper, or 28x28 ones (MNIST: the first convolution then pads by
    2), with tanh and average pooling as in the paper.

    >>> import shenjing as sj
    >>> sj.models.LeNet5()(sj.zeros(2, 1, 28, 28)).shape
    (2, 10)
    >>> sj.models.LeNet5(in_channels=3, image_size=32)(sj.zeros(2, 3, 32, 32)).shape
    (2, 10)
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1, image_size: int = 28) -> None:
        if image_size not in (28, 32):
            raise ValueError(f"LeNet5: image_size must be 28 or 32, got {image_size}")
        _, avg_pool, _ = _pooling()
        super().__init__(
            Conv2d(in_channels, 6, 5, padding=(32 - image_size) // 2), Tanh(), avg_pool(2),
            Conv2d(6, 16, 5), Tanh(), avg_pool(2),
            Flatten(), Linear(16 * 5 * 5, 120), Tanh(), Linear(120, 84), Tanh(),
            Linear(84, num_classes),
        )


class MnistCNN(Sequential):
    """conv 3x3 (32) - ReLU - max pool - conv 3x3 (64) - ReLU - max pool - 128 - classes.

    The network of the CNN benchmark; over 99 % on MNIST.

    >>> import shenjing as sj
    >>> sj.models.MnistCNN()(sj.zeros(2, 1, 28, 28)).shape
    (2, 10)
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1, dropout: float = 0.0) -> None:
        max_pool, _, _ = _pooling()
        layers = [
            Conv2d(in_channels, 32, 3, padding=1), ReLU(), max_pool(2),
            Conv2d(32, 64, 3, padding=1), ReLU(), max_pool(2),
            Flatten(), Linear(64 * 7 * 7, 128), ReLU(),
        ]
        if dropout:
            from shenjing.nn.modules.dropout import Dropout

            layers.append(Dropout(dropout))
        layers.append(Linear(128, num_classes))
        super().__init__(*layers)


class SmallVGG(Module):
    """Simonyan & Zisserman's idea at small scale: stacks of 3x3 convolutions (with batch norm),
    max pooling between stages, global average pooling and a linear classifier.

    >>> import shenjing as sj
    >>> sj.models.SmallVGG(stages=(8, 16))(sj.zeros(2, 3, 32, 32)).shape
    (2, 10)
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 3,
                 stages: Sequence[int] = (32, 64, 128), convs_per_stage: int = 2) -> None:
        super().__init__()
        max_pool, _, adaptive = _pooling()
        layers, width = [], in_channels
        for channels in stages:
            for _ in range(convs_per_stage):
                layers += [Conv2d(width, channels, 3, padding=1, bias=False),
                           BatchNorm2d(channels), ReLU()]
                width = channels
            layers.append(max_pool(2))
        self.features = Sequential(*layers)
        self.pool = adaptive(1)
        self.classifier = Linear(width, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.pool(self.features(x)).flatten(1))


class _ZeroPadShortcut(Module):
    """He et al.'s option A shortcut for CIFAR: subsample by the stride and append zero
    channels, so the shortcut adds no parameters."""

    def __init__(self, in_channels: int, channels: int, stride: int) -> None:
        super().__init__()
        self.stride, self.extra = stride, channels - in_channels

    def forward(self, x: Tensor) -> Tensor:
        from shenjing.ops.shape import pad

        x = x[:, :, ::self.stride, ::self.stride]
        half = self.extra // 2
        return pad(x, (0, 0, 0, 0, half, self.extra - half))

    def extra_repr(self) -> str:
        return f"stride={self.stride}, extra_channels={self.extra}"


class BasicBlock(Module):
    """Two 3x3 convolutions with batch norm, and the input added back (He et al., 2016).

    When the block halves the resolution or widens, the shortcut either subsamples and pads
    with zero channels (``shortcut="A"``, the paper's CIFAR networks) or projects with a strided
    1x1 convolution and batch norm (``"B"``).
    """

    def __init__(self, in_channels: int, channels: int, stride: int = 1,
                 shortcut: str = "A") -> None:
        super().__init__()
        if shortcut not in ("A", "B"):
            raise ValueError(f"BasicBlock: shortcut must be 'A' or 'B', got {shortcut!r}")
        self.conv1 = Conv2d(in_channels, channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = BatchNorm2d(channels)
        self.conv2 = Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = BatchNorm2d(channels)
        self.relu = ReLU()
        if stride == 1 and in_channels == channels:
            self.shortcut = Sequential()
        elif shortcut == "A":
            self.shortcut = _ZeroPadShortcut(in_channels, channels, stride)
        else:
            self.shortcut = Sequential(Conv2d(in_channels, channels, 1, stride=stride,
                                              bias=False), BatchNorm2d(channels))

    def forward(self, x: Tensor) -> Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + self.shortcut(x))


class ResNet(Module):
    """A CIFAR-style residual network: a 3x3 stem, three stages of basic blocks (16, 32, 64
    channels, the last two halving the resolution), global average pooling, a classifier.

    ``shortcut`` "A" (zero padding, the paper's choice for CIFAR) or "B" (1x1 projections)."""

    def __init__(self, blocks_per_stage: int, num_classes: int = 10, in_channels: int = 3,
                 widths: Sequence[int] = (16, 32, 64), shortcut: str = "A") -> None:
        super().__init__()
        _, _, adaptive = _pooling()
        self.stem = Sequential(Conv2d(in_channels, widths[0], 3, padding=1, bias=False),
                               BatchNorm2d(widths[0]), ReLU())
        stages, width = [], widths[0]
        for i, channels in enumerate(widths):
            for j in range(blocks_per_stage):
                stride = 2 if i > 0 and j == 0 else 1
                stages.append(BasicBlock(width, channels, stride, shortcut))
                width = channels
        self.stages = Sequential(*stages)
        self.pool = adaptive(1)
        self.fc = Linear(width, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc(self.pool(self.stages(self.stem(x))).flatten(1))


def resnet20(num_classes: int = 10, in_channels: int = 3, shortcut: str = "A") -> ResNet:
    """ResNet-20 for 32x32 images (He et al., 2016, section 4.2): 3 stages of 3 basic blocks,
    zero-padding shortcuts, 0.27 M parameters.

    >>> import shenjing as sj
    >>> sum(p.numel() for p in sj.models.resnet20().parameters())
    269722
    """
    return ResNet(3, num_classes, in_channels, shortcut=shortcut)
