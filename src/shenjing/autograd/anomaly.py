"""Anomaly detection: stop at the first operation whose output is not finite.

PyTorch's ``detect_anomaly`` reports the first *backward* node that makes a NaN; for a learner the
forward operation that first produced a NaN or an infinity is the one to look at, so that is the
one reported here, with the layer it ran in and the ranges of its inputs.
"""

from __future__ import annotations

import contextvars

_enabled = contextvars.ContextVar("shenjing_detect_anomaly", default=False)
# The modules whose forward is running, outermost first (pushed by nn.Module.__call__).
module_stack: contextvars.ContextVar[tuple] = contextvars.ContextVar("shenjing_module_stack",
                                                                     default=())


class AnomalyError(FloatingPointError):
    """An operation produced NaN or Inf while ``detect_anomaly`` was active."""


def is_anomaly_enabled() -> bool:
    """True inside ``detect_anomaly()``."""
    return _enabled.get()


class detect_anomaly:
    """Raise at the first forward operation whose output holds NaN or Inf.

    The error names the operation, the module path (``model.encoder.fc1 (Linear)``) and the range
    of each input. Use as a context manager or a decorator; it checks every output, so it slows
    training down: switch it on to find a problem, not by default.

    >>> import shenjing as sj
    >>> model = sj.nn.Sequential(sj.nn.Linear(2, 2))
    >>> with sj.autograd.detect_anomaly():
    ...     model(sj.tensor([[float("nan"), 1.0]]))
    Traceback (most recent call last):
    ...
    shenjing.autograd.anomaly.AnomalyError: linear produced NaN (in module 0 (Linear)); ...
    """

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan
        self._tokens: list = []

    def __enter__(self):
        self._tokens.append(_enabled.set(self.check_nan))
        return self

    def __exit__(self, *exc_info) -> None:
        _enabled.reset(self._tokens.pop())

    def __call__(self, func):
        import functools

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self:
                return func(*args, **kwargs)

        return wrapper


def check_outputs(fn, arrays, outputs) -> None:
    """Raise AnomalyError if a floating-point output of ``fn`` holds NaN or Inf."""
    xp = fn.xp
    for y in outputs:
        if y.dtype.kind != "f" or xp.isfinite(y).all():
            continue
        kind = "NaN" if xp.isnan(y).any() else "Inf"
        inputs = []
        for i, a in enumerate(arrays):
            if hasattr(a, "dtype") and a.size:
                if a.dtype.kind in "fiu":
                    inputs.append(f"input {i}: shape {tuple(a.shape)}, range "
                                  f"[{float(a.min()):.4g}, {float(a.max()):.4g}]")
                else:
                    inputs.append(f"input {i}: shape {tuple(a.shape)}, {a.dtype}")
            elif isinstance(a, (int, float)) and not isinstance(a, bool):
                inputs.append(f"input {i}: {a!r}")
        raise AnomalyError(f"{fn.op_name()} produced {kind} ({_module_path()}); "
                           + "; ".join(inputs))


def _module_path() -> str:
    stack = module_stack.get()
    if not stack:
        return "outside any module"
    names = {id(module): name for name, module in stack[0].named_modules()}
    inner = stack[-1]
    name = names.get(id(inner), "?") or "the model"
    return f"in module {name} ({type(inner).__name__})"
