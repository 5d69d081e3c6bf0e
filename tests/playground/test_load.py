"""The Playground under load: 20 tabs training at once for a minute on 127.0.0.1.

A real uvicorn server runs in a thread of this process (so its sessions, threads and memory can
be read); 20 clients on one asyncio loop each make a session, play it and read its event stream
for 60 seconds, then close the stream as a closed tab would. Every tab must keep receiving
frames, and once the tabs are gone the server must hold no session, no extra thread, and about
the memory it started with. The measured figures are printed (``pytest -s``).
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import threading
import time
from pathlib import Path

import httpx

from shenjing.playground.app import create_app
from shenjing.playground.engine import Session
from shenjing.playground.serve import serve_in_background

TABS = 20
SECONDS = 60.0
WINDOW = 10.0  # every tab gets frames in every window of this many seconds
LINGER = 2.0  # seconds a closed tab's session waits before the reaper takes it
WARM_UP = 5.0  # seconds of the same load first: what every later session shares is allocated
RSS_SLACK = 16 * 2**20  # bytes

QUERIES = ("", "dataset=xor&hidden=4,4", "dataset=spirals&classes=3&hidden=8,8,8",
           "dataset=circles&act=relu,relu&opt=adam&lr=0.01", "dataset=blobs&classes=5&batch=30",
           "dataset=moons&hidden=16&dropout=0.2&opt=momentum")


def rss() -> int:
    """This process's resident memory in bytes (the server runs in it)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def wait_until(condition, timeout: float, what: str) -> float:
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        time.sleep(0.1)
    return time.monotonic() - start


async def tab(http: httpx.AsyncClient, query: str, seconds: float) -> list[float]:
    """One tab: a session, played, its stream read for ``seconds``; the frames' arrival times."""
    response = await http.post("/api/sessions", json={"query": query, "csv": None})
    assert response.status_code == 201, response.text
    sid = response.json()["id"]
    arrivals, errors = [], []
    async with http.stream("GET", f"/api/sessions/{sid}/events") as stream:
        await http.post(f"/api/sessions/{sid}/control", json={"action": "play"})
        start = time.monotonic()
        async for line in stream.aiter_lines():
            if line == "event: frame":
                arrivals.append(time.monotonic() - start)
            elif line == "event: error":
                errors.append(line)
            if time.monotonic() - start > seconds:
                break
    assert not errors, f"{query!r}: an error event"
    return arrivals


async def all_tabs(url: str, peak: list[int], seconds: float = SECONDS) -> list[list[float]]:
    limits = httpx.Limits(max_connections=2 * TABS + 4)
    timeout = httpx.Timeout(30.0)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=timeout) as http:
        async def watch() -> None:
            while True:
                peak[0] = max(peak[0], rss())
                peak[1] = max(peak[1], threading.active_count())
                await asyncio.sleep(0.5)

        watcher = asyncio.create_task(watch())
        try:
            return await asyncio.gather(*(tab(http, QUERIES[i % len(QUERIES)], seconds)
                                          for i in range(TABS)))
        finally:
            watcher.cancel()


def test_twenty_tabs_for_a_minute_keep_updating_and_leave_nothing_behind():
    threads_outside = threading.active_count()
    app = create_app(linger=LINGER)
    sessions = app.state.sessions
    with serve_in_background(app) as url:
        asyncio.run(asyncio.wait_for(all_tabs(url, [0, 0], WARM_UP), WARM_UP + 60))
        wait_until(lambda: len(sessions) == 0, 10 + LINGER, "the warm-up sessions' closing")
        rss_start, threads_start = rss(), threading.active_count()
        peak = [rss_start, threads_start]
        started = time.monotonic()
        arrivals = asyncio.run(asyncio.wait_for(all_tabs(url, peak), SECONDS + 60))
        elapsed = time.monotonic() - started
        reaped = wait_until(lambda: len(sessions) == 0, 10 + 3 * LINGER, "the sessions' closing")
        threads_end = threading.active_count()
        gc.collect()
        alive = sum(type(thing) is Session for thing in gc.get_objects())  # exact type: no
        # isinstance, which wakes lazy module attributes (a warning from torch.distributed)
        rss_end = rss()
    counts = [len(times) for times in arrivals]
    gaps = [max(b - a for a, b in zip([0.0, *times], [*times, SECONDS])) for times in arrivals]
    mib = 2**20
    print(f"\n{TABS} tabs for {SECONDS:.0f} s ({elapsed:.1f} s in all): frames per tab "
          f"min {min(counts)}, median {statistics.median(counts):.0f}, max {max(counts)} "
          f"({min(counts) / SECONDS:.1f} to {max(counts) / SECONDS:.1f} a second); "
          f"longest gap between frames {max(gaps):.2f} s")
    print(f"sessions: 0 again {reaped:.1f} s after the streams closed (linger {LINGER} s); "
          f"{alive} Session objects alive")
    print(f"threads: {threads_start} before, peak {peak[1]}, {threads_end} after")
    print(f"memory (RSS): {rss_start / mib:.1f} MiB before, peak {peak[0] / mib:.1f} MiB, "
          f"{rss_end / mib:.1f} MiB after ({(rss_end - rss_start) / mib:+.1f} MiB)")
    assert min(counts) >= SECONDS, "a tab got fewer than one frame a second"
    assert max(gaps) < WINDOW, "a tab went a whole window without a frame"
    assert len(sessions) == 0 and alive == 0
    # The worker threads are a pool bounded by the cores, not one per tab; the baseline holds it.
    assert peak[1] <= threads_start + sessions.limiter.total_tokens + 2
    assert threads_end <= threads_start
    assert rss_end <= rss_start + RSS_SLACK
    wait_until(lambda: threading.active_count() <= threads_outside, 15,
               "the server's threads ending")

