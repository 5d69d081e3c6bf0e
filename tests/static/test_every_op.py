"""Every operation of the spec harness, compiled: a replay on new values equals eager, bitwise.

For each case of each ``OpSpec`` a function computes the outputs and the gradients of a random
weighting of them; it is traced on one draw of the inputs and replayed on another, and both
calls must give eager's numbers exactly. This checks each operation's recording (its masks and
constants come from the replayed values), and that each ``compute`` is its forward's arithmetic.
"""

from __future__ import annotations

import numpy as np
import pytest

import shenjing as sj
from shenjing.static import TraceError
from tests.ops.harness import (
    _arrays,
    _differentiable_inputs,
    _to_module,
    all_specs,
    flatten_outputs,
)

SPECS = all_specs()

# Operations a static graph cannot hold, each refused with TraceError at the line (never a wrong
# replay); the reason is data the trace would bake in.
_COUNTED = "the output's shape depends on how many elements are non-zero"
REFUSED = {
    "getitem:mask": "boolean-mask indexing: the result's shape depends on the data",
    "repeat_interleave:tensor": "tensor repeats: the output's length is their sum",
    "repeat_interleave:flat": "tensor repeats: the output's length is their sum",
    "repeat_interleave:counts": "the output's length is the sum of the counts",
    "masked_select": "the output's length is how many elements the mask selects",
    "masked_select:method": "the output's length is how many elements the mask selects",
    "nonzero": _COUNTED,
    "nonzero:tuple": _COUNTED,
    "nonzero:method": _COUNTED,
    "argwhere": _COUNTED,
    "argwhere:method": _COUNTED,
    "allclose": "answers with a Python bool: the answer is data read into Python",
    "equal": "answers with a Python bool: the answer is data read into Python",
}


def _run(spec, case, values, weights):
    outputs = [y for y in flatten_outputs(spec.fn(sj, *values)) if isinstance(y, sj.Tensor)]
    inputs = _differentiable_inputs(case, values)
    floats = [y for y in outputs if y.requires_grad]
    grads = []
    if spec.differentiable and floats and inputs:
        grads = sj.autograd.grad(floats, inputs, weights[:len(floats)], allow_unused=True)
    return [y.detach() for y in outputs] + [g for g in grads if g is not None]


def _values(spec, case, seed):
    values = _to_module(sj, case, _arrays(case, seed), np.float32)
    out = [y for y in flatten_outputs(spec.fn(sj, *values)) if isinstance(y, sj.Tensor)]
    rng = np.random.default_rng(seed + 100)
    weights = [sj.tensor(rng.standard_normal(y.shape).astype(y.dtype)) for y in out
               if y.requires_grad]
    return _to_module(sj, case, _arrays(case, seed), np.float32), weights


# Specs whose function reseeds the generator (sj.manual_seed) inside: reseeding is Python that
# a replay skips, so their replays draw on; dropout's replays are checked in test_exact.py.
RESEEDING = {"dropout", "dropout2d"}
CASES = [(spec, i) for spec in SPECS if spec.name not in RESEEDING
         for i in range(len(spec.cases))]


@pytest.mark.parametrize("spec, i", CASES, ids=[f"{s.name}-{i}" for s, i in CASES])
def test_a_replay_on_new_values_equals_eager(spec, i):
    case = spec.cases[i]
    positions = [k for k, arg in enumerate(case) if hasattr(arg, "make")]

    def fn(tensors, weights):
        values = list(case)
        for k, t in zip(positions, tensors):
            values[k] = t
        return _run(spec, case, values, weights)

    compiled = sj.compile(fn)
    for seed in (0, 1):  # traced on the first draw, replayed on the second
        values, weights = _values(spec, case, seed)
        tensors = [values[k] for k in positions]
        sj.manual_seed(seed)  # the same draws (dropout, recurrent dropout) in both
        expected = _run(spec, case, values, weights)
        sj.manual_seed(seed)
        try:
            got = compiled(tensors, weights)
        except TraceError:
            if spec.name in REFUSED:
                return
            raise
        assert spec.name not in REFUSED, "refused no longer: take it off REFUSED"
        assert len(got) == len(expected)
        for a, b in zip(got, expected):
            np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=f"seed {seed}")
    assert compiled.traces == 1
