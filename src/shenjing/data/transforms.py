"""Transforms: small callables applied to each sample (``transform=`` of a dataset).

They take and return tensors: images are ``(H, W)`` or ``(C, H, W)`` (channels first, as in
PyTorch). Random transforms draw from shenjing's generator, so ``sj.manual_seed`` makes
augmentation reproducible.

Each transform here also has ``batched(x)``: the same transform applied to every sample of a
stacked batch ``(N, ...)`` at once, equal to stacking the per-sample results. Datasets use it to
transform a whole batch in a few array operations instead of one Python call per sample.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from shenjing import backend
from shenjing.autograd.tensor import Tensor
from shenjing.data.dataset import as_generator
from shenjing.ops.elementwise import where
from shenjing.ops.shape import flatten


def _as_tensor(name: str, x) -> Tensor:
    if isinstance(x, Tensor):
        return x
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        return Tensor(x)
    raise TypeError(f"{name}: expected a tensor or an array, got {type(x).__name__}")


def _integer_max(dtype) -> int:
    """The largest value of an integer dtype: what "full intensity" means for its images."""
    bits = 8 * dtype.itemsize
    return 2 ** bits - 1 if dtype.kind == "u" else 2 ** (bits - 1) - 1


class ToFloat:
    """Convert an image to floats, scaling integers to [0, 1] (uint8 pixels are divided by 255).

    Floating-point input is only cast to ``dtype``. Equivalent of torchvision's
    ``ConvertImageDtype(torch.float32)`` (or ``v2.ToDtype(torch.float32, scale=True)``).

    >>> import shenjing as sj
    >>> from shenjing.data.transforms import ToFloat
    >>> ToFloat()(sj.tensor([0, 51, 255], dtype=sj.uint8))
    tensor([0.0000, 0.2000, 1.0000])
    """

    def __init__(self, dtype=None):
        self.dtype = backend.as_dtype(dtype) or backend.get_default_dtype()
        if not backend.is_floating(self.dtype):
            raise TypeError(f"ToFloat: dtype must be a floating-point type, got {self.dtype}")

    def __call__(self, x):
        x = _as_tensor("ToFloat", x)
        if x.dtype.kind == "b":
            return x.to(self.dtype)
        if x.dtype.kind in "iu":
            return x.to(self.dtype) / _integer_max(x.dtype)
        return x.to(self.dtype)

    batched = __call__  # elementwise: a batch is transformed like one sample

    def __repr__(self) -> str:
        return f"ToFloat(dtype={self.dtype})"


class ToTensor:
    """An image as a ``(C, H, W)`` tensor, uint8 pixels scaled to floats in [0, 1].

    Takes a PIL image, or an array or tensor of shape ``(H, W)`` or ``(H, W, C)`` (channels
    last, as images are stored and as MNIST and CIFAR10 give them). As torchvision's
    ``ToTensor``: uint8 (and PIL's 1-bit images) become floats (the default dtype, float32
    unless set) divided by 255; other dtypes keep
    their values and dtype; a ``(H, W)`` image gets one channel.

    >>> import shenjing as sj
    >>> from shenjing.data.transforms import ToTensor
    >>> x = ToTensor()(sj.full((28, 28), 255, dtype=sj.uint8))
    >>> x.shape, x.dtype, x.max()
    ((1, 28, 28), dtype('float32'), tensor(1.))
    """

    def __call__(self, image):
        x = _image_tensor(image)
        if x.ndim not in (2, 3):
            raise ValueError(f"ToTensor: expected an image of shape (H, W) or (H, W, C), got "
                             f"shape {x.shape}")
        return self.batched(x.unsqueeze(0)).squeeze(0)

    def batched(self, x):
        """A batch ``(N, H, W)`` or ``(N, H, W, C)`` of images as ``(N, C, H, W)``."""
        x = _image_tensor(x)
        if x.ndim not in (3, 4):
            raise ValueError(f"ToTensor: expected a batch of shape (N, H, W) or (N, H, W, C), "
                             f"got shape {x.shape}")
        x = x.unsqueeze(1) if x.ndim == 3 else x.permute(0, 3, 1, 2).contiguous()
        if x.dtype == backend.dtype.uint8:
            return x.to(backend.get_default_dtype()) / 255
        return x

    def __repr__(self) -> str:
        return "ToTensor()"


def _image_tensor(image) -> Tensor:
    """A PIL image, an array or a tensor, as a tensor (PIL's 1-bit images as 0 and 255)."""
    if hasattr(image, "getbands") and hasattr(image, "mode"):  # a PIL image, without importing PIL
        array = backend.CPU_MODULE.asarray(image)
        if image.mode == "1":
            array = array.astype(backend.dtype.uint8) * 255
        return Tensor._make(backend.CPU_MODULE.ascontiguousarray(array))
    return _as_tensor("ToTensor", image)


class Normalize:
    """Subtract ``mean`` and divide by ``std``, per channel: ``(x - mean[c]) / std[c]``.

    Channels are dim -3 of ``(C, H, W)`` images (or ``(N, C, H, W)`` batches); images with fewer
    dims, such as MNIST's ``(28, 28)``, take a single mean and std. The input must be floating
    (apply ``ToFloat`` first). Equivalent of ``torchvision.transforms.Normalize``.

    >>> import shenjing as sj
    >>> from shenjing.data.transforms import Normalize
    >>> Normalize([0.5, 0.0], [0.5, 2.0])(sj.ones(2, 1, 1))
    tensor([[[1.0000]],
    <BLANKLINE>
            [[0.5000]]])
    """

    def __init__(self, mean: Sequence[float] | float, std: Sequence[float] | float):
        self.mean = [float(m) for m in (mean if isinstance(mean, Sequence) else [mean])]
        self.std = [float(s) for s in (std if isinstance(std, Sequence) else [std])]
        if len(self.mean) != len(self.std) or not self.mean:
            raise ValueError(f"Normalize: mean and std need one value per channel, got "
                             f"{len(self.mean)} means and {len(self.std)} stds")
        if any(s == 0 for s in self.std):
            raise ValueError(f"Normalize: std must be non-zero, got {self.std}")

    def __call__(self, x):
        x = _as_tensor("Normalize", x)
        return self._normalize(x, sample_ndim=x.ndim)

    def batched(self, x):
        """Normalize every sample of a batch ``(N, ...)``."""
        x = _as_tensor("Normalize", x)
        return self._normalize(x, sample_ndim=x.ndim - 1)

    def _normalize(self, x: Tensor, sample_ndim: int) -> Tensor:
        if not backend.is_floating(x.dtype):
            raise TypeError(f"Normalize: expected a floating-point image, got {x.dtype}; "
                            "apply ToFloat() first")
        C = len(self.mean)
        if sample_ndim < 3:
            if C != 1:
                raise ValueError(f"Normalize: an image of shape {x.shape} has no channel dim, "
                                 f"but {C} means were given")
            return (x - self.mean[0]) / self.std[0]
        if x.shape[-3] != C:
            raise ValueError(f"Normalize: expected {C} channels in dim -3, got shape {x.shape}")
        # (C,) -> (C, 1, 1): broadcasts over H and W, and over a leading batch dim
        mean = Tensor(self.mean, dtype=x.dtype, device=x.device).reshape(C, 1, 1)
        std = Tensor(self.std, dtype=x.dtype, device=x.device).reshape(C, 1, 1)
        return (x - mean) / std

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean}, std={self.std})"


