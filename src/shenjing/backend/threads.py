"""How many threads NumPy's BLAS uses: ``sj.set_num_threads`` and ``sj.get_num_threads``.

shenjing's parallelism is the BLAS library's (OpenBLAS or MKL behind NumPy), so PyTorch's
intra-op thread count maps onto it. ``threadpoolctl`` finds the BLAS NumPy loaded and changes
its thread count at run time (environment variables only count before NumPy is imported).
"""

from __future__ import annotations

import numbers

from shenjing.backend.errors import ArgumentError

_controller = None


def _blas():
    global _controller
    if _controller is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError as exc:  # a dependency; only a hand-made install lacks it
            raise ImportError("set_num_threads needs threadpoolctl: pip install threadpoolctl") \
                from exc
        _controller = ThreadpoolController()
    return _controller.select(user_api="blas")


def set_num_threads(n: int) -> None:
    """Use ``n`` threads in matrix products and other BLAS calls; ``torch.set_num_threads``."""
    if not isinstance(n, numbers.Integral) or isinstance(n, bool) or n < 1:
        raise ArgumentError(f"set_num_threads: expected a positive number of threads, got "
                            f"{n!r}")
    _blas().limit(limits=int(n))


def get_num_threads() -> int:
    """The number of threads BLAS calls use (1 if NumPy has no threaded BLAS)."""
    pools = _blas().info()
    return max((pool["num_threads"] for pool in pools), default=1)
