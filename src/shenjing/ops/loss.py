"""Loss functions: cross-entropy and negative log-likelihood, regression, binary, hinge, L2.

Names, signatures and values follow ``torch.nn.functional``, including PyTorch's conventions for
``reduction`` (``'mean'``, ``'sum'``, ``'none'``), class weights, ``ignore_index`` and label
smoothing. The deprecated ``size_average`` and ``reduce`` arguments are accepted, with PyTorch's
warning, so that PyTorch code runs unchanged.

Cross-entropy and binary cross-entropy are fused operations (one pass forward, a closed-form
gradient backward, written with operations so that second derivatives work); the other losses
are short compositions of existing operations, differentiable to any order.

Class weights (``weight`` of the classification losses, ``pos_weight``) are constants, as in
PyTorch: passing one that requires grad raises. The elementwise ``weight`` of ``mse_loss``,
``l1_loss`` and ``huber_loss`` is differentiable, as in PyTorch.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Iterable

from shenjing.autograd import tracing
from shenjing.autograd.function import (
    ArgumentError,
    DtypeError,
    Function,
    IndexRangeError,
    ShapeError,
)
from shenjing.autograd.grad_mode import is_grad_enabled
from shenjing.autograd.tensor import Tensor
from shenjing.backend import array_module, expected_float_errors, is_floating
from shenjing.ops.activation import _max_keepdim, log_softmax, softmax, softplus
from shenjing.ops.checks import broadcast_shape, require_tensor
from shenjing.ops.elementwise import _zero_unless, abs, clamp, log, log1p, where
from shenjing.ops.indexing import GetItem, IndexBackward

_REDUCTIONS = ("mean", "sum", "none")


# -- shared checks -------------------------------------------------------------------------------
def _reduction(op: str, reduction: str, size_average=None, reduce=None) -> str:
    """The reduction to apply; the deprecated ``size_average``/``reduce`` map as in PyTorch."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "mean" if size_average and reduce else "sum" if reduce else "none"
        warnings.warn("size_average and reduce args will be deprecated, please use "
                      f"reduction='{reduction}' instead.", stacklevel=3)
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    return reduction


def _require_float(op: str, name: str, x: Tensor) -> Tensor:
    require_tensor(op, x)
    if not is_floating(x.dtype):
        raise DtypeError(f"{op}: {name} must be a floating-point tensor, got {x.dtype} "
                         f"of shape {x.shape}")
    return x


def _constant_weight(op: str, name: str, weight, like: Tensor, shape=None):
    """``weight`` as a constant of ``like``'s dtype (broadcastable to ``shape``), or None."""
    if weight is None:
        return None
    _require_float(op, name, weight)
    if weight.requires_grad and is_grad_enabled():
        raise RuntimeError(f"{op}: {name} is a constant and takes no gradient (as in PyTorch); "
                           f"pass {name}.detach()")
    if shape is not None and not _broadcasts_to(weight.shape, shape):
        raise ShapeError(f"{op}: {name} of shape {weight.shape} does not broadcast to the "
                         f"input's shape {tuple(shape)}")
    return weight if weight.dtype == like.dtype else weight.to(like.dtype)


def _broadcasts_to(shape, target) -> bool:
    try:
        return broadcast_shape("", shape, target) == tuple(target)
    except ShapeError:
        return False


def _class_weight(op: str, weight, input: Tensor, C: int):
    """A per-class weight: a float tensor of shape (C,), or None."""
    weight = _constant_weight(op, "weight", weight, input)
    if weight is not None and weight.shape != (C,):
        raise ShapeError(f"{op}: weight must have shape ({C},), one weight per class, got "
                         f"shape {weight.shape}")
    return weight


def _class_dim_size(op: str, input: Tensor) -> int:
    """C for an input of shape (C,), (N, C) or (N, C, d1, ...)."""
    if input.ndim == 0:
        raise ShapeError(f"{op}: input must have a class dim, shape (C,), (N, C) or "
                         f"(N, C, d1, ...), got a 0-dim tensor")
    C = input.shape[0 if input.ndim == 1 else 1]
    if C == 0:
        raise ShapeError(f"{op}: input of shape {input.shape} has no classes")
    return C


def _check_class_target(op: str, input: Tensor, target: Tensor, C: int, ignore_index,
                        *, values: bool = True) -> None:
    """Class indices: an integer tensor shaped like ``input`` without its class dim, in [0, C).

    ``values=False`` checks the dtype and shape only, for an operation whose forward checks the
    values itself (CrossEntropy: one reduction both checks them and picks its fast path)."""
    expected = input.shape[:1] + input.shape[2:] if input.ndim > 1 else ()
    if target.dtype.kind not in "iu":
        raise DtypeError(f"{op}: target of class indices must be an integer tensor, got "
                         f"{target.dtype} of shape {target.shape}")
    if target.shape != expected:
        raise ShapeError(f"{op}: target of shape {target.shape} does not fit input of shape "
                         f"{input.shape}: class indices need shape {expected} (the input's shape "
                         "without its class dim 1)")
    if values:  # a kernel: a compiled step checks every batch's targets too
        tracing.kernel(_check_classes, target, op=op, C=C, ignore_index=ignore_index,
                       name=f"{op}: check targets")


