"""Where data sets live on disk: an explicit root, else ``$SHENJING_DATA``, else a user cache."""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "SHENJING_DATA"
DEFAULT_ROOT = Path("~") / ".cache" / "shenjing"


def data_root(root: str | os.PathLike | None = None) -> Path:
    """The folder that holds data sets: ``root`` if given, else ``$SHENJING_DATA``, else
    ``~/.cache/shenjing``.

    Each data set keeps its files in a subfolder (``mnist/``, ``fashion-mnist/``,
    ``cifar-10-batches-py/``). torchvision has no default and needs ``root`` every time.

    >>> from shenjing.datasets import data_root
    >>> str(data_root("/data"))
    '/data'
    """
    if root is not None:
        return Path(root).expanduser()
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    return DEFAULT_ROOT.expanduser()
