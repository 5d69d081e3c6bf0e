"""The way into one traced variant: its guards and its replay, written out as one function.

A training loop calls a compiled step again and again with tensors like the last ones. For that
call, ``entry_function`` writes a Python function that checks what the trace assumed with the
facts inlined as constants (as ``torch.compile`` writes its guard functions), runs the program
and wraps its results, so that the common call pays for the checks themselves and little else.
It returns ``MISS`` where any check fails; ``CompiledFunction`` then looks through its cache (and
traces again if nothing there fits). Print ``step.entry_code`` to read it.
"""

from __future__ import annotations

from shenjing.autograd.grad_mode import _grad_enabled
from shenjing.autograd.tensor import Tensor
from shenjing.backend import get_default_dtype
from shenjing.nn.modules.module import Module

MISS = object()  # what the entry returns when the call does not fit the variant


def entry_function(variant, kinds, grad_mode: bool, default_dtype, rebuild):
    """The source and function of ``entry(args)`` for ``variant``, traced with flat tensor
    arguments of ``kinds`` ((shape, dtype, array type, requires_grad) each) under ``grad_mode``
    and ``default_dtype``; ``rebuild(results)`` makes the function's result (a single tensor
    is wrapped in the entry itself)."""
    ns = {"MISS": MISS, "Tensor": Tensor, "Module": Module, "variant": variant,
          "grad_mode": _grad_enabled.get, "default_dtype": get_default_dtype,
          "run": variant.program.run, "annotate": variant.program.annotate,
          "states": variant.states, "arrays": variant.arrays, "rebuild": rebuild,
          "make": Tensor._make}

    def const(name: str, obj) -> str:
        ns[name] = obj
        return name

    n = len(kinds)
    names = [f"a{i}" for i in range(n)]
    arrays = [f"d{i}" for i in range(n)]
    checks = []  # each a condition under which the call does not fit
    for i, (shape, dtype, array_type, requires_grad) in enumerate(kinds):
        a, d = names[i], arrays[i]
        checks.append(f"{d}.shape != {shape!r} or {d}.dtype != {const(f'dtype{i}', dtype)} or "
                      f"type({d}) is not {const(f'array_type{i}', array_type)} or "
                      f"{a}._requires_grad is not {requires_grad!r}")
    if n > 1:  # one array passed twice is one value of the trace: such a call is keyed apart
        checks.append(" or ".join(f"{arrays[i]} is {arrays[j]}"
                                  for i in range(n) for j in range(i + 1, n)))
    checks.append(f"grad_mode() is not {grad_mode!r} or "
                  f"default_dtype() != {const('traced_default_dtype', default_dtype)}")
    for i, (obj, key) in enumerate(zip(variant.guarded, variant.guarded_keys)):
        checks.append(f"{const(f'guarded{i}', obj)}._guard_key() != {const(f'key{i}', key)}")
    states = [const(f"state{i}", t) for i, t in enumerate(variant.states)]
    if states:
        checks.append(" or ".join(
            f"{'not ' if requires_grad else ''}{t}._requires_grad"
            for t, (_, _, requires_grad) in zip(states, variant.expected[1])))

    code = ["def entry(args):", f"    if len(args) != {n}:", "        return MISS"]
    if n:
        code.append(f"    {', '.join(names)}, = args")
        code.append("    if not (" + " and ".join(f"isinstance({a}, Tensor)" for a in names) + "):")
        code.append("        return MISS")
        code += [f"    {d} = {a}._data" for a, d in zip(names, arrays)]
    for check in checks:
        code += [f"    if {check}:", "        return MISS"]
    # A module changed (any module), or a parameter's array was replaced: the slower checks.
    code += ["    if Module._changes != variant.changes and not variant.modules_unchanged():",
             "        return MISS"]
    if states:  # the arrays the trace last saw, kept in a list that the slower check updates
        replaced = " or ".join(f"{t}._data is not arrays[{i}]" for i, t in enumerate(states))
        code += [f"    if ({replaced}) and not variant.states_unchanged():", "        return MISS"]
    code += ["    try:",
             f"        results = run(({''.join(d + ', ' for d in arrays)}), states)",
             "    except Exception as exc:",
             "        annotate(exc)",
             "        raise",
             f"    return make(results[{variant.structure[1]}])"
             if variant.structure[0] == "tensor" else "    return rebuild(results)"]
    source = "\n".join(code) + "\n"
    exec(compile(source, "<sj.compile entry>", "exec"), ns)  # noqa: S102
    return source, ns["entry"]


__all__ = ["MISS", "entry_function"]
