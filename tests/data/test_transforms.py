"""Transforms: values against PyTorch's formulas, randomness under seeds, and the batched forms
agreeing with per-sample calls."""

import numpy as np
import pytest
import torch

import shenjing as sj
from shenjing.data.transforms import (
    Compose,
    Flatten,
    Lambda,
    Normalize,
    RandomHorizontalFlip,
    ToFloat,
)


def test_to_float_scales_uint8_like_torchvision():
    x = np.arange(256, dtype=np.uint8).reshape(16, 16)
    y = ToFloat()(sj.from_numpy(x))
    assert y.dtype == sj.float32
    # torchvision's ConvertImageDtype(torch.float32) is x.float() / 255
    np.testing.assert_allclose(y.numpy(), (torch.from_numpy(x).float() / 255).numpy(), rtol=1e-7)
    assert ToFloat(sj.float64)(sj.from_numpy(x)).dtype == sj.float64


def test_to_float_other_types():
    assert ToFloat()(sj.tensor([0, 32767], dtype=sj.int16)).tolist() == [0.0, 1.0]
    assert ToFloat()(sj.tensor([True, False])).tolist() == [1.0, 0.0]
    assert ToFloat()(sj.tensor([0.25, 2.0], dtype=sj.float64)).dtype == sj.float32
    assert ToFloat()(np.array([0, 255], np.uint8)).tolist() == [0.0, 1.0]  # arrays are accepted
    with pytest.raises(TypeError, match="floating-point"):
        ToFloat(sj.int32)
    with pytest.raises(TypeError, match="expected a tensor"):
        ToFloat()([1, 2])


def test_normalize_per_channel_equals_torch():
    x = np.random.default_rng(0).random((3, 4, 5), dtype=np.float32)
    mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
    y = Normalize(mean, std)(sj.from_numpy(x))
    t = torch.from_numpy(x)
    expected = (t - torch.tensor(mean).view(3, 1, 1)) / torch.tensor(std).view(3, 1, 1)
    np.testing.assert_allclose(y.numpy(), expected.numpy(), rtol=1e-6)
    assert y.dtype == sj.float32


def test_normalize_grey_images_and_batches():
    x = sj.rand(28, 28)
    y = Normalize((0.1307,), (0.3081,))(x)
    np.testing.assert_allclose(y.numpy(), (x.numpy() - 0.1307) / 0.3081, rtol=1e-6)
    batch = sj.rand(5, 28, 28)  # grey images stacked: no channel dim in the samples
    yb = Normalize(0.1307, 0.3081).batched(batch)
    np.testing.assert_allclose(yb.numpy(), (batch.numpy() - 0.1307) / 0.3081, rtol=1e-6)
    rgb = sj.rand(5, 3, 2, 2)
    norm = Normalize([0.1, 0.2, 0.3], [1.0, 2.0, 4.0])
    per_sample = np.stack([norm(rgb[i]).numpy() for i in range(5)])
    np.testing.assert_allclose(norm.batched(rgb).numpy(), per_sample, rtol=1e-6)


def test_normalize_errors():
    with pytest.raises(ValueError, match="expected 3 channels in dim -3"):
        Normalize([0.5] * 3, [0.5] * 3)(sj.rand(4, 2, 2))
    with pytest.raises(ValueError, match="no channel dim"):
        Normalize([0.5] * 3, [0.5] * 3)(sj.rand(2, 2))
    with pytest.raises(TypeError, match="apply ToFloat"):
        Normalize(0.5, 0.5)(sj.zeros(2, 2, dtype=sj.uint8))
    with pytest.raises(ValueError, match="non-zero"):
        Normalize(0.5, 0.0)
    with pytest.raises(ValueError, match="one value per channel"):
        Normalize([0.5, 0.5], [0.5])


def test_flip_mirrors_the_width():
    x = sj.arange(12).reshape(1, 3, 4)
    assert np.array_equal(RandomHorizontalFlip(p=1.0)(x).numpy(), x.numpy()[..., ::-1])
    assert RandomHorizontalFlip(p=0.0)(x) is x
    hwc = sj.arange(24).reshape(2, 4, 3)  # channels last: flip dim -2, not the channels
    flipped = RandomHorizontalFlip(p=1.0, dim=-2)(hwc)
    assert np.array_equal(flipped.numpy(), hwc.numpy()[:, ::-1, :])
    with pytest.raises(ValueError, match="p must be in"):
        RandomHorizontalFlip(p=1.5)


def flips(transform, n=200):
    x = sj.tensor([[0, 1]])
    return [transform(x).tolist() == [[1, 0]] for _ in range(n)]


def test_flip_is_random_with_probability_p_and_follows_manual_seed():
    sj.manual_seed(0)
    a = flips(RandomHorizontalFlip(p=0.3), 2000)
    sj.manual_seed(0)
    b = flips(RandomHorizontalFlip(p=0.3), 2000)
    assert a == b
    assert 0.25 < np.mean(a) < 0.35
    sj.manual_seed(1)
    assert flips(RandomHorizontalFlip(p=0.3), 2000) != a


