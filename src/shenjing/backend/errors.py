"""The errors of a bad argument, shared by every layer above the backend.

Each is the exception type PyTorch raises for the same mistake, so that ``except RuntimeError:``
code behaves alike, and the type Python's convention names (``ValueError`` for a bad value,
``TypeError`` for a bad type), so that either ``except`` catches it.
"""


class ShapeError(RuntimeError, ValueError):
    """An operation got shapes it cannot combine; the message names the operation and the shapes."""


class ArgumentError(RuntimeError, ValueError):
    """A size, step, count or dim out of its range (``split(0)``, ``zeros(-1)``)."""


class DtypeError(RuntimeError, TypeError):
    """A tensor of a dtype the operation cannot take (float class indices)."""


class IndexRangeError(IndexError, RuntimeError):
    """An index tensor's value outside its dim. PyTorch raises IndexError for some operations
    (``index_select``) and RuntimeError for others (``gather``, ``scatter``): this is both."""
