"""A small causal Transformer character model (GPT-style), beside the recurrent ``CharLM``.

Token embedding plus a learned position embedding -> ``num_layers`` pre-norm Transformer
encoder layers under a causal mask (each position sees itself and the positions before it) ->
a final LayerNorm -> Linear to the vocabulary. It has no carried state: it reads windows of at
most ``context`` characters, and sampling feeds it the last ``context`` characters every step.
"""

from __future__ import annotations

from collections.abc import Sequence

from shenjing.autograd.function import ShapeError
from shenjing.autograd.grad_mode import no_grad
from shenjing.autograd.tensor import Tensor
from shenjing.creation import tensor
from shenjing.nn import init
from shenjing.nn.modules.embedding import Embedding
from shenjing.nn.modules.linear import Linear
from shenjing.nn.modules.module import Module
from shenjing.nn.modules.normalization import LayerNorm
from shenjing.nn.modules.transformer import (
    Transformer,
    TransformerEncoder,
    TransformerEncoderLayer,
)


class CharTransformer(Module):
    """Next-character logits from character indices, each position seeing only its past.

    ``forward(x (N, T) int64)`` -> ``logits (N, T, vocab_size)`` for ``T <= context``. The
    layers are ``embedding`` (characters), ``position`` (positions 0 .. context-1), ``encoder``
    (a ``TransformerEncoder`` of ``num_layers`` layers with ``batch_first=True``,
    ``norm_first=True``, ReLU, and the final LayerNorm as its ``norm``) and ``decoder``.
    ``dim_feedforward`` defaults to ``4 * d_model``; ``dropout`` applies inside the layers and
    to the embeddings' sum, in training. In PyTorch the same model is these modules of
    ``torch.nn`` with the same names, so state dicts load both ways.

    >>> import shenjing as sj
    >>> model = CharTransformer(vocab_size=10, d_model=16, nhead=2, num_layers=2, context=8)
    >>> model(sj.zeros(3, 5, dtype=sj.int64)).shape
    (3, 5, 10)
    >>> len(model.sample([1, 2], length=4, generator=0))
    4
    """

    def __init__(self, vocab_size: int, d_model: int = 128, nhead: int = 4,
                 num_layers: int = 2, context: int = 128, dim_feedforward: int | None = None,
                 dropout: float = 0.0) -> None:
        super().__init__()
        if d_model % nhead:
            raise ValueError(f"CharTransformer: d_model ({d_model}) must be divisible by nhead "
                             f"({nhead})")
        if context < 1:
            raise ValueError(f"CharTransformer: context must be at least 1, got {context}")
        self.vocab_size, self.context = vocab_size, context
        self.embedding = Embedding(vocab_size, d_model)
        self.position = Embedding(context, d_model)
        # GPT-2's initialisation: small embeddings, so that at the start no position or
        # character dominates the residual stream that the pre-norm layers add to.
        init.normal_(self.embedding.weight, std=0.02)
        init.normal_(self.position.weight, std=0.02)
        layer = TransformerEncoderLayer(d_model, nhead, dim_feedforward or 4 * d_model,
                                        dropout, activation="relu", batch_first=True,
                                        norm_first=True)
        self.encoder = TransformerEncoder(layer, num_layers, norm=LayerNorm(d_model),
                                          enable_nested_tensor=False)
        self.dropout_p = dropout
        self.decoder = Linear(d_model, vocab_size)

    def forward(self, x: Tensor) -> Tensor:
        if not isinstance(x, Tensor) or x.ndim != 2:
            shape = x.shape if isinstance(x, Tensor) else type(x).__name__
            raise ShapeError(f"CharTransformer: expected character indices of shape (batch, "
                             f"time), got {shape}")
        T = x.shape[1]
        if T > self.context:
            raise ShapeError(f"CharTransformer: {T} characters (shape {x.shape}) do not fit the "
                             f"context of {self.context}")
        # (N, T) -> (N, T, E): a character's embedding plus its position's, (T, E) broadcast
        h = self.embedding(x) + self.position.weight[:T]
        if self.dropout_p > 0.0 and self.training:
            from shenjing.ops.dropout import dropout

            h = dropout(h, self.dropout_p, training=True)
        # The explicit mask as well as the hint: PyTorch's layers need the mask with is_causal.
        mask = Transformer.generate_square_subsequent_mask(T, device=x.device, dtype=h.dtype)
        h = self.encoder(h, mask=mask, is_causal=True)  # (N, T, E), final norm included
        return self.decoder(h)  # (N, T, V)

    @no_grad()
    def sample(self, prime: Sequence[int], length: int, temperature: float = 1.0,
               top_k: int | None = None, generator=None) -> list[int]:
        """``length`` character indices drawn one at a time after the indices ``prime``.

        Each step runs the model on the last ``context`` characters (the prime and what was
        drawn) and draws from the last position's logits, in eval mode and without a graph;
        the arguments are ``CharLM.sample``'s.
        """
        from shenjing.data.dataset import as_generator
        from shenjing.models.charlm import _draw, check_sample_arguments

        prime = list(prime)
        check_sample_arguments("CharTransformer.sample", prime, length, temperature, top_k)
        rng = as_generator(generator)
        device = self.decoder.weight.device
        was_training = self.training
        self.eval()
        try:
            seen, drawn = prime[-self.context:], []
            for _ in range(length):
                logits = self(tensor([seen], dtype="int64", device=device))
                drawn.append(_draw(logits[0, -1], temperature, top_k, rng))
                seen = (seen + drawn[-1:])[-self.context:]
        finally:
            self.train(was_training)
        return drawn

    def extra_repr(self) -> str:
        return f"context={self.context}"
