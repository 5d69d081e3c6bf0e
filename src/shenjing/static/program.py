"""A recorded trace as a program: a flat list of array calls, printable and fast to replay.

``Program`` takes a finished ``Trace`` and writes it out as one straight-line Python function,
one line per recorded call, over local variables: no ``Tensor`` objects, no graph, no checks.
The same arrays flow through the same forward functions and kernels in the same order as in the
eager run, so a replay computes bit for bit what eager would. Each value is deleted right after
its last use, so a replay holds no more memory than the eager step did.
"""

from __future__ import annotations

from shenjing.autograd.engine import _accumulate_grad
from shenjing.autograd.function import Function
from shenjing.autograd.tracing import Trace, Value
from shenjing.static.inline import inline


class Program:
    """The static graph of one traced call: inputs, state, calls and outputs."""

    def __init__(self, trace: Trace, outputs: list[Value], labels: dict[int, str]) -> None:
        self.inputs = list(trace.inputs)
        self.state = list(trace.state)
        self.calls = list(trace.calls)
        self.outputs = outputs
        self.values = list(trace.values)
        for index, label in labels.items():
            self.values[index].label = label
        self._namespace: dict = {}
        self.code = self._generate()
        exec(compile(self.code, "<sj.compile>", "exec"), self._namespace)  # noqa: S102
        self.run = self._namespace["replay"]

    # -- printing ------------------------------------------------------------------------------
    def __str__(self) -> str:
        lines = []
        for v in self.inputs:
            lines.append(f"{_name(v)} : {_meta(v)} = input")
        for v in self.state:
            lines.append(f"{_name(v)} : {_meta(v)} = state")
        for call in self.calls:
            if call.kind == "attr":  # a value an operation kept for its backward
                (node,) = call.args
                lines.append(f"{_name(call.outputs[0])} : {_meta(call.outputs[0])} = "
                             f"{_name(node)}.{call.target}")
                continue
            args = ", ".join(_show(a) for a in call.args)
            params = ", ".join(f"{k}={_show(v)}" for k, v in call.params.items()
                               if call.kind == "op")
            inside = ", ".join(part for part in (args, params) if part)
            outs = [v for v in call.outputs if v is not None]
            target = ", ".join(_name(v) for v in outs) or "_"
            meta = ", ".join(_meta(v) for v in outs)
            verb = call.name
            line = f"{target} : {meta or '-'} = {verb}({inside})"
            if call.mutates is not None and not isinstance(call.mutates, tuple):
                line += f"  # in place on {_show(call.mutates)}"
            if call.instance is not None:
                line += f"  # the operation kept as {_name(call.instance)}"
            lines.append(line)
        lines.append("return " + ", ".join(_name(v) for v in self.outputs))
        return "\n".join(lines)

    def annotate(self, exc: BaseException) -> None:
        """Note on a replay's exception which recorded call it came from, and where that call
        was traced (nothing when it did not come from a line of the replay)."""
        tb = exc.__traceback__
        line = None
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == "<sj.compile>":
                line = tb.tb_lineno
            tb = tb.tb_next
        call = self.line_calls.get(line)
        if call is not None:
            exc.add_note(f"sj.compile: raised while replaying {call.name}, which was recorded "
                         f"at {call.location}")

    def __len__(self) -> int:
        return sum(1 for call in self.calls if call.kind != "attr")

    # -- code generation -----------------------------------------------------------------------
    def _generate(self) -> str:
        ns = self._namespace
        body: list[str] = []
        uses: dict[int, int] = {}  # value index -> the last line that reads it
        lines_reading: list[list[int]] = []

        names: dict[int, str] = {}  # id of a bound object -> its name (ns keeps it alive)

        def const(obj) -> str:
            name = names.get(id(obj))
            if name is None:
                name = names[id(obj)] = f"_c{len(ns)}"
                ns[name] = obj
            return name

        def expr(a, reads: list[int]) -> str:
            if isinstance(a, Value):
                reads.append(a.index)
                return f"v{a.index}"
            if type(a) is tuple:
                inner = ", ".join(expr(x, reads) for x in a)
                return f"({inner},)" if a else "()"
            if type(a) is list:
                return "[" + ", ".join(expr(x, reads) for x in a) + "]"
            if a is None or type(a) in (int, bool):
                return repr(a)
            return const(a)

        head = []
        for i, v in enumerate(self.inputs):
            head.append(f"v{v.index} = inputs[{i}]")
        for i, v in enumerate(self.state):
            head.append(f"v{v.index} = state[{i}]._data")
        for v in self.values:
            if v.kind == "constant":
                head.append(f"v{v.index} = {const(v.source)}")

        owned = _owned_gradients(self.calls, self.outputs)
        for n, call in enumerate(self.calls):
            reads: list[int] = []
            if call.kind == "attr":
                (inst,) = call.args
                reads.append(inst.index)
                line = f"v{call.outputs[0].index} = v{inst.index}.{call.target}"
            elif call.kind == "op":
                args = [expr(a, reads) for a in call.args]
                kwargs = {k: expr(v, reads) for k, v in call.params.items()}
                fn = f"v{call.instance.index}" if call.instance is not None else "_fn"
                xp = const(call.xp)
                targets = ", ".join(f"v{v.index}" for v in call.outputs)
                if call.unpack:
                    targets += ","
                if call.instance is None and "compute" in call.target.__dict__:
                    # Nothing reads the operation object later: its arithmetic alone, copied
                    # in where it is plain Python (inline.py), else called.
                    line = _inlined(call.target.compute, [xp, *args], kwargs, targets, n, const)
                else:
                    # Function.xp is NumPy unless set: CPU operations skip the assignment.
                    setxp = "" if call.xp is Function.xp else f"{fn}.xp = {xp}; "
                    line = (f"{fn} = _new({const(call.target)}); {setxp}{targets} = "
                            f"{_call(const(call.target.forward), [fn, *args], kwargs)}")
                for position in call.as_array:
                    out = call.outputs[position].index
                    line += f"\nv{out} = {xp}.asarray(v{out})"
            elif call in owned:
                # The gradient array becomes .grad itself when there is none yet (after
                # zero_grad(set_to_none=True), every step), else it is added in place. It is
                # stored bare: .grad makes the Tensor around it if and when it is read.
                (g,) = call.args
                leaf = const(call.params["leaf"])
                grad = expr(g, reads)
                out = f"v{call.outputs[0].index} = " if call.outputs[0] is not None else ""
                line = "\n".join([f"if {leaf}._grad is None:",
                                  f"    {leaf}._grad = {grad}  # .grad wraps it when read",
                                  *([f"    {out}{grad}"] if out else []),
                                  "else:",
                                  f"    {out}{const(_accumulate_grad)}({grad}, leaf={leaf})"])
            else:
                args = [expr(a, reads) for a in call.args]
                kwargs = {k: const(v) for k, v in call.params.items()}
                outs = list(call.outputs)
                targets = None
                if len(outs) == 1 and outs[0] is not None:
                    targets = f"v{outs[0].index}"
                elif any(v is not None for v in outs):
                    targets = ", ".join(f"v{v.index}" if v is not None else "_" for v in outs)
                    targets += ","
                line = _inlined(call.target, args, kwargs, targets, n, const)
            for r in reads:
                uses[r] = len(body)
            lines_reading.append(reads)
            body.append(line)
        returned = {v.index for v in self.outputs}
        frees: dict[int, list[int]] = {}
        for index, last in uses.items():
            if index not in returned:
                frees.setdefault(last, []).append(index)
        ns["_new"] = object.__new__
        # Every constant is bound as a default argument: a local of the replay, faster to read.
        bound = ", ".join(f"{name}={name}" for name in ns if name.startswith("_"))
        code = [f"def replay(inputs, state, *, {bound}):"]
        code += ["    " + line for line in head]
        self.line_calls = {}  # line of the generated code -> the call it runs
        for n, lines in enumerate(body):
            for line in lines.split("\n"):
                code.append("    " + line)
                self.line_calls[len(code)] = self.calls[n]
            if n in frees:
                code.append("    del " + ", ".join(f"v{i}" for i in sorted(frees[n])))
        code.append("    return (" + "".join(f"v{v.index}, " for v in self.outputs) + ")")
        return "\n".join(code) + "\n"


