"""Truncated-BPTT batching: parallel contiguous streams, consecutive chunks, shifted targets."""

import pytest

import shenjing as sj
from shenjing.data import BPTTLoader


def test_streams_continue_exactly_from_chunk_to_chunk():
    sequence = sj.arange(1003)
    loader = BPTTLoader(sequence, batch_size=4, seq_len=32)
    S = (1003 - 1) // 4  # 250 steps a stream
    assert loader.stream_length == S and len(loader) == 8  # 7 full chunks and one of 26
    chunks = list(loader)
    assert len(chunks) == 8
    assert [x.shape for x, _ in chunks] == [(4, 32)] * 7 + [(4, 26)]
    for b in range(4):
        row = sum((x[b].tolist() for x, _ in chunks), [])
        assert row == list(range(b * S, (b + 1) * S))  # stream b, contiguous, in order
        for (x, _), (x_next, _) in zip(chunks, chunks[1:]):
            assert x_next[b, 0].item() == x[b, -1].item() + 1  # picks up where it ended


def test_targets_are_inputs_shifted_by_one():
    text = "to be or not to be, that is the question" * 3
    codes = sj.data.CharVocab.from_text(text).encode(text)
    for x, y in BPTTLoader(codes, batch_size=3, seq_len=7):
        assert x.dtype == sj.int64 and y.shape == x.shape
        assert x[:, 1:].tolist() == y[:, :-1].tolist()
    (x, y), = list(BPTTLoader(sj.arange(10), batch_size=1, seq_len=100))
    assert x.tolist() == [list(range(9))] and y.tolist() == [list(range(1, 10))]


def test_drop_last_and_the_same_order_every_epoch():
    loader = BPTTLoader(sj.arange(101), batch_size=2, seq_len=20, drop_last=True)
    assert len(loader) == 2 and [x.shape for x, _ in loader] == [(2, 20), (2, 20)]
    first = [x.tolist() for x, _ in loader]
    assert [x.tolist() for x, _ in loader] == first


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="too short for 8 streams"):
        BPTTLoader(sj.arange(8), batch_size=8, seq_len=4)
    with pytest.raises(ValueError, match="seq_len"):
        BPTTLoader(sj.arange(8), batch_size=2, seq_len=0)
    with pytest.raises(ValueError, match="1-D"):
        BPTTLoader(sj.arange(8).reshape(2, 4), batch_size=2, seq_len=2)
