"""Resizing layers: Upsample (and its two fixed-mode forms), PixelShuffle, PixelUnshuffle."""

from __future__ import annotations

from collections.abc import Sequence

from shenjing.autograd.tensor import Tensor
from shenjing.nn.modules.module import Module
from shenjing.ops.upsample import interpolate, pixel_shuffle, pixel_unshuffle


class Upsample(Module):
    """Resize the spatial dims of (N, C, d1, ..., dK) to ``size`` or by ``scale_factor`` with
    ``interpolate``'s modes (nearest, linear, bilinear, trilinear).

    Equivalent of ``torch.nn.Upsample``.

    >>> import shenjing as sj
    >>> up = sj.nn.Upsample(scale_factor=2, mode="bilinear")
    >>> up
    Upsample(scale_factor=2.0, mode='bilinear')
    >>> up(sj.ones(1, 3, 4, 4)).shape
    (1, 3, 8, 8)
    """

    def __init__(self, size: int | Sequence[int] | None = None,
                 scale_factor: float | Sequence[float] | None = None, mode: str = "nearest",
                 align_corners: bool | None = None,
                 recompute_scale_factor: bool | None = None) -> None:
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        # as PyTorch: stored as floats, so the printed form reads 2.0
        if isinstance(scale_factor, (tuple, list)):
            self.scale_factor = tuple(float(s) for s in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode, self.align_corners = mode, align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:
        return interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                           recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self) -> str:
        if self.scale_factor is not None:
            info = f"scale_factor={self.scale_factor!r}"
        else:
            info = f"size={self.size!r}"
        return f"{info}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """Nearest-neighbour upsampling of images (N, C, H, W); ``torch.nn.UpsamplingNearest2d``.

    >>> import shenjing as sj
    >>> sj.nn.UpsamplingNearest2d(scale_factor=2)(sj.ones(1, 1, 2, 3)).shape
    (1, 1, 4, 6)
    """

    def __init__(self, size: int | Sequence[int] | None = None,
                 scale_factor: float | Sequence[float] | None = None) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Bilinear upsampling of images (N, C, H, W) with ``align_corners=True``;
    ``torch.nn.UpsamplingBilinear2d``.

    >>> import shenjing as sj
    >>> sj.nn.UpsamplingBilinear2d(size=(3, 3))(sj.ones(1, 1, 2, 2)).shape
    (1, 1, 3, 3)
    """

    def __init__(self, size: int | Sequence[int] | None = None,
                 scale_factor: float | Sequence[float] | None = None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


class PixelShuffle(Module):
    """(*, C * r * r, H, W) -> (*, C, H * r, W * r) with ``r = upscale_factor``;
    ``torch.nn.PixelShuffle``.

    >>> import shenjing as sj
    >>> sj.nn.PixelShuffle(2)(sj.ones(1, 8, 3, 3)).shape
    (1, 2, 6, 6)
    """

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """(*, C, H * r, W * r) -> (*, C * r * r, H, W) with ``r = downscale_factor``;
    ``torch.nn.PixelUnshuffle``.

    >>> import shenjing as sj
    >>> sj.nn.PixelUnshuffle(2)(sj.ones(1, 2, 6, 6)).shape
    (1, 8, 3, 3)
    """

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"
