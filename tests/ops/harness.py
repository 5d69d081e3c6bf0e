"""One declarative harness for every operation.

Each operation registers an ``OpSpec``: a function written once for both libraries
(``fn(m, *inputs)`` where ``m`` is ``shenjing`` or ``torch``), a list of cases (input descriptors
and plain values), and tolerances. ``check_case`` then runs, for one case:

1. ``gradcheck`` in float64 against central finite differences (random output direction);
2. forward and backward against PyTorch in float32, with a random output gradient;
3. ``gradgradcheck`` in float64 for operations that support second derivatives.

``check_extremes`` runs a case again with 0, +-inf, +-1e30 and NaN among the float inputs and
compares with PyTorch which outputs and gradient entries are finite, and their values where
both are (``tests/ops/test_extremes.py`` runs it over every spec).

PyTorch is a test-only oracle; it is imported unconditionally so that a missing install fails
loudly instead of skipping.
"""

from __future__ import annotations

import importlib
import math
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

import shenjing as sj


# -- input descriptors ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Float:
    """A float input that requires grad, uniform in [low, high).

    ``avoid`` keeps values at least ``margin`` away from kinks; ``distinct`` spreads values apart
    so that max/min/sort have no ties.
    """

    shape: tuple
    low: float = -2.0
    high: float = 2.0
    avoid: tuple = ()
    margin: float = 0.1
    distinct: bool = False
    requires_grad: bool = True

    def make(self, rng: np.random.Generator) -> np.ndarray:
        n = int(np.prod(self.shape, dtype=np.int64))
        if self.distinct:
            values = np.linspace(self.low, self.high, max(n, 1))[:n]
            jitter = rng.uniform(-0.01, 0.01, n) * (self.high - self.low) / max(n, 1)
            values = rng.permutation(values) + jitter
            return values.reshape(self.shape)
        x = rng.uniform(self.low, self.high, self.shape)
        for point in self.avoid:
            near = np.abs(x - point) < self.margin
            x = np.where(near, point + np.where(x >= point, self.margin, -self.margin) * 2, x)
        return x


def Const(*shape, low=-2.0, high=2.0):  # noqa: N802 - reads as a descriptor
    """A float input that does not require grad."""
    return Float(tuple(shape), low, high, requires_grad=False)


def F(*shape, **kwargs) -> Float:  # noqa: N802
    """Shorthand: ``F(2, 3, low=0.1)``."""
    return Float(tuple(shape), **kwargs)


@dataclass(frozen=True)
class Given(Float):
    """A float input with fixed values (e.g. exact zeros or NaN)."""

    values: tuple = ()

    def make(self, rng):
        return np.asarray(self.values, dtype=np.float64).reshape(self.shape)


def G(values, requires_grad=True) -> Given:  # noqa: N802
    """Shorthand: ``G([[0.0, 1.0], [2.0, 3.0]])``."""
    array = np.asarray(values, dtype=np.float64)
    return Given(array.shape, values=tuple(array.ravel()), requires_grad=requires_grad)


@dataclass(frozen=True)
class Index:
    """An int64 input with values in [0, high)."""

    shape: tuple
    high: int

    def make(self, rng):
        return rng.integers(0, self.high, self.shape)


@dataclass(frozen=True)
class Mask:
    """A bool input."""

    shape: tuple

    def make(self, rng):
        return rng.random(self.shape) < 0.5


Descriptor = (Float, Index, Mask)

# The values the extreme-input pass puts among the float inputs.
EXTREMES = (0.0, math.inf, -math.inf, 1e30, -1e30, math.nan)


@dataclass
class OpSpec:
    """How to test one public operation."""

    name: str  # the public name (``sj.<name>`` or a method), used by the coverage check
    fn: Callable  # fn(m, *inputs), m = shenjing or torch
    cases: list  # each case: a tuple of descriptors and plain values
    ref: Callable | None = None  # the PyTorch reference, when it differs: ref(torch, *inputs)
    atol: float = 1e-5  # float32 comparison with PyTorch
    rtol: float = 1e-4
    second_order: bool = True
    differentiable: bool = True
    finite_differences: bool = True  # False where inputs sit on a kink on purpose (ties)
    grad_atol: float = 1e-5  # finite differences in float64
    grad_rtol: float = 1e-3
    tags: tuple = field(default_factory=tuple)
    extremes: tuple = EXTREMES  # the extreme-input pass: values put among the float inputs
    no_extremes: str = ""  # why the extreme-input pass cannot apply to this op, if it cannot
    finer_than_torch: str = ""  # why a result may be finite where PyTorch's is NaN

    def case_ids(self):
        return [f"{self.name}-{i}" for i in range(len(self.cases))]


