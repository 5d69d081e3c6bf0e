"""Attention layers and the Transformer against their PyTorch twins: PyTorch's weights loaded
through load_state_dict, then outputs, input gradients and parameter gradients compared."""

import math

import numpy as np
import pytest
import torch

import shenjing as sj

# PyTorch warns about its own fast paths (nested tensors, mixed mask types): not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _copy(ours, theirs):
    ours.load_state_dict({k: sj.tensor(v.detach().numpy()) for k, v in
                          theirs.state_dict().items()})


def _compare(ours, theirs, inputs, kwargs=None, out=lambda y: y, rtol=1e-4, atol=1e-5):
    kwargs = kwargs or {}
    mine = [sj.tensor(x, requires_grad=x.dtype.kind == "f") for x in inputs]
    refs = [torch.tensor(x, requires_grad=x.dtype.kind == "f") for x in inputs]
    y, yt = out(ours(*mine, **kwargs(sj) if callable(kwargs) else kwargs)), \
        out(theirs(*refs, **kwargs(torch) if callable(kwargs) else kwargs))
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=rtol, atol=atol)
    g = np.random.default_rng(1).standard_normal(tuple(yt.shape)).astype(np.float32)
    y.backward(sj.tensor(g))
    yt.backward(torch.tensor(g))
    for a, b in zip(mine, refs):
        if b.grad is not None:
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=rtol, atol=atol)
    theirs_grads = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        if theirs_grads[name].grad is None:  # e.g. out_proj, when only the weights are compared
            assert p.grad is None, name
            continue
        np.testing.assert_allclose(p.grad.numpy(), theirs_grads[name].grad.numpy(),
                                   rtol=rtol, atol=atol, err_msg=name)


def _pair(make):
    torch.manual_seed(0)
    theirs = make(torch)
    ours = make(sj)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    _copy(ours, theirs)
    return ours, theirs


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("need_weights", [True, False])
def test_multihead_attention_matches_torch(batch_first, need_weights):
    ours, theirs = _pair(lambda m: m.nn.MultiheadAttention(8, 2, batch_first=batch_first))
    q, k = (_x(2, 5, 8, seed=1), _x(2, 4, 8, seed=2)) if batch_first else \
        (_x(5, 2, 8, seed=1), _x(4, 2, 8, seed=2))
    _compare(ours, theirs, [q, k, k], {"need_weights": need_weights}, out=lambda r: r[0])
    if need_weights:
        _compare(ours, theirs, [q, k, k], out=lambda r: r[1])


def test_multihead_attention_masks_match_torch():
    ours, theirs = _pair(lambda m: m.nn.MultiheadAttention(6, 3))
    q, k = _x(4, 2, 6, seed=3), _x(5, 2, 6, seed=4)
    padding = np.array([[False, False, True, False, True], [False] * 5])
    attn = np.triu(np.ones((4, 5), dtype=bool), 2)

    def masks(m):
        return {"key_padding_mask": m.tensor(padding), "attn_mask": m.tensor(attn),
                "average_attn_weights": False}

    _compare(ours, theirs, [q, k, k], masks, out=lambda r: r[0])
    _compare(ours, theirs, [q, k, k], masks, out=lambda r: r[1])
    float_mask = _x(2 * 3, 4, 5, seed=5)
    _compare(ours, theirs, [q, k, k], lambda m: {"attn_mask": m.tensor(float_mask)},
             out=lambda r: r[0])


def test_multihead_attention_unbatched_and_other_dims():
    ours, theirs = _pair(lambda m: m.nn.MultiheadAttention(4, 2, kdim=3, vdim=5))
    _compare(ours, theirs, [_x(3, 4), _x(6, 3, seed=1), _x(6, 5, seed=2)], out=lambda r: r[0])
    ours, theirs = _pair(lambda m: m.nn.MultiheadAttention(4, 1, bias=False))
    _compare(ours, theirs, [_x(3, 4), _x(6, 4, seed=1), _x(6, 4, seed=2)], out=lambda r: r[1])


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_encoder_layer_and_encoder_match_torch(norm_first, activation):
    def make(m):
        layer = m.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0,
                                             activation=activation, norm_first=norm_first,
                                             batch_first=True)
        return m.nn.TransformerEncoder(layer, 2, norm=m.nn.LayerNorm(8))

    ours, theirs = _pair(make)
    padding = np.array([[False, False, False, True], [False] * 4])
    _compare(ours, theirs, [_x(2, 4, 8)],
             lambda m: {"mask": m.nn.Transformer.generate_square_subsequent_mask(4),
                        "src_key_padding_mask": m.tensor(padding)})


def test_decoder_and_transformer_match_torch():
    def make(m):
        return m.nn.Transformer(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=2,
                                dim_feedforward=12, dropout=0.0)

    ours, theirs = _pair(make)
    src, tgt = _x(5, 2, 8, seed=1), _x(3, 2, 8, seed=2)
    _compare(ours, theirs, [src, tgt],
             lambda m: {"tgt_mask": m.nn.Transformer.generate_square_subsequent_mask(3)},
             rtol=2e-4, atol=2e-5)


def test_causal_mask_and_errors():
    mask = sj.nn.Transformer.generate_square_subsequent_mask(3)
    expected = torch.nn.Transformer.generate_square_subsequent_mask(3)
    np.testing.assert_array_equal(mask.numpy(), expected.numpy())
    with pytest.raises(ValueError, match="divisible"):
        sj.nn.MultiheadAttention(6, 4)
    mha = sj.nn.MultiheadAttention(4, 2)
    with pytest.raises(RuntimeError, match="attn_mask"):
        mha(sj.ones(3, 1, 4), sj.ones(5, 1, 4), sj.ones(5, 1, 4), attn_mask=sj.ones(3, 3))
    with pytest.raises(RuntimeError):
        sj.nn.functional.scaled_dot_product_attention(sj.ones(2, 3), sj.ones(2, 4), sj.ones(2, 4))


def test_is_causal_equals_the_explicit_mask():
    layer = sj.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0)
    x = sj.randn(4, 1, 8)
    mask = sj.nn.Transformer.generate_square_subsequent_mask(4)
    with sj.no_grad():
        np.testing.assert_allclose(layer(x, src_mask=mask).numpy(),
                                   layer(x, is_causal=True).numpy(), rtol=1e-6, atol=1e-7)


def test_dropout_in_attention_draws_from_the_seed():
    mha = sj.nn.MultiheadAttention(4, 2, dropout=0.5)
    x = sj.randn(3, 2, 4)
    sj.manual_seed(7)
    a = mha(x, x, x)[1]
    sj.manual_seed(7)
    b = mha(x, x, x)[1]
    assert a.tolist() == b.tolist()
    mha.eval()  # no dropout: the weights of each query sum to 1
    np.testing.assert_allclose(mha(x, x, x)[1].detach().sum(-1).numpy(), 1.0, rtol=1e-6)
    assert not math.isnan(a.sum().item())
