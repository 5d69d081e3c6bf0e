"""The Playground: train a small network on 2-D points in the browser and watch every neuron.

``shenjing playground`` serves it. The engine (``Config``, ``Session``) needs only shenjing and
NumPy; the web app (``create_app``, Starlette) is imported only when asked for.

>>> from shenjing.playground import Config, Session
>>> Session(Config(dataset="moons", samples=40)).frame(grid=4, neuron_grid=2)["steps"]
0
"""

from shenjing.playground.config import Config, ConfigError
from shenjing.playground.data import CSVError, parse_csv
from shenjing.playground.engine import Session

__all__ = ["Config", "ConfigError", "CSVError", "Session", "parse_csv", "create_app"]


def __getattr__(name: str):
    if name == "create_app":  # Starlette is imported only for the server
        from shenjing.playground.app import create_app

        return create_app
    raise AttributeError(f"module 'shenjing.playground' has no attribute {name!r}")
