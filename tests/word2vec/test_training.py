"""One SGD step of skip-gram and CBOW, against the gradient PyTorch's autograd computes."""

import numpy as np
import pytest
import torch

from shenjing.word2vec.training import add_rows, cbow_step, repeat_scale, skipgram_step

V, D, K = 12, 6, 3


def test_add_rows_adds_repeated_rows_like_add_at():
    rng = np.random.default_rng(0)
    table = rng.standard_normal((V, D)).astype(np.float32)
    index = rng.integers(0, V, 50)  # many repeats
    values = rng.standard_normal((50, D)).astype(np.float32)
    expected = table.copy()
    np.add.at(expected, index, values)
    add_rows(table, index, values)
    np.testing.assert_allclose(table, expected, rtol=1e-6, atol=1e-6)


def test_add_rows_refuses_a_table_it_could_not_write_through():
    table = np.zeros((D, V), dtype=np.float32).T
    with pytest.raises(ValueError, match="C-contiguous"):
        add_rows(table, np.array([0]), np.ones((1, D), dtype=np.float32))


def weights_and_batch(seed, batch=40):
    rng = np.random.default_rng(seed)
    input_weights = rng.standard_normal((V, D))
    output_weights = rng.standard_normal((V, D)) * 0.5
    targets = rng.integers(0, V, batch)
    noise = rng.integers(0, V, (batch, K))
    noise[:5, 0] = targets[:5]  # noise equal to the target is skipped
    return rng, input_weights, output_weights, targets, noise


def torch_loss(hidden, output_weights, targets, noise):
    """-log sigmoid(h.o_target) - sum log sigmoid(-h.o_noise), noise equal to target skipped."""
    words = torch.cat([targets[:, None], noise], dim=1)
    scores = torch.einsum("bd,bkd->bk", hidden, output_weights[words])
    signs = torch.ones_like(scores)
    signs[:, 0] = -1
    used = torch.ones_like(scores)
    used[:, 1:] = (noise != targets[:, None]).double()
    return (torch.nn.functional.softplus(signs * scores) * used).sum()


def test_skipgram_step_is_a_gradient_step_on_the_negative_sampling_loss():
    rng, input_weights, output_weights, targets, noise = weights_and_batch(1)
    inputs = rng.integers(0, V, len(targets))
    alpha = 0.1
    w_in, w_out = torch.tensor(input_weights, requires_grad=True), torch.tensor(
        output_weights, requires_grad=True)
    expected_loss = torch_loss(w_in[torch.tensor(inputs)], w_out, torch.tensor(targets),
                               torch.tensor(noise))
    expected_loss.backward()

    loss = skipgram_step(input_weights, output_weights, inputs, targets, noise, alpha)
    assert float(loss) == pytest.approx(expected_loss.item(), rel=1e-12)
    np.testing.assert_allclose(input_weights, (w_in - alpha * w_in.grad).detach().numpy(),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(output_weights, (w_out - alpha * w_out.grad).detach().numpy(),
                               rtol=1e-12, atol=1e-12)


def test_cbow_step_gives_each_context_word_the_whole_gradient_of_the_mean():
    rng, input_weights, output_weights, targets, noise = weights_and_batch(2)
    contexts = rng.integers(0, V, (len(targets), 4))
    mask = rng.random(contexts.shape) < 0.7
    mask[:, 0] = True  # at least one context word per example
    alpha = 0.05
    w_in, w_out = torch.tensor(input_weights, requires_grad=True), torch.tensor(
        output_weights, requires_grad=True)
    m = torch.tensor(mask, dtype=torch.float64)
    total = (w_in[torch.tensor(contexts)] * m[:, :, None]).sum(dim=1)
    mean = total / m.sum(dim=1, keepdim=True)
    # Forward: the mean. Backward: d loss / d mean reaches each context word undivided, as in
    # word2vec.c and gensim (cbow_mean=1).
    hidden = total + (mean - total).detach()
    expected_loss = torch_loss(hidden, w_out, torch.tensor(targets), torch.tensor(noise))
    expected_loss.backward()

    loss = cbow_step(input_weights, output_weights, contexts, mask, targets, noise, alpha)
    assert float(loss) == pytest.approx(expected_loss.item(), rel=1e-12)
    np.testing.assert_allclose(input_weights, (w_in - alpha * w_in.grad).detach().numpy(),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(output_weights, (w_out - alpha * w_out.grad).detach().numpy(),
                               rtol=1e-12, atol=1e-12)


def test_an_empty_batch_changes_nothing():
    _, input_weights, output_weights, _, _ = weights_and_batch(3)
    before = input_weights.copy(), output_weights.copy()
    empty = np.zeros(0, dtype=np.int64)
    assert skipgram_step(input_weights, output_weights, empty, empty,
                         np.zeros((0, K), dtype=np.int64), 0.1) == 0.0
    assert cbow_step(input_weights, output_weights, np.zeros((0, 4), dtype=np.int64),
                     np.zeros((0, 4), dtype=bool), empty, np.zeros((0, K), dtype=np.int64),
                     0.1) == 0.0
    np.testing.assert_array_equal(input_weights, before[0])
    np.testing.assert_array_equal(output_weights, before[1])


def test_repeat_scale_caps_frequent_rows_only():
    index = np.array([[0, 0, 1], [0, 2, 0]])
    np.testing.assert_allclose(repeat_scale(index, rows=4, cap=2), [[0.5, 0.5, 1], [0.5, 1, 0.5]])
    weights = np.array([[1.0, 1.0, 1.0], [1.0, 1.0, 0.0]])  # a skipped entry does not count
    np.testing.assert_allclose(repeat_scale(index, 4, 2, weights), [[2 / 3, 2 / 3, 1],
                                                                    [2 / 3, 1, 2 / 3]])


def test_the_cap_turns_a_frequent_rows_sum_into_a_scaled_mean():
    rng, input_weights, output_weights, targets, noise = weights_and_batch(4, batch=200)
    inputs = np.zeros(len(targets), dtype=np.int64)  # one input word, 200 times
    plain, capped = input_weights.copy(), input_weights.copy()
    skipgram_step(plain, output_weights.copy(), inputs, targets, noise, 0.1)
    skipgram_step(capped, output_weights.copy(), inputs, targets, noise, 0.1, repeat_cap=50)
    np.testing.assert_allclose(capped[0] - input_weights[0],
                               (plain[0] - input_weights[0]) * 50 / 200, rtol=1e-10)
    np.testing.assert_array_equal(capped[1:], input_weights[1:])
