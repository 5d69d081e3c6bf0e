"""Context windows over the kept tokens of an epoch, for a run of centre positions at once."""

from __future__ import annotations

from shenjing.backend import array_module


def context_positions(sentence_ids, centres, spans, window: int):
    """The positions of each centre's context words, as a padded matrix and its mask.

    sentence_ids (N,): the sentence of every kept token; centres (B,): positions in 0..N-1;
    spans (B,): each centre's effective window in 1..window. Returns positions (B, 2*window),
    offsets -window..-1, 1..window from the centre (clipped into 0..N-1 where invalid), and
    valid (B, 2*window): the offset is within the span and inside the centre's sentence.
    """
    xp = array_module(sentence_ids)
    offsets = xp.concatenate([xp.arange(-window, 0), xp.arange(1, window + 1)])
    positions = centres[:, None] + offsets
    inside = (positions >= 0) & (positions < len(sentence_ids))
    positions = xp.clip(positions, 0, len(sentence_ids) - 1)
    valid = (inside & (xp.abs(offsets) <= spans[:, None])
             & (sentence_ids[positions] == sentence_ids[centres][:, None]))
    return positions, valid
