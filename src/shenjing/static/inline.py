"""Inlining: a recorded call replayed as the body of the function it calls.

A replay calls each operation's arithmetic (its ``compute`` or ``forward``) and each kernel (an
optimizer's update rule) once per step. On a small network those Python calls are a noticeable
part of the step, so where the called function is plain Python, its body is copied into the
program instead: its parameters become the call's arguments, its local names are made unique,
and the plain functions it calls in turn are copied in too (one level down, each behind a check
that its name still holds that function). Globals are read from the function's module when a
line runs, as the function would read them. The replay runs the very same array calls in the
same order, so it computes bit for bit what eager does, and ``step.code`` shows the NumPy that
runs.

Plain means: assignments, expressions, ``raise`` and ``if`` blocks, where a ``return`` may end
any branch (``if c: ...; return a`` then ``...; return b`` is copied as ``if c: ... else: ...``).
Anything else (loops, ``with``, ``try``, nested functions or comprehensions, ``locals()`` and
the other builtins that read the caller's frame, closures, decorated functions, source that
cannot be read or that is no longer what runs) is called as before.
"""

from __future__ import annotations

import ast
import builtins
import copy
import functools
import inspect
import linecache
import textwrap

_PLAIN = (ast.Assign, ast.AugAssign, ast.Expr, ast.If, ast.Pass, ast.Raise, ast.Return)
_SCOPES = (ast.Lambda, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.ListComp,
           ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.NamedExpr, ast.Yield, ast.YieldFrom,
           ast.Await, ast.Global, ast.Nonlocal)
_NOT_LITERAL = object()
_DEPTH = 2  # a function and the plain functions it calls; deeper calls stay calls
_MOST_STATEMENTS = 120
# what sees the calling frames: in a copied body it would see the program's (a warning's
# stacklevel counts frames too)
_FRAME_READERS = {"locals", "globals", "vars", "eval", "exec", "dir", "super", "breakpoint",
                  "_getframe", "currentframe", "stack", "warn"}


def inline(fn, args: list[str], kwargs: dict[str, str], result: str | None, prefix: str,
           const, depth: int = 1) -> list[str] | None:
    """Lines of Python that do what ``result = fn(*args, **kwargs)`` does, or None where ``fn``
    is not plain enough to copy.

    ``args`` and ``kwargs`` are the call's arguments as Python expressions; ``result`` the
    assignment target (None: the result is dropped); ``prefix`` makes local names unique;
    ``const(obj)`` binds an object the body reads (a function, a module) and returns its name.
    """
    if (not inspect.isfunction(fn) or fn.__code__.co_freevars  # a closure
            or hasattr(fn, "__wrapped__")):  # a decorator's wrapper: its source is another's
        return None
    parsed = _parse(fn.__code__, fn.__code__.co_filename)
    if parsed is None:
        return None
    params, body = parsed
    try:
        signature = inspect.signature(fn)
        given = signature.bind(*args, **kwargs).arguments
    except (TypeError, ValueError):
        return None
    defaults = {name: p.default for name, p in signature.parameters.items()
                if p.default is not inspect.Parameter.empty}
    stored = {node.id for stmt in body for node in ast.walk(stmt)
              if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}
    lines, names, local_names = [], {}, []
    # Arguments are taken in the order the call writes them (keywords may come in any order),
    # so that expressions bound below are evaluated in the call's order; then the defaults.
    written = [p for p in params[:len(args)]] + [k for k in kwargs if k in params]
    for p in written + [p for p in params if p not in written]:
        if p in given:
            value = given[p]
        elif p in defaults:
            value = const(defaults[p])
        else:
            return None
        literal = _literal(value)
        if literal is not _NOT_LITERAL and p not in stored:
            names[p] = const(literal)  # a name, so that no dead branch reads None[...]
        elif p in stored or not value.isidentifier():
            # An argument written to, or an expression: bound once, as the call would.
            names[p] = prefix + p
            local_names.append(names[p])
            lines.append(f"{names[p]} = {value}")
        else:
            names[p] = value
    order = {name: i for i, name in enumerate(fn.__code__.co_varnames)}
    for name in sorted(stored - set(params), key=lambda name: order.get(name, len(order))):
        names[name] = prefix + name
        local_names.append(names[name])
    rename = _Rename(names, fn.__globals__, const)
    body = [rename.visit(copy.deepcopy(stmt)) for stmt in body]
    if rename.failed:
        return None
    body = _results(body, result)
    if depth < _DEPTH:
        body = _inline_calls(body, rename.bound, prefix, const, depth)
    lines += [ast.unparse(stmt) for stmt in body]
    if local_names:  # the body's temporaries go when it ends, in the order a call's would
        lines.append(" = ".join(local_names) + " = None")
    return "\n".join(lines).split("\n")


