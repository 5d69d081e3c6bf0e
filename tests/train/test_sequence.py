"""Truncated BPTT: the state carries across chunks, is detached between them and reset at each
epoch; a small LSTM overfits a repeated text; checkpoints, early stopping, bits per character."""

import math

import pytest

import shenjing as sj
from shenjing.data import BPTTLoader, CharVocab
from shenjing.models import CharLM
from shenjing.train import (
    EarlyStopping,
    ModelCheckpoint,
    NonFiniteLossError,
    detach_state,
    evaluate_sequence,
    fit_sequence,
    sequence_cross_entropy,
)

TEXT = "the quick brown fox jumps over the lazy dog. " * 12


def batches(text=TEXT, batch_size=4, seq_len=16):
    vocab = CharVocab.from_text(text)
    return vocab, BPTTLoader(vocab.encode(text), batch_size, seq_len)


class Recorder(sj.nn.Module):
    """A CharLM that records the state it is given and the state it returns at each call."""

    def __init__(self, vocab_size):
        super().__init__()
        self.lm = CharLM(vocab_size, 8, 16)
        self.given, self.returned = [], []

    def forward(self, x, state=None):
        self.given.append(state)
        logits, new_state = self.lm(x, state)
        self.returned.append(new_state)
        return logits, new_state


