"""sj.Tensor, the public class above the operations: every tensor is one, however it was made."""

import copy
import gc
import pickle
import subprocess
import sys

import numpy as np
import pytest

import shenjing as sj
from shenjing._tensor import Tensor
from shenjing.autograd.tensor import TensorBase, register_tensor_class


def test_sj_tensor_is_the_public_class_over_the_core():
    assert sj.Tensor is Tensor
    assert issubclass(sj.Tensor, TensorBase) and sj.Tensor is not TensorBase
    # The core knows nothing of operations: operators and delegating methods live above it.
    for name in ("__add__", "__matmul__", "__getitem__", "__eq__", "sum", "reshape", "exp", "to"):
        assert name not in vars(TensorBase) and name in vars(sj.Tensor), name


@pytest.mark.parametrize("make", [
    lambda: sj.tensor([1.0, 2.0]),
    lambda: sj.zeros(2, 3),
    lambda: sj.arange(4),
    lambda: sj.Tensor([1.0]),
    lambda: TensorBase([1.0]),
    lambda: TensorBase._make(np.ones(2)),
    lambda: sj.ones(2, 3) @ sj.ones(3),
    lambda: sj.ones(2, 3).sum(0),
    lambda: sj.ones(2, 3)[0],
    lambda: sj.ones(2) < 1,
    lambda: sj.ones(2).detach(),
    lambda: sj.ones(2).data,
    lambda: sj.ones(2).long(),
    lambda: sj.ones(2).all(),
    lambda: sj.from_numpy(np.ones(2)),
], ids=["tensor", "zeros", "arange", "sj.Tensor", "TensorBase", "_make", "matmul", "sum",
        "getitem", "compare", "detach", "data", "long", "all", "from_numpy"])
def test_every_tensor_is_an_sj_tensor(make):
    x = make()
    assert type(x) is sj.Tensor
    assert isinstance(x, TensorBase)


def test_gradients_are_sj_tensors():
    x = sj.ones(2, 3, requires_grad=True)
    b = sj.ones(3, requires_grad=True)
    ((x + b) * 2).sum().backward()  # b's gradient is un-broadcast by the engine
    assert type(x.grad) is sj.Tensor and type(b.grad) is sj.Tensor


@pytest.mark.parametrize("value", [np.zeros(3), [0.0, 0.0, 0.0], 5])
def test_assigning_a_grad_that_is_not_a_tensor_raises_type_error_like_torch(value):
    # torch: TypeError: assigned grad expected to be a Tensor or None but got grad of type int
    p = sj.ones(3, requires_grad=True)
    with pytest.raises(TypeError, match="assigned grad expected to be a Tensor or None"):
        p.grad = value
    p.grad = sj.zeros(3)
    p.grad = None
    assert p.grad is None


def test_a_parameter_is_an_sj_tensor_with_operators():
    p = sj.nn.Parameter(sj.ones(2))
    assert isinstance(p, sj.Tensor) and type(p) is sj.nn.Parameter
    assert (p * 2 + 1).sum().item() == 6.0


def test_no_core_instances_after_import():
    # Tensors made while shenjing is imported are made after sj.Tensor is registered.
    code = ("import gc, shenjing\n"
            "from shenjing.autograd.tensor import TensorBase\n"
            "print(sum(type(o) is TensorBase for o in gc.get_objects()))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"


def test_register_refuses_a_class_that_is_not_a_tensor():
    with pytest.raises(TypeError, match="register_tensor_class: expected a subclass of TensorBase"):
        register_tensor_class(object)


def test_subclasses_make_themselves():
    class Marked(sj.Tensor):
        __slots__ = ()

    try:
        assert type(Marked([1.0])) is Marked and type(Marked._make(np.ones(1))) is Marked
    finally:
        del Marked
        gc.collect()


@pytest.mark.parametrize("clone", [
    lambda x: pickle.loads(pickle.dumps(x)),
    copy.copy,
    copy.deepcopy,
], ids=["pickle", "copy", "deepcopy"])
def test_pickle_and_copy_keep_the_class_and_the_state(clone):
    x = sj.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=sj.float64, requires_grad=True)
    y = clone(x)
    assert type(y) is sj.Tensor
    assert y.dtype == x.dtype and y.requires_grad and y.is_leaf
    np.testing.assert_array_equal(y.detach().numpy(), x.detach().numpy())
    assert (y * 2).sum().item() == 20.0


def test_save_and_load_give_sj_tensors(tmp_path):
    path = tmp_path / "t.safetensors"
    sj.save({"w": sj.arange(3), "nested": [sj.ones(2)]}, path)
    loaded = sj.load(path)
    assert type(loaded["w"]) is sj.Tensor and type(loaded["nested"][0]) is sj.Tensor
    assert loaded["w"].tolist() == [0, 1, 2]


def test_tensors_hash_by_identity():
    x, y = sj.ones(2), sj.ones(2)
    assert len({x: 1, y: 2}) == 2 and x in {x}


def test_numpy_defers_to_the_reflected_operators():
    assert type(np.ones(2) * sj.ones(2)) is sj.Tensor
    assert type(np.ones(2) < sj.ones(2)) is sj.Tensor
