"""Einstein summation: ``einsum("bij,bjk->bik", a, b)``, built from differentiable operations.

Each operand first loses its repeated labels (``diagonal``) and the labels no
other operand and not the output needs (a sum); then the operands are contracted left to right,
each pair as one batched matrix product (labels in both that are needed later are batch dims,
those not needed are summed by the product) or, with nothing to sum, as a broadcast product.
Every step is an operation with a gradient of its own, so second derivatives work.
"""

from __future__ import annotations

import math

from shenjing.autograd.function import ShapeError
from shenjing.autograd.tensor import Tensor
from shenjing.ops.checks import promote, require_tensor
from shenjing.ops.linalg import MatMul
from shenjing.ops.rearrange import diagonal

__all__ = ["einsum"]

_ELLIPSIS = "..."


def _parse_term(term: str, what: str) -> list[str]:
    """A term ("bij", "...ij") as a list of its labels, "..." standing for the ellipsis."""
    labels, i = [], 0
    while i < len(term):
        if term.startswith(_ELLIPSIS, i):
            if _ELLIPSIS in labels:
                raise RuntimeError(f"einsum(): found '.' for {what} for which an ellipsis was "
                                   f"already found")
            labels.append(_ELLIPSIS)
            i += 3
            continue
        c = term[i]
        if not (c.isascii() and c.isalpha()):
            raise RuntimeError(f"einsum(): invalid subscript {c!r} in {what} ({term!r}): "
                               f"subscripts must be in [a-zA-Z]")
        labels.append(c)
        i += 1
    return labels


def _ellipsis_labels(count: int, total: int) -> list[str]:
    """Labels of an operand's ``count`` ellipsis dims, right-aligned among ``total``: "0" is the
    leftmost broadcast ellipsis dim (digits never clash with letters and sort before them)."""
    return [str(total - count + i) for i in range(count)]


def _with_ellipsis(labels: list[str], ellipsis: list[str]) -> list[str]:
    if _ELLIPSIS not in labels:
        return labels
    i = labels.index(_ELLIPSIS)
    return labels[:i] + ellipsis + labels[i + 1:]


def _sum_out(x: Tensor, labels: list[str], keep) -> tuple[Tensor, list[str]]:
    """``x`` summed over the labels not in ``keep``."""
    dims = tuple(d for d, label in enumerate(labels) if label not in keep)
    if not dims:
        return x, labels
    return x.sum(dims), [label for label in labels if label in keep]


def _broadcast_to(x: Tensor, labels: list[str], sizes: dict) -> Tensor:
    """``x`` with its size-1 dims expanded to their label's size."""
    shape = tuple(sizes[label] for label in labels)
    return x if x.shape == shape else x.expand(shape)


def _contract(a: Tensor, la: list[str], b: Tensor, lb: list[str], needed, sizes):
    """The product of two operands, summed over their shared labels that are not ``needed``."""
    shared = [label for label in la if label in lb]
    batch = [label for label in shared if label in needed]
    summed = [label for label in shared if label not in needed]
    a_only = [label for label in la if label not in lb]
    b_only = [label for label in lb if label not in la]
    a = _broadcast_to(a, la, sizes)
    b = _broadcast_to(b, lb, sizes)
    a = _permute(a, [la.index(label) for label in batch + a_only + summed])
    b = _permute(b, [lb.index(label) for label in batch + summed + b_only])
    nb, na, nab = len(batch), len(a_only), len(b_only)
    batch_shape = a.shape[:nb]
    a_shape, b_shape = a.shape[nb:nb + na], b.shape[nb + len(summed):]
    if not summed:  # nothing to sum: a broadcast product
        y = a.reshape((*batch_shape, *a_shape, *(1,) * nab)) * b.reshape(
            (*batch_shape, *(1,) * na, *b_shape))
        return y, batch + a_only + b_only
    k = math.prod(a.shape[nb + na:])
    # (batch, a_only, summed) @ (batch, summed, b_only) as (B, I, K) @ (B, K, J) -> (B, I, J)
    y = MatMul.apply(a.reshape((math.prod(batch_shape), math.prod(a_shape), k)),
                     b.reshape((math.prod(batch_shape), k, math.prod(b_shape))))
    return y.reshape((*batch_shape, *a_shape, *b_shape)), batch + a_only + b_only


def _permute(x: Tensor, order: list[int]) -> Tensor:
    return x if order == list(range(x.ndim)) else x.permute(*order)


