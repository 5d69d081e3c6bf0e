"""LinearClassifier, svm_loss and softmax_loss: loss values and gradients against the direct NumPy
formulas of the notes and against PyTorch, training on separable toy data, templates, errors; and
real MNIST on a subset."""

import numpy as np
import pytest
import torch

import shenjing as sj
from shenjing.classic import LinearClassifier, NotFittedError, softmax_loss, svm_loss
from tests.datasets import SHARED_DATA, requires_mnist


def numpy_svm(X, y, W, b, reg):
    """The multiclass SVM loss and its gradients, vectorised as in CS231n (margin 1)."""
    N = len(y)
    scores = X @ W.T + b
    margins = np.maximum(0, scores - scores[np.arange(N), y][:, None] + 1)
    margins[np.arange(N), y] = 0
    loss = margins.sum() / N + reg * (W * W).sum()
    gs = (margins > 0).astype(X.dtype)
    gs[np.arange(N), y] = -gs.sum(axis=1)
    gs /= N
    return loss, gs.T @ X + 2 * reg * W, gs.sum(axis=0)


def numpy_softmax(X, y, W, b, reg):
    """The softmax loss and its gradients, the max subtracted for stability."""
    N = len(y)
    scores = X @ W.T + b
    scores -= scores.max(axis=1, keepdims=True)
    p = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(N), y]).mean() + reg * (W * W).sum()
    gs = p.copy()
    gs[np.arange(N), y] -= 1
    gs /= N
    return loss, gs.T @ X + 2 * reg * W, gs.sum(axis=0)


def torch_loss(X, y, W, b, reg, loss):
    Xt, yt = torch.tensor(X), torch.tensor(y)
    Wt = torch.tensor(W, requires_grad=True)
    bt = torch.tensor(b, requires_grad=True)
    scores = Xt @ Wt.T + bt
    if loss == "svm":  # PyTorch divides the hinge sum by C
        data = torch.nn.functional.multi_margin_loss(scores, yt) * scores.shape[1]
    else:
        data = torch.nn.functional.cross_entropy(scores, yt)
    total = data + reg * (Wt * Wt).sum()
    total.backward()
    return total.item(), Wt.grad.numpy(), bt.grad.numpy()