class RandomHorizontalFlip:
    """Mirror an image left-right with probability ``p`` (the flip of its last dim, the width).

    The coin is tossed with ``generator`` (see ``as_generator``); by default shenjing's CPU
    generator, so ``sj.manual_seed`` makes augmentation repeatable. For channels-last ``(H, W, C)``
    images pass ``dim=-2``. Equivalent of ``torchvision.transforms.RandomHorizontalFlip``.

    >>> import shenjing as sj
    >>> from shenjing.data.transforms import RandomHorizontalFlip
    >>> RandomHorizontalFlip(p=1.0)(sj.tensor([[1, 2, 3]]))
    tensor([[3, 2, 1]])
    """

    def __init__(self, p: float = 0.5, generator=None, dim: int = -1):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"RandomHorizontalFlip: p must be in [0, 1], got {p}")
        self.p = float(p)
        self.dim = dim
        self.generator = None if generator is None else as_generator(generator)

    def __call__(self, x):
        x = _as_tensor("RandomHorizontalFlip", x)
        if as_generator(self.generator).random() >= self.p:
            return x
        return x[self._flip_key(x.ndim, self.dim)]

    def batched(self, x):
        """Flip each sample of a batch ``(N, ...)`` with its own coin."""
        x = _as_tensor("RandomHorizontalFlip", x)
        if x.ndim < 2:
            raise ValueError(f"RandomHorizontalFlip.batched: expected a batch (N, ...), got "
                             f"shape {x.shape}")
        coins = as_generator(self.generator).random(x.shape[0]) < self.p
        dim = self.dim + 1 if self.dim >= 0 else self.dim
        flipped = x[self._flip_key(x.ndim, dim)]
        # (N,) -> (N, 1, ..., 1): one decision per sample, broadcast over its pixels
        mask = Tensor(coins.reshape((-1,) + (1,) * (x.ndim - 1)), device=x.device)
        return where(mask, flipped, x)

    @staticmethod
    def _flip_key(ndim: int, dim: int) -> tuple:
        if not -ndim <= dim < ndim:
            raise ValueError(f"RandomHorizontalFlip: dim {dim} is out of range for {ndim} dims")
        key = [slice(None)] * ndim
        key[dim] = slice(None, None, -1)
        return tuple(key)

    def __repr__(self) -> str:
        return f"RandomHorizontalFlip(p={self.p})"


