"""The open tabs: each browser tab's session, its play state, and the feed of its event stream.

Each tab owns a :class:`Tab`: its ``Session`` (``engine.py``), whether it is playing, and its one
event stream. While playing, the stream trains in slices of about 40 ms in a worker thread
(``anyio.to_thread``), never on the event loop, then sends a frame. A stream that disconnects
leaves its tab for ``linger`` seconds, time for the page to reconnect; then the reaper closes
it. A session's exception becomes an ``error`` event for its tab alone.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

import anyio
import anyio.to_thread

from shenjing.playground.sse import event as _event

__all__ = ["Made", "Sessions", "Tab", "build_session", "make"]

MAX_SESSIONS = 64
LINGER = 10.0  # seconds a tab without a stream waits for one before it is closed
SLICE = 0.04  # seconds of training between two frames of a playing tab
MIN_SLICE = 0.005  # the floor when many tabs share the cores
FRAME_INTERVAL = 1 / 30  # at most 30 frames a second per tab
KEEPALIVE = 5.0  # seconds between comments on an idle stream, so a dead client is noticed

log = logging.getLogger("shenjing.playground")


def build_session(query: str, csv: str | None):
    """A new engine ``Session`` from a URL query string and an optional CSV text.

    Raises ``ConfigError`` or ``CSVError`` (both ``ValueError``) on bad input.
    """
    from shenjing.playground.config import Config
    from shenjing.playground.engine import Session

    return Session(Config.from_query(query), csv_text=csv)



class Made(NamedTuple):
    """A new session with what its tab keeps of it, made in a worker thread."""

    session: Any
    query: str  # canonical
    n_train: int
    data_event: bytes  # the stream's first event


def make(factory: Callable[[str, str | None], Any], query: str, csv: str | None) -> Made:
    session = factory(query, csv)
    canonical = session.config.to_query()
    data = session.data()
    event = _event("data", {**data, "query": canonical})
    return Made(session, canonical, len(data["train"]), event)


class Tab:
    """What one browser tab drives: its session, play state and event stream.

    The session is touched by one worker thread at a time (``lock``). ``current`` pairs it with
    a version, swapped in one assignment, so a stream never sends one session's frame after
    another's data; the other fields are read and written on the event loop only.
    """

    def __init__(self, tab_id: str, made: Made, csv: str | None) -> None:
        self.id = tab_id
        self.csv = csv
        self.current = (0, made)  # a new session (config, reset) is a new version
        self.running = False
        self.closed = False
        self.lock = threading.Lock()
        self.ticks = 0  # a step, reset or config: a paused stream sends one frame
        self.stream = 0  # the newest stream's number: an older stream of this tab ends
        self.streams = 0  # streams open now
        self.idle_since = time.monotonic()
        self.per_batch = 1e-3  # seconds one mini-batch takes, a running mean
        self.changed = anyio.Event()

    @property
    def session(self):
        return self.current[1].session

    @property
    def query(self) -> str:
        return self.current[1].query

    def poke(self, frame: bool = False) -> None:
        """Wake the streams: something changed (a frame is due if ``frame``)."""
        if frame:
            self.ticks += 1
        self.changed.set()
        self.changed = anyio.Event()

    # The methods below run in a worker thread.

    def replace(self, made: Made, csv: str | None) -> None:
        """Swap in a rebuilt session."""
        with self.lock:
            self.csv = csv
            self.current = (self.current[0] + 1, made)

    def advance(self, seconds: float, version: int) -> tuple[bytes, str | None]:
        """Train for about ``seconds`` and draw a frame: the encoded event and the session's
        error. Nothing if the session is no longer ``version``."""
        with self.lock:
            now, made = self.current
            if now != version:
                return b"", None
            try:
                batches = max(1, int(seconds / self.per_batch))
                start = time.perf_counter()
                made.session.step(batches)
                self._timed(start, batches)
                return self._frame(made.session)
            except Exception as exc:  # the tab stops; the server goes on
                return self._failed(exc)

    def frame(self, version: int) -> tuple[bytes, str | None]:
        with self.lock:
            now, made = self.current
            if now != version:
                return b"", None
            try:
                return self._frame(made.session)
            except Exception as exc:
                return self._failed(exc)

    def epoch(self) -> None:
        """One epoch of training (the Step button), in slices so the lock is released."""
        version, made = self.current
        batch = max(1, int(getattr(made.session.config, "batch", 1)))
        left = max(1, math.ceil(made.n_train / batch))
        while left > 0 and not self.closed:
            with self.lock:
                if self.current[0] != version:
                    return
                chunk = min(left, max(1, int(SLICE / self.per_batch)))
                start = time.perf_counter()
                try:
                    made.session.step(chunk)
                except Exception:
                    log.exception("playground session %s failed in step", self.id)
                    return  # the next frame() reports it, or fails and reports that
                self._timed(start, chunk)
                left -= chunk
                if made.session.error:
                    return

    def _timed(self, start: float, batches: int) -> None:
        spent = (time.perf_counter() - start) / batches
        self.per_batch = 0.7 * self.per_batch + 0.3 * max(spent, 1e-6)

    def _frame(self, session) -> tuple[bytes, str | None]:
        frame = session.frame()
        return _event("frame", frame), frame.get("error") or session.error

    def _failed(self, exc: Exception) -> tuple[bytes, str]:
        log.exception("playground session %s failed", self.id)
        return b"", f"the session failed ({type(exc).__name__}: {exc}): press Reset"


class Sessions:
    """The open tabs by id, at most ``limit`` of them; the reaper closes abandoned ones."""

    def __init__(self, limit: int = MAX_SESSIONS, linger: float = LINGER,
                 factory: Callable[[str, str | None], Any] = build_session) -> None:
        self.limit = limit
        self.linger = linger
        self.factory = factory
        self.tabs: dict[str, Tab] = {}
        # Training threads at once: more than the cores only makes every tab slower.
        self.limiter = anyio.CapacityLimiter(max(2, os.cpu_count() or 2))

    def __len__(self) -> int:
        return len(self.tabs)

    def get(self, tab_id: str) -> Tab | None:
        return self.tabs.get(tab_id)

    def running(self) -> int:
        return sum(tab.running and tab.streams > 0 for tab in self.tabs.values())

    def close(self, tab: Tab) -> None:
        """Forget a tab: its streams end, its session is dropped with it."""
        if self.tabs.pop(tab.id, None) is None:
            return
        tab.closed = True
        tab.running = False
        tab.poke()

    def close_all(self) -> None:
        for tab in list(self.tabs.values()):
            self.close(tab)

    def reap(self) -> int:
        """Close the tabs whose stream has been gone for ``linger`` seconds; returns how many."""
        deadline = time.monotonic() - self.linger
        gone = [tab for tab in self.tabs.values() if tab.streams == 0 and tab.idle_since < deadline]
        for tab in gone:
            log.info("playground session %s closed: its page went away", tab.id)
            self.close(tab)
        return len(gone)

    async def reap_forever(self) -> None:
        while True:
            await anyio.sleep(min(1.0, self.linger / 4))
            self.reap()

    async def stream(self, tab: Tab, send: Callable[[bytes], Awaitable[None]]) -> None:
        """Feed one event stream of ``tab`` until the tab closes or a newer stream replaces it."""
        tab.stream += 1
        number = tab.stream
        tab.streams += 1
        tab.poke()  # an older stream of the tab wakes and ends
        try:
            await send(b"retry: 1000\n\n")
            await self._feed(tab, number, send)
        finally:
            tab.streams -= 1
            tab.idle_since = time.monotonic()

    async def _feed(self, tab: Tab, number: int, send: Callable[[bytes], Awaitable[None]]) -> None:
        version = ticks = -1
        last_error = None
        last_slice = 0.0
        while not tab.closed and tab.stream == number:
            changed = tab.changed
            now, made = tab.current
            if version != now:
                version, ticks = now, -1  # a new session: its data, then a frame
                last_error = None
                await send(made.data_event)
            if tab.running:
                # Paced from the start of a slice: the slice counts against the interval, so
                # a tab whose slice outlasts it trains again at once instead of idling.
                wait = last_slice + FRAME_INTERVAL - time.monotonic()
                if wait > 0:
                    await anyio.sleep(wait)
                    continue  # anything may have changed meanwhile
                last_slice = time.monotonic()
                # Share the cores: with many tabs playing, each trains less between frames.
                share = self.limiter.total_tokens / max(1, self.running())
                seconds = min(SLICE, max(MIN_SLICE, SLICE * share))
                event, error = await anyio.to_thread.run_sync(
                    tab.advance, seconds, version, limiter=self.limiter)
            elif ticks != tab.ticks:
                ticks = tab.ticks
                event, error = await anyio.to_thread.run_sync(tab.frame, version,
                                                              limiter=self.limiter)
            else:
                with anyio.move_on_after(KEEPALIVE) as idle:
                    await changed.wait()
                if idle.cancelled_caught:
                    await send(b": idle\n\n")
                continue
            if tab.closed or tab.stream != number:
                break
            if event:
                await send(event)
            if error:  # training stopped: said once, and again whenever play is pressed
                again = error != last_error or tab.running
                tab.running = False  # before the event: whoever hears it finds the tab paused
                if again:
                    await send(_event("error", {"error": error}))
            last_error = error

