"""Layers as modules: one file per kind, the base class in ``module``."""

from shenjing.nn.modules.module import Module

__all__ = ["Module"]