def _check_classes(t, *, op: str, C: int, ignore_index) -> bool:
    """Raise IndexRangeError for a target outside [0, C) that is not ``ignore_index``.

    Returns True when every target is a class index in [0, C), which a negative
    ``ignore_index`` then cannot be. One reduction in that common case: read as unsigned
    integers of the same width, negative indices are huge, so ``max < C`` means ``0 <= t < C``.
    """
    if t.size == 0:
        return True
    unsigned = t.view(_UNSIGNED[t.dtype.itemsize]) if t.dtype.kind == "i" else t
    if unsigned.max() < C:
        return True
    bad = (t != ignore_index) & ((t < 0) | (t >= C))
    if bad.any():
        raise IndexRangeError(f"{op}: target {int(t[bad].flat[0])} is out of bounds for {C} "
                              f"classes (class indices run from 0 to {C - 1}; ignore_index is "
                              f"{ignore_index})")
    return False


_UNSIGNED = {1: "u1", 2: "u2", 4: "u4", 8: "u8"}  # the unsigned integers of each width


def _class_key(xp, classes) -> tuple:
    """Index arrays picking ``x[n, classes[n, i, ...], i, ...]`` from x of shape (N, C, d1, ...).

    ``classes`` has shape (N, d1, ...); every other dim gets an open ``arange`` grid.
    """
    k = classes.ndim
    grids = [xp.arange(n).reshape([-1 if j == d else 1 for j in range(k)])
             for d, n in enumerate(classes.shape)]
    return (grids[0], classes, *grids[1:])


def _target_weights(xp, target, weight, ignore_index, dtype):
    """For class indices (N, d1, ...): the key that picks each element's target class, the
    weight ``a`` of that class (0 where the target is ``ignore_index``) and the valid mask.
    """
    valid = target != ignore_index
    classes = xp.where(valid, target, 0)  # ignored elements point at class 0, with weight 0
    if weight is None:
        a = valid.astype(dtype)
    else:
        a = xp.where(valid, weight[classes], 0).astype(dtype, copy=False)
    return _class_key(xp, classes), a, valid


def _column(g: Tensor) -> Tensor:
    """A per-element gradient (N, d1, ...) as (N, 1, d1, ...), to broadcast over classes."""
    return g.unsqueeze(1) if g.ndim else g


def _reduce_array(xp, loss, reduction: str, count):
    """Forward reduction on arrays; a mean over nothing (count 0) is NaN, as in PyTorch."""
    if reduction == "none":
        return loss
    total = loss.sum()
    if reduction == "sum":
        return total
    if count == 0:
        return xp.asarray(math.nan, dtype=loss.dtype)
    return total / count


class MeanScale(Function):
    """``gy / count``, 0 when count is 0: the gradient of a mean over ``count`` elements.

    One operation, because the count is a value of the forward pass (ignored targets do not
    count), read when the gradient is computed: a compiled step replays it with each batch's
    count instead of the first one's.
    """

    @staticmethod
    def compute(xp, gy, count):
        return _upstream_array(gy, "mean", count)

    def forward(self, gy, count):
        self.count = count
        return self.compute(self.xp, gy, count)

    def backward(self, gg):
        return MeanScale.apply(gg, count=self.count)


def _upstream_array(gy, reduction: str, count):
    """``_upstream`` on arrays."""
    if reduction != "mean":
        return gy
    # With nothing to average over, the loss is NaN but every element's gradient is zero.
    return gy * (1.0 / float(count) if count else 0.0)


def _upstream(gy: Tensor, reduction: str, count) -> Tensor:
    """The gradient reaching each element of the unreduced loss: () for mean and sum."""
    if reduction != "mean":
        return gy
    return MeanScale.apply(gy, count=count)


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    """Reduce a composite loss; the mean of nothing is NaN, as in PyTorch."""
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if loss.numel() == 0:
        return loss.sum() + math.nan  # and the gradients stay zero
    return loss.mean()


def _check_pair(op: str, input: Tensor, target: Tensor) -> None:
    """Regression losses broadcast input and target, and warn when the shapes differ (PyTorch)."""
    _require_float(op, "input", input)
    require_tensor(op, target)
    if target.shape != input.shape:
        broadcast_shape(op, input.shape, target.shape)
        warnings.warn(f"{op}: using a target size {target.shape} that is different to the "
                      f"input size {input.shape}. This will likely lead to incorrect results "
                      "due to broadcasting. Please ensure they have the same size.",
                      stacklevel=3)


