"""Static graphs: ``sj.compile`` traces a step once and replays it as a flat array program."""

from shenjing.static.compile import CompiledFunction, TraceError, compile
from shenjing.static.program import Program

__all__ = ["CompiledFunction", "Program", "TraceError", "compile"]
