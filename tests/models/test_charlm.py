"""The character language model: shapes, state carried across calls, and sampling."""

import warnings

import numpy as np
import pytest

import shenjing as sj
from shenjing.models import CharLM, sample_text


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_shapes_and_state_of_every_cell(cell):
    model = CharLM(vocab_size=11, embedding_dim=6, hidden_size=8, num_layers=2, cell=cell)
    logits, state = model(sj.randint(0, 11, (3, 5)))
    assert logits.shape == (3, 5, 11)
    states = state if cell == "lstm" else (state,)
    assert len(states) == (2 if cell == "lstm" else 1)
    assert all(s.shape == (2, 3, 8) for s in states)
    assert type(model.rnn).__name__ == {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN"}[cell]


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_carrying_the_state_equals_one_long_call(cell):
    model = CharLM(9, 4, 8, num_layers=2, cell=cell).eval()
    x = sj.randint(0, 9, (2, 12))
    whole, _ = model(x)
    first, state = model(x[:, :5])
    second, _ = model(x[:, 5:], state)
    np.testing.assert_allclose(sj.cat([first, second], dim=1).detach().numpy(),
                               whole.detach().numpy(),
                               rtol=1e-5, atol=1e-6)


def test_dropout_sits_between_layers_and_before_the_output():
    deep = CharLM(5, 4, 8, num_layers=2, dropout=0.3)
    assert deep.rnn.dropout == 0.3 and deep.dropout.p == 0.3
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # one layer: no "dropout between layers" warning
        shallow = CharLM(5, 4, 8, num_layers=1, dropout=0.3)
    assert shallow.rnn.dropout == 0.0 and shallow.dropout.p == 0.3


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="cell must be one of lstm, gru, rnn"):
        CharLM(5, cell="transformer")
    with pytest.raises(ValueError, match="batch, time"):
        CharLM(5, 4, 8)(sj.zeros(4, dtype=sj.int64))
    with pytest.raises(ValueError, match="at least one character"):
        CharLM(5, 4, 8).sample([], 3)


def greedy_path(model, prime, length):
    """The argmax continuation, one step at a time, written out by hand."""
    model.eval()
    with sj.no_grad():
        logits, state = model(sj.tensor([prime]))
        path = []
        for _ in range(length):
            path.append(int(logits[0, -1].argmax()))
            logits, state = model(sj.tensor([[path[-1]]]), state)
    return path


def test_sampling_is_reproducible_with_a_seed():
    model = CharLM(7, 4, 16)
    first = model.sample([1, 2, 3], 40, temperature=1.0, generator=123)
    assert model.sample([1, 2, 3], 40, temperature=1.0, generator=123) == first
    assert model.sample([1, 2, 3], 40, temperature=1.0, generator=124) != first
    assert len(first) == 40 and all(0 <= i < 7 for i in first)
    sj.manual_seed(5)
    again = model.sample([1], 20)
    sj.manual_seed(5)
    assert model.sample([1], 20) == again  # None: shenjing's seeded generator


def test_temperature_towards_zero_takes_the_argmax_path():
    model = CharLM(7, 4, 16, num_layers=2, dropout=0.5)
    expected = greedy_path(model, [0, 4], 30)
    assert model.sample([0, 4], 30, temperature=0) == expected
    assert model.sample([0, 4], 30, temperature=1e-6, generator=1) == expected
    assert model.sample([0, 4], 30, top_k=1, generator=2) == expected


def test_top_k_draws_only_from_the_k_most_likely():
    model = CharLM(20, 4, 16)
    with sj.no_grad():
        logits, _ = model.eval()(sj.tensor([[3]]))
    top3 = set(np.argsort(logits[0, -1].numpy())[-3:].tolist())
    firsts = {model.sample([3], 1, temperature=2.0, top_k=3, generator=seed)[0]
              for seed in range(60)}
    assert firsts <= top3 and len(firsts) > 1


def test_sampling_builds_no_graph_and_keeps_the_mode():
    model = CharLM(7, 4, 16, dropout=0.5).train()
    model.sample([1, 2], 10, generator=0)
    assert model.training
    assert all(p.grad is None for p in model.parameters())
    model.eval().sample([1], 3, generator=0)
    assert not model.training


def test_sample_text_starts_with_the_prime():
    vocab = sj.data.CharVocab.from_text("ROMEO: JULIET.\n")
    text = sample_text(CharLM(len(vocab), 4, 8), vocab, "ROMEO:", 25, temperature=0.8,
                       generator=0)
    assert text.startswith("ROMEO:") and len(text) == 31 and set(text) <= set(vocab.chars)
    with pytest.raises(ValueError, match="'Z' at position 0"):
        sample_text(CharLM(len(vocab), 4, 8), vocab, "Z", 5)
