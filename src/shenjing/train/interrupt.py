"""Ctrl-C during training: finish the current step, then stop cleanly.

A ``KeyboardInterrupt`` raised in the middle of an optimizer step could leave half of the
parameters updated; instead the first Ctrl-C only asks the loop to stop, and the loop raises
``TrainingInterrupted`` once the step is complete. A second Ctrl-C stops at once.
"""

from __future__ import annotations

import contextlib
import signal
import threading


class TrainingInterrupted(KeyboardInterrupt):
    """Training stopped at a step boundary after Ctrl-C; ``epoch`` and ``step`` say where.

    Epochs finished before it are in the history (and in ``save_last``'s file, if given).
    """

    def __init__(self, epoch: int, step: int):
        super().__init__(f"training interrupted at epoch {epoch}, step {step}")
        self.epoch, self.step = epoch, step


@contextlib.contextmanager
def deferred_interrupts(state):
    """Within this block, Ctrl-C sets ``state.interrupt_requested`` instead of raising.

    Only where Python's own handler is installed, in the main thread: a program with a handler
    of its own keeps it.
    """
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield
        return

    def request(signum, frame):
        if state.interrupt_requested:  # the second Ctrl-C: stop now
            raise KeyboardInterrupt
        state.interrupt_requested = True
        state.log("stopping after this step (Ctrl-C again to stop at once)")

    signal.signal(signal.SIGINT, request)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
