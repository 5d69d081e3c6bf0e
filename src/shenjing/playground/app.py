"""The Playground's web server: one training session per browser tab, frames pushed as events.

Starlette routes the requests and uvicorn serves them (both well kept, small, and asynchronous, so
one process holds many open streams). Frames go to the page over server-sent events: training
only ever talks to the browser one way, the browser's ``EventSource`` reconnects by itself, and
no WebSocket library is needed. The page's few commands (play, pause, a new configuration) are
ordinary ``POST`` requests.

Each tab owns a :class:`Tab`: its ``Session`` (``engine.py``), whether it is playing, and its one
event stream. While playing, the stream trains in slices of about 50 ms in a worker thread
(``anyio.to_thread``), never on the event loop, then sends a frame. A stream that disconnects
leaves its tab for ``linger`` seconds, time for the page to reconnect; then the reaper closes
it. A session's exception becomes an ``error`` event for its tab alone.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import math
import os
import secrets
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import anyio
import anyio.to_thread
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).with_name("static")
MAX_SESSIONS = 64
LINGER = 10.0  # seconds a tab without a stream waits for one before it is closed
SLICE = 0.04  # seconds of training between two frames of a playing tab
MIN_SLICE = 0.005  # the floor when many tabs share the cores
FRAME_INTERVAL = 1 / 30  # at most 30 frames a second per tab
KEEPALIVE = 5.0  # seconds between comments on an idle stream, so a dead client is noticed
MAX_BODY = 2 * 1024 * 1024  # a CSV of 5000 rows is far below this
ACTIONS = ("play", "pause", "step", "reset")

log = logging.getLogger("shenjing.playground")


def build_session(query: str, csv: str | None):
    """A new engine ``Session`` from a URL query string and an optional CSV text.

    Raises ``ConfigError`` or ``CSVError`` (both ``ValueError``) on bad input.
    """
    from shenjing.playground.config import Config
    from shenjing.playground.engine import Session

    return Session(Config.from_query(query), csv_text=csv)


def _dumps(payload: Any) -> str:
    """JSON for the page: a non-finite float becomes ``null`` (``JSON.parse`` refuses NaN)."""
    try:
        return json.dumps(payload, allow_nan=False, separators=(",", ":"))
    except ValueError:
        return json.dumps(_finite(payload), allow_nan=False, separators=(",", ":"))


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def _event(name: str, payload: Any) -> bytes:
    return f"event: {name}\ndata: {_dumps(payload)}\n\n".encode()


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


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
        last_frame = 0.0
        while not tab.closed and tab.stream == number:
            changed = tab.changed
            now, made = tab.current
            if version != now:
                version, ticks = now, -1  # a new session: its data, then a frame
                last_error = None
                await send(made.data_event)
            if tab.running:
                wait = last_frame + FRAME_INTERVAL - time.monotonic()
                if wait > 0:
                    await anyio.sleep(wait)
                    continue  # anything may have changed meanwhile
                # Share the cores: with many tabs playing, each trains less between frames.
                share = self.limiter.total_tokens / max(1, self.running())
                seconds = min(SLICE, max(MIN_SLICE, SLICE * share))
                event, error = await anyio.to_thread.run_sync(
                    tab.advance, seconds, version, limiter=self.limiter)
                last_frame = time.monotonic()
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


class EventStream(Response):
    """A ``text/event-stream`` response fed by ``pump(send)``; it ends when the client leaves.

    Unlike ``StreamingResponse`` it always listens for the disconnect, so a paused stream, which
    sends nothing, still learns at once that its page is gone.
    """

    media_type = "text/event-stream"

    def __init__(self, pump: Callable[[Callable[[bytes], Awaitable[None]]], Awaitable[None]]):
        self.pump = pump
        self.status_code = 200
        self.background = None
        self.init_headers({"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    async def __call__(self, scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": self.status_code,
                    "headers": self.raw_headers})

        async def body(chunk: bytes) -> None:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})

        async with anyio.create_task_group() as group:

            async def listen() -> None:
                while (await receive())["type"] != "http.disconnect":
                    pass
                group.cancel_scope.cancel()

            group.start_soon(listen)
            try:
                await self.pump(body)
                await send({"type": "http.response.body", "body": b"", "more_body": False})
            except OSError:
                pass  # the client left while we were sending
            group.cancel_scope.cancel()


class LocalOnly:
    """ASGI middleware: answer only requests meant for this machine.

    The socket listens on a loopback address, but a web page elsewhere could still reach it
    through the browser: by a DNS name rebound to 127.0.0.1 (so the ``Host`` must be a loopback
    name) or by a cross-site ``POST`` (so an ``Origin``, when sent, must be the page's own).
    """

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            headers = {key.decode("latin-1"): value.decode("latin-1")
                       for key, value in scope["headers"]}
            host = headers.get("host", "")
            name = host[1:host.index("]")] if host.startswith("[") and "]" in host \
                else host.rsplit(":", 1)[0]
            origin = headers.get("origin")
            if not is_loopback(name):
                await _error(400, f"the Playground answers requests for this machine only, "
                                  f"not for host {host!r}")(scope, receive, send)
                return
            if origin is not None and origin.split("://", 1)[-1] != host:
                await _error(403, f"the Playground answers its own page only, not a page "
                                  f"from {origin!r}")(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def _body(request: Request) -> bytes:
    """The request's body, ``ValueError`` past ``MAX_BODY`` bytes (read no further)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise ValueError(f"the request is larger than {MAX_BODY // 2**20} MiB")
        chunks.append(chunk)
    return b"".join(chunks)


async def _read_request(request: Request) -> tuple[str, str | None]:
    """``query`` and ``csv`` of a JSON body; ``ValueError`` says what is wrong."""
    body = await _body(request)
    try:
        body = json.loads(body or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"the body is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    query, csv = body.get("query", ""), body.get("csv")
    if not isinstance(query, str):
        raise ValueError(f"query must be a string, got {type(query).__name__}")
    if csv is not None and not isinstance(csv, str):
        raise ValueError(f"csv must be a string or null, got {type(csv).__name__}")
    return query.removeprefix("?"), csv


def create_app(*, limit: int = MAX_SESSIONS, linger: float = LINGER,
               factory: Callable[[str, str | None], Any] = build_session) -> Starlette:
    """The Playground's Starlette app: the page, its files and the sessions' API.

    ``limit`` bounds the open sessions (503 past it), ``linger`` is how long a session waits
    for its page to reconnect, ``factory(query, csv)`` makes a session (tests pass fakes).
    ``app.state.sessions`` holds the open :class:`Sessions`.
    """
    sessions = Sessions(limit, linger, factory)

    async def build(query: str, csv: str | None):
        """A session, or the error response that says why not."""
        try:
            return await anyio.to_thread.run_sync(make, factory, query, csv,
                                                  limiter=sessions.limiter)
        except ValueError as exc:  # ConfigError, CSVError
            return _error(400, str(exc))
        except Exception as exc:
            log.exception("playground: building a session failed")
            return _error(500, f"building the session failed ({type(exc).__name__}: {exc})")

    def tab_of(request: Request) -> Tab | JSONResponse:
        tab = sessions.get(request.path_params["id"])
        if tab is None:
            return _error(404, f"no session {request.path_params['id']!r}: it was closed "
                               "or the server restarted; reload the page")
        return tab

    async def index(request: Request) -> Response:
        page = STATIC / "index.html"
        if not page.is_file():
            return _error(404, "the Playground's page is not installed (static/index.html)")
        return FileResponse(page, headers={"Cache-Control": "no-cache"})

    async def create(request: Request) -> Response:
        if len(sessions) >= sessions.limit:
            return _error(503, f"the Playground has {sessions.limit} sessions open, its limit: "
                               "close some tabs and reload")
        try:
            query, csv = await _read_request(request)
        except ValueError as exc:
            return _error(400, str(exc))
        made = await build(query, csv)
        if isinstance(made, Response):
            return made
        tab = Tab(secrets.token_urlsafe(12), made, csv)
        if len(sessions) >= sessions.limit:  # others came in while it was being built
            return _error(503, f"the Playground has {sessions.limit} sessions open, its limit")
        sessions.tabs[tab.id] = tab
        return JSONResponse({"id": tab.id, "query": tab.query}, status_code=201)

    async def events(request: Request) -> Response:
        tab = tab_of(request)
        if isinstance(tab, Response):
            return tab
        return EventStream(lambda send: sessions.stream(tab, send))

    async def control(request: Request) -> Response:
        tab = tab_of(request)
        if isinstance(tab, Response):
            return tab
        try:
            body = json.loads(await _body(request) or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            return _error(400, f"the body is not JSON: {exc}")
        except ValueError as exc:
            return _error(400, str(exc))
        action = body.get("action") if isinstance(body, dict) else None
        if action not in ACTIONS:
            return _error(400, f"action must be one of {', '.join(ACTIONS)}, got {action!r}")
        if action == "play":
            tab.running = True
            tab.poke()
        elif action == "pause":
            tab.running = False
            tab.poke()
        elif action == "step":
            tab.running = False
            await anyio.to_thread.run_sync(tab.epoch, limiter=sessions.limiter)
            tab.poke(frame=True)
        else:  # reset: the same configuration from the start, playing or not as before
            made = await build(tab.query, tab.csv)
            if isinstance(made, Response):
                return made
            if not await _swap(tab, made, tab.csv):
                return tab_of(request)
        return JSONResponse({"running": tab.running})

    async def _swap(tab: Tab, made: Made, csv: str | None) -> bool:
        """Put a rebuilt session into ``tab``; False if the tab closed meanwhile."""
        if tab.closed:
            return False
        await anyio.to_thread.run_sync(tab.replace, made, csv, limiter=sessions.limiter)
        tab.poke(frame=True)
        return not tab.closed

    async def configure(request: Request) -> Response:
        tab = tab_of(request)
        if isinstance(tab, Response):
            return tab
        try:
            query, csv = await _read_request(request)
        except ValueError as exc:
            return _error(400, str(exc))
        made = await build(query, csv)
        if isinstance(made, Response):
            return made  # the old session goes on
        try:
            if not await _swap(tab, made, csv):
                return tab_of(request)
        except Exception as exc:
            log.exception("playground: a new configuration failed")
            return _error(500, f"the session failed ({type(exc).__name__}: {exc})")
        return JSONResponse({"query": tab.query})

    def download(what: str, filename: str, media_type: str):
        async def endpoint(request: Request) -> Response:
            tab = tab_of(request)
            if isinstance(tab, Response):
                return tab

            def make() -> bytes | str:
                with tab.lock:
                    return getattr(tab.current[1].session, what)()

            try:
                content = await anyio.to_thread.run_sync(make, limiter=sessions.limiter)
            except Exception as exc:
                log.exception("playground: %s of session %s failed", what, tab.id)
                return _error(500, f"{what} failed ({type(exc).__name__}: {exc})")
            return Response(content, media_type=media_type, headers={
                "Content-Disposition": f'attachment; filename="{filename}"'})
        return endpoint

    async def delete(request: Request) -> Response:
        tab = tab_of(request)
        if isinstance(tab, Response):
            return tab
        sessions.close(tab)
        return JSONResponse({"closed": tab.id})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        async with anyio.create_task_group() as group:
            group.start_soon(sessions.reap_forever)
            try:
                yield
            finally:
                sessions.close_all()
                group.cancel_scope.cancel()

    api = "/api/sessions/{id}"
    app = Starlette(routes=[
        Route("/", index),
        Mount("/static", StaticFiles(directory=STATIC, check_dir=False), name="static"),
        Route("/api/sessions", create, methods=["POST"]),
        Route(f"{api}/events", events),
        Route(f"{api}/control", control, methods=["POST"]),
        Route(f"{api}/config", configure, methods=["POST"]),
        Route(f"{api}/weights.safetensors",
              download("weights_safetensors", "playground.safetensors",
                       "application/octet-stream")),
        Route(f"{api}/script.py", download("script", "playground.py", "text/x-python")),
        Route(api, delete, methods=["DELETE"]),
    ], lifespan=lifespan, middleware=[Middleware(LocalOnly)])
    app.state.sessions = sessions
    return app


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (127.0.0.0/8, ::1, localhost).

    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def listen(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening socket on a loopback ``host`` (port 0: a free one); ``ValueError`` otherwise."""
    if not is_loopback(host):
        raise ValueError(f"the Playground serves this machine only: host must be a loopback "
                         f"address such as 127.0.0.1, got {host!r}")
    if host == "localhost":
        host = "127.0.0.1"
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def address(sock: socket.socket) -> str:
    """The URL a listening socket serves."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def server(app: Starlette, log_level: str = "warning"):
    """A uvicorn ``Server`` for ``app`` that closes the sessions first when it stops, so the
    open event streams end and the shutdown does not wait for them."""
    import uvicorn

    class Server(uvicorn.Server):
        async def shutdown(self, sockets=None) -> None:
            app.state.sessions.close_all()
            await super().shutdown(sockets)

    config = uvicorn.Config(app, log_level=log_level, lifespan="on",
                            timeout_graceful_shutdown=3, access_log=False)
    return Server(config)


@contextlib.contextmanager
def serve_in_background(app: Starlette | None = None, port: int = 0,
                        timeout: float = 15.0) -> Iterator[str]:
    """Serve the Playground from a thread on 127.0.0.1 while the block runs; yields its URL.

    For tests and notebooks: the server stops and its thread is joined when the block ends.
    """
    app = create_app() if app is None else app
    sock = listen("127.0.0.1", port)
    uv = server(app)
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]},
                              name="shenjing-playground", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + timeout
        while not uv.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the Playground's server did not start")
            time.sleep(0.02)
        yield address(sock)
    finally:
        uv.should_exit = True
        thread.join(timeout)
        sock.close()
        if thread.is_alive():
            raise RuntimeError(f"the Playground's server did not stop within {timeout} s")
