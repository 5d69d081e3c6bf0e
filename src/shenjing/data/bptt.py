"""Batches for truncated backpropagation through time over one long sequence.

A recurrent language model reads a corpus as ``batch_size`` parallel streams and carries its
state from one chunk of a stream to the next, so it learns dependencies longer than a chunk while
gradients flow back only through the current chunk (Williams & Peng 1990; the ``batchify`` and
``get_batch`` of PyTorch's word_language_model example).
"""

from __future__ import annotations

from shenjing.autograd.tensor import Tensor


class BPTTLoader:
    """Consecutive ``(input, target)`` chunks of ``batch_size`` parallel contiguous streams.

    The sequence (L,) is cut into ``batch_size`` streams of ``S = (L - 1) // batch_size`` steps:
    stream ``b`` reads ``sequence[b*S : (b+1)*S]`` (the few steps left over at the end are
    dropped). Iterating yields chunks of shape ``(batch_size, seq_len)`` (batch first; the last
    chunk is shorter unless ``drop_last``), the target being the input shifted by one step. Row
    ``b`` of chunk ``k + 1`` continues exactly where row ``b`` of chunk ``k`` ended, so a model
    that carries its state from chunk to chunk reads each stream without a gap. The order never
    changes between epochs: shuffling would break the streams.

    >>> import shenjing as sj
    >>> loader = BPTTLoader(sj.arange(11), batch_size=2, seq_len=3)
    >>> [(x.tolist(), y.tolist()) for x, y in loader]
    [([[0, 1, 2], [5, 6, 7]], [[1, 2, 3], [6, 7, 8]]), ([[3, 4], [8, 9]], [[4, 5], [9, 10]])]
    """

    def __init__(self, sequence: Tensor, batch_size: int, seq_len: int,
                 drop_last: bool = False) -> None:
        if not isinstance(sequence, Tensor) or sequence.ndim != 1:
            shape = sequence.shape if isinstance(sequence, Tensor) else type(sequence).__name__
            raise ValueError(f"BPTTLoader: expected a 1-D tensor of token indices, got {shape}")
        for name, value in (("batch_size", batch_size), ("seq_len", seq_len)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"BPTTLoader: {name} must be an integer of at least 1, got "
                                 f"{value!r}")
        steps = (len(sequence) - 1) // batch_size
        if steps < 1:
            raise ValueError(f"BPTTLoader: a sequence of {len(sequence)} tokens is too short for "
                             f"{batch_size} streams (each needs at least 2 tokens)")
        used = batch_size * steps
        # (L,) -> (batch_size, S): row b is stream b; targets are the same streams one step on.
        self.inputs = sequence[:used].reshape(batch_size, steps)
        self.targets = sequence[1:used + 1].reshape(batch_size, steps)
        self.batch_size, self.seq_len, self.drop_last = batch_size, seq_len, drop_last

    @property
    def stream_length(self) -> int:
        """Steps per stream, ``S``."""
        return self.inputs.shape[1]

    def __len__(self) -> int:
        """Chunks per pass."""
        full, rest = divmod(self.stream_length, self.seq_len)
        return full + (1 if rest and not self.drop_last else 0)

    def __iter__(self):
        for start in range(0, len(self) * self.seq_len, self.seq_len):
            stop = start + self.seq_len
            yield self.inputs[:, start:stop], self.targets[:, start:stop]

    def __repr__(self) -> str:
        return (f"BPTTLoader({self.batch_size} streams of {self.stream_length} steps, "
                f"seq_len={self.seq_len}, {len(self)} chunks)")