def einsum(equation: str, *operands) -> Tensor:
    """Sum of products of ``operands``' elements, as the subscripts of ``equation`` say.

    ``"ij,jk->ik"`` is a matrix product, ``"ii->i"`` a diagonal, ``"ii"`` a trace, ``"bi,bi->b"``
    a batched dot product; ``...`` stands for broadcast dims, and without ``->`` the output
    holds the ellipsis dims and then, sorted, the labels that occur once. Operands may also
    come as one list. Equivalent of ``torch.einsum``.

    >>> import shenjing as sj
    >>> a, b = sj.ones(2, 3), sj.ones(3, 4)
    >>> sj.einsum("ij,jk->ik", a, b).shape, sj.einsum("ii", sj.eye(3))
    ((2, 4), tensor(3.))
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not isinstance(equation, str):
        raise TypeError(f"einsum(): the equation must be a string, got {type(equation).__name__}")
    for x in operands:
        require_tensor("einsum", x)
    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    lhs, arrow, rhs = equation.replace(" ", "").partition("->")
    terms = lhs.split(",")
    if len(terms) > len(operands):
        raise RuntimeError(f"einsum(): fewer operands were provided than specified in the "
                           f"equation {equation!r} ({len(operands)} for {len(terms)})")
    if len(terms) < len(operands):
        raise RuntimeError(f"einsum(): more operands were provided than specified in the "
                           f"equation {equation!r} ({len(operands)} for {len(terms)})")
    parsed = [_parse_term(term, f"operand {k}") for k, term in enumerate(terms)]
    ellipsis_dims = []
    for k, (labels, x) in enumerate(zip(parsed, operands)):
        named = len(labels) - (_ELLIPSIS in labels)
        if x.ndim < named or (_ELLIPSIS not in labels and x.ndim != named):
            raise ShapeError(f"einsum(): the number of subscripts in the equation ({named}) does "
                             f"not match the number of dims ({x.ndim}) of operand {k} of shape "
                             f"{x.shape}" + ("" if _ELLIPSIS in labels else
                                             " and no ellipsis was given"))
        ellipsis_dims.append(x.ndim - named)
    total = max(ellipsis_dims)
    inputs = [_with_ellipsis(labels, _ellipsis_labels(e, total))
              for labels, e in zip(parsed, ellipsis_dims)]
    output = _output_labels(arrow, rhs, inputs, total)
    sizes = _label_sizes(inputs, operands)

    operands = promote(*operands)
    # Per operand: diagonals of repeated labels, then sums over labels needed nowhere else.
    reduced = []
    for k, (x, labels) in enumerate(zip(operands, inputs)):
        labels = list(labels)
        while len(set(labels)) < len(labels):
            label = next(lab for lab in labels if labels.count(lab) > 1)
            i = labels.index(label)
            j = labels.index(label, i + 1)
            x = diagonal(x, 0, i, j)  # (.., n, .., n) -> (.., n)
            labels = [lab for d, lab in enumerate(labels) if d not in (i, j)] + [label]
        elsewhere = set(output).union(*(set(other) for m, other in enumerate(inputs) if m != k))
        reduced.append(_sum_out(x, labels, elsewhere))
    # Contract left to right; labels later operands or the output need are kept.
    y, labels = reduced[0]
    for k in range(1, len(reduced)):
        b, lb = reduced[k]
        needed = set(output).union(*(set(lab) for _, lab in reduced[k + 1:]))
        y, labels = _sum_out(y, labels, needed | set(lb))
        y, labels = _contract(y, labels, b, lb, needed, sizes)
    y, labels = _sum_out(y, labels, set(output))
    y = _broadcast_to(y, labels, sizes)
    return _permute(y, [labels.index(label) for label in output])


def _output_labels(arrow: str, rhs: str, inputs: list[list[str]], total: int) -> list[str]:
    """The output's labels: the explicit ones after ``->``, else the ellipsis dims and then the
    labels that occur exactly once, sorted (upper case before lower case, as PyTorch)."""
    ellipsis = [str(i) for i in range(total)]
    letters = [label for labels in inputs for label in labels if label.isalpha()]
    if not arrow:
        return ellipsis + sorted(label for label in set(letters) if letters.count(label) == 1)
    labels = _parse_term(rhs, "the output")
    for label in labels:
        if label != _ELLIPSIS and label not in letters:
            raise RuntimeError(f"einsum(): output subscript {label} does not appear in the "
                               f"equation for any input operand")
        if labels.count(label) > 1:
            raise RuntimeError(f"einsum(): output subscript {label} appears more than once in "
                               f"the output")
    return _with_ellipsis(labels, ellipsis)


def _label_sizes(inputs: list[list[str]], operands) -> dict:
    """Each label's size; sizes of 1 broadcast, other mismatches are errors."""
    sizes: dict[str, int] = {}
    for k, (labels, x) in enumerate(zip(inputs, operands)):
        own: dict[str, int] = {}
        for label, n in zip(labels, x.shape):
            if label in own and own[label] != n:
                raise ShapeError(f"einsum(): subscript {label} is repeated for operand {k} of "
                                 f"shape {x.shape} but the sizes don't match, {own[label]} != {n}")
            own[label] = n
        for label, n in own.items():
            seen = sizes.get(label, 1)
            if seen != n and seen != 1 and n != 1:
                what = "an ellipsis dim" if label.isdigit() else f"subscript {label}"
                raise ShapeError(f"einsum(): {what} has size {n} for operand {k} of shape "
                                 f"{x.shape}, which does not broadcast with previously seen size "
                                 f"{seen}")
            sizes[label] = n if seen == 1 else seen
    return sizes
