"""``shenjing predict``: classify an image file with a trained run."""

from __future__ import annotations

from pathlib import Path


def add_arguments(parser) -> None:
    from shenjing.cli import positive_int

    parser.add_argument("run", help="a run folder written by `shenjing train`")
    parser.add_argument("image", help="a grey or colour image (PNG, JPEG, ...) of a digit, "
                                      "28x28 or larger, or a .npy array")
    parser.add_argument("--top", type=positive_int, default=3, help="how many classes to list")


def read_digit(path: Path, size: int = 28):
    """An image as MNIST shows digits: (size, size) floats in [0, 1], white digit on black.

    The image is made grey, fitted into the square (keeping its aspect ratio, padded with the
    background), and inverted when its background is light, as photos and scans of ink are.
    """
    import numpy

    if not path.exists():
        raise FileNotFoundError(f"no image at {path}")
    if path.suffix == ".npy":
        array = numpy.load(path, allow_pickle=False).astype(numpy.float32)
        if array.ndim == 3:
            array = array.mean(axis=-1)
    else:
        try:
            from PIL import Image
        except ImportError:
            raise ValueError("reading images needs Pillow: pip install pillow (or pass a .npy "
                             "array)") from None
        try:
            image = Image.open(path).convert("L")
        except OSError as exc:
            raise ValueError(f"cannot read {path} as an image ({exc})") from None
        array = numpy.asarray(image, dtype=numpy.float32)
    if array.ndim != 2:
        raise ValueError(f"{path} must hold a 2-D image, got shape {array.shape}")
    if array.max() > 1.0:
        array = array / 255.0
    if numpy.median(array) > 0.5:  # dark ink on light paper: MNIST is light on dark
        array = 1.0 - array
    return _fit_square(array, size)


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
    if config.in_features != 784:
        raise ValueError(f"the run {args.run} was trained on {config.dataset}, which has no "
                         "images")
    digit = read_digit(Path(args.image))
    x = (sj.tensor(digit).reshape(1, 28, 28) - config.mean) / config.std
    with sj.no_grad():
        probabilities = sj.softmax(model(x), dim=1)[0]
    order = probabilities.numpy().argsort()[::-1][: args.top]
    best = int(order[0])
    print(f"{args.image}: {config.classes[best]} ({100 * probabilities[best].item():.1f} %)")
    for k in order[1:]:
        print(f"  then {config.classes[int(k)]} ({100 * probabilities[int(k)].item():.1f} %)")
    return 0
