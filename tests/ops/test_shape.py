"""Shape operations through the harness: reshape, permute, expand, cat, split, stack, pad."""

import pytest
import torch

import shenjing as sj
from tests.ops.harness import F, OpSpec, spec_tests

SPECS = [
    OpSpec("reshape", lambda m, x, s: m.reshape(x, s),
           [(F(2, 3, 4), (6, 4)), (F(2, 3, 4), (-1,)), (F(2, 3, 4), (4, -1, 2)), (F(), (1, 1))]),
    OpSpec("reshape:method", lambda m, x: x.reshape(3, 8), [(F(2, 3, 4),)]),
    OpSpec("view", lambda m, x: x.view(-1, 4), [(F(2, 3, 4),)]),
    OpSpec("view:transposed", lambda m, x: x.transpose(0, 1).reshape(-1), [(F(2, 3),)]),
    OpSpec("flatten", lambda m, x, a, b: m.flatten(x, a, b),
           [(F(2, 3, 4), 1, -1), (F(2, 3, 4), 0, 1), (F(2, 3, 4), 0, -1), (F(), 0, -1)]),
    OpSpec("squeeze", lambda m, x, d: m.squeeze(x) if d is None else m.squeeze(x, d),
           [(F(2, 1, 3, 1), None), (F(2, 1, 3, 1), 1), (F(2, 1, 3, 1), -1), (F(2, 1, 3), 0),
            (F(2, 1, 3, 1), (1, 3))]),
    OpSpec("unsqueeze", lambda m, x, d: m.unsqueeze(x, d),
           [(F(2, 3), 0), (F(2, 3), -1), (F(2, 3), 1), (F(), 0)]),
    OpSpec("permute", lambda m, x, d: m.permute(x, d), [(F(2, 3, 4), (2, 0, 1)),
                                                        (F(2, 3, 4), (-1, 0, 1))]),
    OpSpec("permute:method", lambda m, x: x.permute(1, 0), [(F(2, 3),)]),
    OpSpec("transpose", lambda m, x, a, b: m.transpose(x, a, b),
           [(F(2, 3, 4), 0, 2), (F(2, 3, 4), -1, -2), (F(3, 3), 0, 0)]),
    OpSpec("t", lambda m, x: m.t(x), [(F(2, 3),), (F(3),)]),
    OpSpec("T", lambda m, x: x.T, [(F(2, 3),)]),
    OpSpec("mT", lambda m, x: x.mT, [(F(4, 2, 3),)]),
    OpSpec("expand", lambda m, x, s: x.expand(*s),
           [(F(3, 1), (-1, 4)), (F(1, 3), (2, 2, 3)), (F(), (2, 3))]),
    OpSpec("expand_as", lambda m, x, y: x.expand_as(y), [(F(3, 1), F(3, 4, requires_grad=False))]),
    OpSpec("broadcast_to", lambda m, x, s: m.broadcast_to(x, s),
           [(F(3), (2, 3)), (F(2, 1), (2, 5)), (F(2, 3), (2, 3))]),
    OpSpec("cat", lambda m, *xs: m.cat(xs[:-1], xs[-1]),
           [(F(2, 3), F(1, 3), 0), (F(2, 1), F(2, 4), -1), (F(2), F(3), F(1), 0)]),
    OpSpec("concat", lambda m, a, b: m.concat([a, b], 1), [(F(2, 1), F(2, 2))]),
    OpSpec("concatenate", lambda m, a, b: m.concatenate([a, b]), [(F(1, 2), F(2, 2))]),
    OpSpec("stack", lambda m, *xs: m.stack(xs[:-1], xs[-1]),
           [(F(2, 3), F(2, 3), 0), (F(2, 3), F(2, 3), F(2, 3), -1), (F(), F(), 0)]),
    OpSpec("split", lambda m, x, s, d: m.split(x, s, d),
           [(F(5, 2), 2, 0), (F(5, 2), [1, 4], 0), (F(2, 6), 3, 1), (F(3, 4), 4, 0)]),
    OpSpec("split:unused", lambda m, x: x.split(2)[1], [(F(5, 2),)]),
    OpSpec("chunk", lambda m, x, n, d: m.chunk(x, n, d),
           [(F(4, 6), 3, 1), (F(5), 2, 0), (F(5, 3), 4, 0)]),
    OpSpec("pad", lambda m, x, p, mode: m.nn.functional.pad(x, p, mode=mode),
           [(F(2, 3), (1, 2), "constant"), (F(2, 3, 4), (1, 1, 0, 2), "constant"),
            (F(2, 3, 5), (2, 1), "reflect"), (F(2, 3, 4), (1, 2, 2, 1), "replicate"),
            (F(2, 3, 5), (2, 3), "circular"), (F(2, 3, 4, 5), (1, 2, 3, 1), "reflect"),
            (F(2, 3, 4, 5), (2, 1, 1, 2), "circular"), (F(1, 2, 3, 4, 2), (1, 0, 2, 1, 1, 2),
                                                         "replicate")]),
    # Negative widths crop: alone, with padding on the other side, and in every mode.
    OpSpec("pad:negative", lambda m, x, p, mode: m.nn.functional.pad(x, p, mode=mode),
           [(F(2, 3, 5), (-1, -2), "constant"), (F(2, 3, 5), (-1, 2, 1, -2), "constant"),
            (F(2, 3, 5), (-5, 0), "constant"), (F(2, 3, 5), (-1, 3), "reflect"),
            (F(2, 3, 5), (2, -4), "reflect"), (F(2, 3, 5), (-2, 3), "replicate"),
            (F(2, 3, 5), (-6, 3), "replicate"), (F(2, 3, 5), (-1, 2), "circular"),
            (F(2, 3, 5), (2, -1, -1, 1), "circular")]),
    OpSpec("pad:value", lambda m, x: m.nn.functional.pad(x, (1, 1), value=0.5), [(F(2, 3),)]),
]


