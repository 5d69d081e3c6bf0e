"""parameters_to_vector / vector_to_parameters against torch.nn.utils."""

import numpy as np
import pytest
import torch

import shenjing as sj
from shenjing.nn.utils import parameters_to_vector, vector_to_parameters


def _pair():
    sj.manual_seed(0)
    net = sj.nn.Sequential(sj.nn.Linear(3, 4), sj.nn.Tanh(), sj.nn.Linear(4, 2))
    twin = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    twin.load_state_dict({k: torch.tensor(v.numpy()) for k, v in net.state_dict().items()})
    return net, twin


def test_the_vector_is_torchs_and_carries_gradients_back():
    net, twin = _pair()
    vec = parameters_to_vector(net.parameters())
    expected = torch.nn.utils.parameters_to_vector(twin.parameters())
    np.testing.assert_array_equal(vec.numpy(force=True), expected.detach().numpy())
    (vec * sj.arange(vec.numel(), dtype=vec.dtype)).sum().backward()
    (expected * torch.arange(expected.numel())).sum().backward()
    for p, q in zip(net.parameters(), twin.parameters()):
        np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())


def test_vector_to_parameters_is_the_inverse_and_shares_memory_like_torch():
    net, twin = _pair()
    values = np.arange(26, dtype=np.float32) / 10
    vec = sj.tensor(values)
    vector_to_parameters(vec, net.parameters())
    torch.nn.utils.vector_to_parameters(torch.tensor(values), twin.parameters())
    for p, q in zip(net.parameters(), twin.parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
        assert p.requires_grad
    np.testing.assert_array_equal(parameters_to_vector(net.parameters()).detach().numpy(), values)
    vec.data[0] = 100.0  # the parameters are views of the vector, as in PyTorch
    assert net[0].weight[0, 0].item() == 100.0


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda ps: vector_to_parameters([1.0, 2.0], ps), TypeError,
     "expected a Tensor, but got: list"),
    (lambda ps: vector_to_parameters(sj.zeros(25), ps), RuntimeError,
     r"shape \(25,\) does not fit parameters of 26 values"),
    (lambda ps: vector_to_parameters(sj.zeros(27), ps), RuntimeError, "expected shape \\(26,\\)"),
    (lambda ps: vector_to_parameters(sj.zeros(2, 13), ps), RuntimeError, "expected shape"),
    (lambda ps: parameters_to_vector([1.0]), TypeError, "expected tensors, got float"),
])
def test_bad_vectors_say_what_does_not_fit(call, error, match):
    net, _ = _pair()
    with pytest.raises(error, match=match):
        call(list(net.parameters()))