# -- running a case ------------------------------------------------------------------------------
def _arrays(case, seed):
    rng = np.random.default_rng(seed)
    return [arg.make(rng) if isinstance(arg, Descriptor) else arg for arg in case]


def _to_module(m, case, arrays, float_dtype):
    """The case's inputs as tensors of module ``m`` (sj or torch)."""
    values = []
    for arg, a in zip(case, arrays):
        if isinstance(arg, Float):
            t = m.tensor(np.asarray(a, dtype=float_dtype))
            if arg.requires_grad:
                t.requires_grad_()
            values.append(t)
        elif isinstance(arg, (Index, Mask)):
            values.append(m.tensor(a))
        else:
            values.append(a)
    return values


def flatten_outputs(out) -> list:
    """An operation's outputs as a flat list of tensors (tuples, namedtuples and lists opened)."""
    if isinstance(out, (tuple, list)):
        return [t for item in out for t in flatten_outputs(item)]
    return [out]


def _differentiable_inputs(case, values):
    return [v for arg, v in zip(case, values) if isinstance(arg, Float) and arg.requires_grad]


def check_gradcheck(spec: OpSpec, case, seed: int = 0) -> None:
    if not (spec.differentiable and spec.finite_differences):
        return
    arrays = _arrays(case, seed)
    values = _to_module(sj, case, arrays, np.float64)
    positions = [i for i, arg in enumerate(case) if isinstance(arg, Float) and arg.requires_grad]

    def func(*xs):
        args = list(values)
        for i, x in zip(positions, xs):
            args[i] = x
        return tuple(flatten_outputs(spec.fn(sj, *args)))

    inputs = [values[i] for i in positions]
    assert sj.autograd.gradcheck(func, inputs, atol=spec.grad_atol, rtol=spec.grad_rtol)
    if spec.second_order:
        assert sj.autograd.gradgradcheck(func, inputs, atol=spec.grad_atol, rtol=spec.grad_rtol)


def check_against_torch(spec: OpSpec, case, seed: int = 0) -> None:
    arrays = _arrays(case, seed)
    ours = _to_module(sj, case, arrays, np.float32)
    theirs = _to_module(torch, case, arrays, np.float32)
    out = flatten_outputs(spec.fn(sj, *ours))
    ref = flatten_outputs((spec.ref or spec.fn)(torch, *theirs))
    assert len(out) == len(ref), f"{spec.name}: {len(out)} outputs, PyTorch gives {len(ref)}"
    for k, (y, r) in enumerate(zip(out, ref)):
        assert isinstance(y, sj.Tensor), f"{spec.name}: output {k} is not a Tensor"
        r_np = r.detach().numpy()
        assert y.shape == tuple(r.shape), f"{spec.name}: output {k} shape {y.shape} vs {r.shape}"
        assert y.dtype == r_np.dtype, f"{spec.name}: output {k} dtype {y.dtype} vs {r_np.dtype}"
        np.testing.assert_allclose(y.detach().numpy(), r_np, atol=spec.atol, rtol=spec.rtol,
                                   err_msg=f"{spec.name}: forward output {k}")
    if not spec.differentiable:
        assert not any(y.requires_grad for y in out), f"{spec.name}: output requires grad"
        return
    pairs = [(y, r) for y, r in zip(out, ref) if r.requires_grad]
    assert [y.requires_grad for y in out] == [r.requires_grad for r in ref]
    rng = np.random.default_rng(seed + 1000)
    directions = [rng.standard_normal(r.shape).astype(np.float32) for _, r in pairs]
    our_inputs = _differentiable_inputs(case, ours)
    their_inputs = _differentiable_inputs(case, theirs)
    our_grads = sj.autograd.grad([y for y, _ in pairs], our_inputs,
                                 [sj.tensor(d) for d in directions], allow_unused=True)
    their_grads = torch.autograd.grad([r for _, r in pairs], their_inputs,
                                      [torch.tensor(d) for d in directions], allow_unused=True)
    for k, (g, h) in enumerate(zip(our_grads, their_grads)):
        if h is None:
            assert g is None or not np.any(g.numpy()), f"{spec.name}: input {k} has a gradient"
            continue
        assert g is not None, f"{spec.name}: no gradient for input {k}"
        assert g.shape == tuple(h.shape) and g.dtype == h.numpy().dtype
        np.testing.assert_allclose(g.numpy(), h.numpy(), atol=spec.atol * 10, rtol=spec.rtol * 10,
                                   err_msg=f"{spec.name}: gradient of input {k}")


