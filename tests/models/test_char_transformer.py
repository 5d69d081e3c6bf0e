"""The causal Transformer character model: shapes, causality, PyTorch's twin, training and
sampling."""

import io

import numpy as np
import pytest
import torch

import shenjing as sj
from shenjing.models import CharTransformer, sample_text


def small(**options) -> CharTransformer:
    sj.manual_seed(0)
    settings = {"vocab_size": 11, "d_model": 16, "nhead": 2, "num_layers": 2, "context": 12}
    return CharTransformer(**{**settings, **options})


def test_shapes_and_parameter_names():
    model = small()
    assert model(sj.randint(0, 11, (3, 7))).shape == (3, 7, 11)
    assert model(sj.randint(0, 11, (2, 12))).shape == (2, 12, 11)  # the whole context
    names = list(model.state_dict())
    assert names[:2] == ["embedding.weight", "position.weight"]
    assert "encoder.layers.1.self_attn.in_proj_weight" in names
    assert names[-4:] == ["encoder.norm.weight", "encoder.norm.bias", "decoder.weight",
                          "decoder.bias"]
    layer = model.encoder.layers[0]
    assert layer.norm_first and layer.self_attn.batch_first
    assert layer.linear1.out_features == 64  # 4 x d_model by default
    assert "context=12" in repr(model)


def test_a_later_character_never_changes_an_earlier_logit():
    model = small().eval()
    x = sj.randint(0, 11, (2, 10))
    before = model(x).detach().numpy()
    for k in (0, 4, 9):
        changed = x.numpy().copy()
        changed[:, k] = (changed[:, k] + 1) % 11
        after = model(sj.tensor(changed)).detach().numpy()
        np.testing.assert_array_equal(after[:, :k], before[:, :k])
        assert not np.allclose(after[:, k], before[:, k])  # position k itself does see it


def test_gradients_reach_only_the_past():
    model = small().eval()
    x = sj.randint(0, 11, (1, 8))
    embedded = model.embedding(x).detach().requires_grad_()
    # The model's forward with the embedding lookup replaced by a leaf we can differentiate.
    h = embedded + model.position.weight[:8]
    mask = sj.nn.Transformer.generate_square_subsequent_mask(8)
    logits = model.decoder(model.encoder(h, mask=mask, is_causal=True))
    logits[0, 3].sum().backward()
    moved = np.abs(embedded.grad.numpy()[0]).sum(axis=1)
    assert np.all(moved[4:] == 0) and np.all(moved[:4] > 0)


def torch_twin(model: CharTransformer) -> torch.nn.ModuleDict:
    """The same network from torch.nn's modules, with the model's weights."""
    d_model = model.embedding.embedding_dim
    layer = model.encoder.layers[0]
    twin = torch.nn.ModuleDict({
        "embedding": torch.nn.Embedding(model.vocab_size, d_model),
        "position": torch.nn.Embedding(model.context, d_model),
        "encoder": torch.nn.TransformerEncoder(
            torch.nn.TransformerEncoderLayer(d_model, layer.self_attn.num_heads,
                                             layer.linear1.out_features, 0.0,
                                             batch_first=True, norm_first=True),
            len(model.encoder.layers), norm=torch.nn.LayerNorm(d_model),
            enable_nested_tensor=False),
        "decoder": torch.nn.Linear(d_model, model.vocab_size),
    }).double()
    twin.load_state_dict({k: torch.from_numpy(v.numpy().astype(np.float64))
                          for k, v in model.state_dict().items()})
    return twin


