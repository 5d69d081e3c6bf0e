"""A character-level language model (Karpathy's char-rnn): it predicts the next character.

Embedding -> a recurrent stack (LSTM, GRU or Elman RNN) -> dropout -> Linear to the vocabulary.
The model takes and returns its recurrent state, so training can carry the state across chunks
of a long text (truncated backpropagation through time, ``sj.train.fit_sequence``) and sampling
can feed it one character at a time.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy

from shenjing.autograd.function import ShapeError
from shenjing.autograd.grad_mode import no_grad
from shenjing.autograd.tensor import Tensor
from shenjing.creation import tensor
from shenjing.nn.modules.dropout import Dropout
from shenjing.nn.modules.embedding import Embedding
from shenjing.nn.modules.linear import Linear
from shenjing.nn.modules.module import Module
from shenjing.nn.modules.rnn import GRU, LSTM, RNN

CELLS = {"lstm": LSTM, "gru": GRU, "rnn": RNN}


class CharLM(Module):
    """Next-character logits from character indices, with an explicit recurrent state.

    ``forward(x (N, T) int64, state=None)`` -> ``(logits (N, T, vocab_size), state)``; the state
    is ``(h, c)`` for an LSTM and ``h`` for a GRU or RNN, each (num_layers, N, hidden_size), and
    ``None`` means zeros. ``dropout`` applies between recurrent layers and before the output
    layer, in training. The layers are ``embedding``, ``rnn`` (batch first) and ``decoder``.
    PyTorch has no ready-made equivalent; this is the model of its word_language_model example
    (without tied weights) applied to characters.

    >>> import shenjing as sj
    >>> model = CharLM(vocab_size=10, embedding_dim=8, hidden_size=16, num_layers=2)
    >>> logits, (h, c) = model(sj.zeros(3, 5, dtype=sj.int64))
    >>> logits.shape, h.shape
    ((3, 5, 10), (2, 3, 16))
    >>> len(model.sample([1, 2], length=4, generator=0))
    4
    """

    def __init__(self, vocab_size: int, embedding_dim: int = 64, hidden_size: int = 256,
                 num_layers: int = 1, cell: str = "lstm", dropout: float = 0.0) -> None:
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"CharLM: cell must be one of {', '.join(CELLS)}, got {cell!r}")
        self.vocab_size, self.cell = vocab_size, cell
        self.embedding = Embedding(vocab_size, embedding_dim)
        # One layer has nothing to drop between layers (and the layer would warn about it).
        between = dropout if num_layers > 1 else 0.0
        self.rnn = CELLS[cell](embedding_dim, hidden_size, num_layers, batch_first=True,
                               dropout=between)
        self.dropout = Dropout(dropout)
        self.decoder = Linear(hidden_size, vocab_size)

    def forward(self, x: Tensor, state=None):
        if not isinstance(x, Tensor) or x.ndim != 2:
            shape = x.shape if isinstance(x, Tensor) else type(x).__name__
            raise ShapeError(f"CharLM: expected character indices of shape (batch, time), got "
                             f"{shape}")
        # (N, T) -> (N, T, E) -> (N, T, H) -> (N, T, V)
        output, state = self.rnn(self.embedding(x), state)
        return self.decoder(self.dropout(output)), state

    @no_grad()
    def sample(self, prime: Sequence[int], length: int, temperature: float = 1.0,
               top_k: int | None = None, generator=None) -> list[int]:
        """``length`` character indices drawn one at a time after the indices ``prime``.

        The prime runs through the model in one call; then each drawn character is fed back
        with the carried state, in eval mode (no dropout) and without a graph. ``temperature``
        divides the logits (below 1: safer, above 1: wilder; 0 takes the most likely character
        every time), ``top_k`` keeps only the k most likely characters, ``generator`` (an int
        seed, a NumPy Generator, or None for shenjing's seeded generator) makes it repeatable.
        """
        from shenjing.data.dataset import as_generator

        prime = list(prime)
        check_sample_arguments("CharLM.sample", prime, length, temperature, top_k)
        rng = as_generator(generator)
        device = self.decoder.weight.device
        was_training = self.training
        self.eval()
        try:
            logits, state = self(tensor([prime], dtype="int64", device=device))
            drawn: list[int] = []
            for step in range(length):
                drawn.append(_draw(logits[0, -1], temperature, top_k, rng))
                if step + 1 < length:
                    logits, state = self(tensor([[drawn[-1]]], dtype="int64", device=device),
                                         state)
        finally:
            self.train(was_training)
        return drawn


def check_sample_arguments(op: str, prime: list, length: int, temperature: float,
                           top_k: int | None) -> None:
    """The checks every character model's ``sample`` makes, naming ``op``."""
    if not prime:
        raise ValueError(f"{op}: the prime needs at least one character")
    if length < 0:
        raise ValueError(f"{op}: length must be at least 0, got {length}")
    if not temperature >= 0:  # NaN too
        raise ValueError(f"{op}: temperature must be at least 0, got {temperature}")
    if top_k is not None and not 1 <= top_k:
        raise ValueError(f"{op}: top_k must be at least 1, got {top_k}")


def _draw(logits: Tensor, temperature: float, top_k: int | None, rng) -> int:
    """One index from a (V,) row of logits, by inverse transform sampling on the host."""
    # A few dozen numbers: float64 on the CPU, where the generator lives.
    scores = numpy.asarray(logits.tolist(), dtype=numpy.float64)
    if temperature == 0:
        return int(scores.argmax())
    scores = scores / temperature
    if top_k is not None and top_k < scores.size:
        cutoff = numpy.partition(scores, -top_k)[-top_k]
        scores[scores < cutoff] = -numpy.inf
    if not numpy.isfinite(scores.max()):
        raise FloatingPointError(f"sample: the model's scores are not finite "
                                 f"(max {scores.max()}): has training diverged?")
    weights = numpy.exp(scores - scores.max())  # the max subtracted: no overflow
    cumulative = numpy.cumsum(weights)
    index = numpy.searchsorted(cumulative, rng.random() * cumulative[-1], side="right")
    return int(min(index, scores.size - 1))


def sample_text(model: Module, vocab, prime: str, length: int, temperature: float = 1.0,
                top_k: int | None = None, generator=None) -> str:
    """``prime`` followed by ``length`` characters that ``model`` writes after it.

    ``model`` is a ``CharLM`` or a ``CharTransformer`` (anything with their ``sample``);
    ``vocab`` is the model's ``sj.data.CharVocab``; the other arguments are ``CharLM.sample``'s.

    >>> import shenjing as sj
    >>> vocab = sj.data.CharVocab.from_text("abc")
    >>> text = sample_text(CharLM(len(vocab), 4, 8), vocab, "ab", 5, generator=0)
    >>> len(text), text[:2]
    (7, 'ab')
    """
    indices = model.sample(vocab.encode(prime).tolist(), length, temperature, top_k, generator)
    return prime + vocab.decode(indices)