@functools.lru_cache(maxsize=1024)
def _parse(code, filename: str):
    """(parameter names, body) of the plain function whose code object is ``code``, its body in
    single-exit form (every branch ends in its own ``return``), or None. Keyed by the code
    object, so that the cache keeps no function, closure or default alive, and by its file,
    which code objects leave out when they compare equal."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(code)))
        if not _runs_as_written(code):
            return None  # its file changed since it was loaded: copying it would run other code
    except (OSError, TypeError, SyntaxError):
        return None
    if code.co_name == "<lambda>":
        found = [n for n in ast.walk(tree) if isinstance(n, ast.Lambda)]
        if len(found) != 1:
            return None
        node, body = found[0], [ast.Return(found[0].body)]
    else:
        found = [n for n in ast.walk(tree)
                 if isinstance(n, ast.FunctionDef) and n.name == code.co_name]
        if len(found) != 1:
            return None
        node, body = found[0], list(found[0].body)
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]  # the docstring
    a = node.args
    if a.vararg or a.kwarg or a.posonlyargs or not body or not all(map(_plain, body)):
        return None
    body = _single_exit(body)
    if sum(isinstance(n, ast.stmt) for s in body for n in ast.walk(s)) > _MOST_STATEMENTS:
        return None  # code after many returning ifs, copied into each branch: too long to copy
    return [p.arg for p in a.args + a.kwonlyargs], body


def _runs_as_written(code) -> bool:
    """Whether the source ``inspect`` reads for ``code`` is what runs: its file, compiled again,
    holds a function at that line with the same bytecode, names and constants. (The function
    alone compiles differently: ``math.prod(...)`` is compiled knowing ``math`` is an import.)"""
    path = inspect.getsourcefile(code)
    if path is None:
        return False
    linecache.checkcache(path)
    module = _compiled(path, "".join(linecache.getlines(path)))
    if module is None:
        return False
    pending = list(module.co_consts)
    while pending:
        c = pending.pop()
        if inspect.iscode(c):
            if c.co_name == code.co_name and c.co_firstlineno == code.co_firstlineno:
                return (c.co_code == code.co_code and c.co_names == code.co_names
                        and c.co_varnames == code.co_varnames
                        and _same_constants(c.co_consts, code.co_consts))
            pending.extend(c.co_consts)
    return False


@functools.lru_cache(maxsize=32)
def _compiled(path: str, text: str):
    try:
        return compile(text, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return None


def _same_constants(a: tuple, b: tuple) -> bool:
    return len(a) == len(b) and all(
        x.co_code == y.co_code if inspect.iscode(x) and inspect.iscode(y)
        else type(x) is type(y) and x == y for x, y in zip(a, b))


def _plain(stmt) -> bool:
    """No loop, ``with``, ``try``, ``del`` or new scope, at any depth."""
    for node in ast.walk(stmt):
        if isinstance(node, _SCOPES) or (isinstance(node, ast.stmt) and
                                         not isinstance(node, _PLAIN)):
            return False
        if isinstance(node, ast.Name) and (isinstance(node.ctx, ast.Del)
                                           or node.id in _FRAME_READERS):
            return False
        if isinstance(node, ast.Attribute) and node.attr in _FRAME_READERS:
            return False  # sys._getframe, inspect.currentframe, warnings.warn
    return True


def _single_exit(stmts: list) -> list:
    """``stmts`` with every return at the end of a branch: the code after an ``if`` whose
    branch returns moves into its other branch. A branch that ends without one returns None."""
    out = []
    for i, stmt in enumerate(stmts):
        if isinstance(stmt, (ast.Return, ast.Raise)):
            return out + [stmt]  # what follows cannot run
        if isinstance(stmt, ast.If) and _returns(stmt):
            rest = stmts[i + 1:]  # copied into both branches, each its own
            body = _single_exit(stmt.body + copy.deepcopy(rest))
            orelse = _single_exit(stmt.orelse + rest)
            return out + [ast.If(stmt.test, body, orelse)]
        out.append(stmt)
    return out + [ast.Return(None)]


def _returns(stmt) -> bool:
    return any(isinstance(node, (ast.Return, ast.Raise)) for node in ast.walk(stmt))


def _results(stmts: list, result: str | None) -> list:
    """Each branch's final ``return value`` as ``result = value`` (or the value alone)."""
    out = list(stmts)
    last = out.pop() if out else ast.Return(None)
    if isinstance(last, ast.If):
        return out + [ast.If(last.test, _results(last.body, result) or [ast.Pass()],
                             _results(last.orelse, result))]
    if not isinstance(last, ast.Return):
        return out + [last]  # a raise
    value = last.value if last.value is not None else ast.Constant(None)
    if result is not None:
        target = ast.parse(f"{result} = 0").body[0].targets[0]
        return out + [ast.Assign([target], value, lineno=0)]
    if last.value is not None and not isinstance(last.value, (ast.Constant, ast.Name)):
        out.append(ast.Expr(last.value))
    return out


