"""``Word2Vec``: learn word vectors from sentences by skip-gram or CBOW with negative sampling.

An epoch subsamples frequent words, draws every token's window, then walks the kept tokens in
order, ``batch_words`` centre words at a time: their (context, centre) pairs (skip-gram) or
(context mean, centre) examples (CBOW), each with ``negative`` noise words, make one vectorised
SGD step (``training.py``). The learning rate falls linearly from ``alpha`` to ``min_alpha``
over all epochs. Settings and their defaults are gensim's, whose ``Word2Vec`` this mirrors.
"""

from __future__ import annotations

from collections.abc import Sequence

from shenjing.backend import CPU, as_device, module_for, to_device
from shenjing.word2vec import sampling
from shenjing.word2vec.keyed_vectors import KeyedVectors
from shenjing.word2vec.training import cbow_step, skipgram_step
from shenjing.word2vec.vocab import Vocabulary, keep_probabilities, noise_distribution
from shenjing.word2vec.windows import context_positions

MODELS = ("skipgram", "cbow")


class Word2Vec:
    """Word vectors trained by skip-gram or CBOW with negative sampling; equivalent of gensim's
    ``Word2Vec(sg=1 or 0, hs=0, negative=5, cbow_mean=1)``.

    With ``sentences`` (lists of words, e.g. from ``read_corpus``) it builds the vocabulary and
    trains at once; otherwise call ``build_vocab`` then ``train``. The vectors are in ``wv``.

    The settings are gensim's (``vector_size``, ``window``, ``negative``, ``min_count``,
    ``sample``, ``alpha``, ``min_alpha``, ``epochs``, ``seed``, ``ns_exponent``) plus two of the
    vectorised step: ``batch_words`` centre words make one update, and a word updated more than
    ``repeat_cap`` times in that update moves by the mean of its updates times ``repeat_cap``
    instead of their sum (``training.repeat_scale``; None turns this off). With the defaults,
    tiny-shakespeare's vectors agree with gensim's as closely as gensim's agree across seeds.
    ``device`` places the training arrays (``"cuda"``: CuPy); ``wv`` always lives on the CPU.

    >>> sentences = [["the", "cat", "sat"], ["the", "dog", "sat"]] * 50
    >>> model = Word2Vec(sentences, vector_size=8, min_count=1, epochs=2)
    >>> model.wv.vectors.shape, model.wv.index_to_key[0]
    ((4, 8), 'the')
    """

    def __init__(self, sentences: Sequence[list[str]] | None = None, *,
                 model: str = "skipgram", vector_size: int = 100, window: int = 5,
                 negative: int = 5, min_count: int = 5, sample: float = 1e-3,
                 alpha: float = 0.025, min_alpha: float = 0.0001, epochs: int = 5,
                 seed: int = 1, ns_exponent: float = 0.75, batch_words: int = 512,
                 repeat_cap: float | None = 64, device=None):
        if model not in MODELS:
            raise ValueError(f"Word2Vec: model must be one of {', '.join(MODELS)}, got {model!r}")
        for name, value in (("vector_size", vector_size), ("window", window),
                            ("negative", negative), ("min_count", min_count),
                            ("epochs", epochs), ("batch_words", batch_words)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"Word2Vec: {name} must be an integer of at least 1, "
                                 f"got {value!r}")
        if repeat_cap is not None and not repeat_cap > 0:
            raise ValueError(f"Word2Vec: repeat_cap must be above 0 or None, got {repeat_cap}")
        if not 0.0 <= sample < 1.0:
            raise ValueError(f"Word2Vec: sample must be in [0, 1), got {sample}")
        if not 0.0 <= min_alpha <= alpha:
            raise ValueError(f"Word2Vec: need 0 <= min_alpha <= alpha, got alpha={alpha}, "
                             f"min_alpha={min_alpha}")
        self.model, self.vector_size, self.window = model, vector_size, window
        self.negative, self.min_count, self.sample = negative, min_count, sample
        self.alpha, self.min_alpha, self.epochs, self.seed = alpha, min_alpha, epochs, seed
        self.ns_exponent, self.batch_words = ns_exponent, batch_words
        self.repeat_cap = repeat_cap
        self.device = as_device(device)
        self.vocab: Vocabulary | None = None
        self.wv: KeyedVectors | None = None
        self.losses: list[float] = []  # mean loss per example, one entry per epoch trained
        if sentences is not None:
            self.build_vocab(sentences)
            self.train(sentences)

    def build_vocab(self, sentences: Sequence[list[str]]) -> None:
        """Count the words, keep those seen ``min_count`` times, and draw fresh vectors."""
        if iter(sentences) is sentences:
            raise TypeError("Word2Vec: sentences must be a sequence (e.g. a list of token lists),"
                            " read once for the vocabulary and once per epoch; got a one-pass "
                            f"{type(sentences).__name__}: wrap it in list()")
        self.vocab = Vocabulary.build(sentences, self.min_count)
        if len(self.vocab) == 0:
            raise ValueError(f"Word2Vec: no word occurs at least min_count={self.min_count} "
                             "times; lower min_count or give a larger corpus")
        xp = module_for(self.device)
        self._rng = xp.random.default_rng(self.seed)
        shape = (len(self.vocab), self.vector_size)
        # As gensim: input vectors uniform in [-1/D, 1/D), output vectors zero.
        self.input_weights = (self._rng.random(shape, dtype=xp.float32) * 2 - 1) / self.vector_size
        self.output_weights = xp.zeros(shape, dtype=xp.float32)
        self.wv = KeyedVectors(self.vocab.words, to_device(self.input_weights, CPU))

    def train(self, sentences: Sequence[list[str]], epochs: int | None = None,
              progress: bool = False) -> list[float]:
        """Train for ``epochs`` (default: the model's) passes over ``sentences``.

        Returns the mean loss per example of each epoch (also appended to ``losses``).
        ``progress`` shows a tqdm bar per epoch.
        """
        if self.vocab is None:
            raise RuntimeError("Word2Vec.train: call build_vocab(sentences) first")
        epochs = self.epochs if epochs is None else epochs
        xp = module_for(self.device)
        words, sentence_ids = (to_device(a, self.device) for a in self.vocab.encode(sentences))
        keep = to_device(keep_probabilities(self.vocab.counts, self.sample), self.device)
        noise = sampling.noise_table(to_device(
            noise_distribution(self.vocab.counts, self.ns_exponent), self.device))
        losses = []
        for epoch in range(epochs):
            kept_words, kept_sentences = sampling.subsample(words, sentence_ids, keep, self._rng)
            spans = sampling.window_spans(len(kept_words), self.window, self._rng)
            starts = range(0, len(kept_words), self.batch_words)
            bar = _progress_bar(len(starts), f"epoch {epoch + 1}/{epochs}") if progress else None
            total_loss, examples = xp.zeros((), dtype=xp.float64), 0
            for start in starts:
                fraction = (epoch + start / len(kept_words)) / epochs
                alpha = self.alpha - (self.alpha - self.min_alpha) * fraction
                centres = xp.arange(start, min(start + self.batch_words, len(kept_words)))
                loss, count = self._step(kept_words, kept_sentences, centres,
                                         spans[start:start + len(centres)], noise, alpha)
                total_loss += loss
                examples += count
                if bar is not None:
                    bar.update()
            if not bool(xp.isfinite(self.input_weights).all()):
                raise FloatingPointError(f"Word2Vec: the vectors diverged in epoch {epoch + 1}; "
                                         "lower alpha or batch_words")
            losses.append(float(total_loss) / max(examples, 1))
            if bar is not None:
                bar.set_postfix(loss=f"{losses[-1]:.4f}")
                bar.close()
        self.losses += losses
        self.wv = KeyedVectors(self.vocab.words, to_device(self.input_weights, CPU))
        return losses

    def _step(self, words, sentence_ids, centres, spans, noise, alpha: float):
        """One SGD step on the examples around ``centres``; returns (summed loss, examples)."""
        xp = module_for(self.device)
        positions, valid = context_positions(sentence_ids, centres, spans, self.window)
        if self.model == "skipgram":
            example, slot = xp.nonzero(valid)
            inputs = words[positions[example, slot]]
            targets = words[centres[example]]
        else:
            has_context = valid.any(axis=1)
            targets = words[centres[has_context]]
        noise_words = sampling.draw_noise(noise, (len(targets), self.negative), self._rng)
        if self.model == "skipgram":
            loss = skipgram_step(self.input_weights, self.output_weights, inputs, targets,
                                 noise_words, alpha, self.repeat_cap)
        else:
            loss = cbow_step(self.input_weights, self.output_weights,
                             words[positions[has_context]], valid[has_context], targets,
                             noise_words, alpha, self.repeat_cap)
        return loss, len(targets)


def _progress_bar(total: int, description: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=description, unit="batch", leave=True)