def _inlined(fn, args: list[str], kwargs: dict[str, str], targets: str | None, n: int,
             const) -> str:
    """``targets = fn(*args, **kwargs)`` (argument expressions) as the lines of ``fn``'s body
    where it can be copied, else as the call."""
    lines = inline(fn, args, kwargs, targets, f"_{n}_", const)
    if lines is not None:
        return "\n".join(lines)
    call = _call(const(fn), args, kwargs)
    return call if targets is None else f"{targets} = {call}"


def _call(fn: str, args: list[str], kwargs: dict[str, str]) -> str:
    return f"{fn}({', '.join([*args, *(f'{k}={v}' for k, v in kwargs.items())])})"


def _owned_gradients(calls, outputs) -> set:
    """The gradient accumulations whose array can become ``.grad`` without a copy: a fresh
    result of an operation (no view of an input) that no other call reads."""
    readers: dict[int, int] = {}

    def count(a):
        if isinstance(a, Value):
            readers[a.index] = readers.get(a.index, 0) + 1
        elif type(a) in (tuple, list):
            for x in a:
                count(x)

    fresh: set[int] = set()
    for call in calls:
        for a in call.args:
            count(a)
        if call.kind == "op":
            for v in call.params.values():
                count(v)
            for v, is_fresh in zip(call.outputs, call.fresh):
                if is_fresh and not call.target.returns_view:
                    fresh.add(v.index)
    for v in outputs:
        count(v)
    return {call for call in calls
            if call.kind == "kernel" and call.target is _accumulate_grad
            and isinstance(call.args[0], Value) and call.args[0].index in fresh
            and readers.get(call.args[0].index) == 1}


def _name(v: Value) -> str:
    return f"%{v.label}" if v.label else f"%{v.index}"


def _meta(v: Value) -> str:
    if v.shape is None:
        return "object"
    return f"{tuple(v.shape)} {v.dtype}"


def _show(a) -> str:
    if isinstance(a, Value):
        return _name(a)
    if type(a) is tuple:
        return "(" + ", ".join(_show(x) for x in a) + ("," if len(a) == 1 else "") + ")"
    if type(a) is list:
        return "[" + ", ".join(_show(x) for x in a) + "]"
    if hasattr(a, "shape") and hasattr(a, "dtype"):
        return f"<array {tuple(a.shape)} {a.dtype}>"
    if isinstance(a, type):
        return a.__name__
    text = repr(a)
    return text if len(text) <= 40 else text[:37] + "..."


__all__ = ["Program"]