test_gradcheck, test_matches_torch = spec_tests(SPECS)


PAD_ERRORS = [  # (shape, pad, mode): each raises the exception type PyTorch raises
    ((1, 2, 3), (4, 2), "reflect"),  # reflect padding must be smaller than the dim
    ((1, 2, 3), (3, 0), "reflect"),
    ((1, 2, 3), (4, 0), "circular"),  # wraps around more than once
    ((1, 2, 3), (-1, 4), "circular"),
    ((1, 2, 3), (1, 1, 1, 1, 1, 1), "reflect"),  # non-constant modes pad 1 to 3 trailing dims
    ((1, 1, 2, 3), (1, 1), "replicate"),
    ((1, 2, 3), (-2, -2), "constant"),  # crops more than the dim
    ((1, 2, 3), (-2, -1), "reflect"),  # leaves nothing
    ((1, 2, 3), (1, 1, 1), "constant"),  # odd length
    ((2, 3), (1, 1, 1, 1, 1, 1), "constant"),  # more dims than the input has
    ((1, 2, 3), (1, 1), "foo"),  # unknown mode
    ((1, 2, 3), (1, 1), "reflect", 1.0),  # a value in a mode that copies
]


@pytest.mark.parametrize("case", PAD_ERRORS)
def test_pad_errors_are_pytorchs_types(case):
    shape, widths, mode, *value = case
    kwargs = {"value": value[0]} if value else {}
    with pytest.raises(Exception) as theirs:
        torch.nn.functional.pad(torch.ones(shape), widths, mode=mode, **kwargs)
    with pytest.raises(theirs.type, match="pad"):
        sj.nn.functional.pad(sj.ones(*shape), widths, mode=mode, **kwargs)


def test_pad_value_zero_or_none_is_accepted_in_every_mode():
    x = sj.arange(6.0).reshape(1, 2, 3)
    for value in (None, 0, 0.0):
        assert sj.nn.functional.pad(x, (1, 1), mode="reflect", value=value).shape == (1, 2, 5)
    assert sj.nn.functional.pad(x, (1, 0), value=None)[0, 0, 0].item() == 0.0