def test_matches_the_same_network_built_from_pytorch_modules():
    model = small()
    model.to(sj.float64)
    twin = torch_twin(model)
    x = np.random.default_rng(0).integers(0, 11, (3, 9))
    ours = model(sj.tensor(x))
    T = x.shape[1]
    tx = torch.from_numpy(x)
    h = twin["embedding"](tx) + twin["position"].weight[:T]
    mask = torch.nn.Transformer.generate_square_subsequent_mask(T, dtype=torch.float64)
    theirs = twin["decoder"](twin["encoder"](h, mask=mask, is_causal=True))
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(),
                               rtol=1e-9, atol=1e-10)
    # Parameter gradients of a random weighting of the logits.
    g = np.random.default_rng(1).standard_normal(theirs.shape)
    (ours * sj.tensor(g)).sum().backward()
    (theirs * torch.from_numpy(g)).sum().backward()
    theirs_grads = dict(twin.named_parameters())
    for name, parameter in model.named_parameters():
        np.testing.assert_allclose(parameter.grad.numpy(), theirs_grads[name].grad.numpy(),
                                   rtol=1e-8, atol=1e-10, err_msg=name)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="divisible by nhead"):
        CharTransformer(5, d_model=10, nhead=4)
    with pytest.raises(ValueError, match="context must be at least 1"):
        CharTransformer(5, context=0)
    with pytest.raises(RuntimeError, match="do not fit the context of 12"):
        small()(sj.zeros(1, 13, dtype=sj.int64))
    with pytest.raises(RuntimeError, match="batch, time"):
        small()(sj.zeros(4, dtype=sj.int64))
    with pytest.raises(ValueError, match="CharTransformer.sample: the prime"):
        small().sample([], 3)
    with pytest.raises(ValueError, match="top_k must be at least 1"):
        small().sample([1], 3, top_k=0)


def test_overfits_a_short_text():
    text = "to be or not to be, that is the question. " * 4
    vocab = sj.data.CharVocab.from_text(text)
    ids = vocab.encode(text)
    model = small(vocab_size=len(vocab), d_model=32, context=16)
    optimizer = sj.optim.Adam(model.parameters(), lr=3e-3)
    windows = sj.stack([ids[i:i + 17] for i in range(0, len(ids) - 17, 5)])
    x, y = windows[:, :-1], windows[:, 1:]
    for _ in range(150):
        loss = sj.train.sequence_cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.2
    # Greedy sampling then recites the text.
    written = sample_text(model, vocab, "to be or ", 24, temperature=0)
    assert written == text[:33]


def test_a_compiled_training_step_equals_the_eager_one():
    losses = []
    for compiled in (False, True):
        model = small(dropout=0.1)
        optimizer = sj.optim.Adam(model.parameters(), lr=1e-2)

        def step(x, y, model=model, optimizer=optimizer):
            loss = sj.train.sequence_cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            return loss.detach()

        run = sj.compile(step) if compiled else step
        sj.manual_seed(5)
        x, y = sj.randint(0, 11, (4, 12)), sj.randint(0, 11, (4, 12))
        losses.append([run(x, y).item() for _ in range(4)])
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-5)
    assert losses[0][-1] < losses[0][0]


def test_state_dict_saves_and_loads():
    model = small().eval()
    x = sj.randint(0, 11, (2, 6))
    buffer = io.BytesIO()
    sj.save(model.state_dict(), buffer)
    buffer.seek(0)
    sj.manual_seed(99)
    again = CharTransformer(11, 16, 2, 2, 12).eval()  # other weights until loaded
    assert not np.allclose(again(x).detach().numpy(), model(x).detach().numpy())
    again.load_state_dict(sj.load(buffer))
    np.testing.assert_array_equal(again(x).detach().numpy(), model(x).detach().numpy())


def test_sampling_is_repeatable_and_reads_only_the_last_context():
    model = small()
    first = model.sample([1, 2, 3], 20, temperature=0.9, top_k=5, generator=7)
    assert first == model.sample([1, 2, 3], 20, temperature=0.9, top_k=5, generator=7)
    assert len(first) == 20 and all(0 <= i < 11 for i in first)
    assert model.training  # sampling puts the mode back
    assert model.sample([1], 0) == []
    # A prime longer than the context: only its last 12 characters count.
    long = [5] * 30 + list(range(11)) + [4]
    assert model.sample(long, 6, temperature=0) == model.sample(long[-12:], 6, temperature=0)


def test_greedy_sampling_is_the_argmax_path():
    model = small().eval()
    seen, path = [3, 1], []
    with sj.no_grad():
        for _ in range(15):
            path.append(int(model(sj.tensor([seen[-12:]]))[0, -1].argmax()))
            seen.append(path[-1])
    assert model.sample([3, 1], 15, temperature=0) == path
