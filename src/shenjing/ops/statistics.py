"""Statistics and distances: var_mean, std_mean, norm, dist, cdist, cosine_similarity,
normalize, one_hot.

Every norm is one ``VectorNorm`` whose backward follows PyTorch's formulas, written with
differentiable operations (second derivatives work): the gradient of the 2-norm at a zero
vector is 0, not NaN, and the inf-norm shares its gradient among the elements that tie for the
largest magnitude.
"""

from __future__ import annotations

import math
import numbers

from shenjing.autograd import tracing
from shenjing.autograd.function import Function, ShapeError
from shenjing.autograd.tensor import Tensor
from shenjing.backend import array_module, expected_float_errors, is_floating
from shenjing.ops.checks import (
    broadcast_shape,
    computed,
    dim_or_axis,
    normalize_dim,
    normalize_dims,
    promote,
    require_tensor,
)
from shenjing.ops.compare import isnan
from shenjing.ops.elementwise import _zeros_like, clamp, sign, where
from shenjing.ops.reduce import mean, std, var

__all__ = ["cdist", "cosine_similarity", "dist", "norm", "normalize", "one_hot", "std_mean",
           "var_mean"]

# Tensor methods: x.norm(), x.dist(y).
METHODS = ("dist", "norm")


# -- variance and mean together ------------------------------------------------------------------
def _unbiased_in_dim(dim, unbiased):
    """PyTorch's ``var_mean(x, True)``: a bool in the place of ``dim`` is ``unbiased``."""
    if isinstance(dim, bool):
        return None, dim
    return dim, unbiased


