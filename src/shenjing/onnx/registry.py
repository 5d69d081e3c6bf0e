"""The converters of ``sj.onnx.export``: {Function class: converter(graph, call) -> output
names}, filled by ``@converts(...)`` in the modules that define them."""

from __future__ import annotations

CONVERTERS: dict = {}


def converts(*classes):
    """Register the decorated function as the converter of these Function classes."""
    def register(fn):
        for cls in classes:
            CONVERTERS[cls] = fn
        return fn
    return register
