"""Neural network building blocks; ``functional`` holds the stateless functions."""

from shenjing.nn import functional

__all__ = ["functional"]
