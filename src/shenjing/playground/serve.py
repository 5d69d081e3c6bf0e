"""Serving the Playground: a listening socket on a loopback address, its URL, and uvicorn."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

from starlette.applications import Starlette

from shenjing.playground.local import is_loopback

__all__ = ["address", "listen", "serve_in_background", "server"]


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
    if app is None:
        from shenjing.playground.app import create_app

        app = create_app()
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