def _elementwise_weight(op: str, weight, input: Tensor):
    if weight is None:
        return None
    weight = _require_float(op, "weight", weight)
    if weight.shape != input.shape:
        raise ShapeError(f"{op}: weight of shape {weight.shape} must have the input's shape "
                         f"{input.shape}")
    return weight


# -- cross-entropy and negative log-likelihood ---------------------------------------------------
class CrossEntropy(Function):
    """Log-softmax over the class dim 1 and the negative log-likelihood, fused in one pass.

    ``target`` holds class indices (N, d1, ...) or class probabilities (N, C, d1, ...). Per
    element the loss is ``sum_c q_c (logsumexp(x) - x_c)`` with ``q`` the weighted, smoothed
    target distribution, so its gradient is ``softmax(x) * sum(q) - q``. For class indices
    ``q`` is a scaled one-hot plus a constant, and the one-hot part is scattered by index.
    """

    def forward(self, x, target, weight, reduction, ignore_index, label_smoothing):
        xp = self.xp
        C = x.shape[1]
        eps = label_smoothing
        self.reduction, self.eps = reduction, eps
        self.probabilities = target.shape == x.shape
        # the class weights (C,) as (1, C, 1, ...), to broadcast against (N, C, d1, ...)
        self.w = None if weight is None else weight.reshape((1, C) + (1,) * (x.ndim - 2))
        # Class indices: all in [0, C)? Checked here, so that a compiled step checks each batch.
        classes = self.probabilities or _check_classes(target, op="cross_entropy", C=C,
                                                       ignore_index=ignore_index)

        shifted = x - _max_keepdim(x, 1)  # the max is subtracted: exp cannot overflow
        p = xp.exp(shifted)
        total = p.sum(axis=1, keepdims=True)
        logp = shifted
        logp -= xp.log(total)  # log-softmax, finite for any finite logits
        p /= total  # softmax, which is all that backward needs

        if self.probabilities:
            q = target.astype(x.dtype, copy=False)
            if eps:
                q = q * (1 - eps) + eps / C
            if weight is not None:
                q = q * self.w
            loss = -(q * logp).sum(axis=1)  # (N, d1, ...)
            self.count = loss.size  # the mean is over batch elements, whatever the weights
            self.save_for_backward(x, target, p)
            return _reduce_array(xp, loss, reduction, self.count)

        if weight is None and not eps and x.ndim == 2:
            # Then none is ignore_index when it is not a class (the default -100 is not).
            if classes and (not 0 <= ignore_index < C or (target != ignore_index).all()):
                # The common case, every class index counted with weight 1: the general path's
                # numbers (a is all ones) with fewer array calls.
                N = x.shape[0]
                self.key, self.valid = (xp.arange(N), target), None
                self.count = x.dtype.type(N)
                # a = coef_s = 1 everywhere: None says so (g * 1 is g, exactly)
                self.coefs = (None, None, None)
                self.save_for_backward(x, None, p)
                return _reduce_array(xp, -logp[self.key], reduction, self.count)
        # a: the weight of each element's own class, 0 where ignored; the mean divides by sum(a)
        self.key, a, valid = _target_weights(xp, target, weight, ignore_index, x.dtype)
        self.valid = _ignored_any(valid)
        loss = -a * logp[self.key]  # (N, d1, ...)
        self.count = a.sum()
        coef_b = None
        if eps:
            # Smoothing spreads eps/C of each valid element's mass over all classes by weight.
            coef_b = valid.astype(x.dtype) * (eps / C)
            smooth = -(logp.sum(axis=1) if weight is None else (logp * self.w).sum(axis=1))
            loss = (1 - eps) * loss + (eps / C) * smooth
            a = (1 - eps) * a
        if self.valid is not None:  # ignored elements give 0, even with infinite logits
            loss = _zero_unless(xp, valid, loss)
        # Gradient per element: softmax * coef_s - (a at the target) - coef_b * w.
        coef_s = a if not eps else a + coef_b * (C if weight is None else weight.sum())
        self.coefs = (a, coef_s, coef_b)
        self.save_for_backward(x, None, p)
        return _reduce_array(xp, loss, reduction, self.count)

    def backward(self, gy):
        x, target, p = self.saved_tensors
        if not is_grad_enabled() and not self.probabilities:
            return CrossEntropyClassGradient.apply(gy, p, loss=self), None, None
        g = _upstream(gy, self.reduction, self.count)  # () or (N, d1, ...)
        if not self.probabilities:
            # Which elements are ignored is this batch's: a compiled step cannot hold it.
            tracing.refuse("cross_entropy's gradient with create_graph",
                           "which targets are ignored decides the operations recorded")
            g = _without_ignored(g, self.valid)
        if is_grad_enabled():
            p = softmax(x, dim=1)  # create_graph: softmax must depend on x for second derivatives
        w = None if self.w is None else Tensor._make(self.w)
        gx = gt = None
        if self.probabilities:
            g = _column(g)
            if self.needs_input_grad[0]:
                q = (target * (1 - self.eps) + self.eps / x.shape[1]) if self.eps else target
                q = q if w is None else q * w
                gx = (p * q.sum(dim=1, keepdim=True) - q) * g
            if self.needs_input_grad[1]:
                # d/dq of -sum(q log p): -log p, through the smoothing and the weights
                gt = log_softmax(x, dim=1) * (g * -(1 - self.eps))
                gt = gt if w is None else gt * w
            return gx, gt, None
        a, coef_s, coef_b = (None if c is None else Tensor._make(c) for c in self.coefs)
        ga, gs = (g, g) if a is None else (g * a, g * coef_s)  # None: every weight is 1
        # The one-hot part of q is scattered at the targets: no dense one-hot is built.
        gx = p * _column(gs) - IndexBackward.apply(ga, shape=x.shape, key=self.key)
        if coef_b is not None:
            gx = gx - _column(g * coef_b) * (1.0 if w is None else w)
        return gx, None, None


