"""``sj.summary``'s receptive fields for the layers of issue 14: 1-d chains, and upsampling
layers, past which no field is shown."""

import shenjing as sj


def test_one_dimensional_layers_have_a_one_dimensional_field():
    net = sj.nn.Sequential(sj.nn.Conv1d(1, 4, 5, padding=2), sj.nn.ReLU(), sj.nn.MaxPool1d(2),
                           sj.nn.Conv1d(4, 4, 3, dilation=2), sj.nn.AvgPool1d(3, stride=1))
    result = sj.summary(net, (1, 32))
    assert [r.receptive_field for r in result.rows] == [(5,), None, (6,), (14,), (18,)]
    assert [r.output_shape for r in result.rows][-1] == (-1, 4, 10)
    line = next(line for line in str(result).splitlines() if line.startswith("4 (AvgPool1d)"))
    assert line.endswith(" 18")  # printed as a length, not HxW


def test_upsampling_layers_leave_the_fields_out():
    """Past a transposed convolution one output pixel no longer sees a window of the input."""
    net = sj.nn.Sequential(sj.nn.Conv2d(1, 4, 3, stride=2, padding=1),
                           sj.nn.ConvTranspose2d(4, 1, 3, stride=2, padding=1,
                                                 output_padding=1))
    result = sj.summary(net, (1, 8, 8))
    assert [r.receptive_field for r in result.rows] == [None, None]
    assert [r.output_shape for r in result.rows] == [(-1, 4, 4, 4), (-1, 1, 8, 8)]
    assert "Receptive field" not in str(result)


def test_the_field_follows_the_shared_output_size_formula():
    """Each layer's field is its kernel's extent, D * (K - 1) + 1, times the strides before."""
    net = sj.nn.Sequential(sj.nn.Conv2d(1, 2, (3, 5), stride=(2, 1), dilation=(1, 2)),
                           sj.nn.MaxPool2d(2))
    rows = sj.summary(net, (1, 16, 16)).rows
    assert [r.receptive_field for r in rows] == [(3, 9), (5, 10)]
