"""``shenjing predict``: classify an image file with a trained run."""

from __future__ import annotations

from pathlib import Path


def add_arguments(parser) -> None:
    from shenjing.cli import positive_int

    parser.add_argument("run", help="a run folder written by `shenjing train`")
    parser.add_argument("image", help="an image file (PNG, JPEG, ...) or a .npy array: a digit "
                                      "for MNIST runs (28x28 or larger), a colour picture for "
                                      "CIFAR-10 runs")
    parser.add_argument("--top", type=positive_int, default=3, help="how many classes to list")


def read_image(path: Path, channels: int = 1, size: int = 28):
    """An image file as the network saw its training images: (channels, size, size) in [0, 1].

    Grey images (the digits) are fitted into the square keeping their aspect ratio, padded with
    the background, and inverted when the background is light (ink on paper), since MNIST shows
    light digits on black. Colour images (CIFAR-10) are fitted the same way, per channel.
    """
    import numpy

    if not path.exists():
        raise FileNotFoundError(f"no image at {path}")
    if path.suffix == ".npy":
        array = numpy.load(path, allow_pickle=False).astype(numpy.float32)
    else:
        try:
            from PIL import Image
        except ImportError:
            raise ValueError("reading images needs Pillow: pip install pillow (or pass a .npy "
                             "array)") from None
        try:
            image = Image.open(path).convert("L" if channels == 1 else "RGB")
        except OSError as exc:
            raise ValueError(f"cannot read {path} as an image ({exc})") from None
        array = numpy.asarray(image, dtype=numpy.float32)
    if array.ndim == 3 and channels == 1:
        array = array.mean(axis=-1)
    if array.ndim == 2:
        array = array[..., None]
    if array.ndim != 3 or array.shape[-1] != channels:
        raise ValueError(f"{path}: expected an image with {channels} channel(s), got shape "
                         f"{array.shape}")
    if array.max() > 1.0:
        array = array / 255.0
    if channels == 1 and numpy.median(array) > 0.5:  # dark ink on light paper
        array = 1.0 - array
    return numpy.stack([_fit_square(array[..., k], size) for k in range(channels)])


def _fit_square(array, size: int):
    """Resize (keeping the aspect ratio) into a size x size square, padding with zeros."""
    import numpy

    height, width = array.shape
    scale = size / max(height, width)
    new_h, new_w = max(1, round(height * scale)), max(1, round(width * scale))
    # Area-average resampling by index arithmetic: each output pixel averages its source block.
    rows = (numpy.arange(new_h + 1) * height / new_h).astype(int)
    cols = (numpy.arange(new_w + 1) * width / new_w).astype(int)
    resized = numpy.empty((new_h, new_w), dtype=numpy.float32)
    for i in range(new_h):
        block = array[rows[i]:max(rows[i + 1], rows[i] + 1)]
        sums = numpy.add.reduceat(block.sum(axis=0), cols[:-1])
        counts = numpy.maximum(numpy.diff(cols), 1) * block.shape[0]
        resized[i] = sums / counts
    square = numpy.zeros((size, size), dtype=numpy.float32)
    top, left = (size - new_h) // 2, (size - new_w) // 2
    square[top:top + new_h, left:left + new_w] = resized
    return square


def run(args) -> int:
    import shenjing as sj
    from shenjing.cli.evaluate import load_run

    model, config = load_run(Path(args.run))
    if config.in_features == 2:
        raise ValueError(f"the run {args.run} was trained on {config.dataset}, which has no "
                         "images")
    image = read_image(Path(args.image), config.in_channels, config.image_size)
    x = config.normalise(sj.tensor(image).unsqueeze(0))
    with sj.no_grad():
        probabilities = sj.softmax(model(x), dim=1)[0]
    order = probabilities.numpy().argsort()[::-1][: args.top]
    best = int(order[0])
    print(f"{args.image}: {config.classes[best]} ({100 * probabilities[best].item():.1f} %)")
    for k in order[1:]:
        print(f"  then {config.classes[int(k)]} ({100 * probabilities[int(k)].item():.1f} %)")
    return 0