@pytest.mark.parametrize("loss", ["svm", "softmax"])
@pytest.mark.parametrize("reg", [0.0, 0.3])
def test_loss_and_gradients_match_numpy_and_torch(loss, reg):
    rng = np.random.default_rng(5)
    N, D, C = 17, 6, 4
    X = rng.standard_normal((N, D))
    y = rng.integers(0, C, N)
    y[:C] = np.arange(C)  # every class present, so fit's classes are 0..C-1
    W = rng.standard_normal((C, D))
    b = rng.standard_normal(C)
    clf = LinearClassifier(loss, reg=reg, epochs=0).fit(X, y)
    with sj.no_grad():
        clf.weight.copy_(sj.tensor(W))
        clf.bias.copy_(sj.tensor(b))
    value = clf.loss(X, y)
    value.backward()
    formula = numpy_svm if loss == "svm" else numpy_softmax
    for want in (formula(X, y, W, b, reg), torch_loss(X, y, W, b, reg, loss)):
        np.testing.assert_allclose(value.item(), want[0], rtol=1e-12)
        np.testing.assert_allclose(clf.weight.grad.numpy(), want[1], rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(clf.bias.grad.numpy(), want[2], rtol=1e-10, atol=1e-14)


def test_svm_loss_is_the_notes_example():
    # CS231n's cat/car/frog scores: the cat image's loss is max(0, 5.1 - 3.2 + 1) + 0 = 2.9
    scores = sj.tensor([[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]], dtype=sj.float64)
    losses = [svm_loss(scores[i:i + 1], sj.tensor([i])).item() for i in range(3)]
    np.testing.assert_allclose(losses, [2.9, 0.0, 12.9])
    np.testing.assert_allclose(svm_loss(scores, sj.tensor([0, 1, 2])).item(), 15.8 / 3)
    want = torch.nn.functional.cross_entropy(torch.tensor(scores.numpy()), torch.tensor([0, 1, 2]))
    np.testing.assert_allclose(softmax_loss(scores, sj.tensor([0, 1, 2])).item(), want.item())


def blobs(n_per_class=60, seed=0):
    """Three well separated Gaussian clusters in 5-D, labelled 2, 5 and 9."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((3, 5)) * 4
    X = np.concatenate([c + rng.standard_normal((n_per_class, 5)) * 0.5 for c in centres])
    y = np.repeat([2, 5, 9], n_per_class)
    return X.astype(np.float32), y


@pytest.mark.parametrize("loss", ["svm", "softmax"])
def test_separable_toy_set_is_learned(loss):
    X, y = blobs()
    clf = LinearClassifier(loss, reg=1e-3, lr=0.05, epochs=20, batch_size=16).fit(X, y)
    assert clf.score(X, y) == 1.0
    X_new, y_new = blobs(seed=0)  # same clusters, fresh points below
    rng = np.random.default_rng(1)
    X_new = X_new + rng.standard_normal(X_new.shape).astype(np.float32) * 0.1
    assert clf.score(X_new, y_new) > 0.98
    assert clf.predict(X[:3]).dtype == sj.int64 and set(clf.predict(X).tolist()) == {2, 5, 9}
    assert clf.loss_history_[-1] < clf.loss_history_[0]
    assert clf.weight.dtype == sj.float32 and clf.decision_function(X).shape == (180, 3)


def test_training_is_reproducible_from_the_seed():
    X, y = blobs()
    a = LinearClassifier("svm", epochs=2, seed=3).fit(X, y)
    b = LinearClassifier("svm", epochs=2, seed=3).fit(sj.tensor(X), sj.tensor(y))
    c = LinearClassifier("svm", epochs=2, seed=4).fit(X, y)
    assert np.array_equal(a.weight.detach().numpy(), b.weight.detach().numpy())
    assert not np.array_equal(a.weight.detach().numpy(), c.weight.detach().numpy())


def test_templates_are_the_class_weights_as_images():
    rng = np.random.default_rng(6)
    images = rng.random((30, 4, 3), dtype=np.float32)
    clf = LinearClassifier(epochs=1).fit(images, np.arange(30) % 5)
    templates = clf.templates()
    assert templates.shape == (5, 4, 3)
    np.testing.assert_array_equal(templates.numpy().reshape(5, 12), clf.weight.detach().numpy())
    assert clf.templates(shape=(2, 6)).shape == (5, 2, 6)
    with pytest.raises(sj.ShapeError, match=r"shape \(5, 5\) does not hold the 12 weights"):
        clf.templates(shape=(5, 5))


def test_errors_name_what_is_wrong():
    X, y = blobs(n_per_class=4)
    with pytest.raises(ValueError, match="unknown loss 'hinge'; expected 'svm' or 'softmax'"):
        LinearClassifier("hinge")
    with pytest.raises(ValueError, match="reg must be >= 0.0, got -1"):
        LinearClassifier(reg=-1)
    with pytest.raises(ValueError, match="lr must be > 0.0, got 0"):
        LinearClassifier(lr=0)
    with pytest.raises(TypeError, match="batch_size must be an integer"):
        LinearClassifier(batch_size=2.0)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        LinearClassifier().predict(X)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        LinearClassifier().templates()
    clf = LinearClassifier(epochs=1).fit(X, y)
    with pytest.raises(sj.ShapeError, match=r"X of shape \(2, 4\) has 4 features per sample, "
                                            r"but the model was fit on samples of shape \(5,\)"):
        clf.predict(np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"label 7 was not among the classes seen by fit, "
                                         r"\[2, 5, 9\]"):
        clf.loss(X[:2], [2, 7])


@requires_mnist
def test_real_mnist_subset():
    train = sj.datasets.MNIST(SHARED_DATA, train=True)
    test = sj.datasets.MNIST(SHARED_DATA, train=False)
    x_train = train.data.numpy()[:5000].astype(np.float32) / 255
    x_test = test.data.numpy()[:1000].astype(np.float32) / 255
    mean = x_train.mean(axis=0)
    clf = LinearClassifier("softmax", lr=0.1, epochs=3).fit(x_train - mean, train.targets[:5000])
    # about 88 % from 5,000 images and 3 epochs
    assert clf.score(x_test - mean, test.targets[:1000]) > 0.85
    assert clf.templates().shape == (10, 28, 28)


def test_after_fit_backward_of_loss_gives_the_full_batch_gradient():
    """fit clears its last step's gradients, so a gradient check after training starts clean."""
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((40, 5)), rng.integers(0, 3, 40)
    clf = LinearClassifier("softmax", epochs=2, batch_size=7, reg=1e-3, dtype=sj.float64)
    clf.fit(X, y)
    assert clf.weight.grad is None and clf.bias.grad is None
    clf.loss(X, y).backward()
    W, b = clf.weight.detach().numpy(), clf.bias.detach().numpy()
    expected = torch_loss(X, y, W, b, 1e-3, "softmax")
    np.testing.assert_allclose(clf.weight.grad.numpy(), expected[1], atol=1e-10)
