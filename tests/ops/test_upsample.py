"""Interpolation and pixel shuffle through the harness, and PyTorch's errors."""

import numpy as np
import pytest
import torch

import shenjing as sj
from tests.ops.harness import F, OpSpec, spec_tests


def interpolate(m, x, kwargs):
    return m.nn.functional.interpolate(x, **dict(kwargs))


def _kw(**kwargs):
    """Keyword arguments as a hashable, printable case value."""
    return tuple(sorted(kwargs.items()))


SPECS = [
    OpSpec("interpolate", interpolate, [
        (F(2, 3, 5), _kw(scale_factor=2)),
        (F(2, 3, 5), _kw(size=3)),
        (F(2, 3, 5), _kw(size=8, mode="nearest-exact")),
        (F(1, 2, 4, 5), _kw(scale_factor=1.5)),
        (F(1, 2, 4, 5), _kw(size=(7, 3))),
        (F(1, 2, 3, 3, 2), _kw(scale_factor=(2, 1, 3))),
        (F(2, 3, 5), _kw(scale_factor=2, mode="linear")),
        (F(2, 3, 5), _kw(size=7, mode="linear", align_corners=True)),
        (F(2, 3, 5), _kw(size=2, mode="linear")),
        (F(1, 2, 4, 5), _kw(scale_factor=2, mode="bilinear")),
        (F(1, 2, 4, 5), _kw(scale_factor=2, mode="bilinear", align_corners=True)),
        (F(1, 2, 4, 5), _kw(size=(3, 7), mode="bilinear")),
        (F(1, 2, 4, 5), _kw(scale_factor=1.7, mode="bilinear", recompute_scale_factor=True)),
        (F(1, 2, 4, 5), _kw(size=(1, 1), mode="bilinear", align_corners=True)),
        (F(1, 2, 3, 2, 3), _kw(size=(4, 3, 5), mode="trilinear")),
    ]),
    OpSpec("pixel_shuffle", lambda m, x, r: m.nn.functional.pixel_shuffle(x, r),
           [(F(2, 8, 3, 2), 2), (F(9, 2, 2), 3), (F(2, 3, 4, 2, 3), 2), (F(1, 3, 2, 2), 1)]),
    OpSpec("pixel_unshuffle", lambda m, x, r: m.nn.functional.pixel_unshuffle(x, r),
           [(F(2, 2, 4, 6), 2), (F(1, 6, 3), 3), (F(2, 3, 1, 4, 2), 2)]),
]


test_gradcheck, test_matches_torch = spec_tests(SPECS)


@pytest.mark.parametrize("mode, k", [("nearest", 1), ("nearest", 2), ("nearest", 3),
                                     ("nearest-exact", 1), ("nearest-exact", 2), ("linear", 1),
                                     ("bilinear", 2), ("trilinear", 3)])
@pytest.mark.parametrize("n, out", [(5, 2), (7, 3), (3, 7), (10, 13), (6, 6), (10, 10)])
def test_interpolate_source_positions_match_torch_for_many_sizes(mode, k, n, out):
    """Where a position falls exactly between two pixels the float32 step decides, and a dim
    whose size is unchanged is copied or resampled by PyTorch's rule for the mode and rank:
    PyTorch's arithmetic is followed so that every size agrees."""
    x = np.arange(n ** k, dtype=np.float32).reshape((1, 1) + (n,) * k)
    for kw in ({"size": out}, {"scale_factor": out / n}, {"scale_factor": out / n + 1e-3},
               {"scale_factor": out / n + 0.07}):
        ours = sj.nn.functional.interpolate(sj.tensor(x), mode=mode, **kw)
        theirs = torch.nn.functional.interpolate(torch.tensor(x), mode=mode, **kw)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-6,
                                   err_msg=str(kw))


def test_interpolate_to_the_same_size_is_a_copy():
    x = sj.ones(1, 1, 3)
    y = sj.nn.functional.interpolate(x, size=3)
    y[0, 0, 0] = 5.0
    assert x[0, 0, 0].item() == 1.0


ERRORS = [
    lambda m: m.nn.functional.interpolate(m.ones(1, 2, 4, 4), scale_factor=2, mode="linear"),
    lambda m: m.nn.functional.interpolate(m.ones(1, 2, 4), scale_factor=2, mode="bilinear"),
    lambda m: m.nn.functional.interpolate(m.ones(1, 2, 4, 4)),
    lambda m: m.nn.functional.interpolate(m.ones(1, 2, 4, 4), size=3, scale_factor=2),
    lambda m: m.nn.functional.interpolate(m.ones(1, 2, 4, 4), size=3, align_corners=True),
    lambda m: m.nn.functional.interpolate(m.ones(1, 2, 4, 4), size=(3, 3, 3)),
    lambda m: m.nn.functional.interpolate(m.ones(1, 2, 4, 4), scale_factor=(2, 2, 2)),
    lambda m: m.nn.functional.interpolate(m.ones(1, 2, 4, 4), size=3, mode="foo"),
    lambda m: m.nn.functional.interpolate(m.ones(2, 3), size=3),
    lambda m: m.nn.functional.interpolate(m.ones(1, 2, 4, 4), scale_factor=0.1),
    lambda m: m.nn.functional.interpolate(m.ones(1, 2, 4), size=3, recompute_scale_factor=True),
    lambda m: m.nn.functional.pixel_shuffle(m.ones(1, 5, 2, 2), 2),
    lambda m: m.nn.functional.pixel_shuffle(m.ones(5, 2), 2),
    lambda m: m.nn.functional.pixel_unshuffle(m.ones(1, 5, 3, 2), 2),
]


@pytest.mark.parametrize("call", ERRORS)
def test_errors_are_pytorchs_types(call):
    with pytest.raises(Exception) as theirs:
        call(torch)
    with pytest.raises(theirs.type, match="interpolate|pixel_"):
        call(sj)


def test_nearest_keeps_integer_dtypes_and_linear_modes_need_floats():
    x = sj.tensor([[[1, 2]]])
    assert sj.nn.functional.interpolate(x, scale_factor=2).tolist() == [[[1, 1, 2, 2]]]
    with pytest.raises(NotImplementedError, match="linear mode needs floating-point"):
        sj.nn.functional.interpolate(x, scale_factor=2, mode="linear")


def test_compiled_step_resamples_each_batch():
    """The positions and weights are constants of the trace; the input is not."""
    step = sj.compile(lambda x: sj.nn.functional.interpolate(x, scale_factor=2,
                                                             mode="bilinear").sum(dim=(2, 3)))
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = sj.tensor(rng.standard_normal((1, 2, 3, 3)).astype(np.float32))
        expected = sj.nn.functional.interpolate(x, scale_factor=2, mode="bilinear")
        np.testing.assert_allclose(step(x).numpy(), expected.sum(dim=(2, 3)).numpy(),
                                   rtol=1e-5)
