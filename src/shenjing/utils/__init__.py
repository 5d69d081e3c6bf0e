"""``shenjing.utils``, as ``torch.utils``: ``shenjing.utils.data`` is ``shenjing.data``."""

from shenjing.utils import data

__all__ = ["data"]
