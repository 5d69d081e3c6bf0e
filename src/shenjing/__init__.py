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
    cuda,
    data,
    datasets,
    models,
    nn,
    onnx,
    optim,
    train,
    utils,
    viz,
    word2vec,
)
from shenjing._tensor import Tensor, is_floating_point, is_tensor, numel
from shenjing.autograd import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from shenjing.autograd.function import ArgumentError, DtypeError, IndexRangeError, ShapeError
from shenjing.backend import (
    Device,
    DeviceError,
    Generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    set_rng_state,
)
from shenjing.backend import Device as device
from shenjing.backend.dtype import (
    bool,
    double,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    set_default_dtype,
    short,
    uint8,
)
from shenjing.backend.threads import get_num_threads, set_num_threads
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
from shenjing.ops.activation import (
    celu,
    hardshrink,
    log_softmax,
    relu,
    sigmoid,
    softmax,
    tanh,
    threshold,
)
from shenjing.ops.bilinear import bilinear
from shenjing.ops.bitwise import (
    bitwise_and,
    bitwise_left_shift,
    bitwise_not,
    bitwise_or,
    bitwise_right_shift,
    bitwise_xor,
)
from shenjing.ops.compare import (
    all,
    allclose,
    any,
    eq,
    equal,
    ge,
    gt,
    isclose,
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
from shenjing.ops.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d
from shenjing.ops.cumulative import cummax, cummin, cumprod, cumsum, logcumsumexp
from shenjing.ops.einsum import einsum
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
from shenjing.ops.normalization import group_norm
from shenjing.ops.pair_loss import (
    cosine_embedding_loss,
    hinge_embedding_loss,
    kl_div,
    margin_ranking_loss,
    poisson_nll_loss,
    triplet_margin_loss,
)
from shenjing.ops.pooling import adaptive_avg_pool1d, avg_pool1d, max_pool1d, max_pool2d
from shenjing.ops.products import addmm, baddbmm, bmm, dot, ger, inner, mv, outer, tensordot
from shenjing.ops.rearrange import (
    diag,
    diag_embed,
    diagonal,
    flip,
    fliplr,
    flipud,
    meshgrid,
    moveaxis,
    movedim,
    narrow,
    repeat_interleave,
    roll,
    tile,
    tril,
    triu,
    unflatten,
)
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
from shenjing.ops.rounding import (
    ceil,
    copysign,
    fix,
    floor,
    floor_divide,
    fmod,
    frac,
    lerp,
    remainder,
    round,
    trunc,
)
from shenjing.ops.scatter import (
    argwhere,
    index_add,
    index_copy,
    index_fill,
    index_select,
    masked_select,
    nonzero,
    scatter,
    scatter_add,
    scatter_reduce,
    take,
    take_along_dim,
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
from shenjing.ops.sorting import argsort, kthvalue, median, mode, msort, nanmedian, sort, topk
from shenjing.ops.statistics import cdist, cosine_similarity, dist, norm, std_mean, var_mean
from shenjing.ops.transcendental import (
    acos,
    acosh,
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctan2,
    arctanh,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    cosh,
    exp2,
    expm1,
    log2,
    log10,
    logaddexp,
    reciprocal,
    rsqrt,
    sinh,
    square,
    tan,
)
from shenjing.ops.upsample import pixel_shuffle, pixel_unshuffle
from shenjing.serialization import load, save
from shenjing.static import compile
from shenjing.summary import summary

__version__ = "0.1.0"