def _inline_calls(stmts: list, bound: dict, prefix: str, const, depth: int) -> list:
    """``x = f(...)`` and ``f(...)``, where ``f`` is a plain function, replaced by its body."""
    out = []
    for n, stmt in enumerate(stmts):
        if isinstance(stmt, ast.If):
            stmt.body = _inline_calls(stmt.body, bound, f"{prefix}{n}_", const, depth)
            stmt.orelse = _inline_calls(stmt.orelse, bound, f"{prefix}{n}e_", const, depth)
            out.append(stmt)
            continue
        call, target = None, None
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            call, target = stmt.value, ast.unparse(stmt.targets[0])
        elif isinstance(stmt, ast.Expr):
            call = stmt.value
        lines = None
        if isinstance(call, ast.Call) and _plain_arguments(call):
            lookup = ast.unparse(call.func)
            fn = bound.get(lookup)
            if fn is not None:
                lines = inline(fn, [ast.unparse(a) for a in call.args],
                               {k.arg: ast.unparse(k.value) for k in call.keywords}, target,
                               f"{prefix}{n}_", const, depth + 1)
        if lines is None:
            out.append(stmt)
            continue
        # The body of what the name held at the trace, while it still holds it; else the call.
        test = ast.parse(f"{lookup} is {const(fn)}", mode="eval").body
        out.append(ast.If(test, ast.parse("\n".join(lines)).body, [stmt]))
    return out


def _plain_arguments(call) -> bool:
    return (not any(isinstance(a, ast.Starred) for a in call.args)
            and all(k.arg is not None for k in call.keywords))


def _literal(expression: str):
    """The value of a literal that cannot change (numbers, None, tuples of them), else
    ``_NOT_LITERAL``."""
    try:
        value = ast.literal_eval(expression)
    except (ValueError, SyntaxError):
        return _NOT_LITERAL
    return value if _immutable(value) else _NOT_LITERAL


def _immutable(value) -> bool:
    if type(value) is tuple:
        return all(_immutable(v) for v in value)
    return type(value) in (int, float, bool, str, type(None))


class _Rename(ast.NodeTransformer):
    """Parameters and locals to their names in the program; a global read from its module's
    namespace when the line runs (an import bound once)."""

    def __init__(self, names: dict, globals_: dict, const) -> None:
        self.names, self.globals, self.const = names, globals_, const
        self.bound: dict = {}  # a global's lookup in the program -> what it held at the trace
        self.failed = False

    def visit_Name(self, node):
        if node.id in self.names:
            if isinstance(node.ctx, ast.Store):
                return ast.Name(self.names[node.id], ast.Store())
            return ast.parse(self.names[node.id], mode="eval").body
        if node.id in self.globals:
            obj = self.globals[node.id]
            if inspect.ismodule(obj):  # an import: bound once
                return ast.Name(self.const(obj), ast.Load())
            # Anything else (a function, a class, a flag) is read when the line runs, as the
            # function would read it: a replay follows a module patched after the trace.
            lookup = f"{self.const(self.globals)}[{node.id!r}]"
            self.bound[lookup] = obj
            return ast.parse(lookup, mode="eval").body
        if not hasattr(builtins, node.id):
            self.failed = True  # a name the function could not see either: leave it a call
        return node


__all__ = ["inline"]