class CrossEntropyClassGradient(Function):
    """The gradient of ``CrossEntropy`` for class indices from the loss's gradient ``gy``, on
    arrays in one buffer: ``(softmax * coef_s - a at the target - coef_b * w) * g``.

    A plain backward (no create_graph) needs no graph of the gradient, so it skips the
    operations of the general path: this is the path of every training step. ``loss`` is the
    forward ``CrossEntropy`` node; the mean's count, which elements are ignored and the
    weights are read from it when this runs, so that a compiled step replays each batch's.
    """

    differentiable = False

    def forward(self, gy, p, loss):
        return self.compute(self.xp, gy, p, loss)

    @staticmethod
    def compute(xp, gy, p, loss):
        g = _upstream_array(gy, loss.reduction, loss.count)
        if loss.valid is not None:
            g = _zero_unless(xp, loss.valid, g)  # () or (N, d1, ...) -> (N, d1, ...)
        a, coef_s, coef_b = loss.coefs
        if a is None:  # every weight 1 (the common case): softmax - one-hot, times g
            if g.ndim:
                g = g[:, None]
            gx = p * g
            gx[loss.key] -= g if g.ndim == 0 else g[:, 0]
            return gx
        gx = p * (g * coef_s)[:, None]  # (N, d1, ...) -> (N, 1, d1, ...)
        gx[loss.key] -= g * a  # one class per element: no index repeats
        if coef_b is not None:
            gx -= (g * coef_b)[:, None] * (1.0 if loss.w is None else loss.w)
        return gx


def _ignored_any(valid):
    """The valid mask when some element is ignored, else None (nothing to select)."""
    return None if valid.all() else valid


def _without_ignored(g: Tensor, valid) -> Tensor:
    """The upstream gradient, () or (N, d1, ...), as 0 at the ignored elements (N, d1, ...).

    Selected, so that no product at an ignored element (weight 0 times an infinite gradient)
    gives NaN: PyTorch passes ignored elements no gradient at all.
    """
    if valid is None:
        return g
    return where(Tensor._make(valid), g, 0.0)