def run_forward_and_backward(spec: OpSpec, case, dtype, seed: int = 0) -> None:
    """Run a case once with a plain backward (every training step's path) and a create_graph
    one (for the coverage check)."""
    arrays = _arrays(case, seed)
    values = _to_module(sj, case, arrays, dtype)
    out = [y for y in flatten_outputs(spec.fn(sj, *values)) if y.requires_grad]
    inputs = _differentiable_inputs(case, values)
    if out and inputs:
        vs = [sj.randn(*y.shape, dtype=y.dtype) for y in out]
        sj.autograd.grad(out, inputs, vs, retain_graph=True, allow_unused=True)
        grads = sj.autograd.grad(out, inputs, vs, create_graph=spec.second_order,
                                 allow_unused=True)
        if spec.second_order:
            used = [g for g in grads if g is not None and g.requires_grad]
            if used:
                sj.autograd.grad([g.sum() for g in used], inputs, allow_unused=True)


# -- extreme inputs ------------------------------------------------------------------------------
def has_float_input(case) -> bool:
    return any(isinstance(arg, Float) for arg in case)


def extreme_variants(spec: OpSpec) -> list[tuple]:
    """The pools of values the variants of the extreme-input pass use, one pool a variant.

    Infinities, NaN and 0 take turns in some variants; each large finite value (1e30, -1e30)
    has a variant of its own, since what +1e30 - 1e30 leaves depends on the order of a sum, and
    so do its finiteness and the values around it.
    """
    large = [v for v in spec.extremes if math.isfinite(v) and v != 0]
    rest = tuple(v for v in spec.extremes if v not in large)
    return [rest[v:] + rest[:v] for v in range(len(rest))] + [(v,) for v in large]


def extreme_arrays(case, seed: int, pool: tuple, variant: int) -> list:
    """The case's inputs with about half of each float input's elements replaced by ``pool``.

    The values of the pool in turn; a 0-d input takes its first value.
    """
    rng = np.random.default_rng([seed, variant])
    values = np.asarray(pool, dtype=np.float64)
    arrays = []
    for arg, a in zip(case, _arrays(case, seed)):
        if isinstance(arg, Float):
            flat = np.array(a, dtype=np.float64).reshape(-1)
            chosen = rng.random(flat.size) < 0.5
            if flat.size == 1:
                chosen[:] = True
            picks = values[np.arange(flat.size) % len(values)]
            flat[chosen] = picks[chosen]
            a = flat.reshape(np.shape(a))
        arrays.append(a)
    return arrays


def check_extremes(spec: OpSpec, case, seed: int = 0) -> None:
    """Extreme inputs (0, +-inf, +-1e30, NaN): finite where PyTorch is, equal where both are.

    For each pool of ``extreme_variants``, in float32 against PyTorch:

    1. which outputs are finite, and their values where both are (integer and bool outputs
       equal); where PyTorch raises, shenjing must raise too;
    2. with a random finite output gradient: which gradient entries are finite, and their
       values where both are.

    ``spec.finer_than_torch`` (a reason) lets an output or gradient entry be anything where
    PyTorch's is NaN. Last,

    3. with an output gradient that is +-inf at random entries: every entry PyTorch gives
       finite is finite here, with its value, and every infinite one is not finite. A finite
       gradient alone cannot show the NaN of a gradient multiplied by a mask (inf * 0) where
       PyTorch selects; PyTorch's own products give NaN in places, which are not compared.
    """
    with np.errstate(all="ignore"):  # overflow and NaN are the point here, not a warning
        for variant, pool in enumerate(extreme_variants(spec)):
            arrays = extreme_arrays(case, seed, pool, variant)
            where = f"{spec.name} on extreme inputs {_describe(case, arrays)}"
            # What is left where large values cancel is rounding, which a division by a small
            # number (a standard deviation) can make large: only values within 0.1% of the
            # large ones are compared there.
            largest = max((abs(v) for v in pool if math.isfinite(v)), default=0.0)
            atol = spec.atol + 1e-3 * largest
            _check_extreme_variant(spec, case, arrays, seed, atol, where)


def _describe(case, arrays) -> str:
    return "(" + ", ".join(
        np.array2string(np.asarray(a), precision=3, threshold=24) if isinstance(arg, Float)
        else repr(arg) for arg, a in zip(case, arrays)) + ")"