class RandomCrop:
    """Cut a random ``size`` window out of an image padded by ``padding`` (zeros, or ``fill``).

    The augmentation of CIFAR-10 training: pad 32x32 images by 4 and crop 32x32, so the network
    sees every image shifted by up to 4 pixels. Images are ``(H, W)`` or ``(C, H, W)``.
    ``fill`` is one value or one per channel: for images already normalised, black is
    ``(0 - mean) / std`` of each channel. Equivalent of
    ``torchvision.transforms.RandomCrop(size, padding, fill=fill)``.

    >>> import shenjing as sj
    >>> from shenjing.data.transforms import RandomCrop
    >>> RandomCrop(32, padding=4)(sj.zeros(3, 32, 32)).shape
    (3, 32, 32)
    """

    def __init__(self, size, padding: int = 0, fill=0.0, generator=None):
        self.size = (size, size) if isinstance(size, int) else tuple(size)
        if len(self.size) != 2 or min(self.size) < 1:
            raise ValueError(f"RandomCrop: size must be a positive int or (height, width), got "
                             f"{size!r}")
        if padding < 0:
            raise ValueError(f"RandomCrop: padding must be non-negative, got {padding}")
        self.padding, self.fill = int(padding), fill
        self.generator = None if generator is None else as_generator(generator)

    def _padded(self, x: Tensor, batch: bool):
        xp = backend.array_module(x._data)
        data = x._data
        if self.padding:
            data = self._pad(xp, data, x.shape, batch)
        height, width = data.shape[-2:]
        if height < self.size[0] or width < self.size[1]:
            what = "batch" if batch else "image"
            raise ValueError(f"RandomCrop: a {self.size} crop does not fit an {what} of shape "
                             f"{x.shape} padded by {self.padding}")
        return xp, data

    def _pad(self, xp, data, shape, batch: bool):
        """The image(s) in a frame of ``padding`` pixels of ``fill`` (per channel, if a list)."""
        p = self.padding
        fill = xp.asarray(self.fill, dtype=data.dtype)
        if fill.ndim:  # one value per channel: the channel axis is the one before (H, W)
            channels = data.shape[-3] if data.ndim >= 3 else 1
            if fill.shape != (channels,) or data.ndim < (4 if batch else 3):
                raise ValueError(f"RandomCrop: fill has {fill.size} values for images of shape "
                                 f"{shape}; give one value, or one per channel (C, H, W)")
            fill = fill.reshape(-1, 1, 1)
        out = xp.empty(data.shape[:-2] + (data.shape[-2] + 2 * p, data.shape[-1] + 2 * p),
                       dtype=data.dtype)
        out[...] = fill
        out[..., p:-p, p:-p] = data
        return out

    def __call__(self, x):
        x = _as_tensor("RandomCrop", x)
        xp, data = self._padded(x, False)
        (h, w), (height, width) = self.size, data.shape[-2:]
        gen = as_generator(self.generator)
        top, left = int(gen.integers(0, height - h + 1)), int(gen.integers(0, width - w + 1))
        return Tensor._make(xp.ascontiguousarray(data[..., top:top + h, left:left + w]))

    def batched(self, x):
        """Crop each sample of a batch ``(N, ...)`` at its own random offset."""
        x = _as_tensor("RandomCrop", x)
        if x.ndim < 3:
            raise ValueError(f"RandomCrop.batched: expected a batch (N, [C,] H, W), got shape "
                             f"{x.shape}")
        xp, data = self._padded(x, True)
        (h, w), (height, width) = self.size, data.shape[-2:]
        n = data.shape[0]
        gen = as_generator(self.generator)
        tops = gen.integers(0, height - h + 1, n)
        lefts = gen.integers(0, width - w + 1, n)
        rows = xp.asarray(tops)[:, None] + xp.arange(h)  # (N, h)
        cols = xp.asarray(lefts)[:, None] + xp.arange(w)  # (N, w)
        samples = xp.arange(n)[:, None, None]
        # Move (H, W) first so that one fancy index picks every sample's window: (N, h, w, ...)
        moved = xp.moveaxis(data, (-2, -1), (1, 2))
        crops = moved[samples, rows[:, :, None], cols[:, None, :]]
        return Tensor._make(xp.ascontiguousarray(xp.moveaxis(crops, (1, 2), (-2, -1))))

    def __repr__(self) -> str:
        return f"RandomCrop(size={self.size}, padding={self.padding}, fill={self.fill!r})"


