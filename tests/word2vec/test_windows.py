"""Context positions: within the drawn span, never across a sentence or the corpus's ends."""

import numpy as np

from shenjing.word2vec.windows import context_positions


def contexts(sentence_ids, centres, spans, window):
    positions, valid = context_positions(np.array(sentence_ids), np.array(centres),
                                         np.array(spans), window)
    return [sorted(row[mask].tolist()) for row, mask in zip(positions, valid)]


def test_contexts_stay_in_the_span_and_the_sentence():
    sentence_ids = [0, 0, 0, 0, 0, 1, 1, 1]
    # Position 2 with span 2 sees 0, 1, 3, 4; with span 1 only 1 and 3.
    assert contexts(sentence_ids, [2, 2], [2, 1], window=2) == [[0, 1, 3, 4], [1, 3]]
    # Position 4 is the last word of sentence 0: nothing from sentence 1.
    assert contexts(sentence_ids, [4], [2], window=2) == [[2, 3]]
    # Position 7 is the corpus's last word; 5 is its sentence's first.
    assert contexts(sentence_ids, [7, 5], [3, 3], window=3) == [[5, 6], [6, 7]]


def test_a_one_word_sentence_has_no_context():
    assert contexts([0, 1, 2], [0, 1, 2], [2, 2, 2], window=2) == [[], [], []]


def test_shape_is_two_windows_wide():
    positions, valid = context_positions(np.zeros(10, dtype=np.int64), np.arange(3, 6),
                                         np.array([3, 3, 3]), window=3)
    assert positions.shape == valid.shape == (3, 6)
    assert positions[0].tolist() == [0, 1, 2, 4, 5, 6] and valid.all()
