"""Check analytical gradients against central finite differences, in float64.

The check projects the outputs on a random direction ``v`` (never all ones, so that a wrong
transpose or a swapped pair of elements cannot hide) and compares, for every input element, the
analytical ``v . dy/dx_i`` from backward with the numerical
``(f(x_i + eps) - f(x_i - eps)) / 2eps``.
"""

from __future__ import annotations

import numpy

from shenjing import backend
from shenjing.autograd.engine import grad
from shenjing.autograd.tensor import Tensor


class GradcheckError(RuntimeError):
    """An analytical gradient disagrees with finite differences; the message says where."""


def _as_tuple(value) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _float64_leaf(x):
    """A float64 copy of a differentiable input; other inputs pass unchanged."""
    if isinstance(x, Tensor) and x.requires_grad:
        return x.detach().to(backend.dtype.float64).clone().requires_grad_()
    return x


def _float_outputs(outputs) -> list[Tensor]:
    return [y for y in _as_tuple(outputs) if isinstance(y, Tensor) and backend.is_floating(y.dtype)]


def gradcheck(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              seed: int = 0, raise_exception: bool = True) -> bool:
    """True if backward agrees with central finite differences for ``func(*inputs)``.

    Inputs that require grad are checked (copied to float64 first); the others are passed as they
    are. On a mismatch it raises ``GradcheckError`` naming the input and its worst element (or
    returns False with ``raise_exception=False``). Equivalent of ``torch.autograd.gradcheck``.

    >>> import shenjing as sj
    >>> x = sj.randn(3, 4, requires_grad=True)
    >>> sj.autograd.gradcheck(lambda x: (x.exp() * x.sin()).sum(dim=1), [x])
    True
    """
    xs = tuple(_float64_leaf(x) for x in _as_tuple(inputs))
    checked = [i for i, x in enumerate(xs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad")
    outputs = _float_outputs(func(*xs))
    if not outputs:
        raise ValueError("gradcheck: func returned no floating-point tensor")
    rng = numpy.random.default_rng(seed)
    directions = [rng.standard_normal(y.shape) for y in outputs]
    analytical = _analytical(outputs, directions, [xs[i] for i in checked])
    for i, a in zip(checked, analytical):
        n = _numerical(func, xs, i, directions, eps)
        message = _compare(i, xs[i].shape, a, n, atol, rtol)
        if message:
            if raise_exception:
                raise GradcheckError(message)
            return False
    return True


def _analytical(outputs, directions, inputs) -> list:
    """``v . dy/dx`` for each input by one backward pass (zeros where nothing flows)."""
    pairs = [(y, v) for y, v in zip(outputs, directions) if y.requires_grad]
    if not pairs:
        return [numpy.zeros(x.shape) for x in inputs]
    ys = [y for y, _ in pairs]
    vs = [Tensor(v, dtype=y.dtype, device=y.device) for y, v in pairs]
    grads = grad(ys, inputs, vs, retain_graph=True, allow_unused=True)
    return [numpy.zeros(x.shape) if g is None else numpy.asarray(g) for x, g in zip(inputs, grads)]


def _numerical(func, xs, i, directions, eps) -> numpy.ndarray:
    """``v . dy/dx_i`` by central differences, one input element at a time."""
    x = xs[i]
    flat = x._data.reshape(-1)  # a view: x is our own contiguous float64 copy
    result = numpy.zeros(x.numel())

    def projected() -> float:
        outputs = _float_outputs(func(*xs))  # grad mode stays on: func may call grad() itself
        return float(sum((numpy.asarray(y, dtype=numpy.float64) * v).sum()
                         for y, v in zip(outputs, directions)))

    for j in range(flat.size):
        original = flat[j].item()
        flat[j] = original + eps
        f_plus = projected()
        flat[j] = original - eps
        f_minus = projected()
        flat[j] = original
        result[j] = (f_plus - f_minus) / (2 * eps)
    return result.reshape(x.shape)


def _compare(i, shape, analytical, numerical, atol, rtol) -> str | None:
    difference = numpy.abs(analytical - numerical)
    tolerance = atol + rtol * numpy.abs(numerical)
    bad = ~(difference <= tolerance)  # NaN counts as bad
    if not bad.any():
        return None
    excess = numpy.where(numpy.isnan(difference), numpy.inf, difference - tolerance)
    worst = numpy.unravel_index(int(numpy.argmax(excess)), shape) if shape else ()
    return (
        f"gradcheck: the gradient of input {i} (shape {tuple(shape)}) is wrong at index "
        f"{tuple(int(k) for k in worst)}: analytical {analytical[worst]:.6g}, numerical "
        f"{numerical[worst]:.6g}, |difference| {difference[worst]:.3g} > atol + rtol * "
        f"|numerical| = {tolerance[worst]:.3g}; {int(bad.sum())} of {bad.size} elements differ"
    )


def gradgradcheck(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                  seed: int = 0, raise_exception: bool = True) -> bool:
    """Check second derivatives: gradcheck of ``x -> grad(func(x), x, v, create_graph=True)``.

    Equivalent of ``torch.autograd.gradgradcheck`` (with fixed random ``v``).

    >>> import shenjing as sj
    >>> x = sj.randn(4, requires_grad=True)
    >>> sj.autograd.gradgradcheck(lambda x: (x.sin() * x).sum(), [x])
    True
    """
    xs = tuple(_float64_leaf(x) for x in _as_tuple(inputs))
    checked = [i for i, x in enumerate(xs) if isinstance(x, Tensor) and x.requires_grad]
    rng = numpy.random.default_rng(seed + 1)
    differentiable = [y for y in _float_outputs(func(*xs)) if y.requires_grad]
    directions = [rng.standard_normal(y.shape) for y in differentiable]

    def first_derivatives(*args):
        outputs = [y for y in _float_outputs(func(*args)) if y.requires_grad]
        if not outputs:
            return ()
        vs = [Tensor(v, dtype=y.dtype, device=y.device) for y, v in zip(outputs, directions)]
        grads = grad(outputs, [args[i] for i in checked], vs, create_graph=True,
                     allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivatives, xs, eps=eps, atol=atol, rtol=rtol, seed=seed,
                     raise_exception=raise_exception)
