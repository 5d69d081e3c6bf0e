"""shenjing (神经, "neural"): neural networks from first principles on NumPy and CuPy.

>>> import shenjing as sj
>>> x = sj.tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> y = (x ** 2).sum()
>>> y.backward()
>>> x.grad
tensor([2., 4., 6.])
"""

from shenjing import (
    autograd,
    classic,
    data,
    datasets,
    models,
    nn,
    onnx,
    optim,
    train,
    viz,
    word2vec,
)
from shenjing._tensor import Tensor
from shenjing.autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from shenjing.autograd.function import ShapeError
from shenjing.backend import Device, DeviceError, initial_seed, manual_seed
from shenjing.backend import Device as device
from shenjing.backend.dtype import (
    bool,
    double,
    float,
    float16,
    float32,
    float64,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    short,
    uint8,
)
from shenjing.creation import (
    arange,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from shenjing.ops.activation import log_softmax, relu, sigmoid, softmax, tanh
from shenjing.ops.compare import (
    eq,
    ge,
    gt,
    isfinite,
    isinf,
    isnan,
    le,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    lt,
    ne,
)
from shenjing.ops.elementwise import (
    abs,
    add,
    clamp,
    clip,
    clone,
    cos,
    div,
    divide,
    erf,
    exp,
    log,
    log1p,
    maximum,
    minimum,
    mul,
    neg,
    negative,
    pow,
    sign,
    sin,
    sqrt,
    sub,
    true_divide,
    where,
)
from shenjing.ops.indexing import gather, masked_fill
from shenjing.ops.linalg import matmul, mm
from shenjing.ops.reduce import (
    amax,
    amin,
    argmax,
    argmin,
    logsumexp,
    max,
    mean,
    min,
    prod,
    std,
    sum,
    var,
)
from shenjing.ops.shape import (
    broadcast_to,
    cat,
    chunk,
    concat,
    concatenate,
    flatten,
    permute,
    reshape,
    split,
    squeeze,
    stack,
    t,
    transpose,
    unsqueeze,
)
from shenjing.serialization import load, save
from shenjing.static import compile
from shenjing.summary import summary

__version__ = "0.1.0"
