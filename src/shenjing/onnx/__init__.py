"""Export a model to ONNX, from the static graph that ``sj.compile`` records.

``import shenjing.onnx`` is light: the ``onnx`` library is imported when ``export`` runs.
"""

from __future__ import annotations

from shenjing.onnx.export import CONVERTERS, export

__all__ = ["export", "CONVERTERS"]
