"""The Tensor: inspection, conversion and printing, against PyTorch's behaviour."""

import numpy as np
import pytest
import torch

import shenjing as sj


@pytest.mark.parametrize(
    "data",
    [
        [1.0, 2.0, 3.0],
        [[0.1234567, -1.2], [2.0, 3.0]],
        [1, 2, 3],
        [True, False],
        3.5,
        [[1e-5, 1.0], [100.0, 2.0]],
        [1e9, 1.0],
        [0.0, -0.5],
        [[[1.0, 2.0]], [[3.0, 4.5]]],
    ],
)
def test_repr_matches_torch(data):
    assert repr(sj.tensor(data)) == repr(torch.tensor(data))


def test_repr_shows_dtype_and_autograd_state():
    assert repr(sj.tensor([1.0, 2.0], dtype=sj.float64)) == "tensor([1., 2.], dtype=float64)"
    x = sj.tensor([1.0], requires_grad=True)
    assert repr(x) == "tensor([1.], requires_grad=True)"
    assert repr(x * 2) == "tensor([2.], grad_fn=<MulBackward>)"


@pytest.mark.parametrize(
    "data, expected",
    [([1.5], "float32"), ([1, 2], "int64"), ([True], "bool"), (np.zeros(2), "float64"),
     (np.zeros(2, dtype=np.int32), "int32"), (2, "int64")],
)
def test_tensor_infers_dtypes_like_torch(data, expected):
    assert sj.tensor(data).dtype == np.dtype(expected)
    assert str(torch.tensor(data).dtype) == f"torch.{expected}"


def test_inspection():
    x = sj.arange(24.0).reshape(2, 3, 4)
    assert x.shape == (2, 3, 4) and x.ndim == 3 and x.dim() == 3 and x.numel() == 24
    assert x.size() == (2, 3, 4) and x.size(-1) == 4 and len(x) == 2
    assert x.dtype == sj.float32 and x.device == sj.device("cpu")
    assert x.is_leaf and not x.requires_grad
    assert x.T.shape == (4, 3, 2)
    assert [row.shape for row in x] == [(3, 4), (3, 4)]


def test_conversions():
    x = sj.tensor([[1.0, 2.0]])
    assert x.tolist() == [[1.0, 2.0]]
    assert sj.tensor(2.5).item() == 2.5
    assert float(sj.tensor([3.0])) == 3.0 and int(sj.tensor(7)) == 7
    assert bool(sj.tensor(1.0)) and not bool(sj.tensor(0))
    assert [10, 20, 30][sj.tensor(1)] == 20
    np.testing.assert_array_equal(np.asarray(x), [[1.0, 2.0]])
    with pytest.raises(ValueError, match="one-element"):
        x.item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(x)


def test_numpy_shares_memory_and_refuses_graph_tensors():
    x = sj.zeros(3)
    x.numpy()[0] = 5.0
    assert x[0].item() == 5.0
    w = sj.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"detach\(\)\.numpy\(\)"):
        w.numpy()
    np.testing.assert_array_equal(w.detach().numpy(), np.zeros(3))
    w.numpy(force=True)[1] = 2.0  # force=True: detach (and copy from a GPU), as in PyTorch
    assert w[1].item() == 2.0


def test_dtype_conversions_and_gradients():
    x = sj.tensor([1.5, -2.5], requires_grad=True)
    y = x.double()
    assert y.dtype == sj.float64 and y.requires_grad
    y.sum().backward()
    assert x.grad.dtype == sj.float32
    assert x.long().dtype == sj.int64 and not x.long().requires_grad
    assert x.to(sj.float32) is x
    assert x.half().dtype == sj.float16 and x.int().dtype == sj.int32
    assert x.bool().dtype == sj.bool


def test_requires_grad_rules():
    with pytest.raises(RuntimeError, match="floating-point"):
        sj.tensor([1, 2], requires_grad=True)
    x = sj.ones(2, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad = False
    assert x.requires_grad_(False) is x and not x.requires_grad


def test_detach_shares_data_and_version():
    x = sj.ones(3, requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.is_leaf
    d.add_(1)
    assert x._version == 1
    np.testing.assert_array_equal(x.detach().numpy(), [2.0, 2.0, 2.0])


def test_tensor_is_hashable_by_identity():
    a, b = sj.ones(1), sj.ones(1)
    assert len({a, b}) == 2 and {a: 1}[a] == 1


def test_numpy_arrays_on_the_left_give_tensors():
    y = np.ones(3) * sj.tensor([1.0, 2.0, 3.0], requires_grad=True)
    assert isinstance(y, sj.Tensor) and y.requires_grad


def test_integer_and_float_promotion_like_torch():
    i = sj.tensor([1, 2])
    it = torch.tensor([1, 2])
    for ours, theirs in [(i * 2.5, it * 2.5), (i / 2, it / 2), (i + 1, it + 1), (i / i, it / it),
                         (2.0 ** i, 2.0 ** it), (sj.ones(2) + i, torch.ones(2) + it)]:
        assert str(theirs.dtype) == f"torch.{ours.dtype}"
        np.testing.assert_allclose(ours.numpy(), theirs.numpy())
    assert (sj.ones(2) * np.float64(2)).dtype == sj.float32
