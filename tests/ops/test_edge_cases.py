"""Edge cases found in review: each is PyTorch's behaviour, or a clear error where it raises."""

import math
import warnings

import numpy as np
import pytest
import torch

import shenjing as sj


def test_a_mask_of_the_wrong_shape_is_an_error():
    x = sj.arange(6.0).reshape(3, 2)
    with pytest.raises(IndexError, match=r"mask of shape \(2,\).*shape \(3,\)"):
        x[sj.tensor([True, False])]
    with pytest.raises(IndexError, match="mask"):
        x[sj.tensor([True, False])] = 100.0
    np.testing.assert_array_equal(x[sj.tensor([True, False, True])].numpy(), [[0, 1], [4, 5]])


@pytest.mark.parametrize("key", [
    lambda t: (1, slice(None), t([0, 0])),
    lambda t: (Ellipsis, 1, t([0, 2])),
    lambda t: (None, 1, t([0, 2])),
    lambda t: (t([0, 2]), 1),
    lambda t: (slice(None), 2, t([1, 1, 3])),
])
def test_ints_with_index_arrays_index_like_torch(key):
    array = np.random.default_rng(0).standard_normal((3, 4, 5))
    x, xt = sj.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)
    y, yt = x[key(sj.tensor)], xt[key(torch.tensor)]
    assert y.shape == tuple(yt.shape)
    np.testing.assert_array_equal(y.detach().numpy(), yt.detach().numpy())
    y.sum().backward()
    yt.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), xt.grad.numpy())


def test_changing_an_index_tensor_later_does_not_change_the_gradient():
    x = sj.arange(4.0).requires_grad_()
    index = sj.tensor([0, 1])
    y = x[index]
    index.fill_(3)
    y.backward(sj.tensor([1.0, 2.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 2.0, 0.0, 0.0])


def test_numpy_array_of_a_tensor_copies_when_asked():
    x = sj.zeros(3)
    b = np.array(x)
    b[0] = 100
    assert x[0].item() == 0
    assert np.asarray(x).base is not None or np.shares_memory(np.asarray(x), x.numpy())


def test_updating_a_parameter_outside_no_grad_raises():
    w = sj.ones(3, requires_grad=True)
    (w * 2).sum().backward()
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad.*no_grad"):
        w -= 0.1 * w.grad
    with sj.no_grad():
        w -= 0.1 * w.grad
    np.testing.assert_allclose(w.detach().numpy(), [0.8, 0.8, 0.8])


def test_integer_tensor_plus_equals_float_raises_like_torch():
    x = sj.tensor([1, 2])
    with pytest.raises(TypeError, match="add_"):
        x += 0.5


def test_var_with_no_degrees_of_freedom_gives_nan_gradient():
    x = sj.tensor([1.0], requires_grad=True)
    xt = torch.tensor([1.0], requires_grad=True)
    with warnings.catch_warnings():  # both libraries warn about zero degrees of freedom
        warnings.simplefilter("ignore")
        x.var().backward()
        xt.var().backward()
    assert math.isnan(x.grad.item()) and math.isnan(xt.grad.item())


def test_reductions_over_empty_tensors():
    empty = sj.ones(2, 0)
    assert sj.amax(empty, dim=0).shape == (0,) == tuple(torch.amax(torch.ones(2, 0), 0).shape)
    assert sj.max(empty, dim=0).values.shape == (0,)
    np.testing.assert_array_equal(sj.logsumexp(empty, dim=1).numpy(), [-np.inf, -np.inf])
    assert sj.softmax(sj.ones(0, 3), 0).shape == (0, 3)
    for m, e in ((torch, torch.ones(2, 0)), (sj, empty)):  # PyTorch: an IndexError
        with pytest.raises(IndexError):
            m.amax(e, dim=1)
    assert sj.ones(2, 3).argmax(keepdim=True).shape == (1, 1)


def test_gradients_of_max_with_nan_go_to_the_nan():
    for m in (sj, torch):
        x = m.tensor([1.0, float("nan"), 3.0], requires_grad=True)
        x.max().backward()
        np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 0.0])
    a = sj.tensor([float("nan"), 1.0], requires_grad=True)
    at = torch.tensor([float("nan"), 1.0], requires_grad=True)
    sj.maximum(a, sj.tensor([0.0, 2.0])).sum().backward()
    torch.maximum(at, torch.tensor([0.0, 2.0])).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), at.grad.numpy())


def test_gradient_from_create_graph_is_writable_and_not_shared():
    a, b = sj.ones(3, requires_grad=True), sj.ones(3, requires_grad=True)
    (a + b).sum().backward(create_graph=True)
    assert a.grad is not b.grad
    with sj.no_grad():
        a.grad = a.grad.detach()
        a.grad.zero_()
    assert b.grad.detach().numpy().tolist() == [1.0, 1.0, 1.0]
    a.grad = None
    (a * 1).sum().backward()  # plain accumulation after a create_graph one
    (b * 1).sum().backward()
    np.testing.assert_array_equal(b.grad.detach().numpy(), [2.0, 2.0, 2.0])


def test_no_grad_decorates_without_parentheses():
    @sj.no_grad
    def double(x):
        return x * 2

    assert not double(sj.ones(1, requires_grad=True)).requires_grad
    assert double.__name__ == "double"


def test_grad_frees_nodes_past_the_last_target():
    x = sj.ones(3, requires_grad=True)
    h = x.exp()
    y = (h * 2).sum()
    exp_node = h.grad_fn
    sj.autograd.grad(y, h)
    assert exp_node._saved is None or exp_node._released is False  # not needed: never run
    mul_node = y.grad_fn.next_functions[0][0]
    assert mul_node._released  # ran, then freed


def test_gather_of_a_0d_tensor_is_an_error():
    with pytest.raises(sj.ShapeError, match="gather: input must have at least 1 dim"):
        sj.gather(sj.tensor(3.0), 0, sj.tensor(0))
