"""The Playground's web app: the page, its files, and the sessions' API as Starlette routes.

Starlette routes the requests and uvicorn serves them (both well kept, small, and asynchronous, so
one process holds many open streams). Frames go to the page over server-sent events
(``sse.py``); the page's few commands (play, pause, a new configuration) are ordinary ``POST``
requests (``body.py`` reads them). The tabs and their training live in ``tabs.py``, the loopback
guard in ``local.py``, the listening socket and uvicorn in ``serve.py``.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from shenjing.playground.body import read_config, read_json
from shenjing.playground.local import LocalOnly, is_loopback
from shenjing.playground.sse import EventStream
from shenjing.playground.tabs import LINGER, MAX_SESSIONS, Made, Sessions, Tab, build_session, make

__all__ = ["ACTIONS", "STATIC", "build_session", "create_app", "is_loopback"]

STATIC = Path(__file__).with_name("static")
ACTIONS = ("play", "pause", "step", "reset")

log = logging.getLogger("shenjing.playground")


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


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

    async def build_from(request: Request) -> tuple[Made | Response, str | None]:
        """The session a request's ``{"query", "csv"}`` body asks for, and its CSV; or the
        error response that says why not."""
        try:
            query, csv = await read_config(request)
        except ValueError as exc:
            return _error(400, str(exc)), None
        return await build(query, csv), csv

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
        made, csv = await build_from(request)
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
            body = await read_json(request)
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
        made, csv = await build_from(request)
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