def test_flip_with_its_own_generator():
    a = flips(RandomHorizontalFlip(generator=11))
    b = flips(RandomHorizontalFlip(generator=11))
    c = flips(RandomHorizontalFlip(generator=12))
    assert a == b and a != c


def test_batched_flip_tosses_one_coin_per_sample_like_per_sample_calls():
    batch = sj.randn(64, 3, 4, 4)
    flip = RandomHorizontalFlip(generator=3)
    per_sample = np.stack([flip(batch[i]).numpy() for i in range(64)])
    batched = RandomHorizontalFlip(generator=3).batched(batch)
    assert np.array_equal(batched.numpy(), per_sample)
    changed = [not np.array_equal(per_sample[i], batch[i].numpy()) for i in range(64)]
    assert 10 < sum(changed) < 54


def test_flatten():
    assert Flatten()(sj.zeros(28, 28)).shape == (784,)
    assert Flatten(start_dim=1)(sj.zeros(3, 4, 5)).shape == (3, 20)
    assert Flatten().batched(sj.zeros(8, 28, 28)).shape == (8, 784)
    assert Flatten(start_dim=1).batched(sj.zeros(8, 3, 4, 5)).shape == (8, 3, 20)


def test_compose_applies_in_order():
    t = Compose([ToFloat(), Normalize(0.5, 0.5), Flatten()])
    y = t(sj.tensor([[0, 255]], dtype=sj.uint8))
    assert y.tolist() == [-1.0, 1.0]
    assert t.batched(sj.tensor([[[0, 255]]], dtype=sj.uint8)).tolist() == [[-1.0, 1.0]]
    assert "Normalize(mean=[0.5], std=[0.5])" in repr(t)


def test_compose_is_batched_only_when_every_step_is():
    assert hasattr(Compose([ToFloat(), Flatten()]), "batched")
    assert not hasattr(Compose([ToFloat(), Lambda(lambda x: x)]), "batched")
    with pytest.raises(TypeError, match="not callable"):
        Compose([ToFloat(), 3])


def test_lambda():
    assert Lambda(lambda y: y * 2)(sj.tensor([1, 2])).tolist() == [2, 4]
    with pytest.raises(TypeError, match="callable"):
        Lambda(3)


def test_random_crop_shifts_within_the_padding():
    from shenjing.data.transforms import RandomCrop

    sj.manual_seed(0)
    image = sj.arange(1.0, 3 * 8 * 8 + 1).reshape(3, 8, 8)
    crop = RandomCrop(8, padding=2)
    seen = set()
    for _ in range(30):
        out = crop(image).numpy()
        assert out.shape == (3, 8, 8)
        # The crop is the image shifted: find the shift from where pixel (0, 0) landed.
        ys, xs = np.nonzero(out[0] == 1.0)
        if len(ys):
            seen.add((int(ys[0]), int(xs[0])))
            dy, dx = int(ys[0]), int(xs[0])
            np.testing.assert_array_equal(out[:, dy:, dx:], image.numpy()[:, :8 - dy, :8 - dx])
    assert len(seen) > 3


def test_random_crop_pads_with_one_fill_per_channel():
    """Normalised images pad with each channel's black, (0 - mean) / std, not with zeros."""
    from shenjing.data.transforms import RandomCrop

    sj.manual_seed(2)
    black = [-0.5, -1.0, -2.0]
    batch = sj.ones(64, 3, 4, 4)
    out = RandomCrop(4, padding=2, fill=black).batched(batch).numpy()
    single = RandomCrop(4, padding=2, fill=black)(batch[0]).numpy()
    for crops in (out, single[None]):
        for channel, value in enumerate(black):
            values = set(np.unique(crops[:, channel]))
            assert values <= {1.0, value}, (channel, values)
    # Some crop reaches into the padding of every channel.
    assert all((out[:, c] == v).any() for c, v in enumerate(black))
    whole = RandomCrop(6, padding=1, fill=7.0)(sj.ones(1, 4, 4)).numpy()[0]  # all of the frame
    assert (whole[1:-1, 1:-1] == 1.0).all() and whole.sum() == 16 + 7.0 * 20
    with pytest.raises(ValueError, match="fill has 2 values for images of shape"):
        RandomCrop(4, padding=1, fill=[0.0, 1.0])(sj.ones(3, 4, 4))


def test_random_crop_batched_crops_each_sample_at_its_own_offset():
    from shenjing.data.transforms import RandomCrop

    sj.manual_seed(1)
    batch = sj.arange(1.0, 1 + 16 * 2 * 6 * 6).reshape(16, 2, 6, 6)
    out = RandomCrop(4, padding=1).batched(batch)
    assert out.shape == (16, 2, 4, 4)
    padded = np.pad(batch.numpy(), ((0, 0), (0, 0), (1, 1), (1, 1)))
    offsets = set()
    for i in range(16):
        windows = [(t, l) for t in range(5) for l in range(5)
                   if np.array_equal(padded[i, :, t:t + 4, l:l + 4], out.numpy()[i])]
        assert windows, f"sample {i} is not a crop of its padded image"
        offsets.add(windows[0])
    assert len(offsets) > 4
    with pytest.raises(ValueError, match="does not fit"):
        RandomCrop(10)(sj.zeros(3, 8, 8))