@dim_or_axis
def var_mean(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """``(var, mean)`` over ``dim``, with ``var``'s correction rules; ``torch.var_mean``.

    >>> import shenjing as sj
    >>> sj.var_mean(sj.tensor([1.0, 2.0, 3.0, 4.0]))
    (tensor(1.6667), tensor(2.5000))
    """
    dim, unbiased = _unbiased_in_dim(dim, unbiased)
    return (var(input, dim, unbiased, keepdim, correction=correction),
            mean(input, dim, keepdim))


@dim_or_axis
def std_mean(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """``(std, mean)`` over ``dim``, with ``std``'s correction rules; ``torch.std_mean``.

    >>> import shenjing as sj
    >>> sj.std_mean(sj.tensor([[1.0, 3.0]]), dim=1, correction=0)
    (tensor([1.]), tensor([2.]))
    """
    dim, unbiased = _unbiased_in_dim(dim, unbiased)
    return (std(input, dim, unbiased, keepdim, correction=correction),
            mean(input, dim, keepdim))


# -- norms ---------------------------------------------------------------------------------------
def _expand_back(t: Tensor, shape, dims, keepdim: bool) -> Tensor:
    """A reduced tensor spread back over the input's shape: (reduced) -> (input shape)."""
    if not keepdim:
        t = t.reshape(tuple(1 if i in dims else n for i, n in enumerate(shape)))
    return t.expand(shape)


class VectorNorm(Function):
    """``sum(|x|^p) ^ (1/p)`` over ``dims``, with p = inf (max |x|), -inf (min |x|) and 0 (the
    count of non-zeros): ``torch.linalg.vector_norm``, whose gradient formulas backward follows.
    """

    def forward(self, x, p, dims, keepdim):
        self.shape, self.dims, self.keepdim, self.p = x.shape, dims, keepdim, p
        xp = self.xp
        if p != 0 and _count(x.shape, dims) == 1:
            # one element a slice: its magnitude (no square to overflow), as in PyTorch
            y = xp.abs(x) if keepdim else xp.abs(x).reshape(_reduced(x.shape, dims))
        else:
            y = _norm_array(xp, x, p, dims, keepdim)
        y = xp.asarray(y, dtype=x.dtype)  # a full reduction gives a NumPy scalar
        self.save_for_backward(x, y)
        return y

    def backward(self, gy):
        x, y = self.saved_tensors
        gy = _expand_back(gy, self.shape, self.dims, self.keepdim)
        y = _expand_back(y, self.shape, self.dims, self.keepdim)
        p = self.p
        if p == 0:  # piecewise constant
            return _zeros_like(x)
        if p == 1:
            return sign(x) * gy
        # A zero norm (or a zero element, for p < 1) is replaced by 1 where it divides: the
        # result there is selected away, and 0 / 0 must not be computed (nor warned about).
        zero = y == 0
        y_safe = where(zero, 1.0, y)
        if p == 2:
            # x / |x|, and 0 at the zero vector (PyTorch's choice of subgradient)
            return where(zero, 0.0, x / y_safe) * gy
        if math.isinf(p):
            # The gradient of max |x| (or min): shared by the elements of that magnitude (and
            # by the NaN that made it NaN)
            hits = (x.abs() == y) | isnan(x)
            count = hits.to(x.dtype).sum(self.dims, keepdim=True)
            return sign(x) * where(hits, gy / count, 0.0)
        # d/dx_i (sum |x|^p)^(1/p) = sign(x_i) |x_i|^(p-1) / norm^(p-1)
        scaled = sign(x) * _abs_power(x, p - 1) if p < 2 else x * _abs_power(x, p - 2)
        if p < 1:  # the norm is 0 only where every x is, and scaled is 0 there
            return scaled * gy * where(zero, 0.0, y_safe ** (1 - p))
        return scaled * where(zero, 0.0, gy / y_safe ** (p - 1))


def _norm_array(xp, x, p, dims, keepdim):
    with expected_float_errors(xp):  # a square of 1e30 in float32 is inf, as in PyTorch
        if p == 2:
            return xp.sqrt((x * x).sum(axis=dims, keepdims=keepdim))
        if p == 1:
            return xp.abs(x).sum(axis=dims, keepdims=keepdim)
        if p == math.inf:
            return xp.abs(x).max(axis=dims, keepdims=keepdim)
        if p == -math.inf:
            return xp.abs(x).min(axis=dims, keepdims=keepdim)
        if p == 0:
            return (x != 0).sum(axis=dims, keepdims=keepdim, dtype=x.dtype)
        return (xp.abs(x) ** p).sum(axis=dims, keepdims=keepdim) ** (1.0 / p)


def _count(shape, dims) -> int:
    return math.prod(shape[d] for d in dims)


def _reduced(shape, dims) -> tuple:
    return tuple(n for i, n in enumerate(shape) if i not in dims)


class PairwiseDistance(Function):
    """The ``p``-norm of ``diff`` over its last dim, as PyTorch's cdist kernel computes it.

    It differs from ``VectorNorm`` where PyTorch's kernels do: the inf-norm skips NaN, a NaN
    difference makes its gradient NaN (the kernel's sign of NaN is NaN), each element that ties
    for the inf-norm gets all of the gradient, and a zero distance passes no gradient even
    from an infinite one.
    """

    def forward(self, diff, p):
        self.p = p
        xp = self.xp
        if p == math.inf:  # PyTorch's max(agg, |d|) from agg = 0 keeps agg when |d| is NaN
            magnitude = xp.abs(diff)
            y = xp.where(magnitude != magnitude, 0, magnitude).max(axis=-1)
        else:
            y = _norm_array(xp, diff, p, (diff.ndim - 1,), False)
        y = xp.asarray(y, dtype=diff.dtype)
        self.save_for_backward(diff, y)
        return y

    def backward(self, gy):
        diff, y = self.saved_tensors
        p = self.p
        if p == 0:
            return _zeros_like(diff)
        gy, y = gy.unsqueeze(-1), y.unsqueeze(-1)  # (..., P, R) -> (..., P, R, 1)
        # the kernel's sign: NaN for NaN (a selection of diff itself keeps the graph intact)
        signs = where(isnan(diff), diff, sign(diff))
        if p == 1:
            return gy * signs
        if p == math.inf:
            # 1 where |d| equals the distance, NaN where the comparison is NaN, else 0
            mask = computed(_tie_mask, diff, y)
            return gy * signs * mask
        zero = y == 0
        y_safe = where(zero, 1.0, y)
        if p == 2:
            return where(zero, 0.0, gy * diff / y_safe)
        scaled = signs * _abs_power(diff, p - 1) if p < 2 else diff * _abs_power(diff, p - 2)
        g = where(zero, 0.0, scaled * gy / y_safe ** (p - 1))
        return where(diff == 0, 0.0, g) if p < 1 else g  # selected, as the kernel does


def _abs_power(x: Tensor, e: float) -> Tensor:
    """``|x| ** e``, taken as 0 at x = 0 for e < 1, where the power or its derivative is
    infinite: the power of a safe 1 is selected away there, so no infinity is computed."""
    if e >= 1:
        return x.abs() ** e
    x_zero = x == 0
    return where(x_zero, 0.0, where(x_zero, 1.0, x.abs()) ** e)


def _tie_mask(diff, y):
    xp = array_module(diff)
    gap = xp.abs(xp.abs(diff) - y)
    return xp.where(gap == 0, 1, xp.where(gap != gap, gap, 0)).astype(diff.dtype)


def _order(op: str, p) -> float:
    if isinstance(p, bool) or not isinstance(p, numbers.Real):
        raise TypeError(f"{op}: p must be a number, got {p!r}")
    return float(p)


def _float_only(op: str, x: Tensor) -> None:
    if not is_floating(x.dtype):
        raise RuntimeError(f"{op}: expected a floating-point tensor, got {x.dtype}")


@dim_or_axis
def norm(input: Tensor, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """The vector ``p``-norm over ``dim`` (all elements by default); ``torch.norm``.

    ``p`` is a number (2, 1, inf, -inf, 0 or any other) or "fro" (the 2-norm of the
    elements). The gradient of the 2-norm at zero is 0, as PyTorch's.

    >>> import shenjing as sj
    >>> x = sj.tensor([[3.0, -4.0], [0.0, 1.0]])
    >>> sj.norm(x), sj.norm(x, 1, dim=1), x.norm(float("inf"))
    (tensor(5.0990), tensor([7., 1.]), tensor(4.))
    """
    require_tensor("norm", input)
    if dtype is not None:
        input = input.to(dtype)
    _float_only("norm", input)
    if isinstance(p, str):
        if p == "nuc":
            raise NotImplementedError("norm: the nuclear norm needs a singular value "
                                      "decomposition, which shenjing does not have")
        if p != "fro" or (isinstance(dim, (list, tuple)) and len(dim) > 2):
            raise RuntimeError(f"norm: order {p!r} over dim {dim} is not supported (numbers "
                               f"and 'fro' over at most 2 dims are)")
        p = 2.0
    p = 2.0 if p is None else _order("norm", p)
    dims = normalize_dims("norm", dim, input.ndim)
    return VectorNorm.apply(input, p=p, dims=dims, keepdim=keepdim)


def dist(input: Tensor, other: Tensor, p=2) -> Tensor:
    """The ``p``-norm of ``input - other`` (broadcast); equivalent of ``torch.dist``.

    >>> import shenjing as sj
    >>> sj.dist(sj.tensor([1.0, 1.0]), sj.tensor([4.0, 5.0]))
    tensor(5.)
    """
    require_tensor("dist", input)
    require_tensor("dist", other)
    return norm(input - other, _order("dist", p))


def cdist(x1: Tensor, x2: Tensor, p=2.0, compute_mode=None) -> Tensor:
    """The ``p``-norm distance between each row of ``x1`` and each row of ``x2``.

    (..., P, M) and (..., R, M) -> (..., P, R), batch dims broadcast. The gradient at a zero
    distance is 0 (p = 2), as PyTorch's. ``compute_mode`` is accepted and ignored: the
    distances are always computed directly, never through a matrix product.
    Equivalent of ``torch.cdist``.

    >>> import shenjing as sj
    >>> sj.cdist(sj.tensor([[0.0, 0.0], [1.0, 1.0]]), sj.tensor([[3.0, 4.0]]))
    tensor([[5.0000],
            [3.6056]])
    """
    require_tensor("cdist", x1)
    require_tensor("cdist", x2)
    for name, x in (("x1", x1), ("x2", x2)):
        if x.ndim < 2:
            raise RuntimeError(f"cdist: {name} must have at least 2 dims, got shape {x.shape}")
        _float_only("cdist", x)
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"cdist: x1 of shape {x1.shape} and x2 of shape {x2.shape} must "
                           f"have the same number of columns")
    p = _order("cdist", p)
    if p < 0:
        raise RuntimeError(f"cdist: p must be non-negative, got {p}")
    broadcast_shape("cdist", x1.shape[:-2], x2.shape[:-2])
    x1, x2 = promote(x1, x2)
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)  # (..., P, 1, M) - (..., 1, R, M) -> (..., P, R, M)
    return PairwiseDistance.apply(diff, p=p)


class NormFloor(Function):
    """``max(norm, eps)`` whose gradient passes as if there were no floor.

    PyTorch's cosine_similarity clamps the norms in place without recording it, so their
    gradient is the norm's own; this is that clamp as an operation.
    """

    def forward(self, x, eps):
        return self.xp.maximum(x, eps)

    def backward(self, gy):
        return gy


@dim_or_axis
def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """``sum(x1 * x2, dim) / (max(|x1|, eps) * max(|x2|, eps))`` after broadcasting.

    Each input is divided by its norm before the product, as PyTorch 2.13 does, which keeps
    the result in [-1, 1]. Equivalent of ``torch.nn.functional.cosine_similarity``.

    >>> import shenjing as sj
    >>> sj.cosine_similarity(sj.tensor([[1.0, 0.0]]), sj.tensor([[1.0, 1.0]]))
    tensor([0.7071])
    """
    require_tensor("cosine_similarity", x1)
    require_tensor("cosine_similarity", x2)
    shape = broadcast_shape("cosine_similarity", x1.shape, x2.shape)
    x1, x2 = promote(x1, x2)
    if not is_floating(x1.dtype):
        x1, x2 = x1.float(), x2.float()
    x1 = x1 if x1.shape == shape else x1.expand(shape)
    x2 = x2 if x2.shape == shape else x2.expand(shape)
    d = normalize_dim("cosine_similarity", dim, len(shape))
    n1, n2 = (NormFloor.apply(VectorNorm.apply(x, p=2.0, dims=(d,), keepdim=True), eps=eps)
              for x in (x1, x2))
    return ((x1 / n1) * (x2 / n2)).sum(d)


@dim_or_axis
def normalize(input: Tensor, p=2.0, dim: int = 1, eps: float = 1e-12, out=None) -> Tensor:
    """``input / max(norm(input, p, dim), eps)``: unit ``p``-norm slices along ``dim``.

    Equivalent of ``torch.nn.functional.normalize``.

    >>> import shenjing as sj
    >>> sj.nn.functional.normalize(sj.tensor([[3.0, 4.0]]))
    tensor([[0.6000, 0.8000]])
    """
    if out is not None:
        raise TypeError("normalize: out= is not supported; use the returned tensor")
    require_tensor("normalize", input)
    return input / clamp(norm(input, p, dim, keepdim=True), min=eps)


# -- one-hot -------------------------------------------------------------------------------------
class OneHot(Function):
    """(...) int64 classes -> (..., C) int64 rows of zeros with a 1 at each class."""

    differentiable = False

    def forward(self, x, num_classes):
        xp = self.xp
        if x.size and int(x.min()) < 0:
            raise RuntimeError(f"one_hot: class values must be non-negative, got {int(x.min())}")
        if x.size and int(x.max()) >= num_classes:
            raise RuntimeError(f"one_hot: class values must be smaller than num_classes = "
                               f"{num_classes}, got {int(x.max())}")
        return (x[..., None] == xp.arange(num_classes)).astype("int64")


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """(...) int64 class indices -> (..., num_classes) int64 one-hot rows.

    ``num_classes=-1`` takes the largest class plus one: that reads the data, so a compiled
    step refuses it (pass ``num_classes``). Equivalent of ``torch.nn.functional.one_hot``.

    >>> import shenjing as sj
    >>> sj.nn.functional.one_hot(sj.tensor([0, 2]))
    tensor([[1, 0, 0],
            [0, 0, 1]])
    """
    require_tensor("one_hot", tensor)
    if str(tensor.dtype) != "int64":
        raise RuntimeError(f"one_hot: expects an int64 tensor of class indices, got "
                           f"{tensor.dtype}")
    if num_classes == -1:
        tracing.refuse("one_hot without num_classes",
                       "the number of classes, the output's last dim, is read from the data")
        if tensor.numel() == 0:
            raise RuntimeError("one_hot: cannot infer the number of classes from an empty "
                               "tensor; pass num_classes")
        num_classes = int(tensor.max().item()) + 1
    elif not isinstance(num_classes, numbers.Integral) or num_classes < 0:
        raise ShapeError(f"one_hot: num_classes must be -1 or a non-negative int, got "
                         f"{num_classes!r}")
    return OneHot.apply(tensor, num_classes=int(num_classes))