def _as_batch(input: Tensor, target: Tensor, probabilities: bool):
    """An unbatched input (C,) and its target as a batch of one: (1, C) and (1,) or (1, C)."""
    if input.ndim != 1:
        return input, target
    return input.unsqueeze(0), target.unsqueeze(0) if probabilities else target.reshape(1)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average=None, ignore_index: int = -100, reduce=None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy between logits and targets, from a stable log-softmax; ``F.cross_entropy``.

    ``input`` holds logits of shape (C,), (N, C) or (N, C, d1, ...), classes in dim 1.
    ``target`` holds class indices (integers, the input's shape without dim 1), or class
    probabilities (floats, the input's shape). ``weight`` (C,) weighs each class; targets equal
    to ``ignore_index`` add nothing; ``label_smoothing`` mixes the target with the uniform
    distribution. With class indices, ``'mean'`` divides by the summed weight of the targets
    that are not ignored, as PyTorch does; with probabilities, by the number of elements.

    >>> import shenjing as sj
    >>> from shenjing.ops.loss import cross_entropy
    >>> logits = sj.tensor([[2.0, 0.5, -1.0], [0.0, 1e4, 0.0]])
    >>> cross_entropy(logits, sj.tensor([0, 0]), reduction="none")
    tensor([2.4131e-01, 1.0000e+04])
    >>> cross_entropy(logits, sj.tensor([0, 1]), label_smoothing=0.1)
    tensor(333.5290)
    """
    op = "cross_entropy"
    reduction = _reduction(op, reduction, size_average, reduce)
    _require_float(op, "input", input)
    require_tensor(op, target)
    C = _class_dim_size(op, input)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ArgumentError(f"{op}: label_smoothing must be in [0, 1], got {label_smoothing}")
    weight = _class_weight(op, weight, input, C)
    probabilities = target.shape == input.shape
    if probabilities:
        if not is_floating(target.dtype):
            raise DtypeError(f"{op}: a target of the input's shape {input.shape} holds class "
                             f"probabilities and must be floating-point, got {target.dtype}")
        if ignore_index >= 0:
            raise ValueError(f"{op}: ignore_index ({ignore_index}) is not supported for targets "
                             "of class probabilities")
        target = target if target.dtype == input.dtype else target.to(input.dtype)
    else:
        _check_class_target(op, input, target, C, ignore_index, values=False)
    x, t = _as_batch(input, target, probabilities)
    y = CrossEntropy.apply(x, t, weight, reduction=reduction, ignore_index=ignore_index,
                           label_smoothing=float(label_smoothing))
    return y.reshape(()) if input.ndim == 1 and reduction == "none" else y


class NegativeLogLikelihood(Function):
    """``-weight[t] * x[n, t, ...]`` at each element's target class t, picked by index.

    Linear in x: backward scatters the weighted gradient back to the picked positions.
    """

    def forward(self, x, target, weight, reduction, ignore_index):
        xp = self.xp
        self.key, a, valid = _target_weights(xp, target, weight, ignore_index, x.dtype)
        self.shape, self.reduction, self.count = x.shape, reduction, a.sum()
        self.valid = _ignored_any(valid)
        self.save_for_backward(a)
        loss = -a * x[self.key]
        if self.valid is not None:  # ignored elements give 0, even where the input is infinite
            loss = _zero_unless(xp, valid, loss)
        return _reduce_array(xp, loss, reduction, self.count)

    def backward(self, gy):
        (a,) = self.saved_tensors
        if not is_grad_enabled():
            return NegativeLogLikelihoodGradient.apply(gy, a, loss=self), None, None
        # create_graph: the scatter is recorded, for gradients of g
        tracing.refuse("nll_loss's gradient with create_graph",
                       "which targets are ignored decides the operations recorded")
        g = _without_ignored(_upstream(gy, self.reduction, self.count), self.valid)
        return IndexBackward.apply(-(g * a), shape=self.shape, key=self.key), None, None


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class indices, given log-probabilities; ``F.nll_loss``.

    ``input`` holds log-probabilities (for instance from ``log_softmax``) of shape (C,), (N, C)
    or (N, C, d1, ...); ``target`` the class indices, shaped like the input without dim 1.
    Each element's loss is ``-weight[t] * input[n, t]``; ``'mean'`` divides by the summed weight
    of the targets that are not ``ignore_index``.

    >>> import shenjing as sj
    >>> from shenjing.ops.loss import nll_loss
    >>> logp = sj.log_softmax(sj.tensor([[2.0, 0.5, -1.0], [0.0, 1.0, 0.0]]), dim=1)
    >>> nll_loss(logp, sj.tensor([0, 1]))
    tensor(0.3964)
    >>> nll_loss(logp, sj.tensor([0, 2]), ignore_index=2)
    tensor(0.2413)
    """
    op = "nll_loss"
    reduction = _reduction(op, reduction, size_average, reduce)
    _require_float(op, "input", input)
    require_tensor(op, target)
    C = _class_dim_size(op, input)
    weight = _class_weight(op, weight, input, C)
    _check_class_target(op, input, target, C, ignore_index)
    x, t = _as_batch(input, target, False)
    y = NegativeLogLikelihood.apply(x, t, weight, reduction=reduction, ignore_index=ignore_index)
    return y.reshape(()) if input.ndim == 1 and reduction == "none" else y


# -- regression losses ---------------------------------------------------------------------------
def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
             reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Mean squared error ``(input - target) ** 2``; equivalent of ``F.mse_loss``.

    ``weight`` (the input's shape) weighs each element; the weighted mean divides by its sum.

    >>> import shenjing as sj
    >>> from shenjing.ops.loss import mse_loss
    >>> mse_loss(sj.tensor([1.0, 2.0, 4.0]), sj.tensor([1.0, 0.0, 1.0]))
    tensor(4.3333)
    """
    op = "mse_loss"
    reduction = _reduction(op, reduction, size_average, reduce)
    _check_pair(op, input, target)
    weight = _elementwise_weight(op, weight, input)
    d = input - target
    loss = d * d
    if weight is None:
        return _reduce(loss, reduction)
    loss = loss * weight
    return loss.sum() / weight.sum() if reduction == "mean" else _reduce(loss, reduction)


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
            reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Mean absolute error ``|input - target|``; equivalent of ``F.l1_loss``.

    ``weight`` (the input's shape) weighs each element; the weighted mean divides by its sum.

    >>> import shenjing as sj
    >>> from shenjing.ops.loss import l1_loss
    >>> l1_loss(sj.tensor([1.0, 2.0, 4.0]), sj.tensor([1.0, 0.0, 1.0]), reduction="sum")
    tensor(5.)
    """
    op = "l1_loss"
    reduction = _reduction(op, reduction, size_average, reduce)
    _check_pair(op, input, target)
    weight = _elementwise_weight(op, weight, input)
    loss = abs(input - target)  # gradient sign(0) = 0 where input equals target, as in PyTorch
    if weight is None:
        return _reduce(loss, reduction)
    loss = loss * weight
    return loss.sum() / weight.sum() if reduction == "mean" else _reduce(loss, reduction)


class NegativeLogLikelihoodGradient(Function):
    """The gradient of ``NegativeLogLikelihood`` on arrays: ``-g * a`` scattered at the targets
    (one class per element: no index repeats), zeros elsewhere. ``loss`` is the forward node,
    whose count and ignored elements are read when this runs (each batch's, when replayed)."""

    differentiable = False

    def forward(self, gy, a, loss):
        g = _upstream_array(gy, loss.reduction, loss.count)
        if loss.valid is not None:
            g = _zero_unless(self.xp, loss.valid, g)
        gx = self.xp.zeros(loss.shape, dtype=a.dtype)
        gx[loss.key] = -(g * a)
        return gx


class SmoothL1(Function):
    """``scale * (0.5 d**2 / beta if |d| < beta else |d| - 0.5 beta)`` for each difference d.

    Smooth L1 (scale 1) and Huber (scale = beta = delta) in one operation rather than a
    ``where`` of two branches: the quadratic branch not taken must pass no gradient at all,
    where its ``0 * d`` would give NaN for an infinite d. The slope is
    ``scale * clamp(d / beta, -1, 1)``, as PyTorch's.
    """

    def forward(self, d, beta, scale):
        xp = self.xp
        self.beta, self.scale = beta, scale
        self.save_for_backward(d)
        ad = xp.abs(d)
        with expected_float_errors(xp):  # d * d overflows on the side it is not taken
            loss = xp.where(ad < beta, (0.5 / beta) * d * d, ad - 0.5 * beta)
        return loss if scale == 1.0 else scale * loss

    def backward(self, gy):
        (d,) = self.saved_tensors
        slope = clamp(d * (1.0 / self.beta), -1.0, 1.0)
        return gy * (slope if self.scale == 1.0 else slope * self.scale)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """``0.5 d**2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta``; ``F.smooth_l1_loss``.

    ``d = input - target``. ``beta = 0`` is the L1 loss.

    >>> import shenjing as sj
    >>> from shenjing.ops.loss import smooth_l1_loss
    >>> smooth_l1_loss(sj.tensor([0.5, 3.0]), sj.tensor([0.0, 0.0]), reduction="none")
    tensor([0.1250, 2.5000])
    """
    op = "smooth_l1_loss"
    reduction = _reduction(op, reduction, size_average, reduce)
    if beta < 0:
        raise ArgumentError(f"{op}: beta must be non-negative, got {beta}")
    _check_pair(op, input, target)
    if beta == 0:
        return _reduce(abs(input - target), reduction)
    return _reduce(SmoothL1.apply(input - target, beta=beta, scale=1.0), reduction)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """``0.5 d**2`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)``; ``F.huber_loss``.

    ``d = input - target``; this is ``delta`` times the smooth L1 loss with ``beta = delta``.
    ``weight`` (the input's shape) weighs each element; unlike ``mse_loss`` and ``l1_loss``, the
    weighted mean divides by the number of elements, as PyTorch's does.

    >>> import shenjing as sj
    >>> from shenjing.ops.loss import huber_loss
    >>> huber_loss(sj.tensor([0.5, 3.0]), sj.tensor([0.0, 0.0]), reduction="none", delta=2.0)
    tensor([0.1250, 4.0000])
    """
    op = "huber_loss"
    reduction = _reduction(op, reduction)
    if delta <= 0:
        raise ArgumentError(f"{op}: delta must be positive, got {delta}")
    _check_pair(op, input, target)
    weight = _elementwise_weight(op, weight, input)
    loss = SmoothL1.apply(input - target, beta=delta, scale=delta)
    return _reduce(loss if weight is None else loss * weight, reduction)


# -- binary cross-entropy ------------------------------------------------------------------------
class BinaryCrossEntropy(Function):
    """``-w (t log x + (1 - t) log(1 - x))`` with each log clamped at -100, as in PyTorch.

    The clamp keeps the loss finite at x = 0 or 1; backward uses PyTorch's gradient
    ``w (x - t) / max(x (1 - x), 1e-12)``, large but finite there.
    """

    def forward(self, x, target, weight, reduction):
        xp = self.xp
        self.reduction, self.count = reduction, x.size
        with expected_float_errors(xp):  # log(0) = -inf, clamped to -100 just below
            log_x = xp.maximum(xp.log(x), -100)
            log_1mx = xp.maximum(xp.log1p(-x), -100)
        loss = (target - 1) * log_1mx - target * log_x
        if weight is not None:
            loss = loss * weight
        self.save_for_backward(x, target, weight)
        return _reduce_array(xp, loss.astype(x.dtype, copy=False), reduction, self.count)

    def backward(self, gy):
        x, target, weight = self.saved_tensors
        g = _upstream(gy, self.reduction, self.count)
        if weight is not None:
            g = g * weight
        gx = gt = None
        if self.needs_input_grad[0]:
            gx = g * (x - target) / clamp(x * (1 - x), min=1e-12)
        if self.needs_input_grad[1]:
            gt = g * (log1p(-x) - log(x))  # -logit(x)
        return gx, gt, None


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of probabilities ``input`` in [0, 1]; ``F.binary_cross_entropy``.

    ``-weight * (target * log(input) + (1 - target) * log(1 - input))``, each log clamped at
    -100 as PyTorch does, so a confident wrong answer costs 100, not infinity. ``target`` has
    the input's shape, values in [0, 1]; ``weight`` broadcasts to it. For logits use
    ``binary_cross_entropy_with_logits``, which is more stable.

    >>> import shenjing as sj
    >>> from shenjing.ops.loss import binary_cross_entropy
    >>> p = sj.tensor([0.9, 0.2, 0.0])
    >>> binary_cross_entropy(p, sj.tensor([1.0, 0.0, 1.0]), reduction="none")
    tensor([  0.1054,   0.2231, 100.0000])
    """
    op = "binary_cross_entropy"
    reduction = _reduction(op, reduction, size_average, reduce)
    _require_float(op, "input", input)
    _require_float(op, "target", target)
    if target.shape != input.shape:
        raise ShapeError(f"{op}: target of shape {target.shape} must have the input's shape "
                         f"{input.shape}")
    weight = _constant_weight(op, "weight", weight, input, input.shape)
    for name, t in (("input", input), ("target", target)):
        tracing.kernel(_check_probabilities, t, op=op, which=name, name=f"{op}: check {name}")
    return BinaryCrossEntropy.apply(input, target.to(input.dtype), weight, reduction=reduction)


def _flat(t, *, n: int):
    return t.reshape(n)


def _margin_masks(z, classes, weight):
    """Where a margin is violated (never at the target's own column), and each element's scale:
    its sample's class weight over C where violated, 0 elsewhere."""
    xp = array_module(z)
    N, C = z.shape
    violated = z > 0
    violated[xp.arange(N), classes] = False
    scale = xp.full((N, 1), 1.0 / C, dtype=z.dtype)
    if weight is not None:
        scale = scale * weight[classes][:, None]
    return violated, xp.where(violated, scale, 0).astype(z.dtype, copy=False)


def _check_probabilities(t, *, op: str, which: str) -> None:
    """Every element in [0, 1] (NaN fails too); a kernel, so compiled steps check each batch."""
    inside = (t >= 0) & (t <= 1)
    if not inside.all():
        raise ArgumentError(f"{op}: all elements of {which} should be between 0 and 1, got "
                            f"{float(t[~inside].flat[0])}")


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average=None, reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Binary cross-entropy of logits; equivalent of ``F.binary_cross_entropy_with_logits``.

    Per element ``-weight * (pos_weight * t * log sigmoid(x) + (1 - t) * log(1 - sigmoid(x)))``,
    computed as ``(1 - t) x + (1 + (pos_weight - 1) t) softplus(-x)`` so that no exp overflows.
    ``pos_weight`` (broadcast along the last dim, one per class) weighs the positive examples.

    >>> import shenjing as sj
    >>> from shenjing.ops.loss import binary_cross_entropy_with_logits
    >>> x = sj.tensor([1e4, -1e4, 0.0])
    >>> binary_cross_entropy_with_logits(x, sj.tensor([1.0, 1.0, 0.0]), reduction="none")
    tensor([0.0000e+00, 1.0000e+04, 6.9315e-01])
    """
    op = "binary_cross_entropy_with_logits"
    reduction = _reduction(op, reduction, size_average, reduce)
    _require_float(op, "input", input)
    _require_float(op, "target", target)
    if target.shape != input.shape:
        raise ShapeError(f"{op}: target of shape {target.shape} must have the input's shape "
                         f"{input.shape}")
    weight = _constant_weight(op, "weight", weight, input, input.shape)
    pos_weight = _constant_weight(op, "pos_weight", pos_weight, input, input.shape)
    # log(1 + e^-x) with no threshold: exact for every x, and never overflowing
    log_one_plus = softplus(-input, threshold=math.inf)
    if pos_weight is None:
        loss = (1 - target) * input + log_one_plus
    else:
        loss = (1 - target) * input + (1 + (pos_weight - 1) * target) * log_one_plus
    return _reduce(loss if weight is None else loss * weight, reduction)


# -- margin and penalty --------------------------------------------------------------------------
def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,
                      weight: Tensor | None = None, size_average=None, reduce=None,
                      reduction: str = "mean") -> Tensor:
    """The multiclass SVM hinge loss (Weston and Watkins); ``F.multi_margin_loss``.

    For logits x (N, C) or (C,) and class indices y (N,) or (): per sample
    ``sum_{c != y} weight[y] * max(0, margin - x[y] + x[c]) ** p / C``, p = 1 or 2.

    >>> import shenjing as sj
    >>> from shenjing.ops.loss import multi_margin_loss
    >>> scores = sj.tensor([[3.0, 2.5, -1.0], [0.0, 1.0, 2.0]])
    >>> multi_margin_loss(scores, sj.tensor([0, 1]), reduction="none")
    tensor([0.1667, 0.6667])
    """
    op = "multi_margin_loss"
    reduction = _reduction(op, reduction, size_average, reduce)
    if p not in (1, 2):
        raise ValueError(f"{op}: only p == 1 and p == 2 are supported, got p={p}")
    _require_float(op, "input", input)
    require_tensor(op, target)
    # No classes is an error; no samples, (0, C), gives no losses, as in PyTorch.
    if input.ndim > 2 or input.numel() == 0 and (input.ndim < 2 or input.shape[1] == 0):
        raise ShapeError(f"{op}: input must be a (C,) or (N, C) tensor with C > 0, got shape "
                         f"{input.shape}")
    N, C = (1, input.numel()) if input.ndim < 2 else input.shape
    if target.ndim > 1 or target.numel() != N:
        raise ShapeError(f"{op}: target of shape {target.shape} does not fit input of shape "
                         f"{input.shape}: expected {N} class indices")
    if target.dtype.kind not in "iu":
        raise DtypeError(f"{op}: target of class indices must be an integer tensor, got "
                         f"{target.dtype}")
    tracing.kernel(_check_classes, target, op=op, C=C, ignore_index=None)
    classes = tracing.kernel(_flat, target, n=N)  # (N,)
    weight = _class_weight(op, weight, input, C)
    xp = array_module(input._data)
    x = input.reshape(N, C)
    rows = tracing.constant(xp.arange(N))
    z = x - GetItem.apply(x, key=(rows, classes)).unsqueeze(1) + margin  # (N, C)
    # Only violated margins (z > 0) count, the target's own column never. Selected, z before
    # anything multiplies it and the weights as well: PyTorch's kernel skips the others, so
    # neither a NaN z (x_y - x_y for an infinite x_y) nor an infinite weight times 0 counts.
    violated, scale = (Tensor._make(a) for a in tracing.kernel(
        _margin_masks, z, classes, weight, name="multi_margin: violated"))
    z = where(violated, z, 0.0)
    h = z if p == 1 else z * z
    loss = (h * scale).sum(dim=1)  # (N,)
    return _reduce(loss.reshape(target.shape) if reduction == "none" else loss, reduction)


def l2_penalty(parameters: Tensor | Iterable[Tensor], weight_decay: float) -> Tensor:
    """``weight_decay / 2 * sum(p ** 2)`` over all ``parameters``: an L2 penalty to add to a loss.

    Its gradient is ``weight_decay * p``, the term that the ``weight_decay`` argument of SGD and
    Adam adds to each gradient: minimising ``loss + l2_penalty(model.parameters(), wd)`` takes
    the same steps as ``weight_decay=wd`` there (but not as AdamW, whose decay is decoupled from
    the gradient). ``parameters`` is a tensor or any iterable of tensors; none gives 0.
    PyTorch has no function for it.

    >>> import shenjing as sj
    >>> from shenjing.ops.loss import l2_penalty
    >>> w = sj.tensor([1.0, -2.0], requires_grad=True)
    >>> penalty = l2_penalty([w, sj.tensor([[2.0]])], weight_decay=0.1)
    >>> penalty
    tensor(0.4500, grad_fn=<MulBackward>)
    >>> penalty.backward(); w.grad
    tensor([ 0.1000, -0.2000])
    """
    op = "l2_penalty"
    if isinstance(weight_decay, bool) or not isinstance(weight_decay, numbers.Real):
        raise TypeError(f"{op}: weight_decay must be a number, got {weight_decay!r}")
    if weight_decay < 0:
        raise ValueError(f"{op}: weight_decay must be non-negative, got {weight_decay}")
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    total = None
    for param in params:
        _require_float(op, "every parameter", param)
        squares = (param * param).sum()
        total = squares if total is None else total + squares
    if total is None:
        return Tensor(0.0)  # no parameters, no penalty
    return total * (weight_decay / 2)