def graph_size(tensor):
    """How many nodes backward would visit from ``tensor``."""
    seen, stack = set(), [tensor.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        stack.extend(parent for parent, _ in node.next_functions)
    return len(seen)


def test_state_is_carried_detached_and_reset_each_epoch():
    vocab, loader = batches()
    model = Recorder(len(vocab))
    chunks = len(loader)
    fit_sequence(model, loader, optimizer=sj.optim.Adam(model.parameters(), lr=1e-2),
                 epochs=2, verbose=False)
    assert len(model.given) == 2 * chunks
    for epoch in range(2):
        assert model.given[epoch * chunks] is None  # a fresh state at each epoch
        for step in range(epoch * chunks + 1, (epoch + 1) * chunks):
            h, c = model.given[step]
            previous_h, previous_c = model.returned[step - 1]
            # the values of the previous chunk's final state ...
            assert h.tolist() == previous_h.tolist() and c.tolist() == previous_c.tolist()
            # ... cut from its graph: nothing flows back into the previous chunk
            assert h.grad_fn is None and not h.requires_grad
            assert c.grad_fn is None and not c.requires_grad
            assert previous_h.grad_fn is not None  # it was produced by a graph


def test_the_graph_never_grows_past_one_chunk():
    vocab, loader = batches(seq_len=12)
    sizes = []

    def loss(logits, target):
        value = sequence_cross_entropy(logits, target)
        sizes.append(graph_size(value))
        return value

    model = CharLM(len(vocab), 8, 16, num_layers=2)
    fit_sequence(model, loader, optimizer=sj.optim.SGD(model.parameters(), lr=0.1),
                 loss=loss, epochs=1, verbose=False)
    full = sizes[: len(loader) - 1]  # the last chunk may be shorter
    assert len(set(full)) == 1  # chunk 1 and chunk 20 have the same graph
    assert sizes[0] == sizes[1]  # a carried state adds no node


def test_a_small_lstm_overfits_a_repeated_text():
    sj.manual_seed(0)
    vocab, loader = batches(batch_size=4, seq_len=24)
    model = CharLM(len(vocab), 16, 64)
    uniform = math.log(len(vocab))
    history = fit_sequence(model, loader, loader,
                           optimizer=sj.optim.Adam(model.parameters(), lr=1e-2), epochs=25,
                           clip_grad_norm=5.0, verbose=False)
    assert history["loss"][0] > 0.6 * uniform
    assert history["loss"][-1] < 0.1 * uniform
    assert history["val_loss"][-1] < 0.1 * uniform
    assert history["val_bpc"][-1] == pytest.approx(history["val_loss"][-1] / math.log(2))
    # it has learned the sentence: the argmax continuation of "the quick " is the text itself
    prime = "the quick "
    continuation = vocab.decode(model.sample(vocab.encode(prime).tolist(), 30, temperature=0))
    assert continuation == TEXT[len(prime):len(prime) + 30]


def test_evaluate_sequence_in_nats_and_bits():
    vocab, loader = batches()
    model = CharLM(len(vocab), 8, 16)
    with sj.no_grad():
        model.decoder.weight.fill_(0.0)
        model.decoder.bias.fill_(0.0)
    scores = evaluate_sequence(model, loader)  # every character equally likely
    assert scores["loss"] == pytest.approx(math.log(len(vocab)), rel=1e-5)
    assert scores["bpc"] == pytest.approx(math.log2(len(vocab)), rel=1e-5)
    assert model.training  # the mode is given back


def test_checkpoint_of_the_best_validation_loss_and_early_stopping(tmp_path):
    vocab, loader = batches()
    model = CharLM(len(vocab), 8, 16)
    optimizer = sj.optim.Adam(model.parameters(), lr=1e-2)
    checkpoint = ModelCheckpoint(tmp_path / "best.safetensors", "val_loss")
    history = fit_sequence(model, loader, loader, optimizer=optimizer, epochs=4,
                           callbacks=[checkpoint], verbose=False)
    saved = sj.load(tmp_path / "best.safetensors")
    best = min(history["val_loss"])
    assert saved["val_loss"] == pytest.approx(best)
    assert saved["epoch"] == history.epochs[history["val_loss"].index(best)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best.safetensors"]  # atomic

    # No learning at all (lr 0): the validation loss never improves, so patience runs out.
    frozen = sj.optim.SGD(model.parameters(), lr=0.0)
    stopper = EarlyStopping("val_loss", patience=2)
    history = fit_sequence(model, loader, loader, optimizer=frozen, epochs=10,
                           callbacks=[stopper], verbose=False)
    assert len(history.epochs) == 3 and stopper.stopped_epoch == 3


def test_a_scheduler_stepped_after_every_chunk():
    vocab, train = batches()
    model = CharLM(len(vocab), 8, 16)
    optimizer = sj.optim.Adam(model.parameters(), lr=0.01)
    steps = 3 * len(train)
    scheduler = sj.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
    history = fit_sequence(model, train, optimizer=optimizer, epochs=3, scheduler=scheduler,
                           scheduler_interval="step", verbose=False)
    expected = [0.005 * (1 + math.cos(math.pi * k * len(train) / steps)) for k in (1, 2, 3)]
    assert history["lr"] == pytest.approx(expected)


def test_a_non_finite_loss_names_the_epoch_and_step():
    vocab, loader = batches()
    model = CharLM(len(vocab), 8, 16)
    calls = []

    def exploding(logits, target):
        calls.append(1)
        value = sequence_cross_entropy(logits, target)
        return value * math.inf if len(calls) == 3 else value

    with pytest.raises(NonFiniteLossError, match="epoch 1, step 3"):
        fit_sequence(model, loader, optimizer=sj.optim.SGD(model.parameters(), lr=0.1),
                     loss=exploding, verbose=False)


def test_the_model_must_return_output_and_state():
    _, loader = batches()
    plain = sj.nn.Sequential(sj.nn.Embedding(40, 4))
    with pytest.raises(TypeError):
        fit_sequence(plain, loader, optimizer=sj.optim.SGD(plain.parameters(), lr=0.1),
                     verbose=False)


def test_detach_state_keeps_the_structure():
    h = sj.ones(2, requires_grad=True) * 3
    detached = detach_state((h, [h, None]))
    assert isinstance(detached, tuple) and isinstance(detached[1], list)
    assert not detached[0].requires_grad and detached[1][1] is None
    assert detach_state(None) is None
    with pytest.raises(TypeError, match="detach_state"):
        detach_state({"h": h})