def _check_extreme_variant(spec: OpSpec, case, arrays, seed: int, atol: float, where: str):
    ours = _to_module(sj, case, arrays, np.float32)
    theirs = _to_module(torch, case, arrays, np.float32)
    try:
        ref = flatten_outputs((spec.ref or spec.fn)(torch, *theirs))
    except (RuntimeError, ValueError, IndexError, TypeError) as exc:
        try:
            spec.fn(sj, *ours)
        except Exception:  # noqa: BLE001 - any error will do where PyTorch raises
            return
        raise AssertionError(f"{where}: PyTorch raises ({exc}), shenjing does not") from None
    out = flatten_outputs(spec.fn(sj, *ours))
    assert len(out) == len(ref), f"{where}: {len(out)} outputs, PyTorch gives {len(ref)}"
    for k, (y, r) in enumerate(zip(out, ref)):
        y_np, r_np = y.detach().numpy(), r.detach().numpy()
        if r_np.dtype.kind != "f":
            np.testing.assert_array_equal(y_np, r_np, err_msg=f"{where}: output {k}")
            continue
        _same_where_finite(y_np, r_np, atol, spec.rtol, f"{where}: output {k}",
                           finer=bool(spec.finer_than_torch))
    pairs = [(y, r) for y, r in zip(out, ref) if r.requires_grad]
    our_inputs = _differentiable_inputs(case, ours)
    their_inputs = _differentiable_inputs(case, theirs)
    if not (spec.differentiable and pairs and our_inputs):
        return
    rng = np.random.default_rng(seed + 1000)
    finite = [rng.standard_normal(r.shape).astype(np.float32) for _, r in pairs]
    infinite = []
    for d in finite:
        d = d.copy()
        d[rng.random(d.shape) < 0.3] = np.inf
        infinite.append(d * np.sign(rng.standard_normal(d.shape)).astype(np.float32))
    for directions, upstream in ((finite, "a finite"), (infinite, "an infinite")):
        our_grads = sj.autograd.grad([y for y, _ in pairs], our_inputs,
                                     [sj.tensor(d) for d in directions], retain_graph=True,
                                     allow_unused=True)
        their_grads = torch.autograd.grad([r for _, r in pairs], their_inputs,
                                          [torch.tensor(d) for d in directions],
                                          retain_graph=True, allow_unused=True)
        for k, (g, h) in enumerate(zip(our_grads, their_grads)):
            what = f"{where}: gradient of input {k} from {upstream} output gradient"
            if h is None:
                assert g is None or not np.any(g.numpy()), f"{what}: PyTorch gives none"
                continue
            assert g is not None, f"{what}: missing"
            finer = bool(spec.finer_than_torch) or upstream == "an infinite"
            _same_where_finite(g.numpy(), h.numpy(), atol * 10, spec.rtol * 10, what,
                               finer=finer)


def _same_where_finite(ours, theirs, atol, rtol, what, finer=False) -> None:
    """Finite exactly where PyTorch is, equal where both are; ``finer`` lets a NaN of PyTorch's
    be anything here (the NaN of a product with a mask, where shenjing selects)."""
    ours_finite, theirs_finite = np.isfinite(ours), np.isfinite(theirs)
    wrong = ours_finite != theirs_finite
    if finer:
        wrong &= ~np.isnan(theirs)
    if wrong.any():
        i = tuple(int(n) for n in np.argwhere(wrong)[0])
        raise AssertionError(f"{what}: {ours[i]} where PyTorch gives {theirs[i]} (at index {i} "
                             f"of {int(wrong.sum())} such entries)\nshenjing: {ours}\n"
                             f"PyTorch:  {theirs}")
    both = ours_finite & theirs_finite
    np.testing.assert_allclose(ours[both], theirs[both], atol=atol, rtol=rtol,
                               err_msg=f"{what}\nshenjing: {ours}\nPyTorch:  {theirs}")


# -- collecting specs ----------------------------------------------------------------------------
def all_specs() -> list:
    """Every spec of every tests/ops/test_*.py that declares SPECS."""
    import tests.ops

    modules = [importlib.import_module(f"tests.ops.{info.name}")
               for info in pkgutil.iter_modules(tests.ops.__path__)
               if info.name.startswith("test_")]
    return [spec for module in modules for spec in getattr(module, "SPECS", [])]


def parametrize(specs):
    """pytest parameters: one per (spec, case), with readable ids."""
    import pytest

    return pytest.mark.parametrize(
        "spec, case",
        [pytest.param(s, c, id=f"{s.name}-{i}") for s in specs for i, c in enumerate(s.cases)],
    )


def spec_tests(specs):
    """The two tests every spec file runs, parametrised over its specs' cases.

    The finite-difference test covers only the specs that have gradients to check (it is None
    when none has, so that pytest collects nothing rather than a test that asserts nothing).
    """
    checked = [s for s in specs if s.differentiable and s.finite_differences]
    test_gradcheck = None
    if checked:

        @parametrize(checked)
        def test_gradcheck(spec, case):
            check_gradcheck(spec, case)

    @parametrize(specs)
    def test_matches_torch(spec, case):
        check_against_torch(spec, case)

    return test_gradcheck, test_matches_torch
