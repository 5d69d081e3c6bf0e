"""One stochastic-gradient step of word2vec with negative sampling, for a whole batch at once.

Every example pairs an input vector ``h`` (skip-gram: one context word's vector; CBOW: the mean
of the context words' vectors) with a target word and ``K`` noise words. With output vectors
``o``, the loss is ``-log sigmoid(h . o_target) - sum_k log sigmoid(-h . o_noise_k)``. The step
follows word2vec.c and gensim: plain SGD at rate ``alpha``; a noise word equal to the target is
skipped; in CBOW each context word receives the whole gradient of the mean. The examples of a
batch read the same weights and their updates are summed (as in Hogwild with a delay of one
batch); ``repeat_cap`` keeps the few words that recur hundreds of times in one batch from
overshooting (see ``repeat_scale``).
"""

from __future__ import annotations

from shenjing.backend import array_module, scatter_add


def add_rows(table, index, values) -> None:
    """``table[index[m]] += values[m]`` for every m, repeated indices adding up, in place.

    table (V, D) C-contiguous, index (M,), values (M, D). The update goes through the
    backend's ``scatter_add`` on the flat table, one number at a time (index * D + column):
    NumPy's ``add.at`` is several times faster along one axis than over whole rows.
    """
    xp = array_module(table)
    if not table.flags.c_contiguous:
        raise ValueError("add_rows: the table must be C-contiguous, so that its flat view "
                         "writes through to it")
    columns = table.shape[1]
    flat_index = (index[:, None] * columns + xp.arange(columns)).reshape(-1)
    scatter_add(table.reshape(-1), flat_index, values.reshape(-1))


def repeat_scale(index, rows: int, cap: float, weights=None):
    """Per-entry factor ``min(1, cap / n)``, n being how many entries of ``index`` (weighted by
    ``weights``) name the same row of a table with ``rows`` rows.

    Sequential SGD would let each of a word's updates see the previous ones; summed in one batch,
    a word named n times moves n steps at once. For the most frequent words (hundreds of times in
    a batch, thousands in a small vocabulary) that overshoots and diverges. Above ``cap`` repeats
    a row therefore moves by the mean of its updates times ``cap``; rows below are untouched.

    >>> import numpy as np
    >>> repeat_scale(np.array([0, 0, 0, 0, 1]), rows=3, cap=2).tolist()
    [0.5, 0.5, 0.5, 0.5, 1.0]
    """
    xp = array_module(index)
    counts = xp.bincount(index.reshape(-1), weights=None if weights is None else
                         weights.reshape(-1), minlength=rows)
    return xp.minimum(1.0, cap / xp.maximum(counts[index], 1))


def _negative_sampling(hidden, output_weights, targets, noise, alpha: float, repeat_cap):
    """Scores of (hidden, target) against (hidden, noise); updates the output vectors.

    hidden (B, D), targets (B,), noise (B, K). Returns the gradient step for ``hidden`` (B, D),
    already scaled by alpha, and the summed loss of the batch (a 0-d array).
    """
    xp = array_module(hidden)
    words = xp.concatenate([targets[:, None], noise], axis=1)  # (B, 1+K): target first
    outputs = output_weights[words]  # (B, 1+K, D)
    scores = xp.einsum("bd,bkd->bk", hidden, outputs)
    labels = xp.zeros(scores.shape, dtype=scores.dtype)
    labels[:, 0] = 1
    used = xp.ones(scores.shape, dtype=scores.dtype)
    used[:, 1:] = noise != targets[:, None]
    # Clipping keeps exp finite in float32; sigmoid(30) is 1 to float32 precision anyway.
    probabilities = 1 / (1 + xp.exp(-xp.clip(scores, -30, 30)))
    step = (labels - probabilities) * used * alpha  # (B, 1+K): d log-likelihood / d score
    # -log sigmoid(s) for the target, -log sigmoid(-s) for noise: log(1 + exp(-+s)), stably.
    loss = (xp.logaddexp(0, (1 - 2 * labels) * scores) * used).sum()
    hidden_step = xp.einsum("bk,bkd->bd", step, outputs)  # read before the outputs change
    if repeat_cap is not None:
        step = step * repeat_scale(words, len(output_weights), repeat_cap, used).astype(step.dtype)
    add_rows(output_weights, words.reshape(-1), step[:, :, None] * hidden[:, None, :])
    return hidden_step, loss


def skipgram_step(input_weights, output_weights, inputs, targets, noise, alpha: float,
                  repeat_cap: float | None = None):
    """One SGD step on skip-gram pairs: the vector of ``inputs[b]`` predicts ``targets[b]``.

    inputs, targets (B,), noise (B, K) word indices; updates both weight tables (V, D) in place
    and returns the summed loss. As in word2vec.c, the input is the context word and the target
    the centre word. ``repeat_cap``: see ``repeat_scale`` (None: plain summed SGD).
    """
    if len(targets) == 0:
        return 0.0
    hidden = input_weights[inputs]
    hidden_step, loss = _negative_sampling(hidden, output_weights, targets, noise, alpha,
                                           repeat_cap)
    if repeat_cap is not None:
        hidden_step *= repeat_scale(inputs, len(input_weights), repeat_cap)[:, None].astype(
            hidden_step.dtype)
    add_rows(input_weights, inputs, hidden_step)
    return loss


def cbow_step(input_weights, output_weights, contexts, mask, targets, noise, alpha: float,
              repeat_cap: float | None = None):
    """One SGD step of CBOW: the mean vector of each row's context words predicts its target.

    contexts (B, C) word indices with mask (B, C) marking the real ones (at least one per row),
    targets (B,), noise (B, K). Updates both tables in place; returns the summed loss.
    ``repeat_cap``: see ``repeat_scale`` (None: plain summed SGD).
    """
    xp = array_module(input_weights)
    if len(targets) == 0:
        return 0.0
    counts = mask.sum(axis=1, keepdims=True).astype(input_weights.dtype)
    hidden = (input_weights[contexts] * mask[:, :, None]).sum(axis=1) / counts
    hidden_step, loss = _negative_sampling(hidden, output_weights, targets, noise, alpha,
                                           repeat_cap)
    example, slot = xp.nonzero(mask)
    rows, values = contexts[example, slot], hidden_step[example]
    if repeat_cap is not None:
        values *= repeat_scale(rows, len(input_weights), repeat_cap)[:, None].astype(values.dtype)
    add_rows(input_weights, rows, values)
    return loss
