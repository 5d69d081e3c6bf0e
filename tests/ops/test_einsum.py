"""einsum through the harness: products, diagonals, sums, ellipsis, implicit output, broadcasting,
and the errors PyTorch gives for malformed equations."""

import numpy as np
import pytest
import torch

import shenjing as sj
from tests.ops.harness import F, OpSpec, spec_tests


def E(equation, *shapes):  # noqa: N802 - one case: the equation and float operands
    return (equation, *(F(*shape) for shape in shapes))


SPECS = [
    OpSpec("einsum", lambda m, eq, *xs: m.einsum(eq, *xs), [
        E("ij,jk->ik", (2, 3), (3, 4)),  # matrix product
        E("bij,bjk->bik", (2, 3, 4), (2, 4, 5)),  # batched
        E("i,i->", (4,), (4,)),  # dot
        E("i,j->ij", (3,), (4,)),  # outer: nothing summed
        E("ij->ji", (2, 3)),  # transpose
        E("ij->", (2, 3)),  # sum of all
        E("ij->j", (2, 3)),  # a sum-only index
        E("ii->i", (3, 3)),  # diagonal
        E("ii", (3, 3)),  # trace (implicit output)
        E("iij->ji", (2, 2, 3)),  # diagonal among other dims
        E("ij,jk", (2, 3), (3, 4)),  # implicit output: ik
        E("ba,ca", (2, 3), (4, 3)),  # implicit output sorted: bc
        E("Ab,bA", (2, 3), (3, 2)),  # upper case: a trace of a product
        E("...ij,...jk->...ik", (2, 1, 3, 4), (5, 4, 2)),  # ellipsis broadcasting
        E("...ij,j", (5, 2, 3), (3,)),  # implicit output with ellipsis
        E("i...->...", (3, 2, 5)),  # ellipsis in front, summed label
        E("...ij->ij", (2, 3, 4)),  # ellipsis dims summed when the output omits them
        E("ij,jk,kl->il", (2, 3), (3, 4), (4, 5)),  # a chain of three
        E("bi,bj,bk->bijk", (2, 3), (2, 2), (2, 2)),  # three with a shared batch label
        E("ij,ij->ij", (2, 3), (2, 3)),  # elementwise product
        E("i,i->i", (1,), (3,)),  # size-1 broadcasting of a label
        E("ijk,jil->kl", (2, 3, 4), (3, 2, 5)),  # two summed labels at once
        E("ii,i->i", (3, 3), (3,)),  # diagonal times a vector
        E("ii, i -> i", (2, 2), (2,)),  # spaces are ignored
        E("->", ()),  # a 0-d operand
    ]),
    OpSpec("einsum:list", lambda m, a, b: m.einsum("ij,j->i", [a, b]), [(F(2, 3), F(3))]),
]

test_gradcheck, test_matches_torch = spec_tests(SPECS)


@pytest.mark.parametrize("dtype", ["int64", "float64"])
def test_dtypes_like_torch(dtype):
    a = np.arange(6).reshape(2, 3).astype(dtype)
    ours = sj.einsum("ij,kj->ik", sj.tensor(a), sj.tensor(a))
    theirs = torch.einsum("ij,kj->ik", torch.tensor(a), torch.tensor(a))
    assert ours.dtype == theirs.numpy().dtype
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("equation, shapes", [
    ("ij,jk->ik", [(2, 3), (4, 5)]),  # sizes do not broadcast
    ("ij,jk", [(2, 3)]),  # fewer operands
    ("ij->i", [(2, 3), (2,)]),  # more operands
    ("ij,jk->iz", [(2, 3), (3, 5)]),  # output label from nowhere
    ("ij->ii", [(2, 3)]),  # output label twice
    ("ii->i", [(2, 3)]),  # repeated label of two sizes
    ("i1->i", [(2, 3)]),  # not a letter
    ("ij->i", [(2, 3, 4)]),  # too many dims, no ellipsis
    ("ijk->i", [(2, 3)]),  # too few dims
    ("i...j...->i", [(2, 3)]),  # two ellipses
])
def test_errors_are_torchs_types(equation, shapes):
    with pytest.raises(Exception) as theirs:
        torch.einsum(equation, *[torch.ones(s) for s in shapes])
    with pytest.raises(theirs.type, match="einsum"):
        sj.einsum(equation, *[sj.ones(*s) for s in shapes])