class Flatten:
    """Flatten an image into a vector, e.g. ``(28, 28) -> (784,)`` for an MLP.

    Dims ``start_dim..end_dim`` are merged (all by default). Equivalent of
    ``torch.flatten`` inside a ``transforms.Lambda``, or of ``nn.Flatten(0)``.

    >>> import shenjing as sj
    >>> from shenjing.data.transforms import Flatten
    >>> Flatten()(sj.zeros(28, 28)).shape
    (784,)
    """

    def __init__(self, start_dim: int = 0, end_dim: int = -1):
        self.start_dim = start_dim
        self.end_dim = end_dim

    def __call__(self, x):
        return flatten(_as_tensor("Flatten", x), self.start_dim, self.end_dim)

    def batched(self, x):
        """Flatten each sample of a batch ``(N, ...)``, keeping the batch dim."""
        start = self.start_dim + 1 if self.start_dim >= 0 else self.start_dim
        end = self.end_dim + 1 if self.end_dim >= 0 else self.end_dim
        return flatten(_as_tensor("Flatten", x), start, end)

    def __repr__(self) -> str:
        return f"Flatten(start_dim={self.start_dim}, end_dim={self.end_dim})"


class Lambda:
    """Wrap any function as a transform; equivalent of ``torchvision.transforms.Lambda``.

    >>> from shenjing.data.transforms import Lambda
    >>> Lambda(lambda y: y + 1)(1)
    2
    """

    def __init__(self, fn: Callable):
        if not callable(fn):
            raise TypeError(f"Lambda: expected a callable, got {type(fn).__name__}")
        self.fn = fn

    def __call__(self, x):
        return self.fn(x)

    def __repr__(self) -> str:
        return f"Lambda({getattr(self.fn, '__name__', repr(self.fn))})"


class Compose:
    """Apply transforms one after another; equivalent of ``torchvision.transforms.Compose``.

    >>> import shenjing as sj
    >>> from shenjing.data.transforms import Compose, Flatten, Normalize, ToFloat
    >>> t = Compose([ToFloat(), Normalize(0.5, 0.5), Flatten()])
    >>> t(sj.full((2, 2), 255, dtype=sj.uint8))
    tensor([1., 1., 1., 1.])
    """

    def __init__(self, transforms: Sequence[Callable]):
        self.transforms = list(transforms)
        for i, t in enumerate(self.transforms):
            if not callable(t):
                raise TypeError(f"Compose: transform {i} ({t!r}) is not callable")

    def __call__(self, x):
        for t in self.transforms:
            x = t(x)
        return x

    def __getattr__(self, name):
        # ``batched`` exists only when every step has it (a Lambda cannot be batched)
        steps = self.__dict__.get("transforms", [None])
        if name == "batched" and all(hasattr(t, "batched") for t in steps):
            return self._batched
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _batched(self, x):
        for t in self.transforms:
            x = t.batched(x)
        return x

    def __repr__(self) -> str:
        inner = "".join(f"\n    {t!r}," for t in self.transforms)
        return f"Compose([{inner}\n])"
